{{ config(severity='error', description='dim_date has every day from 2010-01-01 to 2030-12-31, once.') }}
SELECT days, first_day, last_day
FROM (
  SELECT COUNT(*) AS days, MIN(full_date) AS first_day, MAX(full_date) AS last_day FROM {{ ref('dim_date') }}
) AS span
WHERE days <> 7670 OR first_day <> DATE '2010-01-01' OR last_day <> DATE '2030-12-31'

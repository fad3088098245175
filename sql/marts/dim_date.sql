{{ config(materialized='table', description='One row per day 2010-01-01..2030-12-31; fiscal years start on 1 February.') }}
-- fiscal_year is named after the calendar year in which it starts: FY2014 = 2014-02-01..2015-01-31.
WITH days AS (
  SELECT date_day FROM {{ date_spine('2010-01-01', '2030-12-31') }} AS spine
)

SELECT
  {{ date_key('date_day') }} AS date_key,
  date_day AS full_date,
  EXTRACT(YEAR FROM date_day) AS year,
  EXTRACT(QUARTER FROM date_day) AS quarter,
  EXTRACT(MONTH FROM date_day) AS month,
  {{ month_name('date_day') }} AS month_name,
  EXTRACT(DAY FROM date_day) AS day_of_month,
  {{ iso_day_of_week('date_day') }} AS day_of_week,
  {{ day_name('date_day') }} AS day_name,
  CASE WHEN {{ iso_day_of_week('date_day') }} IN (6, 7) THEN TRUE ELSE FALSE END AS is_weekend,
  {{ iso_week('date_day') }} AS iso_week,
  {{ iso_year('date_day') }} AS iso_year,
  CASE WHEN EXTRACT(MONTH FROM date_day) >= 2 THEN EXTRACT(YEAR FROM date_day) ELSE EXTRACT(YEAR FROM date_day) - 1 END
    AS fiscal_year,
  -- February = fiscal month 1 … January = fiscal month 12.
  MOD(EXTRACT(MONTH FROM date_day) + 10, 12) + 1 AS fiscal_month,
  CAST(FLOOR(MOD(EXTRACT(MONTH FROM date_day) + 10, 12) / 3) AS INTEGER) + 1 AS fiscal_quarter
FROM days

{{ config(severity='error', model='fact_sales_daily', description="Over the 28 days up to the data's latest order date (not the wall clock), daily net sales equal the facts.") }}
WITH latest AS (
  SELECT MAX(order_date) AS last_day FROM {{ ref('fact_sales') }}
),
window_keys AS (
  SELECT d.date_key
  FROM {{ ref('dim_date') }} AS d
  CROSS JOIN latest
  WHERE d.full_date > {{ date_add('day', '-28', 'latest.last_day') }} AND d.full_date <= latest.last_day
)
SELECT f.net AS fact_net, dl.net AS daily_net
FROM (
  SELECT COALESCE(SUM(net_amount), 0) AS net FROM {{ ref('fact_sales') }}
  WHERE order_date_key IN (SELECT date_key FROM window_keys)
) AS f
CROSS JOIN (
  SELECT COALESCE(SUM(net_amount), 0) AS net FROM {{ ref('fact_sales_daily') }}
  WHERE date_key IN (SELECT date_key FROM window_keys)
) AS dl
WHERE ABS(f.net - dl.net) > 0.01

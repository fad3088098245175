{{ config(severity='warn', model='fact_sales', description="Over the 90 days up to the data's latest order date, fewer than 1% of facts lack a dimension key.") }}
WITH latest AS (
  SELECT MAX(order_date) AS last_day FROM {{ ref('fact_sales') }}
)
SELECT missing, total
FROM (
  SELECT
    SUM(CASE WHEN f.customer_key IS NULL OR f.product_key IS NULL OR f.store_key IS NULL THEN 1 ELSE 0 END) AS missing,
    COUNT(*) AS total
  FROM {{ ref('fact_sales') }} AS f
  CROSS JOIN latest
  WHERE f.order_date > {{ date_add('day', '-90', 'latest.last_day') }}
) AS counts
WHERE missing >= 0.01 * total

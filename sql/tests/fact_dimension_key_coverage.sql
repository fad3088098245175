{{ config(severity='error', model='fact_sales', description='Fewer than 1% of facts lack a customer, product or store key.') }}
SELECT missing, total
FROM (
  SELECT
    SUM(CASE WHEN customer_key IS NULL OR product_key IS NULL OR store_key IS NULL THEN 1 ELSE 0 END) AS missing,
    COUNT(*) AS total
  FROM {{ ref('fact_sales') }}
) AS counts
WHERE missing >= 0.01 * total

{{ config(severity='error', description='The first version of each product is effective from its first appearance in the sales data.') }}
SELECT h.product_id, h.first_valid_from, s.first_sold_date
FROM (
  SELECT product_id, MIN(valid_from) AS first_valid_from FROM {{ ref('product_history') }} GROUP BY product_id
) AS h
INNER JOIN {{ ref('stg_products') }} AS s ON s.product_id = h.product_id
WHERE h.first_valid_from <> s.first_sold_date

{{ config(severity='error', model='dim_product', description='The current product version carries the golden record attributes of stg_products.') }}
SELECT s.product_id
FROM {{ ref('stg_products') }} AS s
LEFT JOIN {{ ref('dim_product') }} AS d ON d.product_id = s.product_id AND d.is_current
WHERE d.product_id IS NULL
  OR d.product_name IS DISTINCT FROM s.product_name OR d.category IS DISTINCT FROM s.category
  OR d.sub_category IS DISTINCT FROM s.sub_category OR d.list_price IS DISTINCT FROM s.list_price

{{ config(severity='error', model='fact_sales', description='Every fact points at the product version valid on its order date.') }}
SELECT f.sales_key, f.order_date, d.valid_from, d.valid_to
FROM {{ ref('fact_sales') }} AS f
INNER JOIN {{ ref('dim_product') }} AS d ON d.product_key = f.product_key
WHERE f.order_date < d.valid_from OR f.order_date > d.valid_to OR f.product_id <> d.product_id

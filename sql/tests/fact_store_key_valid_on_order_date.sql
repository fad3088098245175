{{ config(severity='error', model='fact_sales', description='Every fact points at the store version valid on its order date.') }}
SELECT f.sales_key, f.order_date, d.valid_from, d.valid_to
FROM {{ ref('fact_sales') }} AS f
INNER JOIN {{ ref('dim_store') }} AS d ON d.store_key = f.store_key
WHERE f.order_date < d.valid_from OR f.order_date > d.valid_to OR f.store_id <> d.store_id

{{ config(severity='error', model='fact_sales', description='Every fact points at the customer version valid on its order date.') }}
SELECT f.sales_key, f.order_date, d.valid_from, d.valid_to
FROM {{ ref('fact_sales') }} AS f
INNER JOIN {{ ref('dim_customer') }} AS d ON d.customer_key = f.customer_key
WHERE f.order_date < d.valid_from OR f.order_date > d.valid_to OR f.customer_id <> d.customer_id

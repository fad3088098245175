{{ config(severity='error', model='dim_customer', description='The current customer version carries the golden record attributes of stg_customers.') }}
SELECT s.customer_id
FROM {{ ref('stg_customers') }} AS s
LEFT JOIN {{ ref('dim_customer') }} AS d ON d.customer_id = s.customer_id AND d.is_current
WHERE d.customer_id IS NULL
  OR d.customer_name IS DISTINCT FROM s.customer_name OR d.segment IS DISTINCT FROM s.segment
  OR d.city IS DISTINCT FROM s.city OR d.state IS DISTINCT FROM s.state OR d.country IS DISTINCT FROM s.country
  OR d.postal_code IS DISTINCT FROM s.postal_code OR d.market IS DISTINCT FROM s.market OR d.region IS DISTINCT FROM s.region

{{ config(severity='error', description='The first version of each customer is effective from its first appearance in the sales data.') }}
SELECT h.customer_id, h.first_valid_from, s.first_order_date
FROM (
  SELECT customer_id, MIN(valid_from) AS first_valid_from FROM {{ ref('customer_history') }} GROUP BY customer_id
) AS h
INNER JOIN {{ ref('stg_customers') }} AS s ON s.customer_id = h.customer_id
WHERE h.first_valid_from <> s.first_order_date

{{ config(severity='error', description='The first version of each store is effective from its first appearance in the sales data.') }}
SELECT h.store_id, h.first_valid_from, s.first_order_date
FROM (
  SELECT store_id, MIN(valid_from) AS first_valid_from FROM {{ ref('store_history') }} GROUP BY store_id
) AS h
INNER JOIN {{ ref('stg_stores') }} AS s ON s.store_id = h.store_id
WHERE h.first_valid_from <> s.first_order_date

{{ config(severity='error', model='fact_sales', description='fact_sales reaches the latest order date of the staged data (no lagging incremental load).') }}
SELECT f.latest AS fact_latest, s.latest AS staged_latest
FROM (SELECT MAX(order_date) AS latest FROM {{ ref('fact_sales') }}) AS f
CROSS JOIN (SELECT MAX(order_date) AS latest FROM {{ ref('stg_sales') }}) AS s
WHERE f.latest IS DISTINCT FROM s.latest

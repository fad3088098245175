{{ config(materialized='table', description='Store (ship-to location) golden records: one row per store_id with its current market and region.') }}
-- store_id hashes the location (country, state, city, postal code); market and region are attributes
-- that can be reassigned, so they come from the latest order and are tracked by the store snapshot.
WITH lines AS (
  SELECT
    store_id,
    country,
    state,
    city,
    postal_code,
    market,
    region,
    customer_id,
    order_id,
    order_date,
    net_amount,
    source_ingested_at,
    row_id,
    {{ hash_key(['market', 'region']) }} AS attributes_hash
  FROM {{ ref('stg_sales') }}
),

survivor AS (
  SELECT *
  FROM lines
  QUALIFY ROW_NUMBER() OVER (PARTITION BY store_id ORDER BY order_date DESC, source_ingested_at DESC, row_id DESC) = 1
),

last_different AS (
  SELECT l.store_id, MAX(l.order_date) AS last_different_date
  FROM lines AS l
  INNER JOIN survivor AS s ON s.store_id = l.store_id
  WHERE l.attributes_hash <> s.attributes_hash
  GROUP BY l.store_id
),

since AS (
  SELECT l.store_id, MIN(l.order_date) AS attributes_since
  FROM lines AS l
  INNER JOIN survivor AS s ON s.store_id = l.store_id
  LEFT JOIN last_different AS d ON d.store_id = l.store_id
  WHERE l.attributes_hash = s.attributes_hash
    AND (d.last_different_date IS NULL OR l.order_date > d.last_different_date)
  GROUP BY l.store_id
),

totals AS (
  SELECT
    store_id,
    MIN(order_date) AS first_order_date,
    MAX(order_date) AS last_order_date,
    COUNT(DISTINCT order_id) AS lifetime_orders,
    COUNT(DISTINCT customer_id) AS lifetime_customers,
    SUM(net_amount) AS lifetime_sales
  FROM lines
  GROUP BY store_id
)

SELECT
  s.store_id,
  s.country,
  s.state,
  s.city,
  s.postal_code,
  s.market,
  s.region,
  t.first_order_date,
  t.last_order_date,
  COALESCE(since.attributes_since, s.order_date) AS attributes_since,
  t.lifetime_orders,
  t.lifetime_customers,
  t.lifetime_sales
FROM survivor AS s
INNER JOIN totals AS t ON t.store_id = s.store_id
LEFT JOIN since ON since.store_id = s.store_id

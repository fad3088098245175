{{ config(materialized='table', description='Customer golden records: one row per customer_id with lifetime aggregates and a value tier.') }}
-- Survivor (PIPELINE §4): a non-blank name first, then the latest order date, then the latest ingestion.
-- attributes_since is when the survivor's tracked attributes took effect: the first order, after the last
-- order that showed different ones, carrying them. The customer snapshot dates a new version from it.
WITH lines AS (
  SELECT
    customer_id,
    customer_name,
    segment,
    city,
    state,
    country,
    postal_code,
    market,
    region,
    order_id,
    order_date,
    quantity,
    net_amount,
    profit,
    source_ingested_at,
    row_id,
    CASE WHEN customer_name IS NULL THEN 1 ELSE 0 END AS name_missing,
    {{ hash_key(['customer_name', 'segment', 'city', 'state', 'country', 'postal_code', 'market', 'region']) }} AS attributes_hash
  FROM {{ ref('stg_sales') }}
  WHERE customer_id IS NOT NULL
),

survivor AS (
  SELECT *
  FROM lines
  QUALIFY ROW_NUMBER() OVER (
    PARTITION BY customer_id ORDER BY name_missing, order_date DESC, source_ingested_at DESC, row_id DESC
  ) = 1
),

last_different AS (
  SELECT l.customer_id, MAX(l.order_date) AS last_different_date
  FROM lines AS l
  INNER JOIN survivor AS s ON s.customer_id = l.customer_id
  WHERE l.attributes_hash <> s.attributes_hash
  GROUP BY l.customer_id
),

since AS (
  SELECT l.customer_id, MIN(l.order_date) AS attributes_since
  FROM lines AS l
  INNER JOIN survivor AS s ON s.customer_id = l.customer_id
  LEFT JOIN last_different AS d ON d.customer_id = l.customer_id
  WHERE l.attributes_hash = s.attributes_hash
    AND (d.last_different_date IS NULL OR l.order_date > d.last_different_date)
  GROUP BY l.customer_id
),

totals AS (
  SELECT
    customer_id,
    MIN(order_date) AS first_order_date,
    MAX(order_date) AS last_order_date,
    COUNT(DISTINCT order_id) AS lifetime_orders,
    COUNT(*) AS lifetime_lines,
    SUM(quantity) AS lifetime_quantity,
    SUM(net_amount) AS lifetime_sales,
    SUM(profit) AS lifetime_profit
  FROM lines
  GROUP BY customer_id
)

SELECT
  s.customer_id,
  s.customer_name,
  s.segment,
  s.city,
  s.state,
  s.country,
  s.postal_code,
  s.market,
  s.region,
  t.first_order_date,
  t.last_order_date,
  -- Same-day conflicting rows leave no later matching order: the survivor's own date is then the change date.
  COALESCE(since.attributes_since, s.order_date) AS attributes_since,
  t.lifetime_orders,
  t.lifetime_lines,
  t.lifetime_quantity,
  t.lifetime_sales,
  t.lifetime_profit,
  CASE
    WHEN t.lifetime_sales >= 10000 THEN 'PLATINUM'
    WHEN t.lifetime_sales >= 5000 THEN 'GOLD'
    WHEN t.lifetime_sales >= 1000 THEN 'SILVER'
    ELSE 'BRONZE'
  END AS value_tier
FROM survivor AS s
INNER JOIN totals AS t ON t.customer_id = s.customer_id
LEFT JOIN since ON since.customer_id = s.customer_id

{{ config(materialized='table', description='Product golden records: one row per product_id with list price, lifetime aggregates and a value tier.') }}
-- Same survivor rule as customers. list_price is the undiscounted unit price of the survivor line,
-- rounded to cents so that float noise is never mistaken for a price change by the snapshot.
WITH lines AS (
  SELECT
    product_id,
    product_name,
    category,
    sub_category,
    ROUND(list_unit_price, 2) AS list_price,
    order_id,
    order_date,
    quantity,
    net_amount,
    profit,
    source_ingested_at,
    row_id,
    CASE WHEN product_name IS NULL OR TRIM(product_name) = '' THEN 1 ELSE 0 END AS name_missing,
    {{ hash_key(['product_name', 'category', 'sub_category', 'ROUND(list_unit_price, 2)']) }} AS attributes_hash
  FROM {{ ref('stg_sales') }}
  WHERE product_id IS NOT NULL
),

survivor AS (
  SELECT *
  FROM lines
  QUALIFY ROW_NUMBER() OVER (
    PARTITION BY product_id ORDER BY name_missing, order_date DESC, source_ingested_at DESC, row_id DESC
  ) = 1
),

last_different AS (
  SELECT l.product_id, MAX(l.order_date) AS last_different_date
  FROM lines AS l
  INNER JOIN survivor AS s ON s.product_id = l.product_id
  WHERE l.attributes_hash <> s.attributes_hash
  GROUP BY l.product_id
),

since AS (
  SELECT l.product_id, MIN(l.order_date) AS attributes_since
  FROM lines AS l
  INNER JOIN survivor AS s ON s.product_id = l.product_id
  LEFT JOIN last_different AS d ON d.product_id = l.product_id
  WHERE l.attributes_hash = s.attributes_hash
    AND (d.last_different_date IS NULL OR l.order_date > d.last_different_date)
  GROUP BY l.product_id
),

totals AS (
  SELECT
    product_id,
    MIN(order_date) AS first_sold_date,
    MAX(order_date) AS last_sold_date,
    COUNT(DISTINCT order_id) AS lifetime_orders,
    SUM(quantity) AS lifetime_units,
    SUM(net_amount) AS lifetime_sales,
    SUM(profit) AS lifetime_profit
  FROM lines
  GROUP BY product_id
)

SELECT
  s.product_id,
  s.product_name,
  s.category,
  s.sub_category,
  s.list_price,
  t.first_sold_date,
  t.last_sold_date,
  COALESCE(since.attributes_since, s.order_date) AS attributes_since,
  t.lifetime_orders,
  t.lifetime_units,
  t.lifetime_sales,
  t.lifetime_profit,
  CASE
    WHEN t.lifetime_sales >= 10000 THEN 'PLATINUM'
    WHEN t.lifetime_sales >= 5000 THEN 'GOLD'
    WHEN t.lifetime_sales >= 1000 THEN 'SILVER'
    ELSE 'BRONZE'
  END AS value_tier
FROM survivor AS s
INNER JOIN totals AS t ON t.product_id = s.product_id
LEFT JOIN since ON since.product_id = s.product_id

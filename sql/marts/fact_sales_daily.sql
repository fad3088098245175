{{ config(materialized='table', description='Daily sales per product and store: sums, counts, mix percentages and a performance tier.') }}
WITH daily AS (
  SELECT
    order_date_key AS date_key,
    product_key,
    store_key,
    COUNT(*) AS line_count,
    COUNT(DISTINCT order_id) AS order_count,
    SUM(quantity) AS total_quantity,
    SUM(gross_amount) AS gross_amount,
    SUM(discount_amount) AS discount_amount,
    SUM(net_amount) AS net_amount,
    SUM(profit) AS profit,
    SUM(shipping_cost) AS shipping_cost
  FROM {{ ref('fact_sales') }}
  GROUP BY order_date_key, product_key, store_key
),

shares AS (
  SELECT
    daily.*,
    -- Share of the day's net sales, overall and within the store.
    {{ safe_divide('net_amount', 'SUM(net_amount) OVER (PARTITION BY date_key)') }} AS daily_mix_pct,
    {{ safe_divide('net_amount', 'SUM(net_amount) OVER (PARTITION BY date_key, store_key)') }} AS store_mix_pct,
    {{ safe_divide('profit', 'net_amount') }} AS profit_margin
  FROM daily
)

SELECT
  {{ hash_key(['date_key', 'product_key', 'store_key']) }} AS daily_sales_key,
  shares.*,
  CASE
    WHEN profit_margin >= 0.25 AND net_amount >= 1000 THEN 'STAR'
    WHEN profit_margin >= 0.10 THEN 'STRONG'
    WHEN profit_margin >= 0 THEN 'STEADY'
    ELSE 'LOSS'
  END AS performance_tier
FROM shares

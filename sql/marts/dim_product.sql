{{ config(materialized='table', description='Product dimension: one row per product version (SCD2), keyed by a stable hash.') }}
SELECT
  version_key AS product_key,
  product_id,
  product_name,
  category,
  sub_category,
  list_price,
  first_sold_date,
  last_sold_date,
  lifetime_orders,
  lifetime_units,
  lifetime_sales,
  lifetime_profit,
  value_tier,
  valid_from,
  valid_to,
  is_current
FROM {{ ref('product_history') }}

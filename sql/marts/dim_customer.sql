{{ config(materialized='table', description='Customer dimension: one row per customer version (SCD2), keyed by a stable hash.') }}
SELECT
  version_key AS customer_key,
  customer_id,
  customer_name,
  segment,
  city,
  state,
  country,
  postal_code,
  market,
  region,
  first_order_date,
  last_order_date,
  lifetime_orders,
  lifetime_sales,
  lifetime_profit,
  value_tier,
  valid_from,
  valid_to,
  is_current
FROM {{ ref('customer_history') }}

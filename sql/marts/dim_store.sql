{{ config(materialized='table', description='Store (ship-to location) dimension: one row per store version (SCD2), keyed by a stable hash.') }}
SELECT
  version_key AS store_key,
  store_id,
  market,
  region,
  country,
  state,
  city,
  postal_code,
  first_order_date,
  last_order_date,
  lifetime_orders,
  lifetime_customers,
  lifetime_sales,
  valid_from,
  valid_to,
  is_current
FROM {{ ref('store_history') }}

{{ config(materialized='incremental', unique_key='sales_key', description='Sales facts at order-line grain; dimension keys resolved as of the order date.') }}
-- Each dimension key is the SCD2 version valid on the order date, so a later relocation or repricing
-- never rewrites history. An unresolved key stays NULL (tests bound that below 1%; the date key never).
SELECT
  s.sales_key,
  s.order_id,
  d.date_key AS order_date_key,
  sd.date_key AS ship_date_key,
  c.customer_key,
  p.product_key,
  st.store_key,
  s.order_date,
  s.ship_date,
  s.days_to_ship,
  s.ship_mode,
  s.order_priority,
  s.quantity,
  s.discount,
  s.gross_amount,
  s.discount_amount,
  s.net_amount,
  s.profit,
  s.shipping_cost,
  s.unit_price,
  s.profit_margin,
  s.is_sales_outlier,
  s.data_quality_score,
  s.source_system,
  s.customer_id,
  s.product_id,
  s.store_id,
  s.processed_at
FROM {{ ref('stg_sales') }} AS s
LEFT JOIN {{ ref('dim_date') }} AS d ON d.full_date = s.order_date
LEFT JOIN {{ ref('dim_date') }} AS sd ON sd.full_date = s.ship_date
LEFT JOIN {{ ref('dim_customer') }} AS c
  ON c.customer_id = s.customer_id AND s.order_date BETWEEN c.valid_from AND c.valid_to
LEFT JOIN {{ ref('dim_product') }} AS p
  ON p.product_id = s.product_id AND s.order_date BETWEEN p.valid_from AND p.valid_to
LEFT JOIN {{ ref('dim_store') }} AS st
  ON st.store_id = s.store_id AND s.order_date BETWEEN st.valid_from AND st.valid_to
{% if is_incremental() %}
-- Only lines Silver inserted or updated since the last build; the merge on sales_key applies updates.
-- COALESCE: an empty first build must not filter out every later line (MAX of nothing is NULL).
WHERE s.processed_at > COALESCE((SELECT MAX(processed_at) FROM {{ this }}), TIMESTAMP '1900-01-01 00:00:00')
{% endif %}

{{ config(materialized='table', description='Typed Silver sales lines with gross/discount/net measures and a data-quality score; lines scoring below 70 are excluded.') }}
-- Measures (PIPELINE §4): Silver `sales` is revenue after discount, so
--   gross = sales / (1 - discount), discount_amount = gross - sales, net = sales
-- (the reference applied the discount a second time to net).
WITH typed AS (
  SELECT
    NULLIF(TRIM(order_id), '') AS order_id,
    NULLIF(TRIM(product_id), '') AS product_id,
    NULLIF(TRIM(customer_id), '') AS customer_id,
    NULLIF(TRIM(customer_name), '') AS customer_name,
    segment,
    city,
    state,
    country,
    postal_code,
    market,
    region,
    category,
    sub_category,
    product_name,
    CAST(order_date AS DATE) AS order_date,
    CAST(ship_date AS DATE) AS ship_date,
    ship_mode,
    order_priority,
    CAST(sales AS DOUBLE) AS sales,
    CAST(quantity AS INTEGER) AS quantity,
    CAST(COALESCE(discount, 0) AS DOUBLE) AS discount,
    CAST(profit AS DOUBLE) AS profit,
    CAST(shipping_cost AS DOUBLE) AS shipping_cost,
    CAST(source_row_id AS VARCHAR) AS source_row_id,
    is_sales_outlier,
    geo_quality_flag,
    source_system,
    source_object,
    CAST(source_row_number AS BIGINT) AS source_row_number,
    source_ingested_at,
    processed_at,
    run_id,
    row_id
  FROM {{ source('silver', 'sales') }}
),

scored AS (
  SELECT
    typed.*,
    CASE WHEN order_id IS NOT NULL THEN 15 ELSE 0 END
    + CASE WHEN customer_id IS NOT NULL THEN 15 ELSE 0 END
    + CASE WHEN product_id IS NOT NULL THEN 15 ELSE 0 END
    + CASE WHEN quantity > 0 THEN 10 ELSE 0 END
    + CASE WHEN sales > 0 THEN 10 ELSE 0 END
    + CASE WHEN order_date IS NOT NULL THEN 10 ELSE 0 END
    + CASE WHEN customer_name IS NOT NULL THEN 5 ELSE 0 END
    + CASE WHEN category IS NOT NULL AND TRIM(category) <> '' THEN 5 ELSE 0 END
    + CASE WHEN region IS NOT NULL AND TRIM(region) <> '' THEN 5 ELSE 0 END
    + CASE WHEN country IS NOT NULL AND TRIM(country) <> '' THEN 5 ELSE 0 END
    + CASE WHEN source_system IN ('BATCH', 'KAFKA') THEN 5 ELSE 0 END
    AS data_quality_score
  FROM typed
),

measured AS (
  SELECT
    scored.*,
    -- A 100% discount cannot carry positive sales, so gross falls back to sales rather than dividing by 0.
    COALESCE({{ safe_divide('sales', '(1 - discount)') }}, sales) AS gross_amount
  FROM scored
  WHERE data_quality_score >= 70
)

SELECT
  {{ hash_key(['order_id', 'product_id']) }} AS sales_key,
  order_id,
  product_id,
  customer_id,
  customer_name,
  segment,
  city,
  state,
  country,
  postal_code,
  market,
  region,
  -- A store is the ship-to location; market and region are its (trackable) attributes, not its identity.
  {{ hash_key(['country', 'state', 'city', 'postal_code']) }} AS store_id,
  category,
  sub_category,
  product_name,
  order_date,
  ship_date,
  {{ date_diff('day', 'order_date', 'ship_date') }} AS days_to_ship,
  ship_mode,
  order_priority,
  quantity,
  sales,
  discount,
  gross_amount,
  gross_amount - sales AS discount_amount,
  sales AS net_amount,
  profit,
  shipping_cost,
  {{ safe_divide('sales', 'quantity') }} AS unit_price,
  {{ safe_divide('gross_amount', 'quantity') }} AS list_unit_price,
  {{ safe_divide('profit', 'sales') }} AS profit_margin,
  is_sales_outlier,
  geo_quality_flag,
  data_quality_score,
  source_system,
  source_object,
  source_row_number,
  source_row_id,
  source_ingested_at,
  processed_at,
  run_id,
  row_id
FROM measured

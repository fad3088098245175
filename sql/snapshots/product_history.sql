{{ config(
    materialized='snapshot',
    unique_key='product_id',
    check_cols=['product_name', 'category', 'sub_category', 'list_price'],
    first_seen='first_sold_date',
    changed_at='attributes_since',
    description='SCD2 history of products: a rename, recategorisation or list-price change opens a new version.'
) }}
SELECT * FROM {{ ref('stg_products') }}

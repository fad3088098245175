{{ config(
    materialized='snapshot',
    unique_key='store_id',
    check_cols=['market', 'region'],
    first_seen='first_order_date',
    changed_at='attributes_since',
    description='SCD2 history of stores (ship-to locations): a market or region reassignment opens a new version.'
) }}
SELECT * FROM {{ ref('stg_stores') }}

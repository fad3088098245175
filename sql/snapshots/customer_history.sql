{{ config(
    materialized='snapshot',
    unique_key='customer_id',
    check_cols=['customer_name', 'segment', 'city', 'state', 'country', 'postal_code', 'market', 'region'],
    first_seen='first_order_date',
    changed_at='attributes_since',
    description='SCD2 history of customers: a relocation, rename or segment change opens a new version.'
) }}
SELECT * FROM {{ ref('stg_customers') }}

{{ config(severity='error', model='dim_store', description='The current store version carries the market and region of stg_stores.') }}
SELECT s.store_id
FROM {{ ref('stg_stores') }} AS s
LEFT JOIN {{ ref('dim_store') }} AS d ON d.store_id = s.store_id AND d.is_current
WHERE d.store_id IS NULL OR d.market IS DISTINCT FROM s.market OR d.region IS DISTINCT FROM s.region

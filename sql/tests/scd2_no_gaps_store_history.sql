{{ config(severity='error', description='Each store version starts the day after the previous one ends.') }}
SELECT store_id, valid_from, previous_valid_to
FROM (
  SELECT
    store_id,
    valid_from,
    LAG(valid_to) OVER (PARTITION BY store_id ORDER BY valid_from) AS previous_valid_to
  FROM {{ ref('store_history') }}
) AS versions
WHERE previous_valid_to IS NOT NULL AND valid_from <> {{ date_add('day', '1', 'previous_valid_to') }}

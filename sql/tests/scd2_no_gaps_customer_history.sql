{{ config(severity='error', description='Each customer version starts the day after the previous one ends.') }}
SELECT customer_id, valid_from, previous_valid_to
FROM (
  SELECT
    customer_id,
    valid_from,
    LAG(valid_to) OVER (PARTITION BY customer_id ORDER BY valid_from) AS previous_valid_to
  FROM {{ ref('customer_history') }}
) AS versions
WHERE previous_valid_to IS NOT NULL AND valid_from <> {{ date_add('day', '1', 'previous_valid_to') }}

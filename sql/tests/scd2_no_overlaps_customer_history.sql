{{ config(severity='error', description='No two versions of one customer are valid on the same day.') }}
SELECT a.customer_id, a.valid_from, a.valid_to, b.valid_from AS other_valid_from, b.valid_to AS other_valid_to
FROM {{ ref('customer_history') }} AS a
INNER JOIN {{ ref('customer_history') }} AS b
  ON a.customer_id = b.customer_id AND a.version_key <> b.version_key
 AND a.valid_from <= b.valid_to AND b.valid_from <= a.valid_to

{{ config(severity='error', description='No two versions of one store are valid on the same day.') }}
SELECT a.store_id, a.valid_from, a.valid_to, b.valid_from AS other_valid_from, b.valid_to AS other_valid_to
FROM {{ ref('store_history') }} AS a
INNER JOIN {{ ref('store_history') }} AS b
  ON a.store_id = b.store_id AND a.version_key <> b.version_key
 AND a.valid_from <= b.valid_to AND b.valid_from <= a.valid_to

{{ config(severity='error', description='No two versions of one product are valid on the same day.') }}
SELECT a.product_id, a.valid_from, a.valid_to, b.valid_from AS other_valid_from, b.valid_to AS other_valid_to
FROM {{ ref('product_history') }} AS a
INNER JOIN {{ ref('product_history') }} AS b
  ON a.product_id = b.product_id AND a.version_key <> b.version_key
 AND a.valid_from <= b.valid_to AND b.valid_from <= a.valid_to

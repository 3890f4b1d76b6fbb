-- Tables of a schema that carry the tracking columns, with their primary-key columns
-- in key order: the tables whose rows the verifier checks.
-- Index: information_schema. Locks: nothing.
-- Parameters: schema, schema.
SELECT k.TABLE_NAME, k.COLUMN_NAME
FROM information_schema.KEY_COLUMN_USAGE k
JOIN information_schema.COLUMNS c
  ON c.TABLE_SCHEMA = k.TABLE_SCHEMA AND c.TABLE_NAME = k.TABLE_NAME
 AND c.COLUMN_NAME = 'certyo_verify_next_at'
WHERE k.TABLE_SCHEMA = ? AND k.CONSTRAINT_NAME = 'PRIMARY' AND c.TABLE_SCHEMA = ?
ORDER BY k.TABLE_NAME, k.ORDINAL_POSITION

-- capture::introspect::inspect: the columns of one base table in order, with what
-- rendering them needs (type, precision, length, character set, generated/invisible in
-- EXTRA) and each column's place in the primary key (NULL when not part of it). Reads
-- information_schema only (no data locks). The caller keeps only rows whose table name
-- matches exactly (I_S may compare case-blind).
-- Parameters: the schema, the table name.
-- Returns: table_name, column_name, extra, charset, pk_position, data_type, column_type,
-- datetime_precision, char_length, numeric_precision, one row per column, in order.
SELECT CAST(c.TABLE_NAME AS CHAR) AS table_name,
       CAST(c.COLUMN_NAME AS CHAR) AS column_name,
       CAST(c.EXTRA AS CHAR) AS extra,
       CAST(c.CHARACTER_SET_NAME AS CHAR) AS charset,
       CAST(k.ORDINAL_POSITION AS SIGNED) AS pk_position,
       CAST(LOWER(c.DATA_TYPE) AS CHAR) AS data_type,
       CAST(c.COLUMN_TYPE AS CHAR) AS column_type,
       CAST(c.DATETIME_PRECISION AS SIGNED) AS datetime_precision,
       CAST(c.CHARACTER_MAXIMUM_LENGTH AS SIGNED) AS char_length,
       CAST(c.NUMERIC_PRECISION AS SIGNED) AS numeric_precision
FROM information_schema.TABLES t
JOIN information_schema.COLUMNS c
  ON c.TABLE_SCHEMA = t.TABLE_SCHEMA AND c.TABLE_NAME = t.TABLE_NAME
LEFT JOIN information_schema.KEY_COLUMN_USAGE k
  ON k.TABLE_SCHEMA = c.TABLE_SCHEMA AND k.TABLE_NAME = c.TABLE_NAME
 AND k.COLUMN_NAME = c.COLUMN_NAME AND k.CONSTRAINT_NAME = 'PRIMARY'
WHERE t.TABLE_SCHEMA = ? AND t.TABLE_NAME = ? AND t.TABLE_TYPE = 'BASE TABLE'
ORDER BY c.ORDINAL_POSITION

-- ops::audit::scan: for `audit --prove`, the rows of one chunk that match their digest
-- (class 3 of audit_chunk_counts.sql), with the payload as it renders now, for Certyo's
-- verify call; at most ? of them. Built by ops::audit_sql::TableSql. Index: PRIMARY
-- range on the table.
-- Locks: nothing (plain consistent read).
-- Parameters: the key values of {after} (none on the first chunk), then those of
-- {upto}, then the most rows wanted.
-- Placeholders: {record_id}, {payload} the capture triggers' expressions over the alias
-- src; {table} the checked, backtick-quoted table; {after} "key > last key" (or TRUE);
-- {upto} "key <= chunk end"; {order} the key columns in key order.
-- Returns: record_id, status, certyo_ingested_at, certyo_verified_at, payload, in key
-- order, at most the rows wanted.
SELECT CAST({record_id} AS CHAR) AS record_id,
       CAST(src.certyo_anchor_status AS CHAR) AS status,
       src.certyo_ingested_at,
       src.certyo_verified_at,
       CAST({payload} AS CHAR) AS payload
FROM {table} AS src
WHERE {after} AND {upto}
  AND src.certyo_anchor_status IS NOT NULL
  AND src.certyo_payload_sha256 = CONVERT(SHA2(CAST({payload} AS CHAR), 256) USING ascii)
ORDER BY {order}
LIMIT ?

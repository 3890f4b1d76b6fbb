-- ops::audit::scan: the altered rows of one chunk (class 4 of audit_chunk_counts.sql),
-- run only for chunks that have some: record id as capture writes it, key values as
-- text (to find the row again), anchoring status, when the version was delivered and
-- when it was confirmed anchored, and the payload as it renders now (what a proof
-- sends). Built by ops::audit_sql::TableSql.
-- Index: PRIMARY range on the table. Locks: nothing (plain consistent read).
-- Parameters: the key values of {after} (none on the first chunk), then those of {upto}.
-- Placeholders: {record_id}, {payload} the capture triggers' expressions over the alias
-- src; {key_text} the key columns as text (key_text / key_hex of backfill_fragments.sql);
-- {table} the checked, backtick-quoted table; {after} "key > last key" (or TRUE);
-- {upto} "key <= chunk end"; {order} the key columns in key order.
-- Returns: record_id, status, certyo_ingested_at, certyo_verified_at, payload, then the
-- key columns as text, one row per altered row, in key order.
SELECT CAST({record_id} AS CHAR) AS record_id,
       CAST(src.certyo_anchor_status AS CHAR) AS status,
       src.certyo_ingested_at,
       src.certyo_verified_at,
       CAST({payload} AS CHAR) AS payload,
       {key_text}
FROM {table} AS src
WHERE {after} AND {upto}
  AND src.certyo_anchor_status IS NOT NULL
  AND src.certyo_payload_sha256 IS NOT NULL
  AND NOT (src.certyo_payload_sha256 <=> CONVERT(SHA2(CAST({payload} AS CHAR), 256) USING ascii))
ORDER BY {order}

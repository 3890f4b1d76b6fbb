-- audit: the altered rows of one chunk (class 4 of audit_chunk_counts.sql), run only
-- for chunks that have some: record id as capture writes it, key values as text (to
-- find the row again), anchoring status, when the version was delivered and when it
-- was confirmed anchored, and the payload as it renders now (what a proof sends).
-- Index: PRIMARY range on the table. Locks: nothing (plain consistent read).
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

-- audit --prove: the rows of one chunk that match their digest (class 3 of
-- audit_chunk_counts.sql), with the payload as it renders now, for Certyo's verify
-- call; at most ? of them. Index: PRIMARY range on the table.
-- Locks: nothing (plain consistent read).
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

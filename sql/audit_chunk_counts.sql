-- ops::audit::scan: the local pass over one chunk (last key < key <= chunk end): each
-- row's class and how many rows have it. 0 never delivered (no status, no digest), 1
-- latest version awaiting delivery (capture cleared the status; an earlier version's
-- digest is left), 2 delivered before payload digests were written back, 3 matches (the
-- digest written back equals the SHA-256 of the row rendered now exactly as capture
-- renders it: {payload} is the capture triggers' payload expression over the alias src,
-- cast to text as the worker read it from the queue), 4 altered. Rendering happens on
-- the server; only the counts travel. Built by ops::audit_sql::TableSql.
-- Index: PRIMARY range on the table. Locks: nothing (plain consistent read).
-- Parameters: the key values of {after} (none on the first chunk), then those of {upto}.
-- Placeholders: {payload} as above; {table} the checked, backtick-quoted table; {after}
-- "key > last key" (or TRUE); {upto} "key <= chunk end".
-- Returns: cls, n, one row per class present in the chunk.
SELECT c.cls, CAST(COUNT(*) AS SIGNED) AS n
FROM (
  SELECT CASE
           WHEN src.certyo_anchor_status IS NULL AND src.certyo_payload_sha256 IS NULL THEN 0
           WHEN src.certyo_anchor_status IS NULL THEN 1
           WHEN src.certyo_payload_sha256 IS NULL THEN 2
           WHEN src.certyo_payload_sha256 = CONVERT(SHA2(CAST({payload} AS CHAR), 256) USING ascii) THEN 3
           ELSE 4
         END AS cls
  FROM {table} AS src
  WHERE {after} AND {upto}
) AS c
GROUP BY c.cls

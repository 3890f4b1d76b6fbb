-- audit --mark: set certyo_anchor_status = 'Altered' on the rows {keys} (one
-- `(src.k0 = ? AND …)` per row, joined by OR) that are still altered when the update
-- runs: delivered, with a digest, and the digest differs from the row rendered now
-- (the same test as audit_chunk_altered.sql, so a row changed through capture since
-- the read, whose status capture cleared, is left alone). Run with the capture marker
-- set (the triggers enqueue nothing); {keep} pins ON UPDATE CURRENT_TIMESTAMP columns
-- so the mark does not move them. Index: PRIMARY (one lookup per row).
-- Locks: the rows updated (X), until the mark commits.
UPDATE {table} AS src
SET src.certyo_anchor_status = 'Altered'{keep}
WHERE ({keys})
  AND src.certyo_anchor_status IS NOT NULL
  AND src.certyo_anchor_status <> 'Altered'
  AND src.certyo_payload_sha256 IS NOT NULL
  AND NOT (src.certyo_payload_sha256 <=> CONVERT(SHA2(CAST({payload} AS CHAR), 256) USING ascii))

-- ops::audit::mark: `audit --mark`: set certyo_anchor_status = 'Altered' on the rows
-- {keys} that are still altered when the update runs: delivered, with a digest, and the
-- digest differs from the row rendered now (the same test as audit_chunk_altered.sql,
-- so a row changed through capture since the read, whose status capture cleared, is
-- left alone). Run with the capture marker set (the triggers enqueue nothing). Index:
-- PRIMARY (one lookup per row).
-- Locks: the rows updated (X), until the mark commits.
-- Parameters: the key values of each row, key columns in order, row after row.
-- Placeholders: {table} the checked, backtick-quoted table; {keep} pins ON UPDATE
-- CURRENT_TIMESTAMP columns so the mark does not move them; {keys} one `(src.k0 = ? AND
-- …)` per row (row_keys of audit_fragments.sql), joined by OR; {payload} the capture
-- triggers' payload expression over the alias src.
UPDATE {table} AS src
SET src.certyo_anchor_status = 'Altered'{keep}
WHERE ({keys})
  AND src.certyo_anchor_status IS NOT NULL
  AND src.certyo_anchor_status <> 'Altered'
  AND src.certyo_payload_sha256 IS NOT NULL
  AND NOT (src.certyo_payload_sha256 <=> CONVERT(SHA2(CAST({payload} AS CHAR), 256) USING ascii))

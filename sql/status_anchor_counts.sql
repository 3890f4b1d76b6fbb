-- ops::status::anchor_counts: rows of one captured table by anchoring status (Pending /
-- Anchored / Failed / Altered, set by `audit --mark`; rows never delivered have NULL and
-- are not counted).
-- Index: certyo_verify (certyo_anchor_status, certyo_ingested_at), four equality ranges
-- read from the index alone. Locks: nothing (plain consistent read).
-- Parameters: none
-- Placeholders: {table} the checked, backtick-quoted table.
-- Returns: status, n, one row per status present.
SELECT CAST(certyo_anchor_status AS CHAR) AS status, CAST(COUNT(*) AS SIGNED) AS n
FROM {table}
WHERE certyo_anchor_status IN ('Pending', 'Anchored', 'Failed', 'Altered')
GROUP BY certyo_anchor_status

-- status: rows of one captured table by anchoring status (Pending / Anchored / Failed /
-- Altered, set by `audit --mark`;
-- rows never delivered have NULL and are not counted). <table> is the checked,
-- backtick-quoted table name.
-- Index: certyo_verify (certyo_anchor_status, certyo_ingested_at), four equality ranges
-- read from the index alone. Locks: nothing (plain consistent read).
SELECT CAST(certyo_anchor_status AS CHAR) AS status, CAST(COUNT(*) AS SIGNED) AS n
FROM {table}
WHERE certyo_anchor_status IN ('Pending', 'Anchored', 'Failed', 'Altered')
GROUP BY certyo_anchor_status

-- verify: rows of one captured table marked 'Altered' by `audit --mark` (changed behind
-- capture's back), for the gauge certyo_rows_altered{table}. {table} is the checked,
-- backtick-quoted table name. Index: certyo_verify (certyo_anchor_status, …), one
-- equality range read from the index alone. Locks: nothing (plain consistent read).
SELECT CAST(COUNT(*) AS SIGNED) FROM {table} WHERE certyo_anchor_status = 'Altered'

-- tasks::verify: rows of one captured table marked 'Altered' by `audit --mark` (changed
-- behind capture's back), for the gauge certyo_rows_altered{table}. Index:
-- certyo_verify (certyo_anchor_status, …), one equality range read from the index alone.
-- Locks: nothing (plain consistent read).
-- Parameters: none
-- Placeholders: {table} the checked, backtick-quoted table.
-- Returns: one row, one column: the count.
SELECT CAST(COUNT(*) AS SIGNED) FROM {table} WHERE certyo_anchor_status = 'Altered'

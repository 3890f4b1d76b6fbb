-- ops::audit::present: which of the records still have their row in the table.
-- Index: the table's PRIMARY (eq_ref from the derived table).
-- Locks: nothing (consistent read, in the audit's snapshot).
-- Parameters: per record, in order: the record id, then the key values in key order.
-- Placeholders: {values} a derived table, `SELECT ? AS r, ? AS k0 …` per record, joined
-- by UNION ALL (present_* of audit_fragments.sql); {table} the checked,
-- backtick-quoted table; {key_join} `src.pk = v.kN` per key column (UNHEX for binary
-- keys).
-- Returns: r (the record id), one row per record whose row is there.
SELECT v.r
FROM ({values}) AS v
JOIN {table} AS src ON {key_join}

-- audit: which of the records {values} (a derived table `SELECT ? AS r, ? AS k0 …` per
-- record, joined by UNION ALL: record id and key values in key order) still have their
-- row in {table}; {key_join} is `src.pk = v.kN` per key column (UNHEX for binary keys).
-- Index: the table's PRIMARY (eq_ref from the derived table).
-- Locks: nothing (consistent read, in the audit's snapshot).
SELECT v.r
FROM ({values}) AS v
JOIN {table} AS src ON {key_join}

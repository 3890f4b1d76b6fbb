-- capture: add the missing tracking columns and the verification index to a captured
-- table in one ALTER ({table} is checked and quoted; {changes} are clauses from
-- capture_tracking_columns.sql). Online DDL: new NULL columns, no data rewritten by us.
ALTER TABLE {table} {changes}

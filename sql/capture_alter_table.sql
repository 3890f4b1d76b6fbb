-- capture::plan_capture: add the missing tracking columns and the verification index to
-- a captured table in one ALTER. Online DDL: new NULL columns, no data rewritten by us.
-- Parameters: none
-- Placeholders: {table} the checked, backtick-quoted table; {changes} the missing
-- clauses of capture_tracking_columns.sql, joined by ", ".
ALTER TABLE {table} {changes}

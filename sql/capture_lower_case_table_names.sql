-- capture::introspect::inspect: how the server compares table names (0: as given,
-- case-sensitive; 1 or 2: case-insensitively, stored in lower case with 1), so `--table
-- Products` finds the table `products` where the server itself would.
-- Parameters: none
-- Returns: one row, one column: @@lower_case_table_names as a number.
SELECT CAST(@@lower_case_table_names AS SIGNED)

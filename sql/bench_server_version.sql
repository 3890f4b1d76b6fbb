-- bench::run: the server's version string, printed with the figures. No locks.
-- Parameters: none
-- Returns: one row, one column: VERSION().
SELECT VERSION()

-- bench::run: the TCP port the server listens on, to find its process on this machine
-- (two local servers must not be confused with each other).
-- Parameters: none
-- Returns: one row, one column: @@port.
SELECT CAST(@@port AS SIGNED)

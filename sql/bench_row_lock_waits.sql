-- bench::hot: InnoDB's server-wide count of row lock waits so far (every session of the
-- server, not only the bench's). Same statement on MySQL and MariaDB.
-- Parameters: none
-- Returns: one row: Variable_name, Value (the count, as text).
SHOW GLOBAL STATUS LIKE 'Innodb_row_lock_waits'

-- bench: InnoDB's server-wide count of row lock waits so far (every session of the
-- server, not only the bench's). Same statement on MySQL and MariaDB.
SHOW GLOBAL STATUS LIKE 'Innodb_row_lock_waits'

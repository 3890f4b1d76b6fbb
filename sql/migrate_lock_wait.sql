-- migrate::migrate_locked: how long this session's DDL and LOCK TABLES wait for a
-- table's metadata lock (? seconds). The servers' default is a year (MySQL) or a day
-- (MariaDB), and while an ALTER or LOCK TABLES waits, every new query on the table
-- queues behind it: a short wait, retried a few times, keeps the application moving.
-- Parameters: lock_wait_timeout in seconds (at least 1).
SET SESSION lock_wait_timeout = ?

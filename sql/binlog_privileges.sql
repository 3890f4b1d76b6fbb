-- capture::binlog::check_server: the global privileges of this user that a replication
-- connection needs (REPLICATION SLAVE to stream, REPLICATION CLIENT to read positions;
-- MariaDB 10.5+ names the latter BINLOG MONITOR and the former REPLICATION SLAVE too).
-- Counts ALL PRIVILEGES as holding both. information_schema shows a user its own
-- privileges.
-- Parameters: none
-- Returns: privilege; one row per privilege
SELECT CAST(PRIVILEGE_TYPE AS CHAR) AS privilege
FROM information_schema.USER_PRIVILEGES
WHERE GRANTEE = CONCAT('''', SUBSTRING_INDEX(CURRENT_USER(), '@', 1), '''@''',
                       SUBSTRING_INDEX(CURRENT_USER(), '@', -1), '''')

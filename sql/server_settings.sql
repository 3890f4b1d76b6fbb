-- server_checks::read: server settings the product depends on, read by `migrate` and
-- `work` at start: binary logging, its format (STATEMENT makes every SKIP LOCKED write
-- fail with 1665), whether users without SUPER may create triggers while binary logging
-- is on, and whether this user holds SUPER (information_schema shows a user its own
-- privileges).
-- Parameters: none
-- Returns: one row: log_bin, binlog_format, trust_creators, has_super.
SELECT CAST(@@log_bin AS SIGNED) AS log_bin,
       CAST(@@binlog_format AS CHAR) AS binlog_format,
       CAST(@@log_bin_trust_function_creators AS SIGNED) AS trust_creators,
       CAST((SELECT COUNT(*) FROM information_schema.USER_PRIVILEGES
             WHERE PRIVILEGE_TYPE = 'SUPER'
               AND GRANTEE = CONCAT('''', SUBSTRING_INDEX(CURRENT_USER(), '@', 1), '''@''',
                                    SUBSTRING_INDEX(CURRENT_USER(), '@', -1), '''')) AS SIGNED) AS has_super

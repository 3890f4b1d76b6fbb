-- Queue identities compare byte for byte: with the server's default collation
-- (accent- and case-insensitive on MySQL 8+, and latin1 on some MariaDB builds) two
-- records whose keys differ only by case ('A-1', 'a-1') were one record for the
-- ordering check and the write-back guard, and a key outside latin1 could not be
-- stored at all. utf8mb4_bin exists on MySQL 8+/9.x and MariaDB 10.6+. One ALTER,
-- safe to re-run.
ALTER TABLE certyo_queue
  MODIFY table_name VARCHAR(100) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  MODIFY record_id VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL;

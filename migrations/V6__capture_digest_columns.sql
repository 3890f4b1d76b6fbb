-- Columns `migrate --digest-column table.column` set to be anchored as a SHA-256 digest
-- of their value instead of the value itself (large pictures, documents). Written by
-- migrate, read whenever triggers are generated or compared (migrate, status, backfill),
-- so later runs keep the option. Names compare exactly (utf8mb4_bin), like the
-- information_schema names they come from.
CREATE TABLE IF NOT EXISTS certyo_capture_digest (
  table_name VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  column_name VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  added_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  PRIMARY KEY (table_name, column_name)
) ENGINE=InnoDB;

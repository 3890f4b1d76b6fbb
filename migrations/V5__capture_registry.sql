-- The capture registry: one row per captured table, written by `migrate`, read by every
-- command that needs to know what is captured (work, verify, status, backfill). It
-- replaces reading information_schema.TRIGGERS, which MySQL hides entirely from users
-- without the TRIGGER privilege. `source` says how changes reach certyo_queue
-- ('trigger' today; 'poll' and 'binlog' next); `options` holds the table's rendering
-- options as a JSON object (text, so it reads the same on both engines).
CREATE TABLE IF NOT EXISTS certyo_capture (
  table_name VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL PRIMARY KEY,
  source VARCHAR(16) NOT NULL DEFAULT 'trigger',
  options TEXT NULL,
  registered_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  updated_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

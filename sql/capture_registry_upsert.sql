-- capture::registry::register: record that table ? is captured by source ? (options ?, a
-- JSON object as text, or NULL), or update its entry. Written by `migrate` only. By
-- primary key.
-- Parameters: the table name, the source (trigger, poll or binlog), the options (JSON
-- text, or NULL: none for a new entry, the stored ones kept for an existing one).
INSERT INTO certyo_capture (table_name, source, options)
VALUES (?, ?, ?)
ON DUPLICATE KEY UPDATE
  source = VALUES(source),
  options = COALESCE(VALUES(options), options),
  updated_at = CURRENT_TIMESTAMP(6)

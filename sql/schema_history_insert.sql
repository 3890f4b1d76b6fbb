-- schema, --dry-run only: record migration {version} as applied, as refinery does after
-- running it ({name} is the migration's own name, {applied_on} RFC 3339, {checksum}
-- refinery's checksum of the file; all generated, none from user input).
INSERT INTO certyo_queue_schema_history (version, name, applied_on, checksum)
VALUES ({version}, '{name}', '{applied_on}', '{checksum}')

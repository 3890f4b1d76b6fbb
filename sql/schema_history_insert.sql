-- schema::pending: --dry-run only: record a migration as applied, as refinery does
-- after running it (all values generated, none from user input).
-- Parameters: none
-- Placeholders: {version} the migration's version; {name} the migration's own name;
-- {applied_on} the time, RFC 3339; {checksum} refinery's checksum of the file.
INSERT INTO certyo_queue_schema_history (version, name, applied_on, checksum)
VALUES ({version}, '{name}', '{applied_on}', '{checksum}')

-- capture: install one capture trigger (capture::triggers::create_statement), or put
-- back one as it was (capture::restore_statement). Takes a metadata lock on the table
-- (held by capture_lock_tables.sql already).
-- Parameters: none
-- Placeholders: {trigger} the generated, backtick-quoted trigger name; {timing} e.g.
-- AFTER INSERT; {table} the checked, backtick-quoted table; {body} one of
-- capture_body_*.sql filled in, or the stored body of the trigger put back.
CREATE TRIGGER {trigger} {timing} ON {table} FOR EACH ROW
{body}

-- capture: install one capture trigger; {body} is one of capture_body_*.sql. Takes a
-- metadata lock on the table (held by capture_lock_tables.sql already).
CREATE TRIGGER {trigger} {timing} ON {table} FOR EACH ROW
{body}

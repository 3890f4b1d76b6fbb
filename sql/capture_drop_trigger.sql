-- capture: remove one capture trigger (capture::triggers::drop_statement;
-- capture::is_drop_statement recognises the statement). Metadata lock on its table for
-- the moment of the drop.
-- Parameters: none
-- Placeholders: {trigger} the trigger name, generated or found, backtick-quoted.
DROP TRIGGER IF EXISTS {trigger}

-- capture::trigger_exists: does our trigger exist? Run over the text protocol by a user
-- who may lack the TRIGGER privilege: MySQL then hides the trigger's
-- information_schema row, but this statement still tells "exists, access denied"
-- (1227) from "does not exist" (1360). The caller reads only the error code, never the
-- body.
-- Parameters: none
-- Placeholders: {trigger} the checked, backtick-quoted trigger name.
-- Returns: the trigger's definition (one row), which the caller ignores.
SHOW CREATE TRIGGER {trigger}

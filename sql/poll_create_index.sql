-- capture::poll::check: the index the poller's range read needs (`migrate
-- --create-index`, or printed in the refusal for the user to run).
-- Parameters: none
-- Placeholders: {table} the checked, backtick-quoted table; {column} the checked,
-- backtick-quoted poll column.
CREATE INDEX certyo_poll ON {table} ({column})

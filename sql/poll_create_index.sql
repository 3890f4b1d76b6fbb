-- poll: the index the poller's range read needs (`migrate --create-index`, or printed
-- in the refusal for the user to run). {table} and {column} are checked and quoted.
CREATE INDEX certyo_poll ON {table} ({column})

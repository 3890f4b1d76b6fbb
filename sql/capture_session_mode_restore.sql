-- capture: put back the session's own sql_mode (parameter: the mode read before).
SET SESSION sql_mode = ?

-- queue::dead_letters: the database's clock (`dead requeue --all` and `dead purge`), so
-- the cut-off of a run is fixed at its start and a row that dies again during the run
-- is not taken a second time.
-- Parameters: none
-- Returns: one row: NOW(6).
SELECT NOW(6)

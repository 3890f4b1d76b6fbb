-- dead requeue --all / purge: the database's clock, so the cut-off of a run is fixed at
-- its start and a row that dies again during the run is not taken a second time.
SELECT NOW(6)

-- db::connect: run on every new connection. READ COMMITTED: the claim's locking read
-- takes no gap locks and its ordering check reads the latest committed state. A short
-- lock wait: the worker's write-back must not sit behind a user's long transaction for
-- the default 50 s (it falls back to marking delivered alone, see delivery::settle).
-- Parameters: none
SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED;
SET SESSION innodb_lock_wait_timeout = 10

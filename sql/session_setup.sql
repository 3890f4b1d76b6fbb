-- Run on every new connection. READ COMMITTED: the claim's locking read takes no gap
-- locks and its ordering check reads the latest committed state.
SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED

-- capture::unlock_statement: release the LOCK TABLES taken for replacing triggers.
-- Parameters: none
UNLOCK TABLES

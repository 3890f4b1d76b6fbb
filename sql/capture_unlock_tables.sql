-- capture: release the LOCK TABLES taken for replacing triggers.
UNLOCK TABLES

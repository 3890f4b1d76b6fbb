-- migrate: release the named lock taken by migrate_lock.sql.
SELECT RELEASE_LOCK(?)

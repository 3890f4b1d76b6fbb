-- capture: every trigger of the schema whose name says it may be ours; the caller keeps
-- those whose body carries the certyo-queue marker comment. information_schema only.
SELECT CAST(TRIGGER_NAME AS CHAR) AS trigger_name,
       CAST(EVENT_OBJECT_TABLE AS CHAR) AS table_name,
       CAST(ACTION_STATEMENT AS CHAR) AS body
FROM information_schema.TRIGGERS
WHERE TRIGGER_SCHEMA = ? AND TRIGGER_NAME LIKE 'certyo\_%'
ORDER BY EVENT_OBJECT_TABLE, TRIGGER_NAME

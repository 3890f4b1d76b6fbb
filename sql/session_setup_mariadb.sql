-- db::connect: run on every new connection to MariaDB only (MySQL has no such variable,
-- and its JSON type cannot hold invalid JSON anyway). MariaDB's JSON type is LONGTEXT
-- with CHECK (json_valid(payload)), and the CHECK is evaluated on every UPDATE of the
-- row: a queue row whose payload breaks it (inserted with checks off) could otherwise
-- never be leased or buried, and would stop every claim that meets it. Our sessions only
-- write queue rows and certyo_* tracking columns, never business data.
-- Parameters: none
SET SESSION check_constraint_checks = 0

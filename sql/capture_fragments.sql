-- capture: expression fragments the trigger bodies are assembled from, one per line as
-- `name: template`. {col} is a checked, backtick-quoted column, {name} the same name as
-- the body of a string literal (names with quotes or backslashes are refused), {row} is
-- OLD or NEW. Strings compare as bytes, so a case-only or trailing-space change counts.
payload_pair: '{name}', {row}.{col}
payload: JSON_OBJECT({pairs})
record_id_single: CAST({row}.{col} AS CHAR)
record_id_composite: JSON_ARRAY({values})
key_value: {row}.{col}
same_value: OLD.{col} <=> NEW.{col}
same_text: CAST(OLD.{col} AS BINARY) <=> CAST(NEW.{col} AS BINARY)
nothing_compared: FALSE

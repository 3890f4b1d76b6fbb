-- writeback: fragments of writeback_mark_pending.sql, one per line as `name: template`;
-- {col} is a checked, backtick-quoted column.
key_match: {col} = ?
keep: , {col} = {col}

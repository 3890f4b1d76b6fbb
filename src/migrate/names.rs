//! Table names as given on the command line: trimmed and de-duplicated, and refused
//! with the true reason when they cannot name a table.

use super::MigrateError;

/// Refuse names that cannot be a table, with the true reason (before the generic
/// character check of `capture::check_name`, whose message is about quoting).
pub(super) fn check_table_names<'a>(
    names: impl Iterator<Item = &'a String>,
) -> Result<(), MigrateError> {
    for name in names {
        if name.trim().is_empty() {
            return Err(MigrateError::EmptyTableName(if name.is_empty() {
                ""
            } else {
                " (only spaces)"
            }));
        }
        let chars = name.chars().count();
        if chars > 64 {
            return Err(MigrateError::TableNameTooLong {
                name: name.clone(),
                chars,
            });
        }
    }
    Ok(())
}

/// Trim and de-duplicate the names given; empty ones are kept so that they are
/// refused (`--table ''` is a mistake, not "nothing to do").
pub(super) fn clean_names(names: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for n in names.iter().map(|n| n.trim()) {
        if !out.iter().any(|o| o == n) {
            out.push(n.to_string());
        }
    }
    out
}

//! Loading the SQL templates under `sql/`: strip the header comment, fill `{name}`
//! placeholders, and read `name: template` fragment files. Only checked, quoted
//! identifiers and generated fragments ever go into a placeholder.

use std::collections::HashMap;

/// The statement of a `sql/` file without its leading `--` comment lines.
pub fn statement(file: &str) -> &str {
    let mut rest = file;
    while let Some(line_end) = rest.find('\n') {
        let line = &rest[..line_end];
        if line.trim_start().starts_with("--") || line.trim().is_empty() {
            rest = &rest[line_end + 1..];
        } else {
            break;
        }
    }
    rest.trim_end()
}

/// Replace each `{key}` by its value, in one pass (values are never re-scanned).
pub fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len() + 64);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let key_end = after.find('}');
        match key_end.and_then(|end| {
            let key = &after[..end];
            values
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, v)| (end, *v))
        }) {
            Some((end, value)) => {
                out.push_str(value);
                rest = &after[end + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// A fragment file: `name: template` per line after the header comment, in file order.
pub fn fragment_list(file: &'static str) -> Vec<(&'static str, &'static str)> {
    file.lines()
        .filter(|l| !l.trim_start().starts_with("--") && !l.trim().is_empty())
        .filter_map(|l| l.split_once(": "))
        .map(|(k, v)| (k.trim(), v))
        .collect()
}

/// A fragment file as a map by name.
pub fn fragments(file: &'static str) -> HashMap<&'static str, &'static str> {
    fragment_list(file).into_iter().collect()
}

/// One fragment by name. The files are compiled in, so a missing name is a bug in this
/// program, not in its input: debug builds (every test run) stop at it; a release
/// build gets an empty string rather than a panic.
pub fn fragment(map: &HashMap<&'static str, &'static str>, name: &str) -> &'static str {
    let found = map.get(name).copied();
    debug_assert!(found.is_some(), "no SQL fragment named {name:?}");
    found.unwrap_or_default()
}

/// `name` quoted as a MySQL identifier, backticks doubled. Callers only pass names
/// found in information_schema and checked by `capture::check_name` (which refuses
/// backticks, quotes, backslashes and control characters); the escaping keeps a name
/// that slipped past the check an identifier all the same.
pub fn quote_ident(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_identifiers_double_their_backticks() {
        assert_eq!(quote_ident("products"), "`products`");
        assert_eq!(quote_ident("a`b"), "`a``b`");
        assert_eq!(quote_ident("`; DROP TABLE t; --"), "```; DROP TABLE t; --`");
    }

    #[test]
    fn statement_strips_the_header() {
        assert_eq!(statement("-- a\n-- b\nSELECT 1\n"), "SELECT 1");
    }

    #[test]
    fn fill_replaces_known_keys_only() {
        assert_eq!(
            fill("A {x} {y} {z", &[("x", "{y}"), ("y", "2")]),
            "A {y} 2 {z"
        );
    }
}

//! Loading the SQL templates under `sql/`: strip the header comment, fill `{name}`
//! placeholders, and read `name: template` fragment files. Only checked, quoted
//! identifiers and generated fragments ever go into a placeholder.
//!
//! Every file in `sql/` starts with a header of `--` lines in one notation, and the
//! statement follows at once (no blank line, nothing else in between):
//!
//! ```text
//! -- <caller>: what the statement does and why, on as many lines as it needs
//! -- Parameters: what each ? binds, in order | none
//! -- Placeholders: {name} what Rust puts there, for each {name} of the statement
//! -- Returns: the columns, and how many rows
//! ```
//!
//! `<caller>` is the Rust path of the function or module that runs the file
//! (`queue::retry`, `capture::registry`); the module when several run it. A keyword
//! line may continue on the `--` lines after it. `Parameters:` is always there: `none`
//! when nothing binds (no `?` and no `{name}` that expands to bind markers); a file
//! whose statement has a `?` says what it binds. `Placeholders:` is there exactly when
//! the statement has `{name}` placeholders, and names each of them. `Returns:` is
//! there for statements that return rows. A fragment file (`name: template` lines read
//! with [`fragments`] or [`fragment_list`]: every `*_fragments.sql`, and
//! `capture_tracking_columns.sql`) has `-- Fragments:`, saying what the templates are
//! and what their `?` bind, instead of `Parameters:`. The test
//! `sql_files_have_headers_in_one_notation` below keeps these rules; of `Returns:` it
//! checks only that statements starting with SELECT, SHOW or WITH have one.
//!
//! Placeholders in a header are comments, but some callers fill or expand the whole
//! file (header included), so a `{name}` written in a header must never be one whose
//! value can hold a line break.

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

    /// The `{name}` placeholders of `text`, in order, without repeats.
    fn placeholders(text: &str) -> Vec<&str> {
        let mut found: Vec<&str> = Vec::new();
        let mut rest = text;
        while let Some(open) = rest.find('{') {
            rest = &rest[open + 1..];
            let end = rest
                .find(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'))
                .unwrap_or(rest.len());
            if end > 0 && rest[end..].starts_with('}') && !found.contains(&&rest[..end]) {
                found.push(&rest[..end]);
            }
        }
        found
    }

    const KEYWORDS: [&str; 4] = ["Parameters", "Placeholders", "Returns", "Fragments"];

    /// The text of the header section `-- Key: ...`, with its continuation lines (up to
    /// the next keyword line), or None.
    fn section(header: &[&str], key: &str) -> Option<String> {
        let start = header
            .iter()
            .position(|l| l.starts_with(&format!("-- {key}: ")))?;
        let mut text = header[start][format!("-- {key}: ").len()..].to_string();
        for line in &header[start + 1..] {
            let body = line.trim_start_matches('-').trim();
            if KEYWORDS.iter().any(|k| body.starts_with(&format!("{k}:"))) {
                break;
            }
            text.push(' ');
            text.push_str(body);
        }
        Some(text)
    }

    /// What is wrong with the header of `sql/<name>` (empty when nothing).
    fn header_problems(name: &str, file: &str) -> Vec<String> {
        let mut problems = Vec::new();
        let lines: Vec<&str> = file.lines().collect();
        let header_len = lines
            .iter()
            .take_while(|l| l.trim_start().starts_with("--"))
            .count();
        let header = &lines[..header_len];
        let body = statement(file);
        if lines.get(header_len).is_none_or(|l| l.trim().is_empty()) {
            problems.push("the statement must follow the header at once (no blank line)".into());
        }
        let is_path = |caller: &str| {
            !caller.is_empty()
                && caller
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "_:".contains(c))
        };
        match header.first().and_then(|l| l.strip_prefix("-- ")) {
            Some(first) => match first.split_once(": ") {
                Some((caller, _)) if is_path(caller) => {}
                _ => problems.push(format!(
                    "the first line must be `-- <caller>: ...`, the caller a Rust path like \
                     queue::retry (found {first:?})"
                )),
            },
            None => problems.push("no `-- <caller>: ...` header line".into()),
        }
        for line in header {
            if !(line.starts_with("-- ") || *line == "--") {
                problems.push(format!("header line not in `-- text` form: {line:?}"));
            }
        }
        let statement_placeholders = placeholders(body);
        if name.ends_with("_fragments.sql") || section(header, "Fragments").is_some() {
            if section(header, "Fragments").is_none() {
                problems.push("a fragment file needs a `-- Fragments:` line".into());
            }
            if section(header, "Parameters").is_some() {
                problems.push(
                    "a fragment file says what its `?` bind in `-- Fragments:`, \
                     not `-- Parameters:`"
                        .into(),
                );
            }
        } else {
            match section(header, "Parameters") {
                None => problems.push(
                    "no `-- Parameters:` line (what each ? binds, in order, or `none`)".into(),
                ),
                Some(p) if p.trim_end_matches('.') == "none" => {
                    if body.contains('?') {
                        problems.push(
                            "`-- Parameters: none` but the statement has ? bind markers".into(),
                        );
                    }
                }
                Some(_) => {
                    if !body.contains('?') && statement_placeholders.is_empty() {
                        problems.push(
                            "the statement binds nothing: the line must read `-- Parameters: none`"
                                .into(),
                        );
                    }
                }
            }
            let first_word = body
                .split_whitespace()
                .next()
                .unwrap_or_default()
                .to_ascii_uppercase();
            if ["SELECT", "SHOW", "WITH"].contains(&first_word.as_str())
                && section(header, "Returns").is_none()
            {
                problems.push("a statement that returns rows needs a `-- Returns:` line".into());
            }
        }
        match section(header, "Placeholders") {
            None if !statement_placeholders.is_empty() => problems.push(format!(
                "no `-- Placeholders:` line for {}",
                statement_placeholders
                    .iter()
                    .map(|p| format!("{{{p}}}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
            None => {}
            Some(_) if statement_placeholders.is_empty() => problems.push(
                "a `-- Placeholders:` line but the statement has no {name} placeholder".into(),
            ),
            Some(text) => {
                for p in &statement_placeholders {
                    if !text.contains(&format!("{{{p}}}")) {
                        problems.push(format!("`-- Placeholders:` does not describe {{{p}}}"));
                    }
                }
            }
        }
        problems
    }

    #[test]
    fn sql_files_have_headers_in_one_notation() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("sql");
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.ends_with(".sql"))
            .collect();
        names.sort();
        assert!(names.len() > 100, "sql/ not found at {}", dir.display());
        let mut failures = Vec::new();
        for name in &names {
            let file = std::fs::read_to_string(dir.join(name)).unwrap();
            for problem in header_problems(name, &file) {
                failures.push(format!("sql/{name}: {problem}"));
            }
        }
        assert!(
            failures.is_empty(),
            "{} header problem(s):\n{}",
            failures.len(),
            failures.join("\n")
        );
    }

    #[test]
    fn the_header_check_names_what_is_missing() {
        let ok = "-- queue::x: does a thing\n\
                  -- Parameters: the ids ({ids}), the owner\n\
                  -- Placeholders: {ids} one bind marker per id\n\
                  UPDATE t SET a = 1 WHERE id IN ({ids}) AND o = ?\n";
        assert_eq!(header_problems("queue_x.sql", ok), Vec::<String>::new());
        let bad = "-- Does a thing\nSELECT a FROM t WHERE id IN ({ids}) AND b = ?\n";
        let problems = header_problems("queue_x.sql", bad).join("\n");
        for missing in ["<caller>", "Parameters", "Returns", "Placeholders"] {
            assert!(
                problems.contains(missing),
                "{missing} not named in {problems}"
            );
        }
        let none = "-- x: y\n-- Parameters: none\n-- Returns: one row\nSELECT ?\n";
        assert!(header_problems("x.sql", none).join("\n").contains("none"));
        let blank = "-- x: y\n-- Parameters: none\n\nDO 1\n";
        assert!(header_problems("x.sql", blank).join("\n").contains("blank"));
        let fragments = "-- x: y\n-- Parameters: a\na: b = ?\n";
        let problems = header_problems("x_fragments.sql", fragments).join("\n");
        assert!(problems.contains("Fragments:"), "{problems}");
    }

    #[test]
    fn fill_replaces_known_keys_only() {
        assert_eq!(
            fill("A {x} {y} {z", &[("x", "{y}"), ("y", "2")]),
            "A {y} 2 {z"
        );
    }
}

//! Settings validated against reality, before anything touches the database: durations
//! bounded to what the queue's TIMESTAMP(6) columns can hold, table names refused with
//! the true reason, and rounds that cannot fit their lease refused with the arithmetic.
mod common;

use std::time::Duration;

use common::process::{command, run, Output};

/// A database that does not exist (port 1): a message about it would show that the
/// settings were not checked first.
const NOWHERE: &str = "mysql://u:topsecret@127.0.0.1:1/shop";

fn cli(args: &[&str]) -> Output {
    let mut cmd = command(args);
    cmd.env("CERTYO_API_KEY", "certyo_sk_test_x")
        .env("CERTYO_TENANT_ID", "t1");
    run(cmd, Duration::from_secs(30))
}

fn refused_with(out: &Output, needle: &str) {
    assert_ne!(out.code, 0, "accepted:\n{}", out.stderr);
    assert!(
        out.stderr.contains(needle),
        "expected {needle:?} in:\n{}",
        out.stderr
    );
    assert!(
        !out.stderr.contains("cannot connect"),
        "settings were not checked before connecting:\n{}",
        out.stderr
    );
    assert!(!out.stderr.contains("topsecret"));
}

#[test]
fn a_lease_of_twelve_years_is_refused_with_the_bound() {
    let out = cli(&["work", "--database-url", NOWHERE, "--lease", "12y"]);
    refused_with(&out, "366d");
}

#[test]
fn a_retention_past_the_timestamp_range_is_refused() {
    let out = cli(&["cleanup", "--database-url", NOWHERE, "--retention", "30y"]);
    refused_with(&out, "366d");
}

#[test]
fn a_round_that_cannot_fit_its_lease_is_refused_with_the_arithmetic() {
    let out = cli(&[
        "work",
        "--database-url",
        NOWHERE,
        "--batch-size",
        "3000",
        "--lease",
        "4s",
        "--request-timeout",
        "3s",
    ]);
    refused_with(&out, "3 sequential call(s)");
    refused_with(&out, "9s in all");
}

#[test]
fn an_unreadable_ca_file_is_refused() {
    let out = cli(&[
        "work",
        "--database-url",
        NOWHERE,
        "--ca-file",
        "/nonexistent/ca.pem",
    ]);
    refused_with(&out, "--ca-file");
}

#[test]
fn an_empty_table_name_is_refused() {
    for name in ["", " "] {
        let out = cli(&["migrate", "--database-url", NOWHERE, "--table", name]);
        refused_with(&out, "empty table name");
    }
    let out = cli(&["migrate", "--database-url", NOWHERE, "--uncapture", ""]);
    refused_with(&out, "empty table name");
}

#[test]
fn a_table_name_of_65_characters_is_refused_for_its_length() {
    let name = "t".repeat(65);
    let out = cli(&["migrate", "--database-url", NOWHERE, "--table", &name]);
    refused_with(&out, "at most 64 characters");
    assert!(!out.stderr.contains("quotes"), "{}", out.stderr);
}

#[test]
fn the_emulator_lists_every_bulk_mode_and_refuses_a_redirect_that_is_not_one() {
    let out = cli(&["emulator", "--bulk-response", "nonsense"]);
    assert_ne!(out.code, 0);
    for mode in [
        "items",
        "bare",
        "reject-batch",
        "strings",
        "bare-array",
        "only-rejected",
        "shuffled",
        "no-detail",
    ] {
        assert!(out.stderr.contains(mode), "{mode} missing:\n{}", out.stderr);
    }
    let out = cli(&[
        "emulator",
        "--listen",
        "127.0.0.1:0",
        "--redirect-to",
        "http://127.0.0.1:9",
        "--redirect-status",
        "200",
    ]);
    assert_ne!(out.code, 0);
    assert!(out.stderr.contains("redirect status"), "{}", out.stderr);
}

//! `work` refuses bad settings with one clear line, before touching the database.
mod common;

use std::process::Command;

/// Run `certyo-queue work` against a database that does not exist (port 1), so any
/// message about the database would show that settings were not checked first.
fn work(args: &[&str], env: &[(&str, &str)]) -> (i32, String) {
    let mut cmd = Command::new(common::bin());
    cmd.arg("work")
        .arg("--database-url")
        .arg("mysql://u:topsecret@127.0.0.1:1/shop")
        .args(args);
    for var in [
        "CERTYO_API_KEY",
        "CERTYO_API_KEY_FILE",
        "CERTYO_TENANT_ID",
        "CERTYO_BASE_URL",
        "DATABASE_URL",
    ] {
        cmd.env_remove(var);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run the binary");
    let stderr = String::from_utf8_lossy(&out.stderr).trim().to_string();
    (out.status.code().unwrap_or(-1), stderr)
}

const OK_ENV: &[(&str, &str)] = &[
    ("CERTYO_API_KEY", "certyo_sk_test_x"),
    ("CERTYO_TENANT_ID", "t1"),
];

/// The error is one line (log lines may precede it) naming the problem.
fn assert_one_line(stderr: &str, needle: &str) {
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "expected one error line, got:\n{stderr}");
    assert!(
        errors[0].contains(needle),
        "expected {needle:?} in {stderr:?}"
    );
    assert!(!stderr.contains("topsecret"), "password leaked: {stderr}");
}

#[test]
fn a_missing_api_key_is_refused() {
    let (code, err) = work(&[], &[("CERTYO_TENANT_ID", "t1")]);
    assert_ne!(code, 0);
    assert_one_line(&err, "CERTYO_API_KEY");
}

#[test]
fn a_missing_tenant_is_refused() {
    let (code, err) = work(&[], &[("CERTYO_API_KEY", "certyo_sk_test_x")]);
    assert_ne!(code, 0);
    assert_one_line(&err, "CERTYO_TENANT_ID");
}

#[test]
fn a_malformed_base_url_is_refused() {
    let (code, err) = work(&["--base-url", "not a url"], OK_ENV);
    assert_ne!(code, 0);
    assert_one_line(&err, "CERTYO_BASE_URL");
}

#[test]
fn zero_concurrency_is_refused() {
    let (code, err) = work(&["--concurrency", "0"], OK_ENV);
    assert_ne!(code, 0);
    assert_one_line(&err, "--concurrency");
}

#[test]
fn an_unreachable_database_is_one_clear_line_without_the_password() {
    let (code, err) = work(&[], OK_ENV);
    assert_ne!(code, 0);
    assert_one_line(
        &err,
        "cannot connect to the database at mysql://u:***@127.0.0.1:1/shop",
    );
}

#[test]
fn the_api_key_never_appears_in_the_output() {
    let (_, err) = work(
        &["--concurrency", "0"],
        &[
            ("CERTYO_API_KEY", "certyo_sk_live_SECRET"),
            ("CERTYO_TENANT_ID", "t"),
        ],
    );
    assert!(!err.contains("SECRET"), "{err}");
}

#[test]
fn a_lease_shorter_than_the_request_timeout_is_refused() {
    let (code, err) = work(&["--lease", "5s", "--request-timeout", "30s"], OK_ENV);
    assert_ne!(code, 0);
    assert_one_line(&err, "--lease");
}

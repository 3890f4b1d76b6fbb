//! Database TLS: against a throwaway MariaDB that requires encrypted connections,
//! `migrate` works with `ssl-mode=verify_ca&ssl-ca=…` in the URL and the session really
//! is encrypted; a plain connection, or a certificate from another CA, is refused with
//! one clear error line.
mod common;

use std::process::Command;

use certyo_queue::config::DbConfig;
use common::throwaway_mariadb::{make_ca, Options, ThrowawayMariaDb};

async fn tls_server() -> ThrowawayMariaDb {
    tokio::task::spawn_blocking(|| {
        ThrowawayMariaDb::start(Options {
            tls: true,
            require_secure_transport: true,
            ..Options::default()
        })
    })
    .await
    .unwrap()
}

/// `certyo-queue migrate --table products` against `url`: exit code and stderr.
fn migrate(url: &str) -> (i32, String) {
    let out = Command::new(common::bin())
        .args(["migrate", "--table", "products", "--database-url", url])
        .env_remove("DATABASE_URL")
        .output()
        .expect("run certyo-queue");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn error_lines(stderr: &str) -> Vec<&str> {
    stderr.lines().filter(|l| l.starts_with("error:")).collect()
}

/// The session's TLS cipher, as the server sees it ("" when not encrypted).
async fn ssl_cipher(url: &str) -> String {
    let pool = certyo_queue::db::connect(&DbConfig::parse(url).unwrap(), 1)
        .await
        .unwrap_or_else(|e| panic!("connect over {url}: {e}"));
    let (_, value): (String, String) = sqlx::query_as("SHOW SESSION STATUS LIKE 'Ssl_cipher'")
        .fetch_one(&pool)
        .await
        .unwrap();
    pool.close().await;
    value
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrate_runs_over_verified_tls_and_the_session_is_encrypted() {
    let server = tls_server().await;
    let ca = server.ca.clone().unwrap();
    let tls = format!("ssl-mode=verify_ca&ssl-ca={}", ca.display());

    let admin = certyo_queue::db::connect(&DbConfig::parse(&server.url("mysql", &tls)).unwrap(), 1)
        .await
        .expect("root over TLS");
    sqlx::raw_sql("CREATE DATABASE shop; USE shop;")
        .execute(&admin)
        .await
        .unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "USE shop; {}",
        *common::PRODUCTS_DDL
    )))
    .execute(&admin)
    .await
    .unwrap();

    let url = server.url("shop", &tls);
    let (code, stderr) = migrate(&url);
    assert_eq!(code, 0, "migrate over TLS failed:\n{stderr}");
    let triggers: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM information_schema.TRIGGERS \
         WHERE TRIGGER_SCHEMA = 'shop' AND EVENT_OBJECT_TABLE = 'products'",
    )
    .fetch_one(&admin)
    .await
    .unwrap();
    assert!(
        triggers >= 3,
        "products has {triggers} triggers after migrate"
    );

    let cipher = ssl_cipher(&url).await;
    assert!(
        !cipher.is_empty(),
        "the session over {url} is not encrypted"
    );
    // The certificate names 127.0.0.1, so the strictest mode works too.
    let strict = server.url(
        "shop",
        &format!("ssl-mode=verify_identity&ssl-ca={}", ca.display()),
    );
    assert!(!ssl_cipher(&strict).await.is_empty());

    admin.close().await;
    server.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_or_unverified_connections_are_refused_with_one_clear_line() {
    let server = tls_server().await;

    let (code, stderr) = migrate(&server.url("shop", "ssl-mode=disabled"));
    assert_ne!(code, 0, "a plain connection was accepted:\n{stderr}");
    let errors = error_lines(&stderr);
    eprintln!("refused as expected: {stderr}");
    assert_eq!(errors.len(), 1, "expected one error line:\n{stderr}");
    assert!(
        errors[0].contains("cannot connect to the database")
            && errors[0].contains("ssl-mode=disabled")
            && errors[0].contains("require_secure_transport"),
        "{}",
        errors[0]
    );

    // A CA that did not sign the server's certificate.
    let other_ca = make_ca(&server.dir, "other-ca");
    let (code, stderr) = migrate(&server.url(
        "shop",
        &format!("ssl-mode=verify_ca&ssl-ca={}", other_ca.display()),
    ));
    assert_ne!(
        code, 0,
        "a certificate from another CA was accepted:\n{stderr}"
    );
    let errors = error_lines(&stderr);
    eprintln!("refused as expected: {stderr}");
    assert_eq!(errors.len(), 1, "expected one error line:\n{stderr}");
    assert!(
        errors[0].contains("cannot connect to the database")
            && errors[0].contains("TLS handshake failed: check ssl-ca"),
        "{}",
        errors[0]
    );
    server.stop();
}

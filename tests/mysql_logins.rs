//! MySQL 9.7 logins as a `caching_sha2_password` user (MySQL's default plugin), against
//! a throwaway MySQL from the project's debootstrap tree: over plain TCP (sqlx 0.8's RSA
//! key exchange path, twice so the server's cached fast path is used too) and over TLS
//! with `ssl-mode=verify_identity` and our CA; and `migrate` over TLS to a server that
//! requires it. Runs in both engine passes (it starts its own server).
mod common;

use certyo_queue::config::DbConfig;
use common::throwaway_mysql::ThrowawayMySql;

const USER_SQL: &str =
    "CREATE USER 'sha2user'@'%' IDENTIFIED WITH caching_sha2_password BY 'pw-sha2'; \
     GRANT ALL ON *.* TO 'sha2user'@'%'; CREATE DATABASE shop";

async fn setup(server: &ThrowawayMySql, params: &str) {
    let root = certyo_queue::db::connect(
        &DbConfig::parse(&server.url_as("root", "", "mysql", params)).unwrap(),
        1,
    )
    .await
    .unwrap_or_else(|e| panic!("root login: {e}\n{}", server.log()));
    sqlx::raw_sql(USER_SQL).execute(&root).await.unwrap();
    root.close().await;
}

async fn login(url: &str) -> Result<Option<String>, String> {
    let pool = certyo_queue::db::connect(&DbConfig::parse(url).map_err(|e| e.to_string())?, 1)
        .await
        .map_err(|e| e.to_string())?;
    let cipher: Option<(String, String)> = sqlx::query_as("SHOW SESSION STATUS LIKE 'Ssl_cipher'")
        .fetch_optional(&pool)
        .await
        .map_err(|e| e.to_string())?;
    pool.close().await;
    Ok(cipher.map(|(_, c)| c).filter(|c| !c.is_empty()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_caching_sha2_user_logs_in_over_plain_tcp_and_over_tls() {
    let server = tokio::task::spawn_blocking(|| ThrowawayMySql::start(true, false))
        .await
        .unwrap();
    setup(&server, "ssl-mode=disabled").await;
    let plain = server.url_as("sha2user", "pw-sha2", "shop", "ssl-mode=disabled");
    for attempt in 1..=2 {
        let cipher = login(&plain)
            .await
            .unwrap_or_else(|e| panic!("plain login {attempt}: {e}"));
        assert_eq!(cipher, None, "plain TCP is not encrypted");
    }
    let ca = server.ca.clone().unwrap();
    let tls = server.url_as(
        "sha2user",
        "pw-sha2",
        "shop",
        &format!("ssl-mode=verify_identity&ssl-ca={}", ca.display()),
    );
    let cipher = login(&tls)
        .await
        .unwrap_or_else(|e| panic!("TLS login: {e}"));
    assert!(cipher.is_some(), "the TLS session is encrypted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrate_over_tls_to_a_mysql_that_requires_it() {
    let server = tokio::task::spawn_blocking(|| ThrowawayMySql::start(true, true))
        .await
        .unwrap();
    let ca = server.ca.clone().unwrap();
    let params = format!("ssl-mode=verify_identity&ssl-ca={}", ca.display());
    setup(&server, &params).await;
    let pool = certyo_queue::db::connect(
        &DbConfig::parse(&server.url_as("sha2user", "pw-sha2", "shop", &params)).unwrap(),
        1,
    )
    .await
    .unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(common::PRODUCTS_DDL.as_str()))
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;

    let url = server.url_as("sha2user", "pw-sha2", "shop", &params);
    let out = std::process::Command::new(common::bin())
        .args(["migrate", "--table", "products", "--database-url", &url])
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    // A throwaway server has binary logging off, so no trigger-trust setting is needed.
    assert!(out.status.success(), "migrate over TLS:\n{stderr}");

    let plain = server.url_as("sha2user", "pw-sha2", "shop", "ssl-mode=disabled");
    let refused = login(&plain).await;
    let err = refused.expect_err("a plain connection is refused");
    assert!(
        err.contains("ssl-mode"),
        "the error says what to change: {err}"
    );
}

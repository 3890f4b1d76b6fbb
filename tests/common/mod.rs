//! Shared test harness: a fresh, uniquely named database per test on a real
//! MariaDB/MySQL, migrated by the same code the `migrate` command runs. The database
//! is dropped when the test calls `finish()`; a failing test leaves it for inspection.
//!
//! Where the server is: CERTYO_TEST_DATABASE_URL (default mysql://root@127.0.0.1:3306/).
#![allow(dead_code)]

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use certyo_queue::config::DbConfig;
use sqlx::mysql::MySqlPool;

pub const DEFAULT_SERVER: &str = "mysql://root@127.0.0.1:3306/";

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// The server every test database is created on.
pub fn server_url() -> String {
    std::env::var("CERTYO_TEST_DATABASE_URL").unwrap_or_else(|_| DEFAULT_SERVER.to_string())
}

pub struct TestDb {
    pub name: String,
    pub cfg: DbConfig,
    pub pool: MySqlPool,
    admin: MySqlPool,
}

async fn admin_pool() -> MySqlPool {
    certyo_queue::db::connect(&admin_cfg(), 2).await.unwrap_or_else(|e| {
        panic!(
            "cannot reach the test database server: {e}\n\
             Start MariaDB (e.g. `sudo service mariadb start`, or run `bash .ci/run`, which installs and \
             starts it), or point CERTYO_TEST_DATABASE_URL at a server where this user may CREATE DATABASE."
        )
    })
}

impl TestDb {
    /// A fresh database with the queue schema applied.
    pub async fn new() -> TestDb {
        let db = TestDb::empty().await;
        let mut conn = db
            .pool
            .acquire()
            .await
            .expect("connection to the test database");
        certyo_queue::schema::apply(&mut conn)
            .await
            .expect("queue schema applies on a fresh database");
        drop(conn);
        db
    }

    /// A fresh, empty database.
    pub async fn empty() -> TestDb {
        let admin = admin_pool().await;
        let name = format!(
            "cq_t{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            fastrand::u32(..) % 100_000
        );
        sqlx::query(&format!("CREATE DATABASE `{name}`"))
            .execute(&admin)
            .await
            .expect("CREATE DATABASE");
        let cfg = admin_cfg().with_schema(&name);
        let pool = certyo_queue::db::connect(&cfg, 16)
            .await
            .expect("connect to the fresh test database");
        TestDb {
            name,
            cfg,
            pool,
            admin,
        }
    }

    /// The URL of this database, for child processes.
    pub fn url(&self) -> String {
        // Display redacts the password; the harness needs the real thing.
        let server = server_url();
        format!("{}/{}", server.trim_end_matches('/'), self.name)
    }

    /// Drop the database. Call at the end of a passing test.
    pub async fn finish(self) {
        self.pool.close().await;
        let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS `{}`", self.name))
            .execute(&self.admin)
            .await;
        self.admin.close().await;
    }

    /// Run a statement (test setup only).
    pub async fn exec(&self, sql: &str) {
        sqlx::raw_sql(sql)
            .execute(&self.pool)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    /// One integer from a query, e.g. a count.
    pub async fn scalar(&self, sql: &str) -> i64 {
        sqlx::query_scalar::<_, i64>(sql)
            .fetch_one(&self.pool)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }
}

fn admin_cfg() -> DbConfig {
    let server = server_url();
    DbConfig::parse(&format!("{}/mysql", server.trim_end_matches('/')))
        .unwrap_or_else(|e| panic!("CERTYO_TEST_DATABASE_URL={server:?} is not usable: {e}"))
}

/// Wait until `check` returns true, polling every 20 ms; panics with `what` at the deadline.
pub async fn wait_until<F, Fut>(deadline: Duration, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    loop {
        if check().await {
            return;
        }
        if start.elapsed() > deadline {
            panic!("timed out after {deadline:?} waiting for: {what}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The built binary, for tests that run it as a child process.
pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_certyo-queue")
}

//! Shared test harness: a fresh, uniquely named database per test on a real
//! MariaDB/MySQL, migrated by the same code the `migrate` command runs. The database
//! is dropped when the test calls `finish()`; a failing test leaves it for inspection.
//!
//! Where the server is: CERTYO_TEST_DATABASE_URL (default mysql://root@127.0.0.1:3306/).
#![allow(dead_code)]

pub mod ops_tools;
pub mod process;
pub mod throwaway_mariadb;
pub mod throwaway_mysql;

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

/// The two engines the suite runs on; a test that needs an engine-specific setting
/// asks, says so, and sets it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    MariaDb,
    MySql,
}

/// The engine of the server the suite runs on (`server_url()`).
pub async fn run_engine() -> Engine {
    let pool = admin_pool().await;
    let version: String = sqlx::query_scalar("SELECT VERSION()")
        .fetch_one(&pool)
        .await
        .expect("SELECT VERSION()");
    pool.close().await;
    if version.contains("MariaDB") {
        Engine::MariaDb
    } else {
        Engine::MySql
    }
}

pub struct TestDb {
    pub name: String,
    pub cfg: DbConfig,
    pub pool: MySqlPool,
    admin: MySqlPool,
}

async fn admin_pool() -> MySqlPool {
    certyo_queue::db::connect(&admin_cfg(), 2)
        .await
        .unwrap_or_else(|e| {
            panic!(
                "cannot reach the test database server: {e}\n\
             Start one: `bash scripts/ensure-mariadb.sh` (MariaDB on 127.0.0.1:3306) or \
             `bash scripts/ensure-mysql.sh` (MySQL 9.7 on 127.0.0.1:3307), or run `bash .ci/run`, which \
             installs and starts both; then point CERTYO_TEST_DATABASE_URL at it (a server where this \
             user may CREATE DATABASE)."
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
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE `{name}`")))
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
        let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS `{}`",
            self.name
        )))
        .execute(&self.admin)
        .await;
        self.admin.close().await;
    }

    /// Run a statement (test setup only).
    pub async fn exec(&self, sql: &str) {
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(&self.pool)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    /// Which server the tests run on (the same for every database of the run).
    pub async fn engine(&self) -> Engine {
        let version: String = sqlx::query_scalar("SELECT VERSION()")
            .fetch_one(&self.pool)
            .await
            .expect("SELECT VERSION()");
        if version.contains("MariaDB") {
            Engine::MariaDb
        } else {
            Engine::MySql
        }
    }

    /// One integer from a query, e.g. a count.
    pub async fn scalar(&self, sql: &str) -> i64 {
        sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql))
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

/// The guide's `products` table, plus an auto-updated `updated_at`.
pub static PRODUCTS_DDL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    include_str!("../../sql/example_products.sql").replace("{table}", "`products`")
});

impl TestDb {
    /// A fresh database with a captured `products` table (the `migrate` command's code).
    pub async fn with_products() -> TestDb {
        let db = TestDb::empty().await;
        db.exec(&PRODUCTS_DDL).await;
        db.capture(&["products"]).await;
        db
    }

    /// Run `migrate --table …` for these tables.
    pub async fn capture(&self, tables: &[&str]) {
        let plan = certyo_queue::migrate::MigratePlan {
            tables: tables.iter().map(|t| t.to_string()).collect(),
            ..Default::default()
        };
        certyo_queue::migrate::run(&self.pool, &plan)
            .await
            .expect("migrate");
    }

    /// Insert `n` products named p0…p{n-1}.
    pub async fn insert_products(&self, n: usize) {
        for chunk in (0..n).collect::<Vec<_>>().chunks(1000) {
            let values: Vec<String> = chunk
                .iter()
                .map(|i| {
                    format!(
                        "('SKU-{i}', 'p{i}', 'cat', {}.50, 'B1', '2026-01-02 03:04:05')",
                        i % 100
                    )
                })
                .collect();
            self.exec(&format!(
                "INSERT INTO products (sku, name, category, price, batch_number, manufactured_at) VALUES {}",
                values.join(",")
            ))
            .await;
        }
    }

    /// Queue rows not yet delivered and not dead.
    pub async fn pending(&self) -> i64 {
        self.scalar("SELECT COUNT(*) FROM certyo_queue WHERE processed = 0 AND dead_at IS NULL")
            .await
    }

    pub async fn dead(&self) -> i64 {
        self.scalar("SELECT COUNT(*) FROM certyo_queue WHERE dead_at IS NOT NULL")
            .await
    }

    /// Every queue id, as the idempotency keys the worker sends.
    pub async fn queue_keys(&self) -> std::collections::HashSet<String> {
        sqlx::query_scalar::<_, i64>("SELECT id FROM certyo_queue")
            .fetch_all(&self.pool)
            .await
            .unwrap()
            .into_iter()
            .map(|id| format!("queue-{id}"))
            .collect()
    }
}

/// Worker settings for tests: fast polling and retries.
pub fn worker_config(concurrency: usize) -> certyo_queue::delivery::config::WorkerConfig {
    certyo_queue::delivery::config::WorkerConfig {
        concurrency,
        batch_size: 100,
        bulk_threshold: 10,
        poll_interval: Duration::from_millis(50),
        lease: Duration::from_secs(30),
        max_attempts: 20,
        retry_initial: Duration::from_millis(20),
        retry_max: Duration::from_millis(200),
        auth_retry: Duration::from_millis(300),
        progress_interval: Duration::from_secs(60),
        shutdown_timeout: Duration::from_secs(10),
        stall_after: Duration::from_secs(60),
    }
}

/// API settings pointing at an emulator with its default key and tenant.
pub fn api_config(base_url: &str, database: &str) -> certyo_queue::config::ApiConfig {
    let defaults = certyo_queue::emulator::EmulatorConfig::default();
    certyo_queue::config::ApiConfig {
        base_url: base_url.parse().expect("emulator URL"),
        api_key: certyo_queue::config::ApiKey::new(defaults.api_key),
        tenant_id: defaults.tenant_id,
        database: database.to_string(),
        request_timeout: Duration::from_secs(10),
    }
}

/// A worker pool running in this process.
pub struct RunningWorker {
    pub delivery: std::sync::Arc<certyo_queue::delivery::Delivery>,
    pub stop: tokio_util::sync::CancellationToken,
    task: tokio::task::JoinHandle<bool>,
}

impl RunningWorker {
    pub fn start(
        db: &TestDb,
        api: certyo_queue::config::ApiConfig,
        key_file: Option<std::path::PathBuf>,
        cfg: certyo_queue::delivery::config::WorkerConfig,
    ) -> RunningWorker {
        let client = certyo_queue::certyo::CertyoClient::new(api, key_file).expect("client");
        let delivery = std::sync::Arc::new(certyo_queue::delivery::Delivery::new(
            db.pool.clone(),
            client,
            cfg,
            db.name.clone(),
        ));
        let stop = tokio_util::sync::CancellationToken::new();
        let task = tokio::spawn(std::sync::Arc::clone(&delivery).run(stop.clone()));
        RunningWorker {
            delivery,
            stop,
            task,
        }
    }

    /// Stop and wait; returns whether in-flight work drained within the timeout.
    pub async fn stop(self) -> bool {
        self.stop.cancel();
        self.task.await.expect("worker task")
    }
}

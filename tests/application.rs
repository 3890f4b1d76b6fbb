//! The application is never harmed: while `work` drains and writes back, the
//! application keeps updating the same captured rows (single-row autocommit UPDATEs,
//! multi-row UPDATEs, and explicit transactions that hold rows for a while). None of
//! its statements fails and none waits on a lock for a second or more, on MariaDB and
//! MySQL; and every write-back lands in the end (rows the application held are
//! written back later, not dropped).
mod common;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use certyo_queue::emulator::{self, EmulatorConfig};
use common::process::Worker;
use common::{wait_until, TestDb};
use sqlx::mysql::MySqlPool;
use sqlx::Connection;

const ROWS: i64 = 60;
/// How long the application keeps writing (bounded: the loop stops by itself).
const WRITING: Duration = Duration::from_secs(8);

#[derive(Default)]
struct AppStats {
    statements: AtomicU64,
    errors: AtomicU64,
    /// Slowest statement, microseconds.
    slowest_us: AtomicU64,
    first_error: std::sync::Mutex<Option<String>>,
}

impl AppStats {
    fn record(&self, started: Instant, result: Result<(), sqlx::Error>) {
        let us = started.elapsed().as_micros() as u64;
        self.slowest_us.fetch_max(us, Ordering::Relaxed);
        self.statements.fetch_add(1, Ordering::Relaxed);
        if let Err(e) = result {
            self.errors.fetch_add(1, Ordering::Relaxed);
            if let Ok(mut first) = self.first_error.lock() {
                first.get_or_insert_with(|| e.to_string());
            }
        }
    }
}

/// One application session: `kind` picks the statement shape.
async fn application(pool: MySqlPool, kind: usize, stop: Arc<AtomicBool>, stats: Arc<AppStats>) {
    let mut conn = match pool.acquire().await.map(|c| c.detach()) {
        Ok(c) => c,
        Err(e) => {
            stats.record(Instant::now(), Err(e));
            return;
        }
    };
    // The application's own session: REPEATABLE READ, the servers' default (the
    // pool's sessions are READ COMMITTED).
    let _ = sqlx::raw_sql(
        "SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ; SET SESSION innodb_lock_wait_timeout = 50",
    )
    .execute(&mut conn)
    .await;
    let mut n: i64 = kind as i64;
    while !stop.load(Ordering::Relaxed) {
        n += 1;
        let id = 1 + (n * 7 + kind as i64) % ROWS;
        let started = Instant::now();
        let result = match kind % 3 {
            // A hot single-row autocommit update.
            0 => {
                statement(
                    &mut conn,
                    "UPDATE products SET price = price + 1 WHERE id BETWEEN ? AND ?",
                    id,
                    id,
                )
                .await
            }
            // A multi-row update in key order.
            1 => {
                statement(
                    &mut conn,
                    "UPDATE products SET stock = stock + 1 WHERE id BETWEEN ? AND ? + 5",
                    id,
                    id,
                )
                .await
            }
            // A transaction that holds a few rows for a while, then commits.
            _ => held_transaction(&mut conn, id, n).await,
        };
        // A held transaction's own sleep is not a lock wait.
        let started = if kind % 3 == 2 {
            started + Duration::from_millis(50)
        } else {
            started
        };
        stats.record(started, result);
    }
}

/// One autocommit statement with two integer binds (sqlx 0.9 refuses a bind count that
/// differs from the placeholders, and then hangs that connection: keep them equal).
async fn statement(
    conn: &mut sqlx::MySqlConnection,
    sql: &'static str,
    a: i64,
    b: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(sql)
        .bind(a)
        .bind(b)
        .execute(conn)
        .await
        .map(drop)
}

/// Lock three rows, change one, hold them 50 ms, commit.
async fn held_transaction(
    conn: &mut sqlx::MySqlConnection,
    id: i64,
    n: i64,
) -> Result<(), sqlx::Error> {
    let mut tx = conn.begin().await?;
    sqlx::query("SELECT id FROM products WHERE id IN (?, ?, ?) FOR UPDATE")
        .bind(id)
        .bind(1 + (id + 10) % ROWS)
        .bind(1 + (id + 20) % ROWS)
        .fetch_all(&mut *tx)
        .await?;
    sqlx::query("UPDATE products SET name = CONCAT('n', ?) WHERE id = ?")
        .bind(n)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    tokio::time::sleep(Duration::from_millis(50)).await;
    tx.commit().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_application_updating_the_rows_being_written_back_never_fails_or_waits() {
    let db = TestDb::empty().await;
    db.exec(
        "CREATE TABLE products (id INT PRIMARY KEY, name VARCHAR(50) NOT NULL, \
         price INT NOT NULL DEFAULT 0, stock INT NOT NULL DEFAULT 0, \
         updated_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6))",
    )
    .await;
    db.capture(&["products"]).await;
    let values: Vec<String> = (1..=ROWS).map(|i| format!("({i}, 'p{i}')")).collect();
    db.exec(&format!(
        "INSERT INTO products (id, name) VALUES {}",
        values.join(",")
    ))
    .await;

    let emu = emulator::start(EmulatorConfig::default()).await.unwrap();
    let mut w = Worker::spawn(
        "app",
        &db.url(),
        &emu.url(),
        &["--concurrency", "4", "--batch-size", "50"],
    );

    let stop = Arc::new(AtomicBool::new(false));
    let stats = Arc::new(AppStats::default());
    // Six application sessions, run concurrently in this task (no spawn needed), and
    // a timer that stops them.
    let sessions = (0..6)
        .map(|kind| application(db.pool.clone(), kind, Arc::clone(&stop), Arc::clone(&stats)));
    let timer = async {
        tokio::time::sleep(WRITING).await;
        stop.store(true, Ordering::Relaxed);
    };
    futures_util::future::join(futures_util::future::join_all(sessions), timer).await;

    let statements = stats.statements.load(Ordering::Relaxed);
    let errors = stats.errors.load(Ordering::Relaxed);
    let slowest = Duration::from_micros(stats.slowest_us.load(Ordering::Relaxed));
    let first_error = stats.first_error.lock().unwrap().clone();
    eprintln!(
        "application: {statements} statements, {errors} errors, slowest {slowest:?} ({:?})",
        db.engine().await
    );
    assert!(statements > 100, "the application barely ran: {statements}");
    assert_eq!(errors, 0, "application statements failed: {first_error:?}");
    assert!(
        slowest < Duration::from_secs(1),
        "an application statement waited {slowest:?}"
    );

    // Every change delivered, and every row's latest version written back.
    wait_until(
        Duration::from_secs(60),
        "queue drained and every row written back",
        || async {
            db.pending().await == 0
                && db
                    .scalar("SELECT COUNT(*) FROM products WHERE certyo_anchor_status IS NULL")
                    .await
                    == 0
                && db.scalar("SELECT COUNT(*) FROM certyo_writeback_due").await == 0
        },
    )
    .await;
    assert_eq!(db.dead().await, 0, "{}", w.stderr());
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM products WHERE certyo_record_hash IS NULL")
            .await,
        0,
        "every row carries its hash"
    );
    w.term();
    assert!(w.wait_exit(Duration::from_secs(30)).await.success());
    emu.stop().await;
    db.finish().await;
}

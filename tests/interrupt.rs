//! Every one-shot command stops on Ctrl-C / SIGTERM within a second, with exit code
//! 130 / 143, even while it waits on an API that never answers.
mod common;

use std::io::Read;
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use certyo_queue::writeback::{self, Delivered};
use common::TestDb;

/// An "API" that accepts connections and never answers; returns its URL.
fn silent_api() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let mut held = Vec::new();
        // Bounded: at most 16 connections, then the thread ends.
        for stream in listener.incoming().take(16).flatten() {
            let mut s = stream;
            let mut buf = [0u8; 1024];
            let _ = s.set_read_timeout(Some(Duration::from_millis(10)));
            let _ = s.read(&mut buf);
            held.push(s);
        }
    });
    url
}

/// Run `certyo-queue <args>`, send `signal` after `after`, return (exit code, time from
/// the signal to the exit, stderr).
fn interrupt(
    args: &[&str],
    db_url: &str,
    signal: &str,
    after: Duration,
) -> (i32, Duration, String) {
    let dir = common::process::scratch_dir("interrupt");
    let err = dir.join("stderr");
    let mut child = common::process::command(args)
        .env("DATABASE_URL", db_url)
        .env("CERTYO_API_KEY", certyo_queue::emulator::DEFAULT_API_KEY)
        .env(
            "CERTYO_TENANT_ID",
            certyo_queue::emulator::DEFAULT_TENANT_ID,
        )
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&err).unwrap())
        .spawn()
        .unwrap();
    std::thread::sleep(after);
    assert!(
        child.try_wait().unwrap().is_none(),
        "{args:?} ended before the signal: {}",
        std::fs::read_to_string(&err).unwrap_or_default()
    );
    let sent = Instant::now();
    Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    let deadline = sent + Duration::from_secs(10);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("{args:?} still running 10 s after {signal}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let stderr = std::fs::read_to_string(&err).unwrap_or_default();
    (status.code().unwrap_or(-1), sent.elapsed(), stderr)
}

/// Run `args` twice, stopped once by SIGINT and once by SIGTERM after `after`: each run
/// must exit with 130 / 143 within a second of its signal, saying `interrupted` and each
/// of `says` on stderr.
async fn stops_on_both_signals(args: &[&str], url: &str, after: Duration, says: &[&str]) {
    for (signal, code) in [("-INT", 130), ("-TERM", 143)] {
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        let url = url.to_string();
        let (got, took, stderr) = tokio::task::spawn_blocking(move || {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            interrupt(&args, &url, signal, after)
        })
        .await
        .unwrap();
        assert_eq!(got, code, "{signal}: {stderr}");
        assert!(took < Duration::from_secs(1), "{signal}: took {took:?}");
        assert!(stderr.contains("interrupted"), "{signal}: {stderr}");
        for said in says {
            assert!(stderr.contains(said), "{signal}: no {said:?} in {stderr}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_against_a_silent_api_stops_on_sigint_and_sigterm() {
    let db = TestDb::with_products().await;
    db.insert_products(3).await;
    let items: Vec<Delivered> = (1..=3)
        .map(|id| Delivered {
            queue_id: id,
            table: "products".into(),
            record_id: id.to_string(),
            record_hash: Some(format!("h{id}")),
            payload_sha256: None,
        })
        .collect();
    writeback::write_back(&db.pool, &db.name, &items)
        .await
        .unwrap();
    let api = silent_api();
    let args = [
        "verify",
        "--base-url",
        &api,
        "--verify-after",
        "0s",
        "--request-timeout",
        "30s",
    ];
    stops_on_both_signals(&args, &db.url(), Duration::from_secs(2), &[]).await;
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM products WHERE certyo_anchor_status = 'Pending'")
            .await,
        3,
        "an interrupted verify leaves the rows as they were"
    );
    db.finish().await;
}

/// `migrate` waiting for its named lock (another migrate holds it) stops on a signal
/// with 130 / 143 at once, and has changed nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrate_waiting_for_its_lock_stops_on_sigint_and_sigterm_and_changes_nothing() {
    let db = TestDb::new().await;
    db.exec("CREATE TABLE plain_t (id INT PRIMARY KEY, v INT)")
        .await;
    let mut holder = db.pool.acquire().await.unwrap();
    let got: Option<i64> = sqlx::query_scalar("SELECT GET_LOCK(?, 0)")
        .bind(certyo_queue::migrate::lock_name(&db.name))
        .fetch_one(&mut *holder)
        .await
        .unwrap();
    assert_eq!(got, Some(1), "the test holds the migrate lock");
    stops_on_both_signals(
        &["migrate", "--table", "plain_t"],
        &db.url(),
        Duration::from_millis(1500),
        &["nothing was changed"],
    )
    .await;
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE() AND EVENT_OBJECT_TABLE = 'plain_t'")
            .await,
        0,
        "an interrupted migrate installed no trigger"
    );
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'plain_t' AND COLUMN_NAME LIKE 'certyo%'")
            .await,
        0,
        "an interrupted migrate added no tracking column"
    );
    drop(holder);
    db.finish().await;
}

/// `status` against a server that accepts the connection and never answers stops on a
/// signal at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_against_a_hung_server_stops_on_sigint_and_sigterm() {
    let hung = silent_api().replace("http://", "mysql://root@") + "/shop";
    stops_on_both_signals(&["status"], &hung, Duration::from_millis(1500), &[]).await;
}

/// `dead purge` blocked on rows another transaction holds stops on a signal at once;
/// its statement is rolled back, so every dead letter is still there.
/// Queue 20 rows with these extra columns and values, and hold them all locked in the
/// returned transaction (so a command deleting them waits on the server).
async fn twenty_locked_queue_rows<'a>(
    db: &'a TestDb,
    columns: &str,
    values: &str,
) -> sqlx::Transaction<'a, sqlx::MySql> {
    for i in 0..20 {
        db.exec(&format!(
            "INSERT INTO certyo_queue (table_name, record_id, op_type, payload, {columns}) \
             VALUES ('t', '{i}', 'insert', '{{}}', {values})"
        ))
        .await;
    }
    let mut tx = db.pool.begin().await.unwrap();
    let locked: Vec<i64> = sqlx::query_scalar("SELECT id FROM certyo_queue FOR UPDATE")
        .fetch_all(&mut *tx)
        .await
        .unwrap();
    assert_eq!(locked.len(), 20);
    tx
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dead_purge_blocked_by_a_row_lock_stops_on_sigint_and_sigterm_and_deletes_nothing() {
    let db = TestDb::new().await;
    let tx = twenty_locked_queue_rows(
        &db,
        "dead_at, available_at, attempts, last_error",
        "NOW(6) - INTERVAL 30 DAY, NULL, 20, 'boom'",
    )
    .await;
    stops_on_both_signals(
        &["dead", "purge", "--older-than", "7d"],
        &db.url(),
        Duration::from_millis(1500),
        &[],
    )
    .await;
    tx.rollback().await.unwrap();
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM certyo_queue WHERE dead_at IS NOT NULL")
            .await,
        20,
        "an interrupted purge deleted nothing"
    );
    db.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cleanup_blocked_by_a_row_lock_stops_on_sigint_and_sigterm_and_deletes_nothing() {
    let db = TestDb::new().await;
    let tx = twenty_locked_queue_rows(
        &db,
        "processed, available_at, delivered_at",
        "1, NOW(6) - INTERVAL 2 DAY, NOW(6) - INTERVAL 2 DAY",
    )
    .await;
    stops_on_both_signals(
        &["cleanup", "--retention", "24h"],
        &db.url(),
        Duration::from_millis(1500),
        &[],
    )
    .await;
    tx.rollback().await.unwrap();
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM certyo_queue WHERE processed = 1")
            .await,
        20,
        "an interrupted cleanup deleted nothing"
    );
    db.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backfill_waiting_for_a_row_an_application_holds_stops_on_sigint_and_sigterm() {
    let db = TestDb::empty().await;
    db.exec(&common::PRODUCTS_DDL).await;
    db.insert_products(50).await;
    db.capture(&["products"]).await;
    let mut app = db.pool.begin().await.unwrap();
    sqlx::query("UPDATE products SET name = 'newest' WHERE id = 5")
        .execute(&mut *app)
        .await
        .unwrap();
    let upserts = "SELECT COUNT(*) FROM certyo_queue WHERE op_type = 'upsert'";
    stops_on_both_signals(
        &["backfill", "--table", "products"],
        &db.url(),
        Duration::from_millis(2500),
        &["run the same command again to resume"],
    )
    .await;
    assert_eq!(
        db.scalar(upserts).await,
        98,
        "each run committed the 49 free rows; the chunk, never recorded, is repeated"
    );
    app.commit().await.unwrap();
    let done = common::process::run(
        common::process::command(&[
            "backfill",
            "--database-url",
            &db.url(),
            "--table",
            "products",
        ]),
        Duration::from_secs(60),
    );
    assert_eq!(done.code, 0, "{}{}", done.stdout, done.stderr);
    assert_eq!(db.scalar(upserts).await, 148);
    let last: String = sqlx::query_scalar(
        "SELECT JSON_UNQUOTE(JSON_EXTRACT(payload, '$.name')) FROM certyo_queue \
         WHERE record_id = '5' ORDER BY id DESC LIMIT 1",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(last, "newest");
    db.finish().await;
}

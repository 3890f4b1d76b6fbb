//! Write-back of delivered versions onto their source rows.
mod common;

use std::time::Instant;

use certyo_queue::migrate::{self, MigratePlan};
use certyo_queue::writeback::{write_back, Delivered};
use common::TestDb;

async fn captured_db(create: &str, table: &str) -> TestDb {
    let db = TestDb::new().await;
    db.exec(create).await;
    migrate::run(
        &db.pool,
        &MigratePlan {
            tables: vec![table.to_string()],
            ..MigratePlan::default()
        },
    )
    .await
    .unwrap();
    db
}

const PRODUCTS: &str =
    "CREATE TABLE products (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(50) NOT NULL, \
    updated_at TIMESTAMP(6) NOT NULL DEFAULT '2020-01-01 00:00:00' ON UPDATE CURRENT_TIMESTAMP(6))";

/// Queue rows of `table` as Delivered items with hash `h<record_id>`.
async fn delivered(db: &TestDb, table: &str) -> Vec<Delivered> {
    let rows: Vec<(i64, String)> = sqlx::query_as(
        "SELECT id, CAST(record_id AS CHAR) FROM certyo_queue WHERE table_name = ? ORDER BY id",
    )
    .bind(table)
    .fetch_all(&db.pool)
    .await
    .unwrap();
    rows.into_iter()
        .map(|(id, rid)| Delivered {
            queue_id: id,
            table: table.to_string(),
            record_hash: Some(format!("h{rid}")),
            payload_sha256: None,
            record_id: rid,
        })
        .collect()
}

#[tokio::test]
async fn write_back_marks_rows_pending_with_their_hash_and_enqueues_nothing() {
    let db = captured_db(PRODUCTS, "products").await;
    db.exec("INSERT INTO products (name) VALUES ('a'), ('b'), ('c')")
        .await;
    let items = delivered(&db, "products").await;
    assert_eq!(items.len(), 3);

    let report = write_back(&db.pool, &db.name, &items).await.unwrap();
    assert_eq!(report.updated, 3);
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM products WHERE certyo_anchor_status = 'Pending' AND certyo_record_hash = CONCAT('h', id) AND certyo_ingested_at IS NOT NULL AND certyo_verified_at IS NULL").await,
        3
    );
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM certyo_queue").await,
        3,
        "the write-back must not come back as a change"
    );
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM products WHERE updated_at = '2020-01-01 00:00:00'")
            .await,
        3,
        "the write-back leaves ON UPDATE timestamps alone"
    );

    // No pooled connection kept the marker: every one of them captures again.
    let mut conns = Vec::new();
    for _ in 0..16 {
        conns.push(db.pool.acquire().await.unwrap());
    }
    for conn in conns.iter_mut() {
        let marker: Option<i64> = sqlx::query_scalar("SELECT @certyo_queue_writeback")
            .fetch_one(&mut **conn)
            .await
            .unwrap();
        assert_eq!(marker, None, "the marker leaked into a pooled connection");
    }
    drop(conns);

    // A later business change clears the delivered state (BEFORE UPDATE trigger).
    db.exec("UPDATE products SET name = 'a2' WHERE id = 1")
        .await;
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM products WHERE id = 1 AND certyo_anchor_status IS NULL AND certyo_record_hash IS NULL AND certyo_ingested_at IS NULL").await,
        1
    );
    assert_eq!(db.scalar("SELECT COUNT(*) FROM certyo_queue").await, 4);
    db.finish().await;
}

#[tokio::test]
async fn a_late_write_back_never_overwrites_a_newer_version() {
    let db = captured_db(PRODUCTS, "products").await;
    db.exec("INSERT INTO products (name) VALUES ('v1')").await;
    db.exec("UPDATE products SET name = 'v2'").await;
    let items = delivered(&db, "products").await;
    let (first, second) = (items[0].clone(), items[1].clone());

    let report = write_back(&db.pool, &db.name, std::slice::from_ref(&first))
        .await
        .unwrap();
    assert_eq!((report.updated, report.skipped), (0, 1));
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM products WHERE certyo_anchor_status IS NULL")
            .await,
        1,
        "v1's write-back is skipped while v2 is queued"
    );

    let second = Delivered {
        record_hash: Some("hash-v2".into()),
        payload_sha256: None,
        ..second
    };
    write_back(&db.pool, &db.name, &[second]).await.unwrap();
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM products WHERE certyo_record_hash = 'hash-v2'")
            .await,
        1
    );

    // A dead newer event does not block the older version's write-back.
    db.exec("UPDATE products SET name = 'v3'").await;
    db.exec(
        "UPDATE certyo_queue SET dead_at = NOW(6), available_at = NULL ORDER BY id DESC LIMIT 1",
    )
    .await;
    let none_hash = Delivered {
        record_hash: None,
        payload_sha256: None,
        ..items[1].clone()
    };
    let report = write_back(&db.pool, &db.name, &[none_hash]).await.unwrap();
    assert_eq!(report.updated, 1);
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM products WHERE certyo_anchor_status = 'Pending' AND certyo_record_hash IS NULL").await,
        1,
        "no hash from the API writes NULL"
    );
    db.finish().await;
}

#[tokio::test]
async fn composite_keys_are_parsed_back_from_record_id() {
    let db = captured_db(
        "CREATE TABLE order_lines (region VARCHAR(8) NOT NULL, id INT NOT NULL, qty INT NOT NULL, PRIMARY KEY (region, id))",
        "order_lines",
    )
    .await;
    db.exec("INSERT INTO order_lines (region, id, qty) VALUES ('eu', 42, 1), ('us', 42, 2), ('eu', 7, 3)")
        .await;
    let items: Vec<Delivered> = delivered(&db, "order_lines")
        .await
        .into_iter()
        .filter(|d| d.record_id == r#"["eu", 42]"#)
        .collect();
    assert_eq!(items.len(), 1);
    let report = write_back(&db.pool, &db.name, &items).await.unwrap();
    assert_eq!(report.updated, 1);
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM order_lines WHERE certyo_anchor_status = 'Pending' AND region = 'eu' AND id = 42").await,
        1
    );
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM order_lines WHERE certyo_anchor_status IS NULL")
            .await,
        2
    );
    // Unknown tables and malformed ids are counted, not fatal.
    let odd = vec![
        Delivered {
            queue_id: 1,
            table: "gone".into(),
            record_id: "1".into(),
            record_hash: None,
            payload_sha256: None,
        },
        Delivered {
            queue_id: 1,
            table: "order_lines".into(),
            record_id: "eu,42".into(),
            record_hash: None,
            payload_sha256: None,
        },
    ];
    let report = write_back(&db.pool, &db.name, &odd).await.unwrap();
    assert_eq!(report.unknown, 2);
    db.finish().await;
}

/// Throughput figure (printed, not asserted): `cargo test --release --test writeback -- --nocapture throughput`.
#[tokio::test]
async fn write_back_throughput() {
    let db = captured_db(PRODUCTS, "products").await;
    let rows = 5_000;
    for chunk in 0..rows / 500 {
        let values: Vec<String> = (0..500).map(|i| format!("('p{chunk}-{i}')")).collect();
        db.exec(&format!(
            "INSERT INTO products (name) VALUES {}",
            values.join(", ")
        ))
        .await;
    }
    let items = delivered(&db, "products").await;
    let start = Instant::now();
    for batch in items.chunks(100) {
        write_back(&db.pool, &db.name, batch).await.unwrap();
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "write-back: {rows} rows in batches of 100: {:.2}s, {:.0} rows/s",
        secs,
        rows as f64 / secs
    );
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM products WHERE certyo_anchor_status = 'Pending'")
            .await,
        rows
    );
    db.finish().await;
}

/// Rows the application holds are never waited for: their write-back is kept and lands
/// once the application's transaction ends; a row the application changed meanwhile is
/// left to its newer version; a hash too long for the column fails only its own row.
#[tokio::test]
async fn held_rows_are_written_back_later_and_nothing_waits() {
    use sqlx::Connection;
    use std::time::Duration;

    let db = captured_db(PRODUCTS, "products").await;
    db.exec("INSERT INTO products (name) VALUES ('a'), ('b'), ('c'), ('d'), ('e')")
        .await;
    let mut items = delivered(&db, "products").await;
    items[4].record_hash = Some("x".repeat(200));

    // The application holds rows 1 and 2 in an open transaction.
    let mut app = db.pool.acquire().await.unwrap().detach();
    let mut tx = app.begin().await.unwrap();
    // One point lookup per row: on a table this small an IN list may be planned as a
    // scan that locks every row.
    for id in [1, 2] {
        sqlx::query("SELECT id FROM products WHERE id = ? FOR UPDATE")
            .bind(id)
            .fetch_all(&mut *tx)
            .await
            .unwrap();
    }

    let started = Instant::now();
    let report = write_back(&db.pool, &db.name, &items).await.unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "the write-back waited for the application: {:?}",
        started.elapsed()
    );
    assert_eq!((report.updated, report.deferred), (3, 2), "{report:?}");
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM certyo_writeback_due").await,
        2
    );
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM products WHERE id = 5 AND certyo_anchor_status = 'Pending' AND certyo_record_hash IS NULL").await,
        1,
        "an over-long hash is not written, its row is still marked"
    );
    let status = certyo_queue::ops::status::collect(&db.pool, &db.name, &[])
        .await
        .unwrap();
    assert_eq!(status.queue.writebacks_kept, 2);

    // Meanwhile the application changes row 2, then commits.
    sqlx::query("UPDATE products SET name = 'b2' WHERE id = 2")
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();

    // The kept write-backs' first retry is due within a second.
    tokio::time::sleep(Duration::from_millis(700)).await;
    let retried = certyo_queue::writeback::retry_due(&db.pool, &db.name)
        .await
        .unwrap();
    assert_eq!(
        (retried.updated, retried.skipped, retried.deferred),
        (1, 1, 0),
        "row 1 lands, row 2's newer version supersedes it: {retried:?}"
    );
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM certyo_writeback_due").await,
        0
    );
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM products WHERE id = 1 AND certyo_anchor_status = 'Pending' AND certyo_record_hash = 'h1'").await,
        1
    );
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM products WHERE id = 2 AND certyo_anchor_status IS NULL")
            .await,
        1,
        "the superseded version is not written onto the changed row"
    );
    db.finish().await;
}

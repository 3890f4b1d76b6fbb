//! Capture of real-world keys and schemas: BINARY(16) and composite binary keys through
//! write-back and backfill, primary-key updates, keys too wide for record_id, foreign-key
//! cascades that bypass triggers, large values anchored as a digest, and tables whose
//! columns capture cannot render.
mod common;

use std::time::Duration;

use certyo_queue::migrate::{self, MigratePlan};
use certyo_queue::ops::backfill::{self, BackfillConfig};
use certyo_queue::ops::status;
use certyo_queue::writeback::{self, Delivered};
use common::process::{command, run};
use common::TestDb;
use serde_json::Value;
use sha2::{Digest, Sha256};
use tokio_util::sync::CancellationToken;

fn capture(tables: &[&str]) -> MigratePlan {
    MigratePlan {
        tables: tables.iter().map(|t| t.to_string()).collect(),
        ..MigratePlan::default()
    }
}

/// (id, op_type, record_id, payload) of the queue rows of `table`, in order.
async fn queue(db: &TestDb, table: &str) -> Vec<(i64, String, String, Value)> {
    let rows: Vec<(i64, String, String, String)> = sqlx::query_as(
        "SELECT id, CAST(op_type AS CHAR), CAST(record_id AS CHAR), CAST(payload AS CHAR) FROM certyo_queue WHERE table_name = ? ORDER BY id",
    )
    .bind(table)
    .fetch_all(&db.pool)
    .await
    .unwrap();
    rows.into_iter()
        .map(|(id, op, r, p)| (id, op, r, serde_json::from_str(&p).unwrap()))
        .collect()
}

async fn backfill_all(db: &TestDb, table: &str) -> u64 {
    backfill::run(
        &db.pool,
        &db.name,
        table,
        &BackfillConfig {
            batch: 1,
            ..BackfillConfig::default()
        },
        &CancellationToken::new(),
        &mut |_| {},
    )
    .await
    .expect("backfill")
    .enqueued_now
}

#[tokio::test]
async fn binary_uuid_keys_are_hex_record_ids_that_write_back_and_backfill_find_again() {
    let db = TestDb::new().await;
    db.exec("CREATE TABLE docs (id BINARY(16) PRIMARY KEY, title VARCHAR(50) NOT NULL)")
        .await;
    db.exec("CREATE TABLE parts (tenant VARBINARY(4) NOT NULL, n INT NOT NULL, label VARCHAR(10), PRIMARY KEY (tenant, n))").await;
    migrate::run(&db.pool, &capture(&["docs", "parts"]))
        .await
        .unwrap();
    db.exec("INSERT INTO docs (id, title) VALUES (UNHEX('0F1E2D3C4B5A69788796A5B4C3D2E1F0'), 'a'), (UNHEX('00000000000000000000000000000001'), 'b')").await;
    db.exec("INSERT INTO parts (tenant, n, label) VALUES (X'0A0BFF00', 5, 'x'), (X'01', 2, 'y')")
        .await;

    let docs = queue(&db, "docs").await;
    assert_eq!(docs[0].2, "0f1e2d3c4b5a69788796a5b4c3d2e1f0");
    assert_eq!(
        docs[0].3["id"], "Dx4tPEtaaXiHlqW0w9Lh8A==",
        "payload keeps base64"
    );
    let parts = queue(&db, "parts").await;
    let key: Value = serde_json::from_str(&parts[0].2).unwrap();
    assert_eq!(key, serde_json::json!(["0a0bff00", 5]));

    // Write-back finds both rows by their hex record ids.
    let delivered: Vec<Delivered> = docs
        .iter()
        .chain(parts.iter().take(1))
        .map(|(id, _, record_id, _)| Delivered {
            queue_id: *id,
            table: if record_id.starts_with('[') {
                "parts".into()
            } else {
                "docs".into()
            },
            record_id: record_id.clone(),
            record_hash: Some(format!("h{id}")),
            payload_sha256: None,
        })
        .collect();
    let report = writeback::write_back(&db.pool, &db.name, &delivered)
        .await
        .expect("write-back");
    assert_eq!(report.updated, 3, "{report:?}");
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM docs WHERE certyo_anchor_status = 'Pending'")
            .await,
        2
    );
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM parts WHERE certyo_anchor_status = 'Pending' AND tenant = X'0A0BFF00'")
            .await,
        1
    );
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM certyo_queue").await,
        4,
        "write-back queued nothing"
    );

    // Backfill pages through binary keys (one row per chunk) with the same record ids.
    assert_eq!(backfill_all(&db, "docs").await, 2);
    assert_eq!(backfill_all(&db, "parts").await, 2);
    let mut trigger_ids: Vec<String> = docs.iter().chain(&parts).map(|r| r.2.clone()).collect();
    let mut backfill_ids: Vec<String> = queue(&db, "docs")
        .await
        .into_iter()
        .chain(queue(&db, "parts").await)
        .filter(|r| r.1 == "upsert")
        .map(|r| r.2)
        .collect();
    trigger_ids.sort();
    backfill_ids.sort();
    assert_eq!(backfill_ids, trigger_ids);
    db.finish().await;
}

#[tokio::test]
async fn a_primary_key_update_queues_a_delete_of_the_old_record_and_an_insert_of_the_new() {
    let db = TestDb::new().await;
    db.exec("CREATE TABLE country (country_id INT PRIMARY KEY, name VARCHAR(50) NOT NULL)")
        .await;
    migrate::run(&db.pool, &capture(&["country"]))
        .await
        .unwrap();
    db.exec("INSERT INTO country (country_id, name) VALUES (1, 'Afghanistan')")
        .await;
    db.exec("UPDATE country SET country_id = 1000 WHERE country_id = 1")
        .await;
    db.exec("UPDATE country SET name = 'Andorra' WHERE country_id = 1000")
        .await;
    let rows: Vec<(String, String, String)> = queue(&db, "country")
        .await
        .into_iter()
        .map(|(_, op, r, p)| (op, r, p["name"].as_str().unwrap_or("").to_string()))
        .collect();
    let expect =
        |op: &str, id: &str, name: &str| (op.to_string(), id.to_string(), name.to_string());
    assert_eq!(
        rows,
        vec![
            expect("insert", "1", "Afghanistan"),
            expect("delete", "1", "Afghanistan"),
            expect("insert", "1000", "Afghanistan"),
            expect("update", "1000", "Andorra"),
        ]
    );
    let payload = &queue(&db, "country").await[2].3;
    assert_eq!(payload["country_id"], 1000);
    db.finish().await;
}

#[tokio::test]
async fn keys_that_cannot_fit_or_identify_a_row_are_refused_naming_the_key() {
    let db = TestDb::new().await;
    db.exec(
        "CREATE TABLE wide (a VARCHAR(200) NOT NULL, b VARCHAR(100) NOT NULL, PRIMARY KEY (a, b))",
    )
    .await;
    db.exec("CREATE TABLE ok (k VARCHAR(255) PRIMARY KEY)")
        .await;
    let err = migrate::run(&db.pool, &capture(&["ok", "wide"]))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("table `wide`: its primary key (a, b) renders as up to 308 characters"),
        "{err}"
    );
    assert!(err.contains("255"), "{err}");
    assert_eq!(
        db.scalar(&format!(
            "SELECT COUNT(*) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = '{}'",
            db.name
        ))
        .await,
        0,
        "nothing changed, not even the table that fits"
    );

    // A key that stopped fitting after an ALTER: status is unhealthy and says why.
    migrate::run(&db.pool, &capture(&["ok"])).await.unwrap();
    db.exec("ALTER TABLE ok MODIFY k VARCHAR(300) NOT NULL")
        .await;
    let r = run(
        command(&["status", "--database-url", &db.url()]),
        Duration::from_secs(60),
    );
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout
            .contains("table `ok`: its capture triggers cannot render its current columns"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("up to 300 characters"), "{}", r.stdout);
    assert!(r.stdout.contains("unrenderable"), "{}", r.stdout);
    db.finish().await;
}

#[tokio::test]
async fn foreign_keys_that_cascade_into_a_captured_table_are_listed_by_migrate_and_status() {
    let db = TestDb::new().await;
    db.exec("CREATE TABLE customer (id INT PRIMARY KEY) ENGINE=InnoDB")
        .await;
    db.exec("CREATE TABLE orders (id INT PRIMARY KEY, customer_id INT NULL, note VARCHAR(10), \
             CONSTRAINT fk_order_customer FOREIGN KEY (customer_id) REFERENCES customer (id) ON DELETE CASCADE ON UPDATE SET NULL, \
             CONSTRAINT fk_plain FOREIGN KEY (id) REFERENCES customer (id)) ENGINE=InnoDB").await;
    let report = migrate::run(&db.pool, &capture(&["orders"])).await.unwrap();
    let cascades = &report.tables[0].cascades;
    assert_eq!(cascades.len(), 1, "{cascades:?}");
    assert_eq!(
        cascades[0].describe(),
        "`fk_order_customer` (ON UPDATE SET NULL, ON DELETE CASCADE from `customer`)"
    );
    let text = migrate::summary(&report);
    assert!(
        text.contains("warning: `orders`: foreign key `fk_order_customer` (ON UPDATE SET NULL, ON DELETE CASCADE from `customer`) changes its rows without firing triggers"),
        "{text}"
    );

    // The limitation itself: the cascade deletes the row, capture sees nothing.
    db.exec("INSERT INTO customer VALUES (1)").await;
    db.exec("INSERT INTO orders (id, customer_id, note) VALUES (1, 1, 'n')")
        .await;
    db.exec("DELETE FROM customer WHERE id = 1").await;
    assert_eq!(db.scalar("SELECT COUNT(*) FROM orders").await, 0);
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM certyo_queue WHERE op_type = 'delete'")
            .await,
        0
    );

    let s = status::collect(&db.pool, &db.name, &[]).await.unwrap();
    let t = s.tables.iter().find(|t| t.table == "orders").unwrap();
    assert_eq!(t.cascading_foreign_keys, vec![cascades[0].describe()]);
    assert!(
        s.healthy,
        "a known limitation, not a fault: {:?}",
        s.problems
    );
    assert!(
        status::render_text(&s).contains("note: `orders`: foreign key `fk_order_customer`"),
        "{}",
        status::render_text(&s)
    );
    db.finish().await;
}

#[tokio::test]
async fn a_20_mb_blob_with_the_digest_option_anchors_its_sha256_and_the_option_is_kept() {
    let db = TestDb::new().await;
    // A 20 MB value needs a packet larger than MariaDB's 16 MB default.
    let packet = db
        .scalar("SELECT CAST(@@GLOBAL.max_allowed_packet AS SIGNED)")
        .await;
    if packet < 64 * 1024 * 1024 {
        db.exec("SET GLOBAL max_allowed_packet = 67108864").await;
    }
    let pool = certyo_queue::db::connect(&db.cfg, 2).await.unwrap();
    db.exec(
        "CREATE TABLE staff (id INT PRIMARY KEY, name VARCHAR(20), picture LONGBLOB, bio LONGTEXT)",
    )
    .await;
    let plan = MigratePlan {
        digest: vec![
            ("staff".into(), "picture".into()),
            ("staff".into(), "bio".into()),
        ],
        ..MigratePlan::default()
    };
    let report = migrate::run(&pool, &plan).await.unwrap();
    assert_eq!(report.tables[0].digest_columns, vec!["picture", "bio"]);

    let picture: Vec<u8> = (0..20 * 1024 * 1024u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 24) as u8)
        .collect();
    sqlx::query("INSERT INTO staff (id, name, picture, bio) VALUES (1, 'Mike', ?, 'Grüße 😀')")
        .bind(&picture)
        .execute(&pool)
        .await
        .expect("the application's 20 MB insert succeeds");
    let hex = |b: &[u8]| -> String {
        Sha256::digest(b)
            .iter()
            .map(|x| format!("{x:02x}"))
            .collect()
    };
    let rows = queue(&db, "staff").await;
    assert_eq!(rows[0].3["picture"], hex(&picture));
    assert_eq!(rows[0].3["bio"], hex("Grüße 😀".as_bytes()));
    assert_eq!(rows[0].3["name"], "Mike");

    // A later migrate without the option keeps it; so do backfill and status.
    let again = migrate::run(&pool, &capture(&["staff"])).await.unwrap();
    assert!(!again.changed(), "{:?}", again.statements);
    assert_eq!(again.tables[0].digest_columns, vec!["picture", "bio"]);
    assert_eq!(backfill_all(&db, "staff").await, 1);
    let rows = queue(&db, "staff").await;
    assert_eq!(rows[1].1, "upsert");
    assert_eq!(rows[1].3, rows[0].3);
    let s = status::collect(&pool, &db.name, &[]).await.unwrap();
    assert!(s.healthy, "{:?}", s.problems);

    // And it can be turned off again.
    let off = MigratePlan {
        no_digest: vec![("staff".into(), "bio".into())],
        ..MigratePlan::default()
    };
    migrate::run(&pool, &off).await.unwrap();
    db.exec("UPDATE staff SET bio = 'short' WHERE id = 1").await;
    let rows = queue(&db, "staff").await;
    assert_eq!(rows[2].3["bio"], "short");
    assert_eq!(rows[2].3["picture"], hex(&picture));

    // Only text and binary columns can be digested.
    let bad = MigratePlan {
        digest: vec![("staff".into(), "id".into())],
        ..MigratePlan::default()
    };
    let err = migrate::run(&pool, &bad).await.unwrap_err().to_string();
    assert!(
        err.contains("--digest-column staff.id: `id` is int"),
        "{err}"
    );
    pool.close().await;
    if packet < 64 * 1024 * 1024 {
        db.exec(&format!("SET GLOBAL max_allowed_packet = {packet}"))
            .await;
    }
    db.finish().await;
}

#[tokio::test]
async fn a_type_capture_cannot_render_is_refused_naming_the_column_and_the_way_out() {
    let db = TestDb::new().await;
    let version: String = sqlx::query_scalar("SELECT VERSION()")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    if version.contains("MariaDB") {
        // MariaDB 10.x has no type outside the rendering table (VECTOR is MySQL 9's).
        db.finish().await;
        return;
    }
    db.exec("CREATE TABLE emb (id INT PRIMARY KEY, v VECTOR(3))")
        .await;
    let r = run(
        command(&["migrate", "--database-url", &db.url(), "--table", "emb"]),
        Duration::from_secs(60),
    );
    assert_ne!(r.code, 0);
    assert!(
        r.stderr.contains("table `emb`: column `v` has type vector(3), which capture cannot render; anchor a SHA-256 of its bytes instead with `migrate --digest-column emb.v`"),
        "{}",
        r.stderr
    );
    let r = run(
        command(&[
            "migrate",
            "--database-url",
            &db.url(),
            "--digest-column",
            "emb.v",
        ]),
        Duration::from_secs(60),
    );
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    db.exec("INSERT INTO emb (id, v) VALUES (1, STRING_TO_VECTOR('[1,2,3]'))")
        .await;
    let rows = queue(&db, "emb").await;
    assert_eq!(
        rows[0].3["v"],
        "8e628779e6a74ee0b36991c10158f63cafec7d340ad4e075592502c8708524dd"
    );
    db.finish().await;
}

#[tokio::test]
async fn a_binary_key_row_is_verified_as_anchored_through_its_hex_record_id() {
    use certyo_queue::certyo::{CertyoClient, Record};
    use certyo_queue::config::{ApiConfig, ApiKey};
    use certyo_queue::emulator::{self, EmulatorConfig};
    use certyo_queue::tasks::{Verifier, VerifyConfig};

    let db = TestDb::new().await;
    db.exec("CREATE TABLE docs (id BINARY(16) PRIMARY KEY, title VARCHAR(50) NOT NULL)")
        .await;
    migrate::run(&db.pool, &capture(&["docs"])).await.unwrap();
    db.exec("INSERT INTO docs (id, title) VALUES (UNHEX('0F1E2D3C4B5A69788796A5B4C3D2E1F0'), 'a')")
        .await;
    let (queue_id, _, record_id, payload) = queue(&db, "docs").await.remove(0);

    let emu = emulator::start(EmulatorConfig {
        anchor_delay: Duration::ZERO,
        ..EmulatorConfig::default()
    })
    .await
    .unwrap();
    let client = CertyoClient::new(
        ApiConfig {
            base_url: emu.url().parse().unwrap(),
            api_key: ApiKey::new(emulator::DEFAULT_API_KEY),
            tenant_id: emulator::DEFAULT_TENANT_ID.into(),
            database: db.name.clone(),
            request_timeout: Duration::from_secs(10),
        },
        None,
    )
    .unwrap();
    let ingested = client
        .ingest(&Record {
            tenant_id: emulator::DEFAULT_TENANT_ID.into(),
            database: db.name.clone(),
            collection: "docs".into(),
            record_id: record_id.clone(),
            record_payload: serde_json::value::RawValue::from_string(payload.to_string()).unwrap(),
            operation_type: "upsert".into(),
            source_timestamp: None,
            idempotency_key: format!("queue-{queue_id}"),
        })
        .await
        .unwrap();
    let wb = writeback::write_back(
        &db.pool,
        &db.name,
        &[Delivered {
            queue_id,
            table: "docs".into(),
            record_id,
            record_hash: ingested.record_hash,
            payload_sha256: None,
        }],
    )
    .await
    .unwrap();
    assert_eq!(wb.updated, 1);

    let verifier = Verifier::new(
        db.pool.clone(),
        client,
        db.name.clone(),
        VerifyConfig {
            verify_after: Duration::ZERO,
            ..VerifyConfig::default()
        },
    )
    .unwrap();
    let stop = CancellationToken::new();
    common::wait_until(Duration::from_secs(15), "the row anchored", || async {
        verifier.run_once(&stop).await.unwrap();
        db.scalar("SELECT COUNT(*) FROM docs WHERE certyo_anchor_status = 'Anchored'")
            .await
            == 1
    })
    .await;
    emu.stop().await;
    db.finish().await;
}

#[tokio::test]
async fn mariadb_uuid_and_inet_columns_render_as_their_text_and_a_uuid_key_writes_back() {
    let db = TestDb::new().await;
    let version: String = sqlx::query_scalar("SELECT VERSION()")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    if !version.contains("MariaDB") {
        // UUID, INET4 and INET6 are MariaDB types.
        db.finish().await;
        return;
    }
    db.exec("CREATE TABLE hosts (id UUID PRIMARY KEY, v6 INET6 NULL, v4 INET4 NULL)")
        .await;
    migrate::run(&db.pool, &capture(&["hosts"])).await.unwrap();
    db.exec("INSERT INTO hosts (id, v6, v4) VALUES ('123e4567-e89b-12d3-a456-426614174000', '2001:db8::1', '192.0.2.7')")
        .await;
    let (queue_id, _, record_id, payload) = queue(&db, "hosts").await.remove(0);
    assert_eq!(record_id, "123e4567-e89b-12d3-a456-426614174000");
    assert_eq!(
        payload,
        serde_json::json!({"id": "123e4567-e89b-12d3-a456-426614174000", "v6": "2001:db8::1", "v4": "192.0.2.7"})
    );
    let wb = writeback::write_back(
        &db.pool,
        &db.name,
        &[Delivered {
            queue_id,
            table: "hosts".into(),
            record_id,
            record_hash: None,
            payload_sha256: None,
        }],
    )
    .await
    .unwrap();
    assert_eq!(wb.updated, 1);
    db.finish().await;
}

/// record_id, certyo_error, body length, JSON type of raw, raw length.
type NoteRow = (
    String,
    Option<String>,
    Option<i64>,
    Option<String>,
    Option<i64>,
);

#[tokio::test]
async fn values_past_max_allowed_packet_never_fail_the_applications_statement() {
    let db = TestDb::new().await;
    db.exec("CREATE TABLE notes (id INT PRIMARY KEY, body LONGTEXT, raw LONGBLOB)")
        .await;
    migrate::run(&db.pool, &capture(&["notes"])).await.unwrap();
    // One connection: its session limit is the one the triggers meet (a session takes the
    // global value when it connects, and another test raises the global for a while).
    let mut conn = db.pool.acquire().await.unwrap();
    let packet: i64 = sqlx::query_scalar("SELECT CAST(@@SESSION.max_allowed_packet AS SIGNED)")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    let packet = packet as usize;
    // Text whose JSON escaping doubles it past the limit, and bytes whose base64 passes
    // it, each sent well within the limit.
    let quotes = "\"".repeat(packet * 6 / 10);
    let bytes = vec![0xffu8; packet * 8 / 10];
    sqlx::query("INSERT INTO notes (id, body) VALUES (1, ?)")
        .bind(&quotes)
        .execute(&mut *conn)
        .await
        .expect("the application's insert of a large text succeeds");
    sqlx::query("INSERT INTO notes (id, raw) VALUES (2, ?)")
        .bind(&bytes)
        .execute(&mut *conn)
        .await
        .expect("the application's insert of a large blob succeeds");
    drop(conn);
    // Read on the server: the payloads are too large to fetch or sort comfortably.
    let mut rows: Vec<NoteRow> = sqlx::query_as(
        "SELECT CAST(record_id AS CHAR),
                    CAST(JSON_UNQUOTE(JSON_EXTRACT(payload, '$.certyo_error')) AS CHAR),
                    CAST(LENGTH(JSON_UNQUOTE(JSON_EXTRACT(payload, '$.body'))) AS SIGNED),
                    CAST(JSON_TYPE(JSON_EXTRACT(payload, '$.raw')) AS CHAR),
                    CAST(LENGTH(JSON_UNQUOTE(JSON_EXTRACT(payload, '$.raw'))) AS SIGNED)
             FROM certyo_queue WHERE table_name = 'notes'",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    rows.sort();
    assert_eq!(rows.len(), 2, "both writes queued");
    let version: String = sqlx::query_scalar("SELECT VERSION()")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    if version.contains("MariaDB") {
        assert!(
            rows[0].1.is_some(),
            "MariaDB: the error object {:?}",
            rows[0]
        );
        assert_eq!(
            rows[1].3.as_deref(),
            Some("NULL"),
            "MariaDB: null {:?}",
            rows[1]
        );
    } else {
        assert_eq!(rows[0].2, Some(quotes.len() as i64), "MySQL builds it");
    }
    // Where the server refuses to build the value (MariaDB's limit on JSON_OBJECT and
    // TO_BASE64 results), the row is still queued: the whole payload as an error
    // object, a single binary value as null. Where it builds it, it is complete.
    let (_, error, body_len, _, _) = &rows[0];
    assert!(
        *body_len == Some(quotes.len() as i64)
            || error
                .as_deref()
                .is_some_and(|e| e.contains("max_allowed_packet")),
        "{:?}",
        rows[0]
    );
    let (_, _, _, raw_type, raw_len) = &rows[1];
    assert!(
        raw_type.as_deref() == Some("NULL")
            || *raw_len == Some((bytes.len().div_ceil(3) * 4) as i64),
        "{:?}",
        rows[1]
    );
    db.finish().await;
}

#[tokio::test]
async fn a_composite_key_with_a_wide_decimal_part_keeps_its_digits_and_writes_back() {
    let db = TestDb::new().await;
    db.exec("CREATE TABLE prices (region CHAR(2) NOT NULL, amount DECIMAL(30,10) NOT NULL, n INT NOT NULL, PRIMARY KEY (region, amount, n))").await;
    migrate::run(&db.pool, &capture(&["prices"])).await.unwrap();
    db.exec(
        "INSERT INTO prices (region, amount, n) VALUES ('eu', 12345678901234567890.1234567891, 7)",
    )
    .await;
    let (queue_id, _, record_id, _) = queue(&db, "prices").await.remove(0);
    let key: Value = serde_json::from_str(&record_id).unwrap();
    assert_eq!(
        key,
        serde_json::json!(["eu", "12345678901234567890.1234567891", 7])
    );
    let wb = writeback::write_back(
        &db.pool,
        &db.name,
        &[Delivered {
            queue_id,
            table: "prices".into(),
            record_id,
            record_hash: None,
            payload_sha256: None,
        }],
    )
    .await
    .unwrap();
    assert_eq!(wb.updated, 1, "found by its exact key");
    db.finish().await;
}

#[tokio::test]
async fn a_key_whose_json_escaping_passes_record_id_still_never_fails_the_write() {
    let db = TestDb::new().await;
    // Accepted: at most 2 + 122 + 122 + 2 = 248 characters unescaped.
    db.exec(
        "CREATE TABLE pairs (a VARCHAR(120) NOT NULL, b VARCHAR(120) NOT NULL, PRIMARY KEY (a, b))",
    )
    .await;
    migrate::run(&db.pool, &capture(&["pairs"])).await.unwrap();
    // Quotes double under JSON escaping: ~490 characters. The writer's session is strict.
    let quotes = "\"".repeat(120);
    let mut conn = db.pool.acquire().await.unwrap();
    sqlx::raw_sql("SET SESSION sql_mode = 'STRICT_ALL_TABLES'")
        .execute(&mut *conn)
        .await
        .unwrap();
    sqlx::query("INSERT INTO pairs (a, b) VALUES (?, ?)")
        .bind(&quotes)
        .bind(&quotes)
        .execute(&mut *conn)
        .await
        .expect("the application's insert succeeds");
    drop(conn.detach());
    let ids: Vec<String> = sqlx::query_scalar("SELECT CAST(record_id AS CHAR) FROM certyo_queue")
        .fetch_all(&db.pool)
        .await
        .unwrap();
    assert_eq!(ids.len(), 1);
    assert_eq!(ids[0].chars().count(), 255, "cut to record_id's width");
    db.finish().await;
}

//! `certyo-queue status`: the binary against a real database in each state, text and
//! JSON, with the exit code a script would check (0 healthy, 2 attention, 1 error).
mod common;

use std::time::Duration;

use common::process::{command, run, Output as Run};

use common::TestDb;
use serde_json::Value;

fn status(db: &TestDb, extra: &[&str]) -> Run {
    status_at(&db.url(), extra)
}

fn status_at(url: &str, extra: &[&str]) -> Run {
    let mut args = vec!["status", "--database-url", url];
    args.extend_from_slice(extra);
    run(command(&args), Duration::from_secs(60))
}

fn json(db: &TestDb, extra: &[&str]) -> (i32, Value) {
    let mut args = vec!["--json"];
    args.extend_from_slice(extra);
    let r = status(db, &args);
    let v: Value = serde_json::from_str(&r.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", r.stdout, r.stderr));
    (r.code, v)
}

fn table<'a>(v: &'a Value, name: &str) -> &'a Value {
    v["tables"]
        .as_array()
        .and_then(|t| t.iter().find(|t| t["table"] == name))
        .unwrap_or_else(|| panic!("table {name} in {v:#}"))
}

#[tokio::test]
async fn an_idle_installation_is_healthy_in_text_and_json() {
    let db = TestDb::with_products().await;

    let r = status(&db, &[]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("healthy"), "{}", r.stdout);
    let line = r
        .stdout
        .lines()
        .find(|l| l.starts_with("products"))
        .unwrap_or_else(|| panic!("a products line in {}", r.stdout));
    assert!(line.contains("current"), "{line}");
    assert!(!r.stdout.contains("problems"), "{}", r.stdout);

    let (code, v) = json(&db, &[]);
    assert_eq!(code, 0);
    assert_eq!(v["healthy"], true);
    assert_eq!(v["database"], db.name.as_str());
    assert_eq!(v["queue"]["pending"], 0);
    assert_eq!(v["queue"]["dead"], 0);
    assert!(v["queue"]["oldest_pending_age_seconds"].is_null());
    assert_eq!(v["problems"], serde_json::json!([]));
    let p = table(&v, "products");
    assert_eq!(p["triggers"], "current");
    assert_eq!(p["anchor"]["anchored"], 0);
    db.finish().await;
}

#[tokio::test]
async fn pending_in_flight_retrying_delivered_and_anchoring_are_counted() {
    let db = TestDb::with_products().await;
    db.insert_products(6).await;
    // Queue rows in id order: 1 leased, 2 waiting out a retry delay, 3 delivered 2 h ago,
    // 4 delivered now, 5 and 6 pending.
    let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM certyo_queue ORDER BY id")
        .fetch_all(&db.pool)
        .await
        .unwrap();
    db.exec(&format!("UPDATE certyo_queue SET lease_owner = 'w1', attempts = 1, available_at = NOW(6) + INTERVAL 1 MINUTE WHERE id = {}", ids[0])).await;
    db.exec(&format!(
        "UPDATE certyo_queue SET attempts = 2, last_error = 'HTTP 503', available_at = NOW(6) + INTERVAL 1 MINUTE WHERE id = {}",
        ids[1]
    ))
    .await;
    db.exec(&format!("UPDATE certyo_queue SET processed = 1, available_at = NOW(6) - INTERVAL 2 HOUR, delivered_at = NOW(6) - INTERVAL 2 HOUR WHERE id = {}", ids[2])).await;
    db.exec(&format!("UPDATE certyo_queue SET processed = 1, available_at = NOW(6), delivered_at = NOW(6) WHERE id = {}", ids[3])).await;
    db.exec("UPDATE certyo_queue SET created_at = NOW(6) - INTERVAL 2 HOUR")
        .await;
    db.exec("UPDATE products SET certyo_anchor_status = 'Pending' WHERE id IN (1, 2)")
        .await;
    db.exec("UPDATE products SET certyo_anchor_status = 'Anchored' WHERE id = 3")
        .await;
    db.exec("UPDATE products SET certyo_anchor_status = 'Failed' WHERE id = 4")
        .await;
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM certyo_queue").await,
        6,
        "tracking-column updates enqueue nothing"
    );

    // Rows two hours old: within a --max-pending-age of 3h, pending work is no problem.
    let (code, v) = json(&db, &["--max-pending-age", "3h"]);
    assert_eq!(code, 0, "pending work is not a problem: {v:#}");
    let q = &v["queue"];
    assert_eq!(q["pending"], 3, "{q}");
    assert_eq!(q["in_flight"], 1, "{q}");
    assert_eq!(q["retrying"], 1, "{q}");
    assert_eq!(q["dead"], 0, "{q}");
    assert_eq!(q["delivered_last_1h"], 1, "{q}");
    assert_eq!(q["delivered_last_24h"], 2, "{q}");
    let age = q["oldest_pending_age_seconds"].as_f64().unwrap();
    assert!((7199.0..7800.0).contains(&age), "{age}");
    let p = table(&v, "products");
    assert_eq!(p["queue"]["in_flight"], 1);
    assert_eq!(p["queue"]["retrying"], 1);
    assert_eq!(p["anchor"]["pending"], 2);
    assert_eq!(p["anchor"]["anchored"], 1);
    assert_eq!(p["anchor"]["failed"], 1);

    let r = status(&db, &["--max-pending-age", "3h"]);
    assert_eq!(r.code, 0);
    assert!(r.stdout.contains("in flight"), "{}", r.stdout);
    assert!(
        r.stdout
            .lines()
            .any(|l| l.contains("oldest pending") && l.contains("2h")),
        "oldest pending age: {}",
        r.stdout
    );
    db.finish().await;
}

#[tokio::test]
async fn dead_letters_need_attention_exit_2() {
    let db = TestDb::with_products().await;
    db.insert_products(2).await;
    db.exec("UPDATE certyo_queue SET dead_at = NOW(6), available_at = NULL, last_error = 'HTTP 400' ORDER BY id LIMIT 1").await;

    let r = status(&db, &[]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("needs attention"), "{}", r.stdout);
    assert!(r.stdout.contains("1 dead letter"), "{}", r.stdout);

    let (code, v) = json(&db, &[]);
    assert_eq!(code, 2);
    assert_eq!(v["healthy"], false);
    assert_eq!(v["queue"]["dead"], 1);
    assert_eq!(v["queue"]["pending"], 1);
    assert_eq!(table(&v, "products")["queue"]["dead"], 1);
    assert!(v["problems"][0].as_str().unwrap().contains("dead list"));
    db.finish().await;
}

#[tokio::test]
async fn drifted_triggers_need_attention_exit_2() {
    let db = TestDb::with_products().await;
    db.exec("ALTER TABLE products ADD COLUMN color VARCHAR(20) NULL")
        .await;

    let r = status(&db, &[]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("drifted"), "{}", r.stdout);
    assert!(
        r.stdout.contains("certyo-queue migrate --table products"),
        "{}",
        r.stdout
    );

    let (code, v) = json(&db, &[]);
    assert_eq!(code, 2);
    assert_eq!(table(&v, "products")["triggers"], "drifted");

    db.capture(&["products"]).await;
    assert_eq!(status(&db, &[]).code, 0, "migrate again fixes it");
    db.finish().await;
}

#[tokio::test]
async fn a_dropped_trigger_is_missing_exit_2() {
    let db = TestDb::with_products().await;
    db.exec("DROP TRIGGER certyo_products_au").await;

    let r = status(&db, &[]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("missing"), "{}", r.stdout);
    assert!(r.stdout.contains("certyo_products_au"), "{}", r.stdout);

    let (code, v) = json(&db, &[]);
    assert_eq!(code, 2);
    let p = table(&v, "products");
    assert_eq!(p["triggers"], "missing");
    assert_eq!(
        p["missing_triggers"],
        serde_json::json!(["certyo_products_au"])
    );
    db.finish().await;
}

#[tokio::test]
async fn named_tables_uncaptured_and_unknown() {
    let db = TestDb::with_products().await;
    db.exec("CREATE TABLE orders (id INT PRIMARY KEY)").await;

    let (code, v) = json(&db, &["--table", "orders"]);
    assert_eq!(
        code, 2,
        "a table named with --table must be captured: {v:#}"
    );
    assert_eq!(table(&v, "orders")["triggers"], "not_captured");
    assert_eq!(
        v["tables"].as_array().unwrap().len(),
        1,
        "only the named table"
    );

    let (code, v) = json(&db, &["--table", "products"]);
    assert_eq!(code, 0, "{v:#}");

    let r = status(&db, &["--table", "nope"]);
    assert_eq!(r.code, 1);
    let errors: Vec<&str> = r
        .stderr
        .lines()
        .filter(|l| l.starts_with("error:"))
        .collect();
    assert_eq!(errors.len(), 1, "{}", r.stderr);
    assert!(errors[0].contains("`nope` does not exist"), "{}", r.stderr);

    // Uncaptured on purpose: listed (tracking columns remain), not a problem.
    let plan = certyo_queue::migrate::MigratePlan {
        uncapture: vec!["products".into()],
        ..Default::default()
    };
    certyo_queue::migrate::run(&db.pool, &plan).await.unwrap();
    let (code, v) = json(&db, &[]);
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(table(&v, "products")["triggers"], "not_captured");
    db.finish().await;
}

#[tokio::test]
async fn an_unreachable_database_is_one_error_line_exit_1() {
    let r = status_at("mysql://u:topsecret@127.0.0.1:1/shop", &[]);
    assert_eq!(r.code, 1);
    let errors: Vec<&str> = r
        .stderr
        .lines()
        .filter(|l| l.starts_with("error:"))
        .collect();
    assert_eq!(errors.len(), 1, "{}", r.stderr);
    assert!(errors[0].contains("cannot connect"), "{}", r.stderr);
    assert!(!r.stderr.contains("topsecret"));
    assert!(r.stdout.is_empty());
}

#[tokio::test]
async fn a_database_without_the_queue_says_to_migrate() {
    let db = TestDb::empty().await;
    let r = status(&db, &[]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("run `certyo-queue migrate` first"),
        "{}",
        r.stderr
    );
    db.finish().await;
}

#[tokio::test]
async fn a_change_undelivered_past_max_pending_age_needs_attention_exit_2() {
    let db = TestDb::with_products().await;
    db.insert_products(2).await;
    let r = status(&db, &[]);
    assert_eq!(
        r.code, 0,
        "fresh changes are fine: {}{}",
        r.stdout, r.stderr
    );
    db.exec("UPDATE certyo_queue SET created_at = NOW(6) - INTERVAL 2 HOUR")
        .await;
    let r = status(&db, &[]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("oldest undelivered change"),
        "{}",
        r.stdout
    );
    let r = status(&db, &["--max-pending-age", "3h"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    db.finish().await;
}

//! Hot records: many events for few records. Each record's events must reach the API in
//! queue-id order, one at a time, none lost, and a record's next event must go out as
//! soon as the previous one is settled (handed over by the settling transaction), not
//! after its park time (a park per event would take many minutes here).
mod common;

use certyo_queue::emulator::{self, EmulatorConfig, EmulatorHandle};
use certyo_queue::queue::BLOCKED_DEFER;
use common::{api_config, wait_until, worker_config, RunningWorker, TestDb};

/// Every record's versions arrived in queue-id order, each version once per key, and
/// every queue row's key arrived.
async fn assert_in_order_and_complete(db: &TestDb, emu: &EmulatorHandle, hot: &[i64], each: usize) {
    let seen = emu.inspect();
    assert_eq!(
        seen.keys_received(),
        db.queue_keys().await,
        "some rows never reached the API"
    );
    assert_eq!(
        seen.max_in_flight_overall(),
        1,
        "two requests for one record were in flight at once"
    );
    for id in hot {
        let rec = seen
            .record("products", &id.to_string())
            .unwrap_or_else(|| panic!("record {id} never arrived"));
        let ids: Vec<i64> = rec
            .keys()
            .iter()
            .map(|k| k.trim_start_matches("queue-").parse().unwrap())
            .collect();
        let mut sorted = ids.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(
            ids, sorted,
            "record {id}'s events arrived out of queue order"
        );
        assert_eq!(
            ids.len(),
            each + 1,
            "record {id}: insert plus {each} updates"
        );
    }
    // The source rows say Pending: their newest version was written back.
    let pending = db
        .scalar(&format!(
            "SELECT COUNT(*) FROM products WHERE certyo_anchor_status = 'Pending' AND id IN ({})",
            hot.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
        ))
        .await;
    assert_eq!(pending, hot.len() as i64, "hot rows not written back");
}

#[tokio::test]
async fn a_backlog_of_updates_to_five_rows_drains_in_order_without_waiting_out_parks() {
    let db = TestDb::with_products().await;
    let emu = emulator::start(EmulatorConfig::default())
        .await
        .expect("emulator");
    db.insert_products(5).await;
    let hot: Vec<i64> = (1..=5).collect();
    let each = 200;
    for i in 0..each {
        db.exec(&format!("UPDATE products SET price = {i}.25 WHERE id <= 5"))
            .await;
    }
    let w = RunningWorker::start(
        &db,
        api_config(&emu.url(), &db.name),
        None,
        worker_config(8),
    );
    // Waiting out a park per event would take each * BLOCKED_DEFER; handed over, seconds.
    let budget = BLOCKED_DEFER * (each as u32) / 8;
    wait_until(budget, "hot backlog drained", || async {
        db.pending().await == 0
    })
    .await;
    let handed = w
        .delivery
        .stats
        .handed_over
        .load(std::sync::atomic::Ordering::Relaxed);
    w.stop().await;
    assert!(
        handed > 0,
        "no event was handed over by its predecessor's settle"
    );
    assert_in_order_and_complete(&db, &emu, &hot, each).await;
    emu.stop().await;
    db.finish().await;
}

#[tokio::test]
async fn updates_arriving_while_three_rows_are_hot_keep_order_across_workers() {
    let db = TestDb::with_products().await;
    let emu = emulator::start(EmulatorConfig::default())
        .await
        .expect("emulator");
    db.insert_products(50).await;
    let w = RunningWorker::start(
        &db,
        api_config(&emu.url(), &db.name),
        None,
        worker_config(8),
    );
    let each = 150;
    let writer = {
        let pool = db.pool.clone();
        tokio::spawn(async move {
            for i in 0..each {
                for id in 1..=3 {
                    sqlx::query("UPDATE products SET price = ? WHERE id = ?")
                        .bind(i as f64 + 0.25)
                        .bind(id)
                        .execute(&pool)
                        .await
                        .expect("application update");
                }
                // Some cold traffic alongside.
                sqlx::query("UPDATE products SET price = price + 1 WHERE id = ?")
                    .bind(4 + (i % 46) as i64)
                    .execute(&pool)
                    .await
                    .expect("application update");
            }
        })
    };
    writer.await.expect("writer");
    let budget = BLOCKED_DEFER * (each as u32) / 8;
    wait_until(budget, "hot rows drained", || async {
        db.pending().await == 0
    })
    .await;
    w.stop().await;
    assert_eq!(db.dead().await, 0);
    assert_in_order_and_complete(&db, &emu, &[1, 2, 3], each).await;
    emu.stop().await;
    db.finish().await;
}

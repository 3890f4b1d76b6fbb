//! The queue's claim/complete/retry/release/bury rules, against a real MariaDB.
mod common;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use certyo_queue::queue;
use common::TestDb;

const LEASE: Duration = Duration::from_secs(60);

async fn enqueue(db: &TestDb, table: &str, record: &str, n: usize) {
    for i in 0..n {
        sqlx::query(
            "INSERT INTO certyo_queue (table_name, record_id, op_type, payload) VALUES (?, ?, 'update', ?)",
        )
        .bind(table)
        .bind(record)
        .bind(format!("{{\"v\": {i}}}"))
        .execute(&db.pool)
        .await
        .unwrap();
    }
}

fn ids(rows: &[queue::QueueRow]) -> Vec<(String, String)> {
    let mut v: Vec<_> = rows
        .iter()
        .map(|r| (r.record_id.clone(), r.payload.clone().unwrap()))
        .collect();
    v.sort();
    v
}

#[tokio::test]
async fn a_claim_takes_only_the_earliest_unfinished_event_of_each_record() {
    let db = TestDb::new().await;
    enqueue(&db, "products", "A", 3).await;
    enqueue(&db, "products", "B", 2).await;

    let first = queue::claim(&db.pool, "w1", 10, LEASE, 20).await.unwrap();
    assert_eq!(
        ids(&first.rows),
        vec![
            ("A".into(), "{\"v\": 0}".into()),
            ("B".into(), "{\"v\": 0}".into())
        ]
    );
    assert_eq!(first.blocked, 3);

    // Nothing more while the first events are in flight, even for another claimer.
    tokio::time::sleep(queue::BLOCKED_DEFER * 2).await;
    assert!(queue::claim(&db.pool, "w2", 10, LEASE, 20)
        .await
        .unwrap()
        .rows
        .is_empty());

    let done: Vec<i64> = first.rows.iter().map(|r| r.id).collect();
    assert_eq!(queue::complete(&db.pool, &done, "w1").await.unwrap(), 2);
    tokio::time::sleep(queue::BLOCKED_DEFER * 2).await;
    let second = queue::claim(&db.pool, "w2", 10, LEASE, 20).await.unwrap();
    assert_eq!(
        ids(&second.rows),
        vec![
            ("A".into(), "{\"v\": 1}".into()),
            ("B".into(), "{\"v\": 1}".into())
        ]
    );
    db.finish().await;
}

#[tokio::test]
async fn only_the_lease_holder_can_complete_and_an_expired_lease_is_claimed_again() {
    let db = TestDb::new().await;
    enqueue(&db, "t", "1", 1).await;
    let c1 = queue::claim(&db.pool, "old", 10, Duration::from_secs(1), 20)
        .await
        .unwrap();
    assert_eq!(c1.rows.len(), 1);
    assert_eq!(c1.rows[0].attempts, 0);
    assert!(
        queue::claim(&db.pool, "new", 10, LEASE, 20)
            .await
            .unwrap()
            .rows
            .is_empty(),
        "leased row claimed twice"
    );

    tokio::time::sleep(Duration::from_millis(1100)).await;
    let c2 = queue::claim(&db.pool, "new", 10, LEASE, 20).await.unwrap();
    assert_eq!(c2.rows.len(), 1, "expired lease did not return the row");
    assert_eq!(c2.rows[0].attempts, 1, "the expired attempt counts");
    let id = c2.rows[0].id;
    assert_eq!(
        queue::complete(&db.pool, &[id], "old").await.unwrap(),
        0,
        "stale holder completed a row"
    );
    assert_eq!(queue::complete(&db.pool, &[id], "new").await.unwrap(), 1);
    assert_eq!(
        queue::complete(&db.pool, &[id], "new").await.unwrap(),
        0,
        "second complete must be a no-op"
    );
    assert_eq!(
        db.scalar(
            "SELECT COUNT(*) FROM certyo_queue WHERE processed = 1 AND delivered_at IS NOT NULL"
        )
        .await,
        1
    );
    db.finish().await;
}

#[tokio::test]
async fn a_dead_letter_does_not_block_the_events_after_it() {
    let db = TestDb::new().await;
    enqueue(&db, "t", "1", 2).await;
    let c = queue::claim(&db.pool, "w", 10, LEASE, 20).await.unwrap();
    assert_eq!(
        queue::bury(&db.pool, c.rows[0].id, "w", "bad row")
            .await
            .unwrap(),
        1
    );
    tokio::time::sleep(queue::BLOCKED_DEFER * 2).await;
    let next = queue::claim(&db.pool, "w", 10, LEASE, 20).await.unwrap();
    assert_eq!(next.rows.len(), 1);
    assert_eq!(next.rows[0].payload.as_deref(), Some("{\"v\": 1}"));
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM certyo_queue WHERE dead_at IS NOT NULL AND last_error = 'bad row'")
            .await,
        1
    );
    db.finish().await;
}

#[tokio::test]
async fn release_hands_rows_back_without_counting_the_attempt_and_retry_waits() {
    let db = TestDb::new().await;
    enqueue(&db, "t", "1", 1).await;
    enqueue(&db, "t", "2", 1).await;
    let c = queue::claim(&db.pool, "w", 10, LEASE, 20).await.unwrap();
    let (a, b) = (c.rows[0].id, c.rows[1].id);
    queue::release(&db.pool, &[a], "w", Duration::ZERO)
        .await
        .unwrap();
    queue::retry(&db.pool, &[(b, "500 boom")], "w", Duration::from_secs(30))
        .await
        .unwrap();
    let again = queue::claim(&db.pool, "w2", 10, LEASE, 20).await.unwrap();
    assert_eq!(
        again
            .rows
            .iter()
            .map(|r| (r.id, r.attempts))
            .collect::<Vec<_>>(),
        vec![(a, 0)]
    );
    assert_eq!(
        db.scalar(&format!(
            "SELECT CAST(attempts AS SIGNED) FROM certyo_queue WHERE id = {b}"
        ))
        .await,
        1
    );
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM certyo_queue WHERE last_error = '500 boom'")
            .await,
        1
    );
    db.finish().await;
}

/// One retry statement for rows that failed differently keeps each row's own error,
/// and changes nothing of a row whose lease this claim no longer holds.
#[tokio::test]
async fn a_grouped_retry_keeps_each_rows_own_error_and_spares_rows_leased_again() {
    let db = TestDb::new().await;
    for r in ["1", "2", "3"] {
        enqueue(&db, "t", r, 1).await;
    }
    let c = queue::claim(&db.pool, "w", 10, LEASE, 20).await.unwrap();
    let ids: Vec<i64> = c.rows.iter().map(|r| r.id).collect();
    assert_eq!(ids.len(), 3);
    // The third row's lease expired and another worker holds it now.
    db.exec(&format!(
        "UPDATE certyo_queue SET lease_owner = 'w2' WHERE id = {}",
        ids[2]
    ))
    .await;
    let changed = queue::retry(
        &db.pool,
        &[
            (ids[0], "item 1: 503 busy"),
            (ids[1], "item 2: timed out"),
            (ids[2], "item 3: 500"),
        ],
        "w",
        Duration::from_secs(30),
    )
    .await
    .unwrap();
    assert_eq!(
        changed, 2,
        "the row leased again is not this claim's to retry"
    );
    for (id, error) in [(ids[0], "item 1: 503 busy"), (ids[1], "item 2: timed out")] {
        assert_eq!(
            db.scalar(&format!(
                "SELECT COUNT(*) FROM certyo_queue WHERE id = {id} AND last_error = '{error}' AND lease_owner IS NULL"
            ))
            .await,
            1,
            "row {id} keeps its own error"
        );
    }
    assert_eq!(
        db.scalar(&format!(
            "SELECT COUNT(*) FROM certyo_queue WHERE id = {} AND last_error IS NULL AND lease_owner = 'w2'",
            ids[2]
        ))
        .await,
        1
    );
    // The same for a 429 hand-back, which also gives the attempt back.
    let c = queue::claim(&db.pool, "w3", 10, LEASE, 20).await;
    assert!(
        c.unwrap().rows.is_empty(),
        "the retried rows wait out their backoff"
    );
    db.exec(
        "UPDATE certyo_queue SET available_at = NOW(6) - INTERVAL 1 SECOND, lease_owner = NULL",
    )
    .await;
    let c = queue::claim(&db.pool, "w3", 10, LEASE, 20).await.unwrap();
    let rows: Vec<(i64, String)> = c
        .rows
        .iter()
        .map(|r| (r.id, format!("429 for {}", r.record_id)))
        .collect();
    let refs: Vec<(i64, &str)> = rows.iter().map(|(id, e)| (*id, e.as_str())).collect();
    let changed = queue::throttle(&db.pool, &refs, "w3", Duration::from_secs(30))
        .await
        .unwrap();
    assert_eq!(changed, 3);
    for r in ["1", "2", "3"] {
        assert_eq!(
            db.scalar(&format!(
                "SELECT COUNT(*) FROM certyo_queue WHERE record_id = '{r}' AND last_error = '429 for {r}'"
            ))
            .await,
            1
        );
    }
    db.finish().await;
}

#[tokio::test]
async fn rows_whose_attempts_ran_out_by_expired_leases_come_back_as_exhausted() {
    let db = TestDb::new().await;
    enqueue(&db, "t", "1", 1).await;
    db.exec("UPDATE certyo_queue SET attempts = 3").await;
    let c = queue::claim(&db.pool, "w", 10, LEASE, 3).await.unwrap();
    assert!(c.rows.is_empty());
    assert_eq!(c.exhausted.len(), 1);
    db.finish().await;
}

#[tokio::test]
async fn concurrent_claimers_never_get_the_same_row() {
    let db = TestDb::new().await;
    let mut values = Vec::new();
    for i in 0..3000 {
        values.push(format!("('t', '{i}', 'insert', '{{}}')"));
    }
    db.exec(&format!(
        "INSERT INTO certyo_queue (table_name, record_id, op_type, payload) VALUES {}",
        values.join(",")
    ))
    .await;

    let seen = Arc::new(tokio::sync::Mutex::new(HashMap::<i64, u32>::new()));
    let mut tasks = Vec::new();
    for w in 0..8 {
        let pool = db.pool.clone();
        let seen = seen.clone();
        tasks.push(tokio::spawn(async move {
            let mut empty = 0;
            let mut n = 0u64;
            while empty < 3 {
                n += 1;
                let owner = format!("w{w}/{n}");
                let c = match queue::claim(&pool, &owner, 50, LEASE, 20).await {
                    Ok(c) => c,
                    Err(e) if queue::is_lock_conflict(&e) => continue,
                    Err(e) => panic!("claim failed: {e}"),
                };
                if c.rows.is_empty() {
                    empty += 1;
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
                empty = 0;
                let ids: Vec<i64> = c.rows.iter().map(|r| r.id).collect();
                {
                    let mut s = seen.lock().await;
                    for id in &ids {
                        *s.entry(*id).or_default() += 1;
                    }
                }
                assert_eq!(
                    queue::complete(&pool, &ids, &owner).await.unwrap(),
                    ids.len() as u64
                );
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let seen = seen.lock().await;
    assert_eq!(seen.len(), 3000, "every row claimed");
    assert!(seen.values().all(|n| *n == 1), "a row was claimed twice");
    assert_eq!(
        db.scalar("SELECT COUNT(*) FROM certyo_queue WHERE processed = 0")
            .await,
        0
    );
    db.finish().await;
}

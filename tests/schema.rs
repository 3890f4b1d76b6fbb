mod common;

use common::TestDb;

#[tokio::test]
async fn queue_schema_applies_once_and_is_recorded() {
    let db = TestDb::new().await;
    let mut conn = db.pool.acquire().await.unwrap();
    let again = certyo_queue::schema::apply(&mut conn).await.unwrap();
    assert!(
        again.is_empty(),
        "second apply changed something: {again:?}"
    );
    assert!(certyo_queue::schema::pending(&mut conn)
        .await
        .unwrap()
        .is_empty());
    drop(conn);
    db.exec("INSERT INTO certyo_queue (table_name, record_id, op_type, payload) VALUES ('t', '1', 'upsert', '{}')").await;
    assert_eq!(
        db.scalar(
            "SELECT COUNT(*) FROM certyo_queue WHERE processed = 0 AND available_at IS NOT NULL"
        )
        .await,
        1
    );
    db.finish().await;
}

//! The baseline users have today: the public integration guide's `queue_poller.py`
//! algorithm, run in-process with its sleep removed, on the same server, the same rows
//! (copied into a table made by the guide's own DDL) and the same emulator. One loop,
//! as the guide runs it: connect, SELECT the 100 oldest unprocessed rows, POST them
//! (bulk when more than 10, one by one otherwise), UPDATE the accepted ones processed,
//! COMMIT, disconnect; until nothing is left. Its SQL is in `sql/bench_guide_*.sql`
//! (the copy of our queue rows: `queue::scratch::copy_to_guide`);
//! the HTTP calls go through our client (same endpoints and bodies as the guide's).

use std::time::{Duration, Instant};

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::value::RawValue;
use sqlx::mysql::MySqlConnection;
use sqlx::Connection;

use super::scratch::Scratch;
use crate::certyo::{CertyoClient, Record};
use crate::config::ApiConfig;
use crate::emulator;
use crate::queue::{self, expand_ids};

const CREATE: &str = include_str!("../../sql/bench_guide_create.sql");
const POLL: &str = include_str!("../../sql/bench_guide_poll.sql");
const MARK: &str = include_str!("../../sql/bench_guide_mark.sql");
const PENDING: &str = include_str!("../../sql/bench_guide_pending.sql");

/// The guide's constants.
const BATCH_SIZE: u64 = 100;
const BULK_THRESHOLD: usize = 10;
const BULK_MAX: usize = 1000;

type PolledRow = (i64, String, String, String, Option<String>, DateTime<Utc>);

/// Copy the first `rows` queue rows into the guide's table.
pub async fn prepare(s: &Scratch, rows: usize) -> anyhow::Result<usize> {
    sqlx::query(CREATE).execute(&s.pool).await?;
    let n = queue::scratch::copy_to_guide(&s.pool, rows as u64).await?;
    Ok(n as usize)
}

/// Run the guide's poll loop against the emulator at `api_url` until its table is
/// drained (or `limit` passes). Returns the rows marked processed and the time taken.
pub async fn drain(s: &Scratch, api_url: &str, limit: Duration) -> anyhow::Result<(u64, Duration)> {
    let api = ApiConfig {
        base_url: api_url.parse()?,
        api_key: crate::config::ApiKey::new(emulator::DEFAULT_API_KEY),
        tenant_id: emulator::DEFAULT_TENANT_ID.to_string(),
        database: s.name.clone(),
        request_timeout: Duration::from_secs(60),
    };
    let client = CertyoClient::new(api, None)?;
    let opts = s.cfg.connect_options()?;
    let started = Instant::now();
    let mut done = 0u64;
    while started.elapsed() < limit {
        // The guide opens a connection per poll and closes it afterwards.
        let mut conn = MySqlConnection::connect_with(&opts).await?;
        let mut tx = conn.begin().await?;
        let rows: Vec<PolledRow> = sqlx::query_as(POLL)
            .bind(BATCH_SIZE)
            .fetch_all(&mut *tx)
            .await?;
        if rows.is_empty() {
            tx.commit().await?;
            conn.close().await?;
            break;
        }
        let accepted = ingest(&client, &s.name, &rows).await;
        if !accepted.is_empty() {
            let sql = expand_ids(MARK, accepted.len());
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()));
            for id in &accepted {
                q = q.bind(*id);
            }
            done += q.execute(&mut *tx).await?.rows_affected();
        }
        tx.commit().await?;
        conn.close().await?;
    }
    let left: i64 = sqlx::query_scalar(PENDING).fetch_one(&s.pool).await?;
    if left > 0 {
        anyhow::bail!("the guide's poller left {left} rows after {limit:?}");
    }
    Ok((done, started.elapsed()))
}

/// The guide's `ingest_and_mark()` HTTP part: ids of the rows Certyo answered 202 for.
async fn ingest(client: &CertyoClient, database: &str, rows: &[PolledRow]) -> Vec<i64> {
    let tenant = emulator::DEFAULT_TENANT_ID.to_string();
    let mut records = Vec::with_capacity(rows.len());
    let mut ids = Vec::with_capacity(rows.len());
    for (id, table, record_id, op, payload, created_at) in rows {
        let Some(payload) = payload
            .as_deref()
            .and_then(|p| RawValue::from_string(p.to_string()).ok())
        else {
            continue;
        };
        records.push(Record {
            tenant_id: tenant.clone(),
            database: database.to_string(),
            collection: table.clone(),
            record_id: record_id.clone(),
            record_payload: payload,
            operation_type: op.clone(),
            source_timestamp: Some(created_at.to_rfc3339_opts(SecondsFormat::Micros, true)),
            idempotency_key: format!("queue-{id}"),
        });
        ids.push(*id);
    }
    let mut accepted = Vec::new();
    if records.len() > BULK_THRESHOLD {
        for (batch, batch_ids) in records.chunks(BULK_MAX).zip(ids.chunks(BULK_MAX)) {
            if client.ingest_bulk(batch).await.is_ok() {
                accepted.extend_from_slice(batch_ids);
            }
        }
    } else {
        for (rec, id) in records.iter().zip(&ids) {
            if client.ingest(rec).await.is_ok() {
                accepted.push(*id);
            }
        }
    }
    accepted
}

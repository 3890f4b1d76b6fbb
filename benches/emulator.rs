//! Throughput of the emulator's bulk endpoint: the emulator in-process, several
//! concurrent clients each sending bulk calls of 1000 records, records/s printed.
//!
//! Two runs: bodies serialized before the clock starts (what the emulator itself can
//! take), then the product's own `CertyoClient::ingest_bulk` (serialization and answer
//! parsing included, as the worker sees it). Every record has its own idempotency key,
//! so every record is stored.
//!
//! `cargo bench --bench emulator` (env: BENCH_CLIENTS, default 4; BENCH_CALLS, default 300).

use std::sync::Arc;
use std::time::{Duration, Instant};

use certyo_queue::certyo::{BulkItemOutcome, CertyoClient, Record};
use certyo_queue::config::{ApiConfig, ApiKey};
use certyo_queue::emulator::{self, EmulatorConfig};
use serde_json::json;

const PER_CALL: usize = 1000;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn payload(i: usize) -> serde_json::Value {
    json!({
        "id": i,
        "sku": format!("SKU-{i:08}"),
        "name": format!("Product number {i}"),
        "price": (i % 10_000) as f64 / 100.0,
        "stock": i % 500,
        "active": !i.is_multiple_of(3),
        "category_id": i % 40,
        "updated_at": "2026-04-12 15:30:45",
    })
}

fn record(run: &str, i: usize) -> Record {
    Record {
        tenant_id: emulator::DEFAULT_TENANT_ID.into(),
        database: "bench".into(),
        collection: "products".into(),
        record_id: i.to_string(),
        record_payload: serde_json::value::to_raw_value(&payload(i)).expect("payload"),
        operation_type: "update".into(),
        source_timestamp: None,
        idempotency_key: format!("{run}-{i}"),
    }
}

fn report(what: &str, records: usize, elapsed: Duration) {
    println!(
        "{what}: {records} records in {:.2}s = {:.0} records/s",
        elapsed.as_secs_f64(),
        records as f64 / elapsed.as_secs_f64()
    );
}

async fn raw_bodies(clients: usize, calls: usize) {
    let e = emulator::start(EmulatorConfig::default())
        .await
        .expect("emulator");
    let url = format!("{}/api/v1/records/bulk", e.url());
    let bodies: Vec<Vec<u8>> = (0..calls)
        .map(|c| {
            let records: Vec<Record> = (0..PER_CALL)
                .map(|i| record("raw", c * PER_CALL + i))
                .collect();
            serde_json::to_vec(
                &json!({"tenantId": emulator::DEFAULT_TENANT_ID, "records": records}),
            )
            .expect("body")
        })
        .collect();
    let bytes: usize = bodies.iter().map(Vec::len).sum();
    let bodies = Arc::new(bodies);
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (bodies, next, url) = (bodies.clone(), next.clone(), url.clone());
        tasks.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            loop {
                let n = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(body) = bodies.get(n) else { break };
                let resp = http
                    .post(&url)
                    .header("X-API-Key", emulator::DEFAULT_API_KEY)
                    .header("content-type", "application/json")
                    .body(body.clone())
                    .send()
                    .await
                    .expect("bulk call");
                assert_eq!(resp.status().as_u16(), 202);
                resp.bytes().await.expect("answer");
            }
        }));
    }
    for t in tasks {
        t.await.expect("client");
    }
    let elapsed = started.elapsed();
    let totals = e.totals();
    assert_eq!(totals.records_accepted as usize, calls * PER_CALL);
    report(
        &format!(
            "pre-serialized bodies, {clients} clients, {:.0} B/record",
            bytes as f64 / (calls * PER_CALL) as f64
        ),
        calls * PER_CALL,
        elapsed,
    );
    e.stop().await;
}

async fn through_client(clients: usize, calls: usize) {
    let e = emulator::start(EmulatorConfig::default())
        .await
        .expect("emulator");
    let client = CertyoClient::new(
        ApiConfig {
            base_url: e.url().parse().expect("url"),
            api_key: ApiKey::new(emulator::DEFAULT_API_KEY),
            tenant_id: emulator::DEFAULT_TENANT_ID.into(),
            database: "bench".into(),
            request_timeout: Duration::from_secs(60),
        },
        None,
    )
    .expect("client");
    let batches: Vec<Vec<Record>> = (0..calls)
        .map(|c| {
            (0..PER_CALL)
                .map(|i| record("client", c * PER_CALL + i))
                .collect()
        })
        .collect();
    let batches = Arc::new(batches);
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (batches, next, client) = (batches.clone(), next.clone(), client.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let n = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(batch) = batches.get(n) else { break };
                let out = client.ingest_bulk(batch).await.expect("bulk call");
                assert!(out
                    .outcomes
                    .iter()
                    .all(|o| matches!(o, BulkItemOutcome::Accepted(_))));
            }
        }));
    }
    for t in tasks {
        t.await.expect("client");
    }
    let elapsed = started.elapsed();
    assert_eq!(e.totals().records_accepted as usize, calls * PER_CALL);
    report(
        &format!("CertyoClient::ingest_bulk, {clients} clients"),
        calls * PER_CALL,
        elapsed,
    );
    e.stop().await;
}

fn main() {
    let clients = env_usize("BENCH_CLIENTS", 4);
    let calls = env_usize("BENCH_CALLS", 300);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    println!(
        "emulator bulk throughput: {calls} calls of {PER_CALL} records, {} cores",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    rt.block_on(raw_bodies(clients, calls));
    rt.block_on(through_client(clients, calls));
}

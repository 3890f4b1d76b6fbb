//! The local Certyo emulator over real HTTP: status codes, idempotency, hashes,
//! anchoring, bulk modes, inspection, fault injection, concurrency, in-flight tracking.

mod common;

use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use certyo_queue::certyo::{
    ApiError, BulkItemOutcome, CertyoClient, Ingested, Record, VerifyRequest,
};
use certyo_queue::config::{ApiConfig, ApiKey};
use certyo_queue::emulator::{
    self, canonical_hash, BulkResponseMode, EmulatorConfig, EmulatorHandle, Inspection,
    SnapshotsResponse,
};
use reqwest::header::HeaderMap;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

const KEY: &str = emulator::DEFAULT_API_KEY;
const TENANT: &str = emulator::DEFAULT_TENANT_ID;

async fn emu(cfg: EmulatorConfig) -> EmulatorHandle {
    emulator::start(cfg).await.expect("emulator starts")
}

async fn emu_default() -> EmulatorHandle {
    emu(EmulatorConfig::default()).await
}

fn record(id: &str, key: &str, payload: Value) -> Value {
    json!({
        "tenantId": TENANT,
        "database": "shop",
        "collection": "products",
        "recordId": id,
        "recordPayload": payload,
        "operationType": "insert",
        "sourceTimestamp": "2026-04-12T15:30:45.123Z",
        "idempotencyKey": key,
    })
}

fn bulk(records: Vec<Value>) -> Value {
    json!({"tenantId": TENANT, "records": records})
}

struct Answer {
    status: u16,
    headers: HeaderMap,
    body: Value,
}

async fn send(
    http: &reqwest::Client,
    e: &EmulatorHandle,
    key: Option<&str>,
    path: &str,
    body: &Value,
) -> Answer {
    let mut req = http.post(format!("{}{path}", e.url())).json(body);
    if let Some(k) = key {
        req = req.header("X-API-Key", k);
    }
    let resp = req.send().await.expect("request reaches the emulator");
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let text = resp.text().await.expect("body");
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    Answer {
        status,
        headers,
        body,
    }
}

async fn post(e: &EmulatorHandle, path: &str, body: &Value) -> Answer {
    send(&reqwest::Client::new(), e, Some(KEY), path, body).await
}

async fn get(e: &EmulatorHandle, path_and_query: &str) -> Answer {
    let resp = reqwest::Client::new()
        .get(format!("{}{path_and_query}", e.url()))
        .header("X-API-Key", KEY)
        .send()
        .await
        .expect("request reaches the emulator");
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let body = resp.json().await.unwrap_or(Value::Null);
    Answer {
        status,
        headers,
        body,
    }
}

const RECORDS: &str = "/api/v1/records";
const BULK: &str = "/api/v1/records/bulk";
const VERIFY: &str = "/api/v1/verify/record";

fn verify_body(id: &str) -> Value {
    json!({"tenantId": TENANT, "database": "shop", "collection": "products", "recordId": id})
}

#[tokio::test]
async fn single_record_is_accepted_and_its_hash_can_be_recomputed() {
    let e = emu_default().await;
    let payload =
        json!({"price": 12.5, "name": "Widget", "tags": ["a", "b"], "dims": {"w": 2, "h": 1}});
    let a = post(&e, RECORDS, &record("42", "queue-1", payload.clone())).await;
    assert_eq!(a.status, 202, "{}", a.body);
    assert_eq!(a.body["recordId"], "42");
    assert_eq!(a.body["tenantId"], TENANT);
    assert_eq!(a.body["idempotencyReplayed"], false);
    let accepted_at = a.body["acceptedAt"].as_str().unwrap();
    assert!(chrono::DateTime::parse_from_rfc3339(accepted_at).is_ok());
    assert!(accepted_at.ends_with('Z'));

    // The documented canonical form, written out by hand.
    let canonical = r#"{"dims":{"h":1,"w":2},"name":"Widget","price":12.5,"tags":["a","b"]}"#;
    let expected: String = Sha256::digest(canonical.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(a.body["recordHash"], expected.as_str());
    assert_eq!(canonical_hash(&payload), expected);

    let ins = e.inspect();
    let rec = ins.record("products", "42").expect("record stored");
    assert_eq!(rec.database, "shop");
    assert_eq!(rec.versions.len(), 1);
    let v = &rec.versions[0];
    assert_eq!(v.payload, payload);
    assert_eq!(v.operation_type, "insert");
    assert_eq!(v.idempotency_key.as_deref(), Some("queue-1"));
    assert_eq!(v.record_hash, expected);
    assert_eq!(
        v.source_timestamp.as_deref(),
        Some("2026-04-12T15:30:45.123Z")
    );
    e.stop().await;
}

#[tokio::test]
async fn operation_type_defaults_to_upsert() {
    let e = emu_default().await;
    let mut r = record("1", "k", json!({}));
    r.as_object_mut().unwrap().remove("operationType");
    assert_eq!(post(&e, RECORDS, &r).await.status, 202);
    assert_eq!(
        e.inspect().record("products", "1").unwrap().versions[0].operation_type,
        "upsert"
    );
    e.stop().await;
}

#[tokio::test]
async fn each_bad_field_is_named_in_a_400() {
    let e = emu_default().await;
    let cases: Vec<(&str, Value, &str)> = vec![
        ("missing", Value::Null, "database"),
        ("missing", Value::Null, "collection"),
        ("missing", Value::Null, "recordId"),
        ("missing", Value::Null, "recordPayload"),
        ("missing", Value::Null, "tenantId"),
        ("empty", json!(""), "recordId"),
        ("number", json!(42), "recordId"),
        ("array", json!([1]), "recordPayload"),
        ("string", json!("{}"), "recordPayload"),
        ("unknown", json!("merge"), "operationType"),
        ("not a date", json!("yesterday"), "sourceTimestamp"),
        ("number", json!(7), "idempotencyKey"),
        ("number", json!(2), "recordVersion"),
        ("object", json!({}), "clientId"),
    ];
    for (what, value, field) in cases {
        let mut r = record("1", "k", json!({"a": 1}));
        if value.is_null() {
            r.as_object_mut().unwrap().remove(field);
        } else {
            r[field] = value;
        }
        let a = post(&e, RECORDS, &r).await;
        assert_eq!(a.status, 400, "{what} {field}: {}", a.body);
        assert_eq!(a.body["field"], field, "{what} {field}: {}", a.body);
        assert!(a.body["error"].as_str().unwrap().contains(field));
    }
    let raw = reqwest::Client::new()
        .post(format!("{}{RECORDS}", e.url()))
        .header("X-API-Key", KEY)
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status().as_u16(), 400);
    let body: Value = raw.json().await.unwrap();
    assert!(body["error"].as_str().unwrap().contains("JSON"), "{body}");

    let ins = e.inspect();
    assert!(ins.records.is_empty(), "nothing invalid is stored");
    assert_eq!(ins.totals.records_rejected, 14);
    assert_eq!(ins.status_count(400), 15);
    e.stop().await;
}

#[tokio::test]
async fn missing_or_wrong_api_key_is_401_and_a_rotated_key_works() {
    let e = emu_default().await;
    let http = reqwest::Client::new();
    let r = record("1", "k", json!({}));
    for (key, path, body) in [
        (None, RECORDS, &r),
        (Some("certyo_sk_test_wrong"), RECORDS, &r),
        (None, BULK, &bulk(vec![r.clone()])),
        (Some(""), VERIFY, &verify_body("1")),
    ] {
        let a = send(&http, &e, key, path, body).await;
        assert_eq!(a.status, 401, "{key:?} {path}");
        assert!(a.body["error"].as_str().unwrap().contains("X-API-Key"));
    }
    e.set_api_key("certyo_sk_test_rotated");
    assert_eq!(send(&http, &e, Some(KEY), RECORDS, &r).await.status, 401);
    let a = send(&http, &e, Some("certyo_sk_test_rotated"), RECORDS, &r).await;
    assert_eq!(a.status, 202);
    assert_eq!(e.inspect().status_count(401), 5);
    e.stop().await;
}

#[tokio::test]
async fn another_tenant_is_403() {
    let e = emu_default().await;
    let mut r = record("1", "k", json!({}));
    r["tenantId"] = json!("tenant-other");
    let a = post(&e, RECORDS, &r).await;
    assert_eq!(a.status, 403);
    assert_eq!(a.body["field"], "tenantId");

    let a = post(
        &e,
        BULK,
        &json!({"tenantId": "tenant-other", "records": [record("1", "k", json!({}))]}),
    )
    .await;
    assert_eq!(a.status, 403);

    let mut v = verify_body("1");
    v["tenantId"] = json!("tenant-other");
    assert_eq!(post(&e, VERIFY, &v).await.status, 403);

    let a = get(&e, "/api/v1/snapshots?tenantId=tenant-other&recordId=1").await;
    assert_eq!(a.status, 403);

    // Inside a bulk call (items mode) only the foreign record is refused.
    let a = post(
        &e,
        BULK,
        &bulk(vec![record("2", "k2", json!({})), r.clone()]),
    )
    .await;
    assert_eq!(a.status, 202);
    assert_eq!(a.body["results"][0]["status"], 202);
    assert_eq!(a.body["results"][1]["status"], 403);
    assert_eq!(
        e.inspect().keys_received(),
        HashSet::from(["k2".to_string()])
    );
    e.stop().await;
}

#[tokio::test]
async fn oversized_bodies_are_413() {
    let e = emu(EmulatorConfig {
        max_body: 1024,
        max_bulk_body: 4096,
        ..Default::default()
    })
    .await;
    let big = "x".repeat(2000);
    let a = post(&e, RECORDS, &record("1", "k1", json!({"blob": big}))).await;
    assert_eq!(a.status, 413);
    assert!(a.body["error"].as_str().unwrap().contains("1024"));
    let a = post(&e, RECORDS, &record("1", "k2", json!({"blob": "small"}))).await;
    assert_eq!(a.status, 202);

    let many: Vec<Value> = (0..40)
        .map(|i| record(&i.to_string(), &format!("b{i}"), json!({"n": i})))
        .collect();
    let a = post(&e, BULK, &bulk(many)).await;
    assert_eq!(a.status, 413);
    let a = post(
        &e,
        BULK,
        &bulk(vec![record("2", "b", json!({"blob": big}))]),
    )
    .await;
    assert_eq!(a.status, 202, "bulk has its own, larger limit");
    assert_eq!(e.inspect().versions().count(), 2);
    e.stop().await;
}

#[tokio::test]
async fn rate_limit_answers_429_with_retry_after() {
    let e = emu(EmulatorConfig {
        rate_limit: Some(5),
        ..Default::default()
    })
    .await;
    let http = reqwest::Client::new();
    let (mut ok, mut limited) = (0, 0);
    for i in 0..30 {
        let a = send(
            &http,
            &e,
            Some(KEY),
            RECORDS,
            &record("1", &format!("k{i}"), json!({})),
        )
        .await;
        match a.status {
            202 => ok += 1,
            429 => {
                limited += 1;
                let secs: u64 = a.headers["retry-after"].to_str().unwrap().parse().unwrap();
                assert!(secs >= 1);
            }
            s => panic!("unexpected status {s}"),
        }
    }
    assert!(ok >= 5, "the first second's budget is served ({ok})");
    assert!(
        limited >= 10,
        "past the budget calls are refused ({limited})"
    );
    assert_eq!(e.inspect().versions().count(), ok, "a 429 stores nothing");
    e.set_rate_limit(None);
    let a = send(
        &http,
        &e,
        Some(KEY),
        RECORDS,
        &record("1", "after", json!({})),
    )
    .await;
    assert_eq!(a.status, 202);
    e.stop().await;
}

#[tokio::test]
async fn injected_failures_are_500_with_a_correlation_id_at_the_configured_rate() {
    let e = emu(EmulatorConfig {
        fail_rate: 0.3,
        ..Default::default()
    })
    .await;
    let http = reqwest::Client::new();
    let mut tasks = Vec::new();
    for t in 0..8 {
        let http = http.clone();
        let url = e.url();
        tasks.push(tokio::spawn(async move {
            let mut out = Vec::new();
            for i in 0..125 {
                let resp = http
                    .post(format!("{url}{RECORDS}"))
                    .header("X-API-Key", KEY)
                    .json(&record(
                        &format!("{t}-{i}"),
                        &format!("k{t}-{i}"),
                        json!({}),
                    ))
                    .send()
                    .await
                    .unwrap();
                let cid = resp
                    .headers()
                    .get("x-correlation-id")
                    .map(|v| v.to_str().unwrap().to_string());
                out.push((resp.status().as_u16(), cid));
            }
            out
        }));
    }
    let mut answers = Vec::new();
    for t in tasks {
        answers.extend(t.await.unwrap());
    }
    let failed: Vec<_> = answers.iter().filter(|(s, _)| *s == 500).collect();
    assert!(
        (200..=400).contains(&failed.len()),
        "{} of 1000 failed at rate 0.3",
        failed.len()
    );
    let ids: HashSet<_> = failed
        .iter()
        .map(|(_, c)| c.clone().expect("500 carries X-Correlation-Id"))
        .collect();
    assert_eq!(ids.len(), failed.len(), "correlation ids are unique");
    let accepted = answers.iter().filter(|(s, _)| *s == 202).count();
    assert_eq!(accepted + failed.len(), 1000);
    assert_eq!(
        e.inspect().versions().count(),
        accepted,
        "a 500 stores nothing"
    );

    e.set_fail_rate(0.0);
    assert_eq!(
        post(&e, RECORDS, &record("x", "x", json!({}))).await.status,
        202
    );
    e.stop().await;
}

#[tokio::test]
async fn an_outage_answers_503_until_lifted() {
    let e = emu_default().await;
    e.set_outage(true);
    let a = post(&e, RECORDS, &record("1", "k", json!({}))).await;
    assert_eq!(a.status, 503);
    assert_eq!(post(&e, VERIFY, &verify_body("1")).await.status, 503);
    e.set_outage(false);
    assert_eq!(
        post(&e, RECORDS, &record("1", "k", json!({}))).await.status,
        202
    );
    assert_eq!(e.inspect().status_count(503), 2);
    e.stop().await;
}

#[tokio::test]
async fn the_same_idempotency_key_replays_the_first_answer_and_stores_once() {
    let e = emu_default().await;
    let first = post(&e, RECORDS, &record("7", "queue-7", json!({"v": 1}))).await;
    assert_eq!(first.status, 202);
    let again = post(&e, RECORDS, &record("7", "queue-7", json!({"v": 2}))).await;
    assert_eq!(again.status, 202);
    assert_eq!(again.body["idempotencyReplayed"], true);
    assert_eq!(again.body["recordHash"], first.body["recordHash"]);
    assert_eq!(again.body["acceptedAt"], first.body["acceptedAt"]);

    // Through the bulk endpoint too, next to a new key.
    let a = post(
        &e,
        BULK,
        &bulk(vec![
            record("7", "queue-7", json!({"v": 1})),
            record("7", "queue-8", json!({"v": 3})),
        ]),
    )
    .await;
    assert_eq!(a.body["results"][0]["idempotencyReplayed"], true);
    assert_eq!(a.body["results"][0]["recordHash"], first.body["recordHash"]);
    assert_eq!(a.body["results"][1]["idempotencyReplayed"], false);

    let ins = e.inspect();
    let rec = ins.record("products", "7").unwrap();
    assert_eq!(rec.keys(), vec!["queue-7", "queue-8"]);
    assert_eq!(rec.versions[0].replays, 2);
    assert_eq!(rec.versions[0].payload, json!({"v": 1}));
    assert_eq!(ins.totals.replays, 2);
    assert_eq!(ins.totals.records_accepted, 2);
    e.stop().await;
}

#[tokio::test]
async fn idempotency_keys_expire_after_the_window() {
    let e = emu(EmulatorConfig {
        idempotency_window: Duration::from_millis(100),
        ..Default::default()
    })
    .await;
    post(&e, RECORDS, &record("1", "k", json!({}))).await;
    common::wait_until(Duration::from_secs(5), "the key to expire", || async {
        let a = post(&e, RECORDS, &record("1", "k", json!({"n": 1}))).await;
        a.body["idempotencyReplayed"] == false
    })
    .await;
    assert_eq!(
        e.inspect().record("products", "1").unwrap().versions.len(),
        2
    );
    e.stop().await;
}

#[tokio::test]
async fn a_record_is_anchored_once_its_latest_version_is_older_than_the_delay() {
    let e = emu(EmulatorConfig {
        anchor_delay: Duration::from_millis(300),
        ..Default::default()
    })
    .await;
    let a = post(&e, RECORDS, &record("9", "k1", json!({"n": 1}))).await;
    let hash = a.body["recordHash"].clone();

    let v = post(&e, VERIFY, &verify_body("9")).await;
    assert_eq!(v.status, 200);
    assert_eq!(v.body["verified"], false);
    assert_eq!(v.body["anchoredOnChain"], false);
    assert_eq!(v.body["verificationStatus"], "pending");
    let s: SnapshotsResponse = serde_json::from_value(
        get(
            &e,
            &format!("/api/v1/snapshots?tenantId={TENANT}&recordId=9"),
        )
        .await
        .body,
    )
    .unwrap();
    assert_eq!(s.items.len(), 1);
    assert_eq!(s.items[0].status, "PendingAnchor");

    common::wait_until(Duration::from_secs(5), "verify to say anchored", || async {
        post(&e, VERIFY, &verify_body("9")).await.body["verified"] == true
    })
    .await;
    let v = post(&e, VERIFY, &verify_body("9")).await;
    assert_eq!(v.body["anchoredOnChain"], true);
    assert_eq!(v.body["verificationStatus"], "pass");
    assert_eq!(v.body["reasonCategory"], "verified_anchored");
    assert_eq!(v.body["recordHash"], hash);
    let s: SnapshotsResponse = serde_json::from_value(
        get(
            &e,
            &format!("/api/v1/snapshots?tenantId={TENANT}&recordId=9"),
        )
        .await
        .body,
    )
    .unwrap();
    assert_eq!(s.items[0].status, "Anchored");
    assert!(s.items[0].on_chain_confirmed);
    assert!(s.items[0]
        .on_chain_merkle_root
        .as_deref()
        .unwrap()
        .starts_with("0x"));

    // A payload that is not the stored one fails verification.
    let mut wrong = verify_body("9");
    wrong["payload"] = json!({"n": 2});
    let v = post(&e, VERIFY, &wrong).await;
    assert_eq!(v.body["verified"], false);
    assert_eq!(v.body["verificationStatus"], "fail");

    // A new version is pending again: anchoring follows the latest version.
    post(&e, RECORDS, &record("9", "k2", json!({"n": 2}))).await;
    assert_eq!(
        post(&e, VERIFY, &verify_body("9")).await.body["verificationStatus"],
        "pending"
    );

    assert_eq!(post(&e, VERIFY, &verify_body("nope")).await.status, 404);
    let a = get(
        &e,
        &format!("/api/v1/snapshots?tenantId={TENANT}&recordId=nope"),
    )
    .await;
    assert_eq!(a.status, 200);
    assert_eq!(a.body["items"], json!([]));
    assert_eq!(
        get(&e, &format!("/api/v1/snapshots?tenantId={TENANT}"))
            .await
            .status,
        400
    );
    e.stop().await;
}

fn mixed_batch() -> Vec<Value> {
    let mut no_id = record("x", "b2", json!({"n": 2}));
    no_id.as_object_mut().unwrap().remove("recordId");
    let mut bad_op = record("4", "b4", json!({"n": 4}));
    bad_op["operationType"] = json!("truncate");
    vec![
        record("1", "b1", json!({"n": 1})),
        no_id,
        record("3", "b3", json!({"n": 3})),
        bad_op,
        record("5", "b5", json!({"n": 5})),
    ]
}

#[tokio::test]
async fn bulk_items_mode_stores_valid_records_and_names_invalid_ones() {
    let e = emu_default().await;
    let batch = mixed_batch();
    let a = post(&e, BULK, &bulk(batch.clone())).await;
    assert_eq!(a.status, 202, "{}", a.body);
    assert_eq!(a.body["accepted"], 3);
    assert_eq!(a.body["rejected"], 2);
    let results = a.body["results"].as_array().unwrap();
    assert_eq!(results.len(), 5);
    let statuses: Vec<u64> = results
        .iter()
        .map(|r| r["status"].as_u64().unwrap())
        .collect();
    assert_eq!(statuses, vec![202, 400, 202, 400, 202]);
    for (i, r) in results.iter().enumerate() {
        assert_eq!(r["index"], i);
        assert_eq!(r["idempotencyKey"], batch[i]["idempotencyKey"]);
        if r["status"] == 202 {
            assert_eq!(
                r["recordHash"].as_str().unwrap(),
                canonical_hash(&batch[i]["recordPayload"])
            );
        }
    }
    assert!(results[1]["error"].as_str().unwrap().contains("recordId"));
    assert!(results[3]["error"]
        .as_str()
        .unwrap()
        .contains("operationType"));
    assert_eq!(
        e.inspect().keys_received(),
        HashSet::from(["b1", "b3", "b5"].map(String::from))
    );
    e.stop().await;
}

#[tokio::test]
async fn bulk_bare_mode_answers_counts_only() {
    let e = emu(EmulatorConfig {
        bulk_response: BulkResponseMode::Bare,
        ..Default::default()
    })
    .await;
    let a = post(&e, BULK, &bulk(mixed_batch())).await;
    assert_eq!(a.status, 202);
    assert_eq!(a.body, json!({"accepted": 3, "rejected": 2}));
    assert_eq!(e.inspect().versions().count(), 3);
    e.stop().await;
}

#[tokio::test]
async fn bulk_reject_batch_mode_refuses_the_whole_call() {
    let e = emu_default().await;
    e.set_bulk_response(BulkResponseMode::RejectBatch);
    let a = post(&e, BULK, &bulk(mixed_batch())).await;
    assert_eq!(a.status, 400);
    assert_eq!(a.body["field"], "records[1].recordId");
    assert!(e.inspect().records.is_empty(), "nothing is stored");

    let valid: Vec<Value> = mixed_batch().into_iter().step_by(2).collect();
    let a = post(&e, BULK, &bulk(valid)).await;
    assert_eq!(a.status, 202);
    assert_eq!(a.body["accepted"], 3);
    assert_eq!(e.inspect().versions().count(), 3);
    e.stop().await;
}

#[tokio::test]
async fn bulk_calls_hold_one_to_a_thousand_records() {
    let e = emu_default().await;
    let many = |n: usize| -> Vec<Value> {
        (0..n)
            .map(|i| record(&i.to_string(), &format!("k{n}-{i}"), json!({"i": i})))
            .collect()
    };
    let a = post(&e, BULK, &bulk(many(1001))).await;
    assert_eq!(a.status, 400);
    assert_eq!(a.body["field"], "records");
    let a = post(&e, BULK, &bulk(vec![])).await;
    assert_eq!(a.status, 400);
    let a = post(&e, BULK, &json!({"tenantId": TENANT})).await;
    assert_eq!((a.status, a.body["field"].clone()), (400, json!("records")));
    let a = post(&e, BULK, &bulk(many(1000))).await;
    assert_eq!(a.status, 202);
    assert_eq!(a.body["accepted"], 1000);
    assert_eq!(e.inspect().records.len(), 1000);
    e.stop().await;
}

#[tokio::test]
async fn the_inspection_endpoint_lists_versions_in_arrival_order() {
    let e = emu_default().await;
    post(&e, RECORDS, &record("A", "a1", json!({"v": 1}))).await;
    post(&e, RECORDS, &record("B", "b1", json!({"v": 1}))).await;
    post(&e, RECORDS, &record("A", "a2", json!({"v": 2}))).await;
    post(&e, RECORDS, &record("A", "a1", json!({"v": 1}))).await; // replay

    // No API key needed: it is the emulator's own endpoint.
    let resp = reqwest::get(format!("{}/_emulator/records", e.url()))
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let served: Inspection = resp.json().await.unwrap();
    let ids: Vec<&str> = served
        .records
        .iter()
        .map(|r| r.record_id.as_str())
        .collect();
    assert_eq!(ids, vec!["A", "B"]);
    let a = served.record("products", "A").unwrap();
    assert_eq!(a.keys(), vec!["a1", "a2"]);
    assert!(a.versions[0].seq < served.record("products", "B").unwrap().versions[0].seq);
    assert!(served.record("products", "B").unwrap().versions[0].seq < a.versions[1].seq);
    assert_eq!(a.versions[0].replays, 1);
    assert_eq!(a.latest().unwrap().payload, json!({"v": 2}));
    assert_eq!(a.max_in_flight, 1);
    assert_eq!(served.status_count(202), 4);
    assert_eq!(
        served.totals.requests, 4,
        "inspection calls are not counted"
    );
    assert_eq!(
        serde_json::to_value(&served).unwrap(),
        serde_json::to_value(e.inspect()).unwrap()
    );

    let only_b: Inspection = reqwest::get(format!("{}/_emulator/records?recordId=B", e.url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(only_b.records.len(), 1);
    let summary: Inspection = reqwest::get(format!("{}/_emulator/records?summary=true", e.url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(summary.records.is_empty());
    assert_eq!(summary.totals.records, 2);
    assert_eq!(summary.totals.records_accepted, 3);
    e.stop().await;
}

#[tokio::test]
async fn concurrent_clients_are_all_recorded() {
    let e = emu_default().await;
    let mut tasks = Vec::new();
    for t in 0..8 {
        let url = e.url();
        tasks.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            for i in 0..25 {
                let resp = http
                    .post(format!("{url}{RECORDS}"))
                    .header("X-API-Key", KEY)
                    .json(&record(
                        &format!("s{t}-{i}"),
                        &format!("s{t}-{i}"),
                        json!({"i": i}),
                    ))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(resp.status().as_u16(), 202);
            }
        }));
    }
    for t in 0..4 {
        let url = e.url();
        tasks.push(tokio::spawn(async move {
            let records = (0..100)
                .map(|i| record(&format!("b{t}-{i}"), &format!("b{t}-{i}"), json!({"i": i})))
                .collect();
            let resp = reqwest::Client::new()
                .post(format!("{url}{BULK}"))
                .header("X-API-Key", KEY)
                .json(&bulk(records))
                .send()
                .await
                .unwrap();
            assert_eq!(resp.status().as_u16(), 202);
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let ins = e.inspect();
    let expected: HashSet<String> = (0..8)
        .flat_map(|t| (0..25).map(move |i| format!("s{t}-{i}")))
        .chain((0..4).flat_map(|t| (0..100).map(move |i| format!("b{t}-{i}"))))
        .collect();
    assert_eq!(ins.keys_received(), expected);
    assert_eq!(ins.totals.requests, 204);
    assert_eq!(
        ins.max_in_flight_overall(),
        1,
        "distinct records never overlap"
    );
    let seqs: HashSet<u64> = ins.versions().map(|v| v.seq).collect();
    assert_eq!(seqs.len(), 600, "every version has its own arrival number");
    e.stop().await;
}

#[tokio::test]
async fn in_flight_tracking_counts_overlapping_requests_for_one_record() {
    let e = emu(EmulatorConfig {
        latency: Duration::from_millis(300),
        ..Default::default()
    })
    .await;
    // Two requests for record "same" at once: both in flight during the latency.
    let (r1, r2) = (
        record("same", "k1", json!({})),
        record("same", "k2", json!({})),
    );
    let (a, b) = tokio::join!(post(&e, RECORDS, &r1), post(&e, RECORDS, &r2));
    assert_eq!((a.status, b.status), (202, 202));
    // One after the other: never more than one.
    post(&e, RECORDS, &record("seq", "k3", json!({}))).await;
    post(&e, RECORDS, &record("seq", "k4", json!({}))).await;
    // The same record twice in one bulk call counts as two.
    post(
        &e,
        BULK,
        &bulk(vec![
            record("dup", "k5", json!({})),
            record("dup", "k6", json!({})),
        ]),
    )
    .await;

    let ins = e.inspect();
    assert_eq!(ins.record("products", "same").unwrap().max_in_flight, 2);
    assert_eq!(ins.record("products", "seq").unwrap().max_in_flight, 1);
    assert_eq!(ins.record("products", "dup").unwrap().max_in_flight, 2);
    assert_eq!(ins.max_in_flight_overall(), 2);
    assert!(ins.records.iter().all(|r| r.in_flight == 0));
    e.stop().await;
}

#[tokio::test]
async fn a_request_the_client_abandons_is_still_stored_and_then_replayed() {
    let e = emu(EmulatorConfig {
        latency: Duration::from_millis(400),
        ..Default::default()
    })
    .await;
    let impatient = reqwest::Client::builder()
        .timeout(Duration::from_millis(50))
        .build()
        .unwrap();
    let r = record("1", "queue-1", json!({"n": 1}));
    let err = impatient
        .post(format!("{}{RECORDS}", e.url()))
        .header("X-API-Key", KEY)
        .json(&r)
        .send()
        .await
        .expect_err("the client times out first");
    assert!(err.is_timeout());
    common::wait_until(
        Duration::from_secs(5),
        "the abandoned record to be stored",
        || async { e.inspect().versions().count() == 1 },
    )
    .await;
    e.set_latency(Duration::ZERO);
    let a = post(&e, RECORDS, &r).await;
    assert_eq!(a.body["idempotencyReplayed"], true);
    assert_eq!(e.inspect().versions().count(), 1);
    e.stop().await;
}

#[tokio::test]
async fn unknown_paths_are_404() {
    let e = emu_default().await;
    assert_eq!(get(&e, "/api/v1/nothing").await.status, 404);
    e.stop().await;
}

fn api_config(e: &EmulatorHandle) -> ApiConfig {
    ApiConfig {
        base_url: e.url().parse().unwrap(),
        api_key: ApiKey::new(KEY),
        tenant_id: TENANT.into(),
        database: "shop".into(),
        request_timeout: Duration::from_secs(10),
    }
}

fn client_record(id: &str, key: &str, payload: &str) -> Record {
    Record {
        tenant_id: TENANT.into(),
        database: "shop".into(),
        collection: "products".into(),
        record_id: id.into(),
        record_payload: serde_json::value::RawValue::from_string(payload.into()).unwrap(),
        operation_type: "update".into(),
        source_timestamp: None,
        idempotency_key: key.into(),
    }
}

#[tokio::test]
async fn the_certyo_client_understands_every_bulk_mode() {
    let e = emu(EmulatorConfig {
        anchor_delay: Duration::from_millis(200),
        ..Default::default()
    })
    .await;
    let client = CertyoClient::new(api_config(&e), None).unwrap();
    let payload = r#"{"b": 2, "a": 1}"#;
    let hash = canonical_hash(&serde_json::from_str(payload).unwrap());

    let one = client
        .ingest(&client_record("1", "q-1", payload))
        .await
        .unwrap();
    assert_eq!(
        one,
        Ingested {
            record_hash: Some(hash.clone())
        }
    );

    let batch = |tag: &str| {
        vec![
            client_record("2", &format!("{tag}-a"), payload),
            client_record("", &format!("{tag}-b"), payload),
            client_record("3", &format!("{tag}-c"), payload),
        ]
    };
    // Every bulk mode, read record by record: accepted only where the answer proves it.
    let accepted_with_hash = |o: &BulkItemOutcome| matches!(o, BulkItemOutcome::Accepted(Ingested { record_hash: Some(h) }) if *h == hash);
    let uncertain = |o: &BulkItemOutcome| matches!(o, BulkItemOutcome::Uncertain(_));
    let refused = |o: &BulkItemOutcome| match o {
        BulkItemOutcome::Failed(ApiError::Rejected {
            status: 400,
            message,
        }) => message.contains("recordId"),
        BulkItemOutcome::Rejected(text) => text.contains("recordId"),
        _ => false,
    };
    for mode in [
        BulkResponseMode::Items,
        BulkResponseMode::Strings,
        BulkResponseMode::BareArray,
        BulkResponseMode::Shuffled,
    ] {
        e.set_bulk_response(mode);
        let out = client
            .ingest_bulk(&batch(&format!("{mode:?}")))
            .await
            .unwrap()
            .outcomes;
        assert!(accepted_with_hash(&out[0]), "{mode:?}: {:?}", out[0]);
        assert!(refused(&out[1]), "{mode:?}: {:?}", out[1]);
        assert!(accepted_with_hash(&out[2]), "{mode:?}: {:?}", out[2]);
    }

    e.set_bulk_response(BulkResponseMode::OnlyRejected);
    let out = client.ingest_bulk(&batch("only")).await.unwrap().outcomes;
    assert!(
        uncertain(&out[0]) && refused(&out[1]) && uncertain(&out[2]),
        "{out:?}"
    );

    e.set_bulk_response(BulkResponseMode::Bare);
    let out = client.ingest_bulk(&batch("bare")).await.unwrap();
    assert!(
        out.outcomes.iter().all(uncertain),
        "counts saying one was rejected prove nothing about which: {out:?}"
    );

    e.set_bulk_response(BulkResponseMode::NoDetail);
    let good = vec![
        client_record("4", "nd-a", payload),
        client_record("5", "nd-b", payload),
    ];
    let out = client.ingest_bulk(&good).await.unwrap().outcomes;
    assert!(out
        .iter()
        .all(|o| matches!(o, BulkItemOutcome::Accepted(Ingested { record_hash: None }))));

    e.set_bulk_response(BulkResponseMode::RejectBatch);
    let err = client.ingest_bulk(&batch("reject")).await.unwrap_err();
    assert!(
        matches!(err, ApiError::Rejected { status: 400, .. }),
        "{err}"
    );

    let req = VerifyRequest {
        tenant_id: TENANT.into(),
        database: "shop".into(),
        collection: "products".into(),
        record_id: "1".into(),
    };
    common::wait_until(
        Duration::from_secs(5),
        "the client to see record 1 anchored",
        || async { client.verify(&req).await.unwrap().is_anchored() },
    )
    .await;

    e.set_fail_rate(1.0);
    let err = client
        .ingest(&client_record("9", "q-9", payload))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            ApiError::Server {
                status: 500,
                correlation_id: Some(_),
                ..
            }
        ),
        "{err}"
    );
    e.set_fail_rate(0.0);
    e.set_rate_limit(Some(1));
    let _ = client.ingest(&client_record("9", "q-9", payload)).await;
    let err = client
        .ingest(&client_record("9", "q-10", payload))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            ApiError::RateLimited {
                retry_after: Some(_)
            }
        ),
        "{err}"
    );
    e.stop().await;
}

#[tokio::test]
async fn the_emulator_command_serves_until_interrupted_and_prints_a_summary() {
    let mut child = Command::new(common::bin())
        .args([
            "emulator",
            "--listen",
            "127.0.0.1:0",
            "--anchor-delay",
            "1s",
        ])
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .env_remove("CERTYO_API_KEY")
        .env_remove("CERTYO_TENANT_ID")
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("the binary starts");
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut log = Vec::new();
    let url = loop {
        let line = rx
            .recv_timeout(Duration::from_secs(20))
            .expect("the emulator logs where it listens");
        log.push(line.clone());
        if let Some(at) = line.find("emulator listening on http://") {
            let rest = &line[at + "emulator listening on ".len()..];
            break rest.split_whitespace().next().unwrap().to_string();
        }
    };
    let resp = reqwest::Client::new()
        .post(format!("{url}{RECORDS}"))
        .header("X-API-Key", KEY)
        .json(&record("1", "k", json!({})))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 202);

    let kill = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let summary = loop {
        let line = rx
            .recv_timeout(Duration::from_secs(20))
            .unwrap_or_else(|_| panic!("no summary line; log so far: {log:#?}"));
        log.push(line.clone());
        if line.contains("emulator stopped") {
            break line;
        }
    };
    assert!(summary.contains("1 requests (202: 1)"), "{summary}");
    assert!(
        summary.contains("1 versions of 1 records accepted"),
        "{summary}"
    );
    let status = child.wait().unwrap();
    assert!(status.success(), "exit status {status}");
    assert!(
        !log.iter().any(|l| l.contains(KEY)),
        "the API key is never logged"
    );
}

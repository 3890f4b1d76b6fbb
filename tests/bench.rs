//! `certyo-queue bench` through the binary: a small run prints one JSON object with
//! every figure, drains exactly the rows it was asked for, and leaves no scratch
//! database behind. Figures are printed, never asserted.

mod common;

use std::process::Command;

use common::{bin, server_url};
use serde_json::Value;

#[tokio::test(flavor = "multi_thread")]
async fn a_small_bench_prints_one_json_object_and_drains_every_row() {
    let url = format!("{}/mysql", server_url().trim_end_matches('/'));
    let out = Command::new(bin())
        .args([
            "bench",
            "--rows",
            "2000",
            "--json",
            "--latency-duration",
            "1s",
            "--poll-idle-rows",
            "5000",
        ])
        .args(["--scale", "1,4"])
        .env("DATABASE_URL", &url)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "bench failed:\n{stderr}\n{stdout}");
    let lines: Vec<&str> = stdout.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "expected one JSON line, got:\n{stdout}");
    let r: Value = serde_json::from_str(lines[0]).unwrap();
    println!("{}", serde_json::to_string_pretty(&r).unwrap());

    assert_eq!(r["rows"], 2000);
    assert_eq!(r["drain"]["rows"], 2000);
    assert_eq!(r["drain"]["delivered"], 2000, "{r}");
    assert_eq!(r["drain"]["dead"], 0, "{r}");
    for path in [
        ("capture", "single_row", "captured_rows_per_s"),
        ("capture", "multi_row", "plain_rows_per_s"),
        ("limit", "claim_complete", "rows_per_s"),
        ("limit", "claim_complete_writeback", "rows_per_s"),
    ] {
        let v = &r[path.0][path.1][path.2];
        assert!(v.as_f64().is_some_and(|x| x > 0.0), "{path:?}: {v}");
    }
    assert_eq!(r["limit"]["claim_complete"]["rows"], 2000);
    assert!(r["drain"]["rows_per_s"].as_f64().unwrap() > 0.0);
    assert_eq!(r["poll"]["idle_rows"], 5000);
    assert_eq!(
        r["poll"]["enqueued"], 2000,
        "the poller enqueued every new row: {r}"
    );
    assert!(r["poll"]["idle_round_ms"].as_f64().is_some_and(|x| x > 0.0));
    assert!(r["drain"]["ratio_to_limit"].as_f64().unwrap() > 0.0);
    let lat = &r["latency"];
    assert!(lat["rows"].as_u64().unwrap() > 0);
    assert_eq!(
        lat["measured"], lat["rows"],
        "every latency row reached the API"
    );
    for k in ["p50_ms", "p95_ms", "p99_ms", "max_ms"] {
        assert!(lat[k].as_f64().is_some(), "{k}");
    }
    let scale = r["scale"].as_array().unwrap();
    assert_eq!(
        scale
            .iter()
            .map(|p| p["concurrency"].as_u64().unwrap())
            .collect::<Vec<_>>(),
        vec![1, 4]
    );
    // Hot records: every queued event drained (one insert per record plus the updates).
    let hot = r["hot"].as_array().unwrap();
    assert_eq!(
        hot.iter()
            .map(|p| (
                p["records"].as_u64().unwrap(),
                p["events"].as_u64().unwrap()
            ))
            .collect::<Vec<_>>(),
        vec![(5, 5005), (1, 1001)]
    );
    for p in hot {
        assert!(p["events_per_s_per_record"].as_f64().unwrap() > 0.0, "{p}");
    }
    // The guide's poller drained a copy of as many rows as asked for.
    assert_eq!(r["guide"]["rows"], 2000, "{r}");
    assert!(r["guide"]["guide_rows_per_s"].as_f64().unwrap() > 0.0);
    assert!(r["guide"]["ratio"].as_f64().unwrap() > 0.0);
    assert!(r["targets"].is_object());

    // The scratch database is gone.
    let admin = certyo_queue::db::connect(&certyo_queue::config::DbConfig::parse(&url).unwrap(), 1)
        .await
        .unwrap();
    let name = r["database"].as_str().unwrap();
    assert!(name.starts_with("certyo_bench_"), "{name}");
    let left: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name = ?",
    )
    .bind(name)
    .fetch_one(&admin)
    .await
    .unwrap();
    assert_eq!(left, 0, "the scratch database {name} was left behind");
}

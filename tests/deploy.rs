//! The operator files under deploy/ are valid for the tools that load them, and agree
//! with the CLI: Prometheus rules (`promtool check rules`, `promtool test rules`), the
//! systemd unit (`systemd-analyze verify` and `security`), the Kubernetes manifests
//! (`kubernetes-validate --strict`, schemas bundled, offline) and the Grafana
//! dashboard's metric names. The tools come from `scripts/ensure-ops-tools.sh`.
//! (No database: the live checks against a running `work` are in tests/monitoring.rs.)
mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use certyo_queue::cli::{Cli, Command as Sub};
use clap::Parser;
use common::ops_tools::{kubernetes_validate, repo, tool};
use serde_yaml::Value;

fn deploy(path: &str) -> PathBuf {
    repo().join("deploy").join(path)
}

fn run(program: &Path, args: &[&str]) -> Output {
    Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("running {}: {e}", program.display()))
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn alerts() -> Vec<Value> {
    let doc: Value =
        serde_yaml::from_str(&std::fs::read_to_string(deploy("prometheus/alerts.yml")).unwrap())
            .expect("alerts.yml is YAML");
    doc["groups"]
        .as_sequence()
        .expect("groups")
        .iter()
        .flat_map(|g| g["rules"].as_sequence().expect("rules").clone())
        .collect()
}

#[test]
fn the_alert_rules_pass_promtool_check_and_their_unit_tests() {
    let promtool = tool("promtool");
    let rules = deploy("prometheus/alerts.yml");
    let out = run(&promtool, &["check", "rules", rules.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "promtool check rules:\n{}",
        text(&out)
    );
    let n = alerts().len();
    assert!(
        text(&out).contains(&format!("SUCCESS: {n} rules found")),
        "{}",
        text(&out)
    );

    let tests = deploy("prometheus/alerts_test.yml");
    let out = run(&promtool, &["test", "rules", tests.to_str().unwrap()]);
    assert!(out.status.success(), "promtool test rules:\n{}", text(&out));
    assert!(text(&out).contains("SUCCESS"), "{}", text(&out));
}

#[test]
fn promtool_test_rules_fails_when_an_alert_changes_behind_its_tests() {
    // The unit tests pin each alert's threshold: a copy of the rules with one changed
    // must fail them (so a passing run above means something).
    let promtool = tool("promtool");
    let dir = common::process::scratch_dir("rules");
    let rules = std::fs::read_to_string(deploy("prometheus/alerts.yml")).unwrap();
    let changed = rules.replace(
        "oldest_pending_seconds) > 900",
        "oldest_pending_seconds) > 1800",
    );
    assert_ne!(changed, rules, "the threshold this test changes is gone");
    std::fs::write(dir.join("alerts.yml"), changed).unwrap();
    std::fs::copy(
        deploy("prometheus/alerts_test.yml"),
        dir.join("alerts_test.yml"),
    )
    .unwrap();
    let out = run(
        &promtool,
        &[
            "test",
            "rules",
            dir.join("alerts_test.yml").to_str().unwrap(),
        ],
    );
    assert!(!out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("CertyoQueueOldestPendingAge"),
        "{}",
        text(&out)
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn every_alert_has_a_severity_a_runbook_and_a_unit_test() {
    let tests = std::fs::read_to_string(deploy("prometheus/alerts_test.yml")).unwrap();
    let mut names = BTreeSet::new();
    for rule in alerts() {
        let name = rule["alert"]
            .as_str()
            .expect("only alerting rules")
            .to_string();
        assert!(
            matches!(
                rule["labels"]["severity"].as_str(),
                Some("critical" | "warning")
            ),
            "{name}: severity critical or warning"
        );
        let runbook = rule["annotations"]["runbook"].as_str().unwrap_or_default();
        assert!(
            runbook.len() > 40,
            "{name}: a runbook line, got {runbook:?}"
        );
        assert!(
            rule["annotations"]["summary"].as_str().is_some(),
            "{name}: a summary"
        );
        assert!(
            tests.contains(&format!(
                "alertname: {name}\n        exp_alerts:\n          - "
            )),
            "{name}: alerts_test.yml shows it firing"
        );
        assert!(names.insert(name.clone()), "{name} defined twice");
    }
    for wanted in [
        "CertyoQueueNoDelivery",
        "CertyoQueueOldestPendingAge",
        "CertyoQueueDeadLetters",
        "CertyoApiKeyRefused",
        "CertyoVerificationFailed",
        "CertyoCaptureTriggersNotCurrent",
        "CertyoCaptureLagging",
        "CertyoRowsAltered",
    ] {
        assert!(names.contains(wanted), "missing alert {wanted}");
    }
}

/// Metric names `work` exports on this branch: the constants in src/telemetry.rs.
fn exported_metrics() -> BTreeSet<String> {
    let src = std::fs::read_to_string(repo().join("src/telemetry.rs")).unwrap();
    src.lines()
        .filter_map(|l| l.strip_prefix("pub const "))
        .filter_map(|l| l.split('"').nth(1))
        .filter(|n| n.starts_with("certyo_"))
        .map(str::to_string)
        .collect()
}

/// Metrics another branch adds (poll/binlog capture sources): alerts may use them
/// before they are exported here. Keep in step with tests/monitoring.rs NOT_EXPORTED_YET.
const ADDED_ELSEWHERE: &[&str] = &["certyo_capture_lag_seconds"];

fn metric_names(promql: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let bytes = promql.as_bytes();
    let mut i = 0;
    while let Some(pos) = promql[i..].find("certyo_") {
        let start = i + pos;
        let mut end = start;
        while end < bytes.len() && (bytes[end].is_ascii_alphanumeric() || bytes[end] == b'_') {
            end += 1;
        }
        names.insert(promql[start..end].to_string());
        i = end;
    }
    names
}

fn known(name: &str, exported: &BTreeSet<String>) -> bool {
    let base = ["_bucket", "_count", "_sum"]
        .iter()
        .find_map(|s| name.strip_suffix(s))
        .unwrap_or(name);
    exported.contains(name) || exported.contains(base) || ADDED_ELSEWHERE.contains(&name)
}

#[test]
fn alerts_and_dashboard_use_only_metrics_that_exist() {
    let exported = exported_metrics();
    assert!(
        exported.contains("certyo_queue_delivered_total"),
        "{exported:?}"
    );
    for rule in alerts() {
        let expr = rule["expr"].as_str().unwrap();
        for name in metric_names(expr) {
            assert!(
                known(&name, &exported),
                "alert {:?}: unknown metric {name}",
                rule["alert"]
            );
        }
    }
    let dash: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(deploy("grafana/certyo-queue.json")).unwrap(),
    )
    .expect("the dashboard is JSON");
    let panels = dash["panels"].as_array().expect("panels");
    assert!(panels.len() >= 8);
    let mut used = BTreeSet::new();
    for p in panels {
        let targets = p["targets"].as_array().expect("every panel has targets");
        assert!(!targets.is_empty(), "{}", p["title"]);
        for t in targets {
            let expr = t["expr"].as_str().expect("expr");
            for name in metric_names(expr) {
                assert!(
                    known(&name, &exported),
                    "panel {}: unknown metric {name}",
                    p["title"]
                );
                used.insert(name);
            }
        }
    }
    for wanted in [
        "certyo_queue_delivered_total",
        "certyo_queue_depth",
        "certyo_queue_oldest_pending_seconds",
        "certyo_queue_delivery_latency_seconds_bucket",
        "certyo_api_responses_total",
        "certyo_queue_retried_total",
        "certyo_queue_dead_total",
        "certyo_verify_outcomes_total",
        "certyo_leader",
    ] {
        assert!(used.contains(wanted), "no panel shows {wanted}");
    }
}

/// `work`'s arguments as a service manager would pass them, parsed by the real CLI.
fn work_args(args: &[&str]) -> certyo_queue::cli::WorkArgs {
    let mut argv = vec!["certyo-queue"];
    argv.extend_from_slice(args);
    match Cli::try_parse_from(&argv) {
        Ok(cli) => match cli.command {
            Sub::Work(w) => w,
            _ => panic!("{args:?} is not `work`"),
        },
        Err(e) => panic!("{args:?} does not parse: {e}"),
    }
}

fn unit_value<'a>(unit: &'a str, key: &str) -> Vec<&'a str> {
    unit.lines()
        .filter_map(|l| l.strip_prefix(key)?.strip_prefix('='))
        .collect()
}

#[test]
fn the_systemd_unit_is_verified_hardened_and_agrees_with_the_cli() {
    let analyze = tool("systemd-analyze");
    let unit = std::fs::read_to_string(deploy("systemd/certyo-queue.service")).unwrap();
    for (key, value) in [
        ("DynamicUser", "yes"),
        ("NoNewPrivileges", "yes"),
        ("ProtectSystem", "strict"),
        ("LoadCredential", "certyo-api-key:/etc/certyo-queue/api-key"),
    ] {
        assert_eq!(unit_value(&unit, key), vec![value], "{key}=");
    }
    let exec = unit_value(&unit, "ExecStart");
    assert_eq!(exec.len(), 1);
    let argv: Vec<&str> = exec[0].split_whitespace().collect();
    assert_eq!(argv[0], "/usr/local/bin/certyo-queue");
    let credential = argv[1..]
        .iter()
        .map(|a| {
            a.replace(
                "${CREDENTIALS_DIRECTORY}",
                "/run/credentials/certyo-queue.service",
            )
        })
        .collect::<Vec<_>>();
    let work = work_args(&credential.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(
        work.api.api_key_file.as_deref(),
        Some(Path::new(
            "/run/credentials/certyo-queue.service/certyo-api-key"
        )),
        "the key comes from the credential"
    );
    assert!(
        !unit.contains("CERTYO_API_KEY="),
        "no key in the unit's environment"
    );
    let stop = unit_value(&unit, "TimeoutStopSec");
    let stop = humantime::parse_duration(stop[0]).expect("TimeoutStopSec");
    assert!(
        stop > work.shutdown_timeout,
        "TimeoutStopSec {stop:?} must exceed --shutdown-timeout {:?}",
        work.shutdown_timeout
    );

    // systemd-analyze checks that ExecStart exists: point it at the binary just built.
    let dir = common::process::scratch_dir("systemd");
    let copy = dir.join("certyo-queue.service");
    std::fs::write(
        &copy,
        unit.replace("/usr/local/bin/certyo-queue", common::bin()),
    )
    .unwrap();
    let out = run(&analyze, &["verify", copy.to_str().unwrap()]);
    assert!(
        out.status.success() && text(&out).trim().is_empty(),
        "systemd-analyze verify:\n{}",
        text(&out)
    );
    let out = run(
        &analyze,
        &["security", "--offline=yes", copy.to_str().unwrap()],
    );
    let report = text(&out);
    let level = report
        .lines()
        .find(|l| l.contains("Overall exposure level"))
        .unwrap_or_else(|| panic!("systemd-analyze security:\n{report}"));
    assert!(level.contains(" OK"), "exposure should be OK: {level}");

    // And the check is real: a misspelled directive is reported.
    std::fs::write(
        &copy,
        unit.replace("/usr/local/bin/certyo-queue", common::bin())
            .replace("NoNewPrivileges=yes", "NoNewPrivilege=yes"),
    )
    .unwrap();
    let out = run(&analyze, &["verify", copy.to_str().unwrap()]);
    assert!(
        text(&out).contains("NoNewPrivilege"),
        "systemd-analyze verify did not report a misspelled directive:\n{}",
        text(&out)
    );
    let _ = std::fs::remove_dir_all(dir);
}

fn manifests() -> Vec<(PathBuf, Value)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(deploy("kubernetes"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let doc = serde_yaml::from_str(&std::fs::read_to_string(&p).unwrap())
                .unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            (p, doc)
        })
        .collect()
}

fn kind<'a>(docs: &'a [(PathBuf, Value)], kind: &str) -> &'a Value {
    &docs
        .iter()
        .find(|(_, d)| d["kind"].as_str() == Some(kind))
        .unwrap_or_else(|| panic!("no {kind} in deploy/kubernetes"))
        .1
}

#[test]
fn the_kubernetes_manifests_validate_against_the_schemas_and_agree_with_the_cli() {
    let validator = kubernetes_validate();
    let docs = manifests();
    let files: Vec<&str> = docs.iter().map(|(p, _)| p.to_str().unwrap()).collect();
    for version in ["1.30.0", "1.37.0"] {
        let mut args = vec!["--strict", "-k", version];
        args.extend(&files);
        let out = run(&validator, &args);
        assert!(
            out.status.success(),
            "kubernetes-validate -k {version}:\n{}",
            text(&out)
        );
        assert_eq!(
            text(&out).matches(" passed for resource ").count(),
            docs.len(),
            "{}",
            text(&out)
        );
    }

    let deployment = kind(&docs, "Deployment");
    let spec = &deployment["spec"];
    assert!(
        spec["replicas"].as_u64().unwrap_or(1) >= 2,
        "several replicas"
    );
    let pod = &spec["template"]["spec"];
    let container = &pod["containers"][0];
    let args: Vec<&str> = container["args"]
        .as_sequence()
        .expect("args")
        .iter()
        .map(|a| a.as_str().expect("args are strings"))
        .collect();
    let work = work_args(&args);
    let grace = pod["terminationGracePeriodSeconds"]
        .as_u64()
        .expect("grace");
    assert!(
        Duration::from_secs(grace) > work.shutdown_timeout,
        "terminationGracePeriodSeconds {grace} must exceed --shutdown-timeout {:?}",
        work.shutdown_timeout
    );
    let port = work.metrics_addr.port() as u64;
    assert!(
        work.metrics_addr.ip().is_unspecified(),
        "probes need the metrics port on the pod's address"
    );
    let named_port = container["ports"]
        .as_sequence()
        .unwrap()
        .iter()
        .find(|p| p["containerPort"].as_u64() == Some(port))
        .and_then(|p| p["name"].as_str())
        .expect("the --metrics-addr port is a named container port");
    for (probe, path) in [("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")] {
        assert_eq!(
            container[probe]["httpGet"]["path"].as_str(),
            Some(path),
            "{probe}"
        );
        assert_eq!(
            container[probe]["httpGet"]["port"].as_str(),
            Some(named_port),
            "{probe}"
        );
    }
    // The key file: a Secret item mounted where --api-key-file points.
    let key_file = work.api.api_key_file.expect("--api-key-file");
    let mount = container["volumeMounts"]
        .as_sequence()
        .unwrap()
        .iter()
        .find(|m| key_file.starts_with(m["mountPath"].as_str().unwrap()))
        .expect("a volume mounted at the key file's directory");
    let volume = pod["volumes"]
        .as_sequence()
        .unwrap()
        .iter()
        .find(|v| v["name"] == mount["name"])
        .expect("the mounted volume");
    let secret_name = volume["secret"]["secretName"]
        .as_str()
        .expect("a Secret volume");
    let item = volume["secret"]["items"]
        .as_sequence()
        .unwrap()
        .iter()
        .find(|i| key_file.ends_with(i["path"].as_str().unwrap()))
        .expect("the key file is an item of the Secret");
    let secret = kind(&docs, "Secret");
    assert_eq!(secret["metadata"]["name"].as_str(), Some(secret_name));
    assert!(
        secret["stringData"][item["key"].as_str().unwrap()].is_string(),
        "the Secret holds the key"
    );
    let env: Vec<&str> = container["env"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert!(
        !env.contains(&"CERTYO_API_KEY"),
        "the key is a file, not an env var"
    );

    let pdb = kind(&docs, "PodDisruptionBudget");
    assert_eq!(
        pdb["spec"]["selector"]["matchLabels"], spec["selector"]["matchLabels"],
        "the budget covers the Deployment's pods"
    );
    assert_eq!(
        spec["template"]["metadata"]["labels"], spec["selector"]["matchLabels"],
        "the pods carry the selector's labels"
    );
}

#[test]
fn kubernetes_validate_rejects_a_broken_manifest() {
    let dir = common::process::scratch_dir("k8s");
    let text_in = std::fs::read_to_string(deploy("kubernetes/deployment.yaml")).unwrap();
    let broken = text_in.replace("replicas: 3", "replicas: \"3\"");
    assert_ne!(broken, text_in);
    let path = dir.join("deployment.yaml");
    std::fs::write(&path, broken).unwrap();
    let out = run(
        &kubernetes_validate(),
        &["--strict", path.to_str().unwrap()],
    );
    assert!(!out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("spec.replicas"), "{}", text(&out));
    let _ = std::fs::remove_dir_all(dir);
}

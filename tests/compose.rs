//! docker-compose.yml stays in step with the CLI: every certyo-queue service's command
//! parses with the real clap definition, its environment names settings the CLI knows,
//! and the services point at each other (URLs, ports, key, order) consistently.
//! (Docker itself cannot run in the test environment.)

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use certyo_queue::cli::{Cli, Command};
use certyo_queue::config::DbConfig;
use clap::{CommandFactory, Parser};
use serde_yaml::Value;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn compose() -> Value {
    let text = std::fs::read_to_string(root().join("docker-compose.yml"))
        .expect("docker-compose.yml at the repository root");
    serde_yaml::from_str(&text).expect("docker-compose.yml is valid YAML")
}

fn services(doc: &Value) -> &serde_yaml::Mapping {
    doc["services"].as_mapping().expect("a services: mapping")
}

/// The services that run our image (built from the repository's Dockerfile).
fn ours(doc: &Value) -> BTreeMap<String, &Value> {
    services(doc)
        .iter()
        .filter(|(_, s)| s.get("build").is_some())
        .map(|(k, s)| (k.as_str().unwrap().to_string(), s))
        .collect()
}

fn command(service: &Value) -> Vec<String> {
    service["command"]
        .as_sequence()
        .expect("command: as a list (exec form)")
        .iter()
        .map(|v| match v {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            other => panic!("command item {other:?} is not a string"),
        })
        .collect()
}

fn environment(service: &Value) -> BTreeMap<String, String> {
    service
        .get("environment")
        .and_then(Value::as_mapping)
        .map(|m| {
            m.iter()
                .map(|(k, v)| {
                    let v = match v {
                        Value::String(s) => s.clone(),
                        Value::Number(n) => n.to_string(),
                        Value::Bool(b) => b.to_string(),
                        other => panic!("environment value {other:?}"),
                    };
                    (k.as_str().unwrap().to_string(), v)
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Parse a service's command as the image's entrypoint (`certyo-queue`) would.
fn parse(name: &str, service: &Value) -> Cli {
    let args = command(service);
    Cli::try_parse_from(std::iter::once("certyo-queue".to_string()).chain(args.clone()))
        .unwrap_or_else(|e| {
            panic!(
                "service {name}: `certyo-queue {}` is refused:\n{e}",
                args.join(" ")
            )
        })
}

/// Every environment variable the CLI reads for `subcommand`, plus its global options.
fn known_env(subcommand: &str) -> BTreeSet<String> {
    let cli = Cli::command();
    let sub = cli
        .find_subcommand(subcommand)
        .unwrap_or_else(|| panic!("no subcommand {subcommand}"));
    cli.get_arguments()
        .chain(sub.get_arguments())
        .filter_map(|a| a.get_env())
        .map(|e| e.to_string_lossy().into_owned())
        .chain(["RUST_LOG".to_string()])
        .collect()
}

#[test]
fn every_certyo_queue_command_parses_with_the_cli() {
    let doc = compose();
    let ours = ours(&doc);
    let names: BTreeSet<&str> = ours.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        BTreeSet::from(["emulator", "migrate", "work"]),
        "services built from the Dockerfile"
    );
    for (name, service) in &ours {
        let cli = parse(name, service);
        match (name.as_str(), &cli.command) {
            ("migrate", Command::Migrate(args)) => {
                assert_eq!(args.tables, ["products"]);
                assert!(!args.dry_run);
            }
            ("work", Command::Work(args)) => assert_eq!(args.delivery.concurrency, 8),
            ("emulator", Command::Emulator(args)) => {
                assert!(
                    args.listen.ip().is_unspecified(),
                    "reachable from other containers"
                )
            }
            (name, command) => panic!("service {name} runs {command:?}"),
        }
        let sub = command(service)[0].clone();
        let known = known_env(&sub);
        for key in environment(service).keys() {
            assert!(
                known.contains(key),
                "service {name} sets {key}, which `certyo-queue {sub}` does not read; known: {known:?}"
            );
        }
    }
}

#[test]
fn the_services_point_at_each_other() {
    let doc = compose();
    let services = services(&doc);
    let ours = ours(&doc);

    let mysql = &services["mysql"];
    assert_eq!(mysql["image"].as_str(), Some("mysql:8.4"));
    let mysql_env = environment(mysql);
    let schema = &mysql_env["MYSQL_DATABASE"];
    let password = &mysql_env["MYSQL_ROOT_PASSWORD"];
    for name in ["migrate", "work"] {
        let url = &environment(ours[name])["DATABASE_URL"];
        let cfg = DbConfig::parse(url).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(cfg.schema().as_deref(), Some(schema.as_str()), "{name}");
        assert!(
            url.starts_with(&format!("mysql://root:{password}@mysql:3306/")),
            "{name}: {url}"
        );
    }

    // work reaches the emulator on the port it listens on, with the key it accepts.
    let Command::Emulator(emu) = parse("emulator", ours["emulator"]).command else {
        unreachable!()
    };
    let work_env = environment(ours["work"]);
    assert_eq!(
        work_env["CERTYO_BASE_URL"],
        format!("http://emulator:{}", emu.listen.port())
    );
    // The emulator's key and tenant: its environment's, else the CLI defaults (read
    // from the library, not from this test process's environment).
    let emu_env = environment(ours["emulator"]);
    let key = emu_env
        .get("CERTYO_API_KEY")
        .map_or(certyo_queue::emulator::DEFAULT_API_KEY, String::as_str);
    let tenant = emu_env
        .get("CERTYO_TENANT_ID")
        .map_or(certyo_queue::emulator::DEFAULT_TENANT_ID, String::as_str);
    assert_eq!(work_env["CERTYO_API_KEY"], key);
    assert_eq!(work_env["CERTYO_TENANT_ID"], tenant);

    // Order: migrate after MySQL is healthy; work and demo after migrate succeeded.
    let cond = |svc: &str, dep: &str| {
        services[svc]["depends_on"][dep]["condition"]
            .as_str()
            .map(String::from)
    };
    assert_eq!(cond("migrate", "mysql").as_deref(), Some("service_healthy"));
    for svc in ["work", "demo"] {
        assert_eq!(
            cond(svc, "migrate").as_deref(),
            Some("service_completed_successfully"),
            "{svc}"
        );
    }

    // Files the compose file mounts exist, and the init SQL creates the guide's table.
    let init = std::fs::read_to_string(root().join("docker/init.sql")).unwrap();
    assert!(init.contains("CREATE TABLE products"), "docker/init.sql");
    assert!(root().join("docker/demo.sh").is_file());
    let dockerfile = std::fs::read_to_string(root().join("Dockerfile")).unwrap();
    assert!(
        dockerfile.contains(r#"ENTRYPOINT ["certyo-queue"]"#),
        "the commands above assume the image's entrypoint is certyo-queue"
    );
}

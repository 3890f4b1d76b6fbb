//! `certyo-queue work`: the wiring of one worker process. Validates every setting,
//! connects, checks the schema and the server's settings, then runs the delivery pool
//! (`delivery`), the scheduled jobs (`tasks`) and the metrics and health endpoints
//! (`health_server`) until a signal.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use sqlx::mysql::MySqlPool;
use tokio_util::sync::CancellationToken;

use crate::certyo::{CertyoClient, ClientOptions};
use crate::cli::WorkArgs;
use crate::config::{ApiConfig, DbConfig};
use crate::delivery::config::WorkerConfig;
use crate::delivery::Delivery;
use crate::error::ConfigError;

/// `certyo-queue work`: validate everything, connect, run until a signal.
pub async fn run(args: &WorkArgs, stop: CancellationToken) -> anyhow::Result<ExitCode> {
    let db_cfg = DbConfig::from_args(&args.db)?;
    let schema = db_cfg.schema().unwrap_or_default();
    let api = ApiConfig::from_args(&args.api, &schema)?;
    let cfg = WorkerConfig::from_args(&args.delivery, args.shutdown_timeout)?;
    let schedule = crate::tasks::ScheduleConfig::from_args(&args.schedule)?;
    if cfg.lease <= api.request_timeout {
        return Err(ConfigError::Invalid {
            name: "--lease",
            reason: format!(
                "must be longer than --request-timeout ({:?}): a claim must outlive the calls that deliver it",
                api.request_timeout
            ),
        }
        .into());
    }
    cfg.check_round_fits(api.request_timeout)?;
    let options = ClientOptions {
        extra_roots_pem: match &args.api.ca_file {
            None => None,
            Some(path) => Some(std::fs::read(path).map_err(|e| ConfigError::Invalid {
                name: "--ca-file",
                reason: format!("cannot read {}: {e}", path.display()),
            })?),
        },
    };
    tracing::info!(
        event = "worker.start",
        database = %db_cfg,
        certyo = %api.base_url,
        tenant = %api.tenant_id,
        certyo_database = %api.database,
        concurrency = cfg.concurrency,
        batch_size = cfg.batch_size,
        bulk_threshold = cfg.bulk_threshold,
        poll_interval = ?cfg.poll_interval,
        lease = ?cfg.lease,
        max_attempts = cfg.max_attempts,
        "starting certyo-queue work (API key: set, not shown)"
    );
    let client = CertyoClient::with_options(api, args.api.api_key_file.clone(), options)
        .context("setting up the Certyo client")?;
    let db = crate::db::connect(&db_cfg, (cfg.concurrency + 6) as u32).await?;
    ensure_migrated(&db).await?;
    {
        let mut conn = db.acquire().await.context("checking server settings")?;
        crate::server_checks::ServerSettings::read(&mut conn)
            .await
            .context("reading server settings")?
            .check_delivery()?;
    }

    let scheduler = if args.no_scheduled {
        None
    } else {
        let scheduler = crate::tasks::Scheduler::new(db.clone(), Some(client.clone()), schedule)?
            .with_binlog(
                db_cfg.clone(),
                crate::tasks::BinlogConfig {
                    server_id: args.binlog_server_id,
                    ..crate::tasks::BinlogConfig::default()
                },
            );
        Some(tokio::spawn(scheduler.run(stop.clone())))
    };
    let delivery = Arc::new(Delivery::new(db.clone(), client, cfg, schema));
    let health = crate::health_server::Health {
        db: db.clone(),
        auth: Arc::clone(&delivery.auth),
        delivery: Some(Arc::clone(&delivery.health)),
    };
    let (bound, server) = crate::health_server::serve(args.metrics_addr, health, stop.clone())
        .await
        .with_context(|| {
            format!(
                "serving metrics on --metrics-addr {} (several `work` processes on one host need a port each; 127.0.0.1:0 picks a free one and logs it)",
                args.metrics_addr
            )
        })?;
    tracing::info!(event = "telemetry.listen", addr = %bound, "serving /metrics, /healthz and /readyz on http://{bound}");
    let drained = delivery.run(stop).await;
    let _ = server.await;
    if let Some(scheduler) = scheduler {
        let _ = scheduler.await;
    }
    db.close().await;
    tracing::info!(event = "worker.stopped", clean = drained, "stopped");
    Ok(ExitCode::SUCCESS)
}

async fn ensure_migrated(db: &MySqlPool) -> anyhow::Result<()> {
    let mut conn = db.acquire().await.context("connecting to the database")?;
    let pending = crate::schema::pending(&mut conn).await?;
    if !pending.is_empty() {
        anyhow::bail!(
            "the queue schema is not installed or out of date ({} migration(s) pending); run `certyo-queue migrate` first",
            pending.len()
        );
    }
    Ok(())
}

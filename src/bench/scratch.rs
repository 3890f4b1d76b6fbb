//! The scratch database a bench run works in: `certyo_bench_<random>` on the server of
//! `--database-url`, with the queue schema, a captured `products` table and its
//! uncaptured twin `products_plain`. [`Scratch::drop_database`] removes it; the caller
//! runs it after success, error and Ctrl-C alike.

use sqlx::mysql::MySqlPool;

use crate::capture::template::{fill, quote_ident, statement};
use crate::config::DbConfig;
use crate::migrate::{self, MigratePlan};

/// The captured table.
pub const CAPTURED: &str = "products";
/// The same table, not captured.
pub const PLAIN: &str = "products_plain";

pub struct Scratch {
    pub name: String,
    pub cfg: DbConfig,
    /// The scratch database URL with its password, for the `work` child process (passed
    /// through its environment, never printed).
    pub url: String,
    pub pool: MySqlPool,
    admin: MySqlPool,
}

impl Scratch {
    /// Create the database, install the queue schema and capture `products`.
    pub async fn create(raw_url: &str, cfg: &DbConfig, pool_size: u32) -> anyhow::Result<Scratch> {
        // information_schema: every account can connect to it, whatever the URL names.
        let admin = crate::db::connect(&cfg.with_schema("information_schema"), 2).await?;
        let name = format!("certyo_bench_{:08x}", fastrand::u32(..));
        let create = fill(
            statement(include_str!("../../sql/bench_database_create.sql")),
            &[("db", &quote_ident(&name))],
        );
        sqlx::query(sqlx::AssertSqlSafe(create.as_str()))
            .execute(&admin)
            .await
            .map_err(|e| {
                anyhow::anyhow!(
                "creating the scratch database {name} (the user needs CREATE on the server): {e}"
            )
            })?;
        let mut url = reqwest::Url::parse(raw_url)?;
        url.set_path(&name);
        let scratch_cfg = cfg.with_schema(&name);
        let pool = match crate::db::connect(&scratch_cfg, pool_size).await {
            Ok(p) => p,
            Err(e) => {
                drop_named(&admin, &name).await;
                return Err(e.into());
            }
        };
        let scratch = Scratch {
            name,
            cfg: scratch_cfg,
            url: url.to_string(),
            pool,
            admin,
        };
        if let Err(e) = scratch.install().await {
            scratch.drop_database().await;
            return Err(e);
        }
        Ok(scratch)
    }

    async fn install(&self) -> anyhow::Result<()> {
        for table in [CAPTURED, PLAIN] {
            let ddl = fill(
                statement(include_str!("../../sql/example_products.sql")),
                &[("table", &quote_ident(table))],
            );
            sqlx::query(sqlx::AssertSqlSafe(ddl.as_str()))
                .execute(&self.pool)
                .await?;
        }
        let plan = MigratePlan {
            tables: vec![CAPTURED.to_string()],
            ..Default::default()
        };
        migrate::run(&self.pool, &plan).await?;
        Ok(())
    }

    /// Close the pool and drop the database.
    pub async fn drop_database(self) {
        self.pool.close().await;
        drop_named(&self.admin, &self.name).await;
        self.admin.close().await;
    }
}

async fn drop_named(admin: &MySqlPool, name: &str) {
    let sql = fill(
        statement(include_str!("../../sql/bench_database_drop.sql")),
        &[("db", &quote_ident(name))],
    );
    if let Err(e) = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
        .execute(admin)
        .await
    {
        tracing::warn!(event = "bench.drop_failed", database = %name, error = %e, "could not drop the scratch database; drop it by hand");
    }
}

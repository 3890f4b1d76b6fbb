//! The queue's own schema: the refinery migrations in `migrations/`, embedded in the
//! binary and run over the same sqlx connection as everything else through a small
//! adapter (refinery-core's async traits), so no second MySQL driver is needed.
//!
//! refinery takes no lock of its own: callers hold the migrate named lock
//! (see `migrate`). Each migration file is sent as one multi-statement query.

use async_trait::async_trait;
use refinery_core::traits::r#async::{AsyncMigrate, AsyncQuery, AsyncTransaction};
use refinery_core::Migration;
use sqlx::mysql::MySqlConnection;
use sqlx::{Connection, Row};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::error::DbError;

/// Where refinery keeps the list of applied migrations.
pub const HISTORY_TABLE: &str = "certyo_queue_schema_history";

mod embedded {
    refinery::embed_migrations!("migrations");
}

/// A migration of ours: its refinery name (`V1__queue_table`) and SQL.
#[derive(Debug, Clone)]
pub struct SchemaMigration {
    pub version: u32,
    pub name: String,
    pub sql: String,
    /// The statement recording it in the history table as refinery would (for
    /// `--dry-run` output, which must leave the database as `migrate` does).
    pub record_sql: String,
}

/// The history table as refinery creates it (for `--dry-run` output).
pub fn history_create_sql() -> &'static str {
    crate::sql::statement(include_str!("../sql/schema_history_create.sql"))
}

fn runner() -> refinery::Runner {
    let mut runner = embedded::migrations::runner();
    runner.set_migration_table_name(HISTORY_TABLE);
    runner
}

/// The embedded migrations not yet recorded as applied in this database.
pub async fn pending(conn: &mut MySqlConnection) -> Result<Vec<SchemaMigration>, DbError> {
    let applied: Vec<u32> = match sqlx::query(include_str!("../sql/schema_history_versions.sql"))
        .fetch_all(&mut *conn)
        .await
    {
        Ok(rows) => rows
            .iter()
            .filter_map(|r| r.try_get::<i32, _>(0).ok())
            .map(|v| v as u32)
            .collect(),
        Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("42S02") => Vec::new(),
        Err(source) => {
            return Err(DbError::Query {
                context: "reading the schema history",
                source,
            })
        }
    };
    Ok(runner()
        .get_migrations()
        .iter()
        .filter(|m| !applied.contains(&m.version()))
        .map(|m| SchemaMigration {
            version: m.version(),
            name: m.to_string(),
            sql: m.sql().unwrap_or_default().to_string(),
            record_sql: crate::sql::fill(
                crate::sql::statement(include_str!("../sql/schema_history_insert.sql")),
                &[
                    ("version", &m.version().to_string()),
                    ("name", m.name()),
                    (
                        "applied_on",
                        &OffsetDateTime::now_utc()
                            .format(&Rfc3339)
                            .unwrap_or_default(),
                    ),
                    ("checksum", &m.checksum().to_string()),
                ],
            ),
        })
        .collect())
}

/// Apply every pending migration; returns the names of those applied.
pub async fn apply(conn: &mut MySqlConnection) -> Result<Vec<String>, SchemaError> {
    let report = runner()
        .set_abort_divergent(true)
        .run_async(&mut Adapter(conn))
        .await
        .map_err(|e| SchemaError(e.to_string()))?;
    Ok(report
        .applied_migrations()
        .iter()
        .map(|m| m.to_string())
        .collect())
}

#[derive(Debug, thiserror::Error)]
#[error("applying the queue schema: {0}")]
pub struct SchemaError(String);

struct Adapter<'c>(&'c mut MySqlConnection);

#[async_trait]
impl AsyncTransaction for Adapter<'_> {
    type Error = sqlx::Error;

    async fn execute(&mut self, queries: &[&str]) -> Result<usize, Self::Error> {
        let owned: Vec<String> = queries.iter().map(|q| q.to_string()).collect();
        execute_all(self.0, owned).await
    }
}

#[async_trait]
impl AsyncQuery<Vec<Migration>> for Adapter<'_> {
    async fn query(&mut self, query: &str) -> Result<Vec<Migration>, Self::Error> {
        query_history(self.0, query.to_string()).await
    }
}

type BoxFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;

// Plain functions with one named lifetime: async_trait's Send check cannot see through
// sqlx's higher-ranked Executor bounds when the bodies sit in the trait methods. A
// query without arguments goes over MySQL's text protocol, which runs a whole
// multi-statement migration file in one round trip.
fn execute_all(
    conn: &mut MySqlConnection,
    queries: Vec<String>,
) -> BoxFuture<'_, Result<usize, sqlx::Error>> {
    Box::pin(async move {
        let mut tx = conn.begin().await?;
        for q in &queries {
            sqlx::Executor::execute(&mut *tx, sqlx::AssertSqlSafe(q.as_str())).await?;
        }
        tx.commit().await?;
        Ok(queries.len())
    })
}

fn query_history(
    conn: &mut MySqlConnection,
    query: String,
) -> BoxFuture<'_, Result<Vec<Migration>, sqlx::Error>> {
    Box::pin(async move {
        let rows =
            sqlx::Executor::fetch_all(&mut *conn, sqlx::AssertSqlSafe(query.as_str())).await?;
        rows.iter()
            .map(|row| {
                let version: i32 = row.try_get(0)?;
                let name: String = row.try_get(1)?;
                let applied_on: String = row.try_get(2)?;
                let checksum: String = row.try_get(3)?;
                let applied_on = OffsetDateTime::parse(&applied_on, &Rfc3339)
                    .map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
                let checksum = checksum
                    .parse::<u64>()
                    .map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
                Ok(Migration::applied(version, name, applied_on, checksum))
            })
            .collect()
    })
}

impl AsyncMigrate for Adapter<'_> {}

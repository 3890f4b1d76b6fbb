//! The capture registry (`certyo_capture`, migration V5): which tables are captured,
//! by which source, with which rendering options. `migrate` writes it; every other
//! command reads captured tables from it, so none needs the TRIGGER privilege (MySQL
//! hides `information_schema.TRIGGERS` rows from users without it) and a capture
//! source other than triggers can be added without teaching each command about it.
//! A database captured before the registry existed is adopted by the next `migrate`,
//! which registers every table that carries our triggers.

use sqlx::mysql::MySqlConnection;
use sqlx::Row;

use super::CaptureError;

/// How a captured table's changes reach `certyo_queue`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// AFTER INSERT/UPDATE/DELETE triggers, in the application's transaction.
    Trigger,
    /// The `poll` leader job reading a timestamp column (`capture::poll`); options
    /// hold the column (`capture::poll::PollSpec`). Sees no deletes.
    Poll,
    /// The `binlog` leader job reading the server's binary log (`capture::binlog`).
    Binlog,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Trigger => "trigger",
            Source::Poll => "poll",
            Source::Binlog => "binlog",
        }
    }

    fn parse(s: &str) -> Option<Source> {
        match s {
            "trigger" => Some(Source::Trigger),
            "poll" => Some(Source::Poll),
            "binlog" => Some(Source::Binlog),
            _ => None,
        }
    }
}

/// One registered table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registered {
    pub table: String,
    /// None: a source this version does not know (written by a newer certyo-queue).
    pub source: Option<Source>,
    pub source_name: String,
    /// Rendering options, a JSON object as text.
    pub options: Option<String>,
}

/// Every registered table, by name.
pub async fn list(conn: &mut MySqlConnection) -> Result<Vec<Registered>, CaptureError> {
    let rows = sqlx::query(include_str!("../../sql/capture_registry_list.sql"))
        .fetch_all(&mut *conn)
        .await
        .map_err(CaptureError::db(
            "reading the capture registry (certyo_capture)",
        ))?;
    rows.iter()
        .map(|r| {
            let source_name: String = r.try_get(1)?;
            Ok(Registered {
                table: r.try_get(0)?,
                source: Source::parse(&source_name),
                source_name,
                options: r.try_get(2)?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(CaptureError::db("decoding the capture registry"))
}

impl Registered {
    /// How the table is polled, when its source is `poll`.
    pub fn poll_spec(&self) -> Option<super::poll::PollSpec> {
        match self.source {
            Some(Source::Poll) => super::poll::PollSpec::from_options(self.options.as_deref()),
            _ => None,
        }
    }
}

/// The registry entry of `table`, if any (None also before migration V5).
pub async fn get(
    conn: &mut MySqlConnection,
    table: &str,
) -> Result<Option<Registered>, CaptureError> {
    Ok(list_or_empty(conn)
        .await?
        .into_iter()
        .find(|r| r.table == table))
}

/// Every registered table; none before migration V5 (no registry yet).
pub async fn list_or_empty(conn: &mut MySqlConnection) -> Result<Vec<Registered>, CaptureError> {
    match list(conn).await {
        Ok(all) => Ok(all),
        Err(CaptureError::Db {
            source: sqlx::Error::Database(d),
            ..
        }) if d.code().as_deref() == Some("42S02") => Ok(Vec::new()),
        Err(e) => Err(e),
    }
}

/// Every table captured by polling, with its poll spec (none before migration V5).
pub async fn get_all_polled(
    conn: &mut MySqlConnection,
) -> Result<Vec<(String, super::poll::PollSpec)>, CaptureError> {
    let all = list_or_empty(conn).await?;
    Ok(all
        .into_iter()
        .filter_map(|r| r.poll_spec().map(|s| (r.table, s)))
        .collect())
}

/// Register `table` as captured by `source` (keeping its options when `options` is None).
pub async fn register(
    conn: &mut MySqlConnection,
    table: &str,
    source: Source,
    options: Option<&str>,
) -> Result<(), CaptureError> {
    let q = sqlx::query(include_str!("../../sql/capture_registry_upsert.sql"))
        .bind(table)
        .bind(source.as_str())
        .bind(options);
    write(conn, q).await
}

/// `table` is no longer captured.
pub async fn unregister(conn: &mut MySqlConnection, table: &str) -> Result<(), CaptureError> {
    let q = sqlx::query(include_str!("../../sql/capture_registry_delete.sql")).bind(table);
    write(conn, q).await
}

async fn write(
    conn: &mut MySqlConnection,
    q: sqlx::query::Query<'_, sqlx::MySql, sqlx::mysql::MySqlArguments>,
) -> Result<(), CaptureError> {
    q.execute(&mut *conn).await.map_err(CaptureError::db(
        "writing the capture registry (certyo_capture)",
    ))?;
    Ok(())
}

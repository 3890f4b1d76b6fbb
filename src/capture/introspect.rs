//! What `information_schema` says about a table: its columns in order, which are
//! business columns, which move by themselves (ON UPDATE CURRENT_TIMESTAMP), its primary
//! key in key order, and its indexes. Names are matched exactly (information_schema may
//! compare case-blind) and checked before anything quotes them.

use sqlx::mysql::MySqlConnection;
use sqlx::Row;

use super::CaptureError;

/// Prefix of every tracking column (and of our index and triggers).
pub const TRACKING_PREFIX: &str = "certyo_";

/// Tables that are ours and must never be captured.
const RESERVED: &[&str] = &[
    "certyo_queue",
    crate::schema::HISTORY_TABLE,
    "certyo_queue_backfill",
    "certyo_capture_digest",
    "certyo_capture",
    "certyo_capture_poll",
    "certyo_capture_poll_seen",
    "certyo_capture_binlog",
    "certyo_writeback_due",
];

/// Which server a table lives on (a few renderings need engine-specific SQL).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Engine {
    #[default]
    MySql,
    MariaDb,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Column {
    pub name: String,
    /// `ON UPDATE CURRENT_TIMESTAMP`: kept in payloads, left out of change detection.
    pub on_update: bool,
    /// A character column: compared as bytes so case-only changes count.
    pub text: bool,
    /// information_schema DATA_TYPE, lowercase (`int`, `varchar`, `timestamp`, …).
    pub data_type: String,
    /// information_schema COLUMN_TYPE (`int unsigned`, `binary(16)`, …).
    pub column_type: String,
    /// Fraction digits of TIME / DATETIME / TIMESTAMP (0 otherwise).
    pub precision: u32,
    /// CHARACTER_MAXIMUM_LENGTH (characters, or bytes for binary types).
    pub char_length: Option<u64>,
    /// NUMERIC_PRECISION (digits of DECIMAL).
    pub numeric_precision: Option<u64>,
    /// A generated column (VIRTUAL or STORED): in the payload, not compared.
    pub generated: bool,
    /// An INVISIBLE column: in the payload like any other.
    pub invisible: bool,
    /// MariaDB's JSON (LONGTEXT with CHECK (json_valid(col))), or MySQL's json.
    pub json: bool,
    /// Anchored as a SHA-256 of its value (`migrate --digest-column`).
    pub digest: bool,
}

impl Column {
    pub fn is_tracking(&self) -> bool {
        self.name.starts_with(TRACKING_PREFIX)
    }
}

/// A base table as information_schema describes it.
#[derive(Debug, Clone)]
pub struct TableShape {
    pub name: String,
    /// Every column in table order, tracking columns included.
    pub columns: Vec<Column>,
    /// Primary key columns in key order.
    pub pk: Vec<String>,
    pub indexes: Vec<String>,
    pub engine: Engine,
}

impl TableShape {
    /// Columns that are the row's content: everything but `certyo_*`.
    pub fn business_columns(&self) -> impl Iterator<Item = &Column> {
        self.columns.iter().filter(|c| !c.is_tracking())
    }

    pub fn has_column(&self, name: &str) -> bool {
        self.columns.iter().any(|c| c.name == name)
    }

    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// The primary-key columns in key order.
    pub fn key_columns(&self) -> Vec<&Column> {
        self.pk.iter().filter_map(|n| self.column(n)).collect()
    }
}

/// The server of this connection.
pub async fn engine(conn: &mut MySqlConnection) -> Result<Engine, CaptureError> {
    let version: String = sqlx::query_scalar(include_str!("../../sql/session_server_version.sql"))
        .fetch_one(&mut *conn)
        .await
        .map_err(CaptureError::db("reading the server version"))?;
    Ok(if version.contains("MariaDB") {
        Engine::MariaDb
    } else {
        Engine::MySql
    })
}

/// Columns of `table` set to be anchored as a digest; none before migration V6 (or when
/// this user may not read the registry).
pub async fn digest_columns(
    conn: &mut MySqlConnection,
    table: &str,
) -> Result<Vec<String>, CaptureError> {
    match sqlx::query_scalar::<_, String>(include_str!("../../sql/capture_digest_list.sql"))
        .bind(table)
        .fetch_all(&mut *conn)
        .await
    {
        Ok(cols) => Ok(cols),
        // 42S02: no V6 yet. 42000 (1142): a user without SELECT on it, e.g. `work`'s
        // least-privilege user: write-back and verification do not need the options.
        Err(sqlx::Error::Database(d))
            if matches!(d.code().as_deref(), Some("42S02") | Some("42000")) =>
        {
            Ok(Vec::new())
        }
        Err(e) => Err(CaptureError::Db {
            context: "reading the digest columns (certyo_capture_digest)",
            source: e,
        }),
    }
}

/// MariaDB's JSON columns of `table`: those with CHECK (json_valid(`col`)).
async fn mariadb_json_columns(
    conn: &mut MySqlConnection,
    schema: &str,
    table: &str,
) -> Result<Vec<String>, CaptureError> {
    let rows = sqlx::query(include_str!("../../sql/capture_json_columns_mariadb.sql"))
        .bind(schema)
        .bind(table)
        .fetch_all(&mut *conn)
        .await
        .map_err(CaptureError::db("reading the table's CHECK constraints"))?;
    let mut out = Vec::new();
    for row in rows {
        let t: String = row
            .try_get(0)
            .map_err(CaptureError::db("decoding CHECK constraints"))?;
        let clause: String = row
            .try_get(1)
            .map_err(CaptureError::db("decoding CHECK constraints"))?;
        if t != table {
            continue;
        }
        let clause = clause.trim();
        if let Some(col) = clause
            .strip_prefix("json_valid(`")
            .and_then(|r| r.strip_suffix("`)"))
        {
            out.push(col.to_string());
        }
    }
    Ok(out)
}

/// Refuse names that would need more than plain backtick quoting.
pub fn check_name(name: &str) -> Result<(), CaptureError> {
    let bad = name.is_empty()
        || name.chars().count() > 64
        || name.ends_with(' ')
        || name
            .chars()
            .any(|c| matches!(c, '`' | '\'' | '"' | '\\') || c.is_control());
    if bad {
        return Err(CaptureError::BadName(name.to_string()));
    }
    Ok(())
}

/// The table `name` in `schema`, or `Ok(None)` if there is no such base table.
pub async fn inspect(
    conn: &mut MySqlConnection,
    schema: &str,
    name: &str,
) -> Result<Option<TableShape>, CaptureError> {
    let case_blind: i64 =
        sqlx::query_scalar(include_str!("../../sql/capture_lower_case_table_names.sql"))
            .fetch_one(&mut *conn)
            .await
            .map_err(CaptureError::db("reading lower_case_table_names"))?;
    let rows = sqlx::query(include_str!("../../sql/capture_table_columns.sql"))
        .bind(schema)
        .bind(name)
        .fetch_all(&mut *conn)
        .await
        .map_err(CaptureError::db(
            "reading the table's columns from information_schema",
        ))?;
    // The table's name as the server stores it: with lower_case_table_names set, a
    // name given in another case is the same table (as the server itself treats it).
    let mut stored: Option<String> = None;
    let mut columns = Vec::new();
    let mut pk: Vec<(i64, String)> = Vec::new();
    for row in rows {
        let table: String = row
            .try_get(0)
            .map_err(CaptureError::db("decoding columns"))?;
        let same =
            table == name || (case_blind != 0 && table.to_lowercase() == name.to_lowercase());
        if !same {
            continue;
        }
        stored.get_or_insert_with(|| table.clone());
        let column: String = row
            .try_get(1)
            .map_err(CaptureError::db("decoding columns"))?;
        let extra: Option<String> = row
            .try_get(2)
            .map_err(CaptureError::db("decoding columns"))?;
        let charset: Option<String> = row
            .try_get(3)
            .map_err(CaptureError::db("decoding columns"))?;
        let pk_position: Option<i64> = row
            .try_get(4)
            .map_err(CaptureError::db("decoding columns"))?;
        let data_type: Option<String> = row
            .try_get(5)
            .map_err(CaptureError::db("decoding columns"))?;
        let column_type: Option<String> = row
            .try_get(6)
            .map_err(CaptureError::db("decoding columns"))?;
        let precision: Option<i64> = row
            .try_get(7)
            .map_err(CaptureError::db("decoding columns"))?;
        let char_length: Option<i64> = row
            .try_get(8)
            .map_err(CaptureError::db("decoding columns"))?;
        let numeric_precision: Option<i64> = row
            .try_get(9)
            .map_err(CaptureError::db("decoding columns"))?;
        if let Some(pos) = pk_position {
            pk.push((pos, column.clone()));
        }
        let extra = extra.unwrap_or_default().to_ascii_lowercase();
        let data_type = data_type.unwrap_or_default();
        columns.push(Column {
            on_update: extra.contains("on update"),
            text: charset.is_some(),
            json: data_type == "json",
            data_type,
            column_type: column_type.unwrap_or_default(),
            precision: precision.unwrap_or(0).clamp(0, 6) as u32,
            char_length: char_length.and_then(|n| u64::try_from(n).ok()),
            numeric_precision: numeric_precision.and_then(|n| u64::try_from(n).ok()),
            generated: extra.contains("generated"),
            invisible: extra.contains("invisible"),
            digest: false,
            name: column,
        });
    }
    if columns.is_empty() {
        return Ok(None);
    }
    let stored_name = stored.clone().unwrap_or_else(|| name.to_string());
    let name = stored_name.as_str();
    pk.sort();
    let engine = engine(conn).await?;
    if engine == Engine::MariaDb {
        for json in mariadb_json_columns(conn, schema, name).await? {
            if let Some(c) = columns.iter_mut().find(|c| c.name == json) {
                c.json = true;
            }
        }
    }
    for digest in digest_columns(conn, name).await? {
        if let Some(c) = columns.iter_mut().find(|c| c.name == digest) {
            c.digest = true;
        }
    }
    let index_rows = sqlx::query(include_str!("../../sql/capture_table_indexes.sql"))
        .bind(schema)
        .bind(name)
        .fetch_all(&mut *conn)
        .await
        .map_err(CaptureError::db(
            "reading the table's indexes from information_schema",
        ))?;
    let mut indexes = Vec::new();
    for row in index_rows {
        let table: String = row
            .try_get(0)
            .map_err(CaptureError::db("decoding indexes"))?;
        let index: String = row
            .try_get(1)
            .map_err(CaptureError::db("decoding indexes"))?;
        if Some(&table) == stored.as_ref() {
            indexes.push(index);
        }
    }
    Ok(Some(TableShape {
        name: stored.unwrap_or_else(|| name.to_string()),
        columns,
        pk: pk.into_iter().map(|(_, c)| c).collect(),
        indexes,
        engine,
    }))
}

/// Inspect a table a user asked to capture, refusing what cannot be captured.
/// `name`'s shape, checked and required to exist (a clear `UnknownTable` otherwise).
pub async fn inspect_existing(
    conn: &mut MySqlConnection,
    schema: &str,
    name: &str,
) -> Result<TableShape, CaptureError> {
    check_name(name)?;
    inspect(conn, schema, name)
        .await?
        .ok_or_else(|| CaptureError::UnknownTable {
            table: name.to_string(),
            schema: schema.to_string(),
        })
}

pub async fn inspect_for_capture(
    conn: &mut MySqlConnection,
    schema: &str,
    name: &str,
) -> Result<TableShape, CaptureError> {
    check_name(name)?;
    if RESERVED.contains(&name) {
        return Err(CaptureError::Reserved(name.to_string()));
    }
    let shape = inspect_existing(conn, schema, name).await?;
    if shape.pk.is_empty() {
        return Err(CaptureError::NoPrimaryKey(name.to_string()));
    }
    for column in &shape.columns {
        check_name(&column.name).map_err(|_| CaptureError::BadColumnName {
            table: name.to_string(),
            column: column.name.clone(),
        })?;
    }
    if let Some(col) = shape.pk.iter().find(|c| c.starts_with(TRACKING_PREFIX)) {
        return Err(CaptureError::BadColumnName {
            table: name.to_string(),
            column: col.clone(),
        });
    }
    Ok(shape)
}

//! `MigrateError`: every way a migrate fails, and the mapping of a server error to the
//! one that says what to do (privilege, trigger trust, unreachable).

use sqlx::mysql::MySqlDatabaseError;

use crate::capture::CaptureError;
use crate::schema::SchemaError;
use crate::server_checks::ServerCheckError;

#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    #[error(transparent)]
    Capture(#[from] CaptureError),
    #[error("cannot reach the database: {0}")]
    Unreachable(String),
    #[error(
        "the database URL names no database; add it as the path, e.g. mysql://user@host:3306/shop"
    )]
    NoSchema,
    #[error("--poll-column, --poll-column-trusted and --create-index are for tables captured by polling; `{0}` is captured by triggers (add --capture poll to switch it)")]
    PollOptions(String),
    #[error("table `{0}` is named both to capture and to uncapture")]
    Conflict(String),
    #[error("empty table name{0}: name the table to capture, e.g. --table products")]
    EmptyTableName(&'static str),
    #[error("table name {name:?} is {chars} characters long; MySQL table names are at most 64 characters")]
    TableNameTooLong { name: String, chars: usize },
    #[error("another `certyo-queue migrate` of database `{schema}` kept its lock for {secs}s; try again when it has finished")]
    Locked { schema: String, secs: u64 },
    /// A signal arrived before migrate took its lock: nothing was changed.
    #[error("interrupted while waiting for the database or the migrate lock; nothing was changed")]
    Interrupted,
    #[error("permission denied while {doing}: {message}. The migrate user needs GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, ALTER, INDEX, TRIGGER, LOCK TABLES ON `{schema}`.* TO <user>")]
    Privilege {
        doing: String,
        message: String,
        schema: String,
    },
    #[error("binary logging is on and this user lacks SUPER, so it may not create triggers ({message}); set GLOBAL log_bin_trust_function_creators = 1 (or in my.cnf), or run migrate as a user with SUPER")]
    BinlogTrust { message: String },
    #[error("{doing}: {message}")]
    Db {
        doing: String,
        message: String,
        /// MySQL error number, when the server gave one.
        code: Option<u16>,
    },
    #[error(transparent)]
    Schema(#[from] SchemaError),
    #[error(transparent)]
    Server(#[from] ServerCheckError),
    #[error("another session (typically an open transaction) held the metadata lock of `{table}` through {tries} waits of {secs}s while {doing}; nothing more was changed and the table's capture is as it was. Find it with SHOW PROCESSLIST / information_schema.INNODB_TRX, let it finish, and run migrate again")]
    MetadataLocked {
        table: String,
        doing: String,
        secs: u64,
        tries: u32,
    },
    #[error("{failure}; restoring the previous triggers of `{table}` also failed ({restore}): the table is NOT captured until migrate succeeds")]
    RestoreFailed {
        table: String,
        failure: Box<MigrateError>,
        restore: String,
    },
}

impl MigrateError {
    pub(super) fn from_sqlx(
        doing: impl Into<String>,
        schema: &str,
        err: sqlx::Error,
    ) -> MigrateError {
        let doing = doing.into();
        let code = err
            .as_database_error()
            .and_then(|d| d.try_downcast_ref::<MySqlDatabaseError>())
            .map(|d| d.number());
        let message = match err.as_database_error() {
            Some(d) => d.message().to_string(),
            None => err.to_string(),
        };
        match code {
            Some(1142 | 1143 | 1044 | 1227) => MigrateError::Privilege {
                doing,
                message,
                schema: schema.to_string(),
            },
            Some(1419) => MigrateError::BinlogTrust { message },
            _ => match err {
                sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed => {
                    MigrateError::Unreachable(message)
                }
                _ => MigrateError::Db {
                    doing,
                    message,
                    code,
                },
            },
        }
    }
}

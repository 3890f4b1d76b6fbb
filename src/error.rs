//! The library's error types. Each says whether retrying can help, so callers decide
//! from the variant, never from message text.

use thiserror::Error;

/// A setting that cannot work. Reported before anything touches the database.
#[derive(Debug, Error)]
pub enum ConfigError {
    #[error("missing setting: {0}")]
    Missing(&'static str),
    #[error("invalid setting {name}: {reason}")]
    Invalid { name: &'static str, reason: String },
}

/// Anything that went wrong talking to the database, with what we were doing.
#[derive(Debug, Error)]
pub enum DbError {
    /// The cause is part of the message (not a `source`), so the one-line report
    /// does not repeat it.
    #[error("cannot connect to the database at {url}: {cause}. {hint}")]
    Connect {
        url: String,
        cause: sqlx::Error,
        /// What to check, chosen from the cause and the URL's TLS settings.
        hint: &'static str,
    },
    #[error("{context}: {source}")]
    Query {
        context: &'static str,
        #[source]
        source: sqlx::Error,
    },
}

impl DbError {
    pub fn query(context: &'static str) -> impl FnOnce(sqlx::Error) -> DbError {
        move |source| DbError::Query { context, source }
    }
}

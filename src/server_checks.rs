//! Start-up checks of server settings the product depends on, with the fix in the
//! message: `migrate` and `work` refuse before changing anything.
//!
//! - `binlog_format = STATEMENT` with binary logging on: MySQL refuses every statement
//!   that uses SKIP LOCKED (error 1665), so no claim could ever succeed.
//! - Binary logging on, no SUPER, `log_bin_trust_function_creators = 0`: the server
//!   refuses CREATE TRIGGER (1419). Checked before a trigger is dropped, so a refused
//!   migrate never leaves a table uncaptured.

use sqlx::mysql::MySqlConnection;
use sqlx::Row;

/// What the checks read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerSettings {
    pub log_bin: bool,
    pub binlog_format: String,
    pub trust_function_creators: bool,
    pub has_super: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum ServerCheckError {
    #[error("binary logging is on with binlog_format = STATEMENT: MySQL refuses the SKIP LOCKED statements certyo-queue runs (error 1665). Set binlog_format = ROW (the MySQL 8+ default): SET PERSIST binlog_format = 'ROW' (MySQL), SET GLOBAL binlog_format = 'ROW' and binlog_format = ROW in my.cnf (MariaDB); on AWS RDS/Aurora in the DB (cluster) parameter group, on Azure as a server parameter, on Google Cloud SQL as a database flag")]
    StatementBinlog,
    #[error("binary logging is on and this user lacks SUPER, so the server refuses CREATE TRIGGER unless log_bin_trust_function_creators = 1. Self-managed: SET PERSIST log_bin_trust_function_creators = 1 (MySQL 8+), or SET GLOBAL log_bin_trust_function_creators = 1 and the same in my.cnf (MariaDB). AWS RDS / Aurora: set log_bin_trust_function_creators = 1 in the DB parameter group (Aurora: the DB cluster parameter group) and apply it. Azure Database for MySQL Flexible Server: set the server parameter log_bin_trust_function_creators = ON. Google Cloud SQL: set the database flag log_bin_trust_function_creators = on. Or run migrate as a user with SUPER. Nothing was changed")]
    TriggerTrust,
    #[error("reading server settings: {0}")]
    Db(#[from] sqlx::Error),
}

impl ServerSettings {
    pub async fn read(conn: &mut MySqlConnection) -> Result<ServerSettings, sqlx::Error> {
        let row = sqlx::query(include_str!("../sql/server_settings.sql"))
            .fetch_one(&mut *conn)
            .await?;
        Ok(ServerSettings {
            log_bin: row.try_get::<Option<i64>, _>(0)?.unwrap_or(0) != 0,
            binlog_format: row.try_get::<Option<String>, _>(1)?.unwrap_or_default(),
            trust_function_creators: row.try_get::<Option<i64>, _>(2)?.unwrap_or(0) != 0,
            has_super: row.try_get::<Option<i64>, _>(3)?.unwrap_or(0) != 0,
        })
    }

    /// Delivery (claims with SKIP LOCKED) works on this server.
    pub fn check_delivery(&self) -> Result<(), ServerCheckError> {
        if self.log_bin && self.binlog_format.eq_ignore_ascii_case("STATEMENT") {
            return Err(ServerCheckError::StatementBinlog);
        }
        Ok(())
    }

    /// This user may create triggers on this server.
    pub fn check_triggers(&self) -> Result<(), ServerCheckError> {
        if self.log_bin && !self.trust_function_creators && !self.has_super {
            return Err(ServerCheckError::TriggerTrust);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(log_bin: bool, format: &str, trust: bool, sup: bool) -> ServerSettings {
        ServerSettings {
            log_bin,
            binlog_format: format.into(),
            trust_function_creators: trust,
            has_super: sup,
        }
    }

    #[test]
    fn statement_format_is_refused_only_with_binary_logging_on() {
        assert!(settings(true, "STATEMENT", true, true)
            .check_delivery()
            .is_err());
        assert!(settings(false, "STATEMENT", true, true)
            .check_delivery()
            .is_ok());
        assert!(settings(true, "ROW", false, false).check_delivery().is_ok());
        assert!(settings(true, "MIXED", false, false)
            .check_delivery()
            .is_ok());
    }

    #[test]
    fn triggers_need_trust_or_super_with_binary_logging_on() {
        assert!(settings(true, "ROW", false, false)
            .check_triggers()
            .is_err());
        assert!(settings(true, "ROW", true, false).check_triggers().is_ok());
        assert!(settings(true, "ROW", false, true).check_triggers().is_ok());
        assert!(settings(false, "ROW", false, false)
            .check_triggers()
            .is_ok());
    }
}

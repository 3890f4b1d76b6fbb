//! The foreign keys whose ON UPDATE / ON DELETE actions change a captured table's rows
//! without firing its triggers (`migrate` and `status` warn about them).

use sqlx::mysql::MySqlConnection;
use sqlx::Row;

use super::CaptureError;

/// A foreign key whose ON UPDATE / ON DELETE action changes a captured table's rows
/// without firing its triggers.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Cascade {
    pub constraint: String,
    /// The parent table whose changes cascade.
    pub referenced_table: String,
    pub on_update: String,
    pub on_delete: String,
}

impl Cascade {
    /// e.g. "`fk_line_order` (ON DELETE CASCADE from `orders`)"
    pub fn describe(&self) -> String {
        let mut actions = Vec::new();
        if self.on_update != "NO ACTION" && self.on_update != "RESTRICT" {
            actions.push(format!("ON UPDATE {}", self.on_update));
        }
        if self.on_delete != "NO ACTION" && self.on_delete != "RESTRICT" {
            actions.push(format!("ON DELETE {}", self.on_delete));
        }
        format!(
            "`{}` ({} from `{}`)",
            self.constraint,
            actions.join(", "),
            self.referenced_table
        )
    }
}

/// The foreign keys of `table` whose cascading actions bypass its triggers.
pub async fn cascades(
    conn: &mut MySqlConnection,
    schema: &str,
    table: &str,
) -> Result<Vec<Cascade>, CaptureError> {
    let rows = sqlx::query(include_str!("../../sql/capture_cascading_foreign_keys.sql"))
        .bind(schema)
        .bind(table)
        .fetch_all(&mut *conn)
        .await
        .map_err(CaptureError::db(
            "reading foreign keys from information_schema",
        ))?;
    let mut out = Vec::new();
    for row in rows {
        let decode = || CaptureError::db("decoding foreign keys");
        let child: String = row.try_get(1).map_err(decode())?;
        if child != table {
            continue;
        }
        out.push(Cascade {
            constraint: row.try_get(0).map_err(decode())?,
            referenced_table: row.try_get(2).map_err(decode())?,
            on_update: row.try_get(3).map_err(decode())?,
            on_delete: row.try_get(4).map_err(decode())?,
        });
    }
    Ok(out)
}

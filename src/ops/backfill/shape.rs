//! The backfilled table: its shape, accepted only if its payloads would match what its
//! capture source writes (current triggers, or a polled / binlog table that renders).

use sqlx::mysql::MySqlConnection;

use super::BackfillError;
use crate::capture::{self, TableShape, TriggerState};

/// The table's shape, if its capture triggers are current.
pub(super) async fn captured_shape(
    conn: &mut MySqlConnection,
    schema: &str,
    table: &str,
) -> Result<TableShape, BackfillError> {
    let shape = capture::inspect_existing(conn, schema, table).await?;
    // A table captured by polling or from the binary log has no triggers; its payloads
    // are rendered by the same expressions, so it only has to be renderable.
    let polled = capture::registry::get(conn, table).await?.is_some_and(|r| {
        matches!(
            r.source,
            Some(capture::registry::Source::Poll | capture::registry::Source::Binlog)
        )
    });
    if polled && !shape.pk.is_empty() {
        capture::triggers::generate(&shape)?;
        return Ok(shape);
    }
    match capture::trigger_state(conn, schema, table).await? {
        TriggerState::Current if !shape.pk.is_empty() => Ok(shape),
        TriggerState::Drifted => Err(BackfillError::Drifted(table.to_string())),
        TriggerState::Unrenderable => Err(match capture::triggers::generate(&shape) {
            Err(e) => e.into(),
            Ok(_) => BackfillError::Drifted(table.to_string()),
        }),
        _ => Err(BackfillError::NotCaptured(table.to_string())),
    }
}

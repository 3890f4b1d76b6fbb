//! Placeholder until the capture branch lands its write-back.
use sqlx::mysql::MySqlPool;

#[derive(Debug, Clone)]
pub struct Delivered {
    pub queue_id: i64,
    pub table: String,
    pub record_id: String,
    pub record_hash: Option<String>,
}

#[derive(Debug, Default)]
pub struct WriteBackReport {
    pub rows_updated: u64,
}

#[derive(Debug, thiserror::Error)]
#[error("write-back failed")]
pub struct WriteBackError;

pub async fn write_back(
    _pool: &MySqlPool,
    _schema: &str,
    _items: &[Delivered],
) -> Result<WriteBackReport, WriteBackError> {
    Ok(WriteBackReport::default())
}

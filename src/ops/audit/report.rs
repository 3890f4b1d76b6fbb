//! An audit's settings (`AuditConfig`) and its report: per table the counts, the
//! altered and gone rows listed, the proof's outcome; where an interrupted run stopped.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::DEFAULT_CHUNK;

/// Settings of one audit run.
#[derive(Debug, Clone)]
pub struct AuditConfig {
    /// Tables to audit; empty: every captured table.
    pub tables: Vec<String>,
    /// Rows per chunk.
    pub chunk: usize,
    /// Altered and gone rows listed per table (all are counted, and all are marked).
    pub limit: usize,
    /// Set `certyo_anchor_status = 'Altered'` on altered rows.
    pub mark: bool,
    /// Also ask Certyo about up to this many rows per table that matched locally
    /// (`--prove N`; `u64::MAX` for all), spread over the table.
    pub sample: u64,
    /// Start after this primary key (key values as text, in key order): resume an
    /// interrupted audit of one table (`--resume-after`).
    pub resume_after: Option<Vec<String>>,
}

impl Default for AuditConfig {
    fn default() -> Self {
        AuditConfig {
            tables: Vec::new(),
            chunk: DEFAULT_CHUNK,
            limit: 100,
            mark: false,
            sample: 0,
            resume_after: None,
        }
    }
}

/// A row whose content is not what its last delivered version carried.
#[derive(Debug, Clone, Serialize)]
pub struct AlteredRow {
    pub record_id: String,
    /// `certyo_anchor_status` when read (Pending, Anchored, Failed, Altered).
    pub status: String,
    /// When the version it was anchored as was delivered (`certyo_ingested_at`).
    pub delivered_at: Option<DateTime<Utc>>,
    /// When Certyo confirmed that version anchored (`certyo_verified_at`).
    pub anchored_at: Option<DateTime<Utc>>,
    /// What Certyo said of the current content, when asked (`--prove`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proof: Option<String>,
    /// The payload as the row renders now (for the proof; not printed).
    #[serde(skip)]
    pub payload: String,
}

/// A record whose newest queue event is not a delete, yet whose row is gone.
#[derive(Debug, Clone, Serialize)]
pub struct GoneRow {
    pub record_id: String,
    /// The newest queue event of the record (`insert`, `update`, `upsert`).
    pub last_op: String,
    pub queue_id: i64,
    pub delivered: bool,
}

/// One table's findings.
#[derive(Debug, Clone, Default, Serialize)]
pub struct TableAudit {
    pub table: String,
    /// Rows read.
    pub rows: u64,
    /// Delivered, and the row still renders as the payload delivered.
    pub matching: u64,
    /// Delivered, and the row renders differently now.
    pub altered: u64,
    /// No version ever delivered (no status, no digest).
    pub never_delivered: u64,
    /// Changed through capture; the new version is not delivered yet.
    pub awaiting_delivery: u64,
    /// Delivered before certyo-queue wrote payload digests back: cannot be compared
    /// locally (re-anchor with `backfill --restart`, or prove with Certyo).
    pub delivered_without_digest: u64,
    /// Queue records whose row is gone without a delete event.
    pub gone: u64,
    /// Rows this run marked 'Altered'.
    pub marked: u64,
    /// Up to `--limit` altered rows, in key order.
    pub altered_rows: Vec<AlteredRow>,
    /// Up to `--limit` gone records.
    pub gone_rows: Vec<GoneRow>,
    /// Matching rows asked about so far (`--prove`).
    #[serde(skip)]
    pub sampled: u64,
    /// Outcome counts of the proof, when one ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proof: Option<ProofCounts>,
}

/// What Certyo said when asked about rows' current content.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ProofCounts {
    /// Rows asked about.
    pub asked: u64,
    /// Certyo: this content is the anchored version.
    pub anchored: u64,
    /// Certyo: this content is the latest version, not anchored yet.
    pub pending: u64,
    /// Certyo: this content is not the version it holds.
    pub differs: u64,
    /// Certyo does not know the record.
    pub unknown: u64,
    /// The call failed (network, 429/5xx after retries, unreadable answer).
    pub failed: u64,
}

/// The whole report; `--json` prints exactly this.
#[derive(Debug, Clone, Default, Serialize)]
pub struct AuditReport {
    pub database: String,
    /// True when nothing is altered or gone (exit code 0; otherwise 2).
    pub clean: bool,
    pub tables: Vec<TableAudit>,
    /// Stopped early (Ctrl-C): the counts cover the rows read so far.
    pub interrupted: bool,
    /// When interrupted: the table and the last key done, to resume with
    /// `--table T --resume-after KEY`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resume: Option<Resume>,
}

/// Where an interrupted audit stopped.
#[derive(Debug, Clone, Serialize)]
pub struct Resume {
    pub table: String,
    /// The last key compared, a JSON array of the key values as text.
    pub after: String,
}

impl AuditReport {
    pub fn finish(&mut self) {
        self.clean = self.tables.iter().all(|t| t.altered == 0 && t.gone == 0);
    }
}

/// Where a run stands, after each chunk.
#[derive(Debug, Clone)]
pub struct Progress {
    pub table: String,
    pub rows: u64,
    pub altered: u64,
    /// InnoDB's estimate of the table's rows (0 when unknown); for display only.
    pub estimated_rows: u64,
}

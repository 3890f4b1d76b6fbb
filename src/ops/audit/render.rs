//! The text report of an audit and its progress display.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use chrono::{DateTime, SecondsFormat, Utc};

use super::{AuditReport, Progress};

/// The text report.
pub fn render_text(report: &AuditReport) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    for t in &report.tables {
        let _ = writeln!(
            out,
            "audit `{}`: {} rows: {} match, {} altered, {} never delivered, {} awaiting delivery, {} delivered without a digest; {} gone without a delete event{}",
            t.table,
            t.rows,
            t.matching,
            t.altered,
            t.never_delivered,
            t.awaiting_delivery,
            t.delivered_without_digest,
            t.gone,
            if t.marked > 0 {
                format!("; {} marked Altered", t.marked)
            } else {
                String::new()
            }
        );
        for a in &t.altered_rows {
            let _ = writeln!(
                out,
                "  altered: record {} ({}, delivered {}, anchored {}){}",
                a.record_id,
                a.status,
                when(a.delivered_at),
                when(a.anchored_at),
                a.proof
                    .as_deref()
                    .map(|p| format!("; Certyo: {p}"))
                    .unwrap_or_default()
            );
        }
        if (t.altered_rows.len() as u64) < t.altered {
            let _ = writeln!(
                out,
                "  … and {} more altered rows (--limit)",
                t.altered - t.altered_rows.len() as u64
            );
        }
        for g in &t.gone_rows {
            let _ = writeln!(
                out,
                "  gone: record {} (newest queue event: {} #{}, {})",
                g.record_id,
                g.last_op,
                g.queue_id,
                if g.delivered {
                    "delivered"
                } else {
                    "not delivered yet"
                }
            );
        }
        if (t.gone_rows.len() as u64) < t.gone {
            let _ = writeln!(
                out,
                "  … and {} more gone records (--limit)",
                t.gone - t.gone_rows.len() as u64
            );
        }
        if let Some(p) = &t.proof {
            let _ = writeln!(
                out,
                "  proof by Certyo: {} asked: {} anchored, {} pending, {} differ, {} unknown to Certyo, {} failed",
                p.asked, p.anchored, p.pending, p.differs, p.unknown, p.failed
            );
        }
    }
    if report.interrupted {
        let _ = writeln!(
            out,
            "interrupted: the counts cover the rows read so far{}",
            match &report.resume {
                Some(r) => format!(
                    "; to go on: certyo-queue audit --table {} --resume-after '{}'",
                    r.table, r.after
                ),
                None => "; run the same command again".into(),
            }
        );
    }
    out
}

fn when(t: Option<DateTime<Utc>>) -> String {
    t.map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true))
        .unwrap_or_else(|| "-".into())
}

/// Progress display: a line that rewrites itself on a terminal, a log line every 5 s
/// otherwise.
pub fn progress_printer() -> impl FnMut(&Progress) + Send {
    let terminal = std::io::stderr().is_terminal();
    let mut last_log: Option<Instant> = None;
    move |p: &Progress| {
        let of = if p.estimated_rows > 0 {
            let pct = (p.rows as f64 * 100.0 / p.estimated_rows as f64).min(100.0);
            format!(" of ~{} ({pct:.0}%)", p.estimated_rows)
        } else {
            String::new()
        };
        if terminal {
            eprint!(
                "\raudit {}: {} rows compared{of}, {} altered   ",
                p.table, p.rows, p.altered
            );
        } else if last_log.is_none_or(|t| t.elapsed() >= Duration::from_secs(5)) {
            last_log = Some(Instant::now());
            tracing::info!(event = "audit.progress",
                table = %p.table,
                rows = p.rows,
                altered = p.altered,
                estimated_rows = p.estimated_rows,
                "audit.progress: {} rows compared{of}, {} altered",
                p.rows,
                p.altered
            );
        }
    }
}

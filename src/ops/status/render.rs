//! The text form of the status report.

use std::fmt::Write as _;
use std::time::Duration;

use super::{Status, TriggerHealth};

fn age(seconds: Option<f64>) -> String {
    match seconds {
        None => "-".to_string(),
        Some(s) => humantime::format_duration(Duration::from_secs(s as u64)).to_string(),
    }
}

/// The text form of the report.
pub fn render_text(s: &Status) -> String {
    let mut out = String::new();
    let verdict = if s.healthy {
        "healthy"
    } else {
        "needs attention"
    };
    let _ = writeln!(
        out,
        "certyo-queue status of database `{}`: {verdict}",
        s.database
    );
    let q = &s.queue;
    let _ = writeln!(out);
    let _ = writeln!(out, "queue");
    let _ = writeln!(
        out,
        "  pending          {:>10}  (retrying {})",
        q.pending, q.retrying
    );
    let _ = writeln!(out, "  in flight        {:>10}", q.in_flight);
    let _ = writeln!(out, "  dead             {:>10}", q.dead);
    let _ = writeln!(
        out,
        "  write-backs kept {:>10}  (oldest {}s)",
        q.writebacks_kept, q.oldest_writeback_kept_seconds
    );
    let _ = writeln!(out, "  delivered 1h     {:>10}", q.delivered_last_1h);
    let _ = writeln!(out, "  delivered 24h    {:>10}", q.delivered_last_24h);
    let _ = writeln!(
        out,
        "  oldest pending   {:>10}",
        age(q.oldest_pending_age_seconds)
    );
    let _ = writeln!(out);
    if s.tables.is_empty() {
        let _ = writeln!(
            out,
            "no captured tables (capture one with `certyo-queue migrate --table T`)"
        );
    } else {
        let width = s
            .tables
            .iter()
            .map(|t| t.table.len())
            .max()
            .unwrap_or(5)
            .max(5);
        let _ = writeln!(
            out,
            "{:<width$}  {:<8} {:<12} {:>9} {:>9} {:>6} {:>9} {:>9} {:>7} {:>7}",
            "table",
            "source",
            "triggers",
            "in flight",
            "retrying",
            "dead",
            "Pending",
            "Anchored",
            "Failed",
            "Altered"
        );
        for t in &s.tables {
            let (p, a, f, x) = match t.anchor {
                Some(c) => (
                    c.pending.to_string(),
                    c.anchored.to_string(),
                    c.failed.to_string(),
                    c.altered.to_string(),
                ),
                None => ("-".into(), "-".into(), "-".into(), "-".into()),
            };
            let _ = writeln!(
                out,
                "{:<width$}  {:<8} {:<12} {:>9} {:>9} {:>6} {:>9} {:>9} {:>7} {:>7}",
                t.table,
                t.source.as_deref().unwrap_or("-"),
                if t.poll.is_some() && t.triggers == TriggerHealth::NotCaptured {
                    "-"
                } else {
                    t.triggers.as_str()
                },
                t.queue.in_flight,
                t.queue.retrying,
                t.queue.dead,
                p,
                a,
                f,
                x
            );
        }
        let _ = writeln!(
            out,
            "(in flight / retrying / dead: queue rows; Pending / Anchored / Failed / Altered: rows by certyo_anchor_status)"
        );
        for t in &s.tables {
            if t.triggers == TriggerHealth::Unverified {
                let _ = writeln!(
                    out,
                    "note: `{}`: its capture triggers exist, but this user may not read their bodies (no TRIGGER privilege), so drift is not checked; run status as the migrate user for that",
                    t.table
                );
            }
            if let Some(p) = &t.poll {
                let _ = writeln!(
                    out,
                    "note: `{}` is captured by polling `{}` (inserts and updates only: deletes are NOT captured); newest stamp passed {}, {} versions enqueued",
                    t.table,
                    p.column,
                    p.high_stamp.as_deref().unwrap_or("none yet"),
                    p.rows_enqueued
                );
            }
            for fk in &t.cascading_foreign_keys {
                let _ = writeln!(
                    out,
                    "note: `{}`: foreign key {fk} changes rows without firing triggers; those changes are not captured",
                    t.table
                );
            }
        }
    }
    if let Some(b) = &s.binlog {
        let _ = writeln!(
            out,
            "binlog reader: checkpoint {}, {} rows enqueued, lag {} s / {} bytes (moved {})",
            b.position,
            b.rows_enqueued,
            b.lag_seconds.map_or("?".into(), |l| format!("{l:.1}")),
            b.lag_bytes.map_or("?".into(), |l| l.to_string()),
            b.updated_at
        );
    }
    if !s.problems.is_empty() {
        let _ = writeln!(out);
        let _ = writeln!(out, "problems");
        for p in &s.problems {
            let _ = writeln!(out, "  - {p}");
        }
    }
    out
}

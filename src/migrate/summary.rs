//! The text `migrate` prints: the SQL of a dry run, else one line per table and the
//! cascade warnings.

use super::{MigrateReport, TableAction};
use crate::capture::Cascade;

/// The warning printed for a foreign key whose cascades bypass `table`'s triggers.
pub fn cascade_warning(table: &str, c: &Cascade) -> String {
    format!(
        "`{table}`: foreign key {} changes its rows without firing triggers; those changes are not captured (capture `{}` too and anchor the parent's change, or let the application make the change itself)",
        c.describe(),
        c.referenced_table
    )
}

/// The text `run_cli` prints: the SQL for a dry run, else what changed.
pub fn summary(report: &MigrateReport) -> String {
    let mut out = String::new();
    if report.dry_run {
        for t in &report.tables {
            for c in &t.cascades {
                out.push_str(&format!("-- warning: {}\n", cascade_warning(&t.table, c)));
            }
        }
        if report.statements.is_empty() {
            out.push_str("-- dry run: nothing to do, everything is up to date\n");
            return out;
        }
        out.push_str("-- dry run: nothing was changed; this is the SQL migrate would run\n");
        out.push_str("DELIMITER $$\n");
        for sql in &report.statements {
            out.push_str(sql);
            out.push_str("\n$$\n");
        }
        out.push_str("DELIMITER ;\n");
        return out;
    }
    if !report.schema_migrations.is_empty() {
        out.push_str(&format!(
            "queue schema: applied {}\n",
            report.schema_migrations.join(", ")
        ));
    }
    for t in &report.tables {
        let what = match t.action {
            TableAction::Installed => "capture installed",
            TableAction::Regenerated => "capture triggers regenerated (table changed)",
            TableAction::Unchanged => "capture triggers up to date",
            TableAction::Uncaptured => {
                "capture removed (data, tracking columns and queued rows kept)"
            }
            TableAction::NotCaptured => "was not captured",
            TableAction::PollInstalled => {
                "capture by polling set up (no triggers; deletes are not seen)"
            }
            TableAction::PollUnchanged => "captured by polling, up to date",
            TableAction::SwitchedToPoll => {
                "switched from triggers to polling (triggers dropped; deletes are no longer seen)"
            }
            TableAction::SwitchedToTrigger => {
                "switched from polling to triggers (polling caught up first)"
            }
            TableAction::BinlogInstalled => {
                "capture from the binary log set up (no triggers; `work` reads the log from now on)"
            }
            TableAction::BinlogUnchanged => "captured from the binary log, up to date",
            TableAction::SwitchedToBinlog => {
                "switched to the binary log under one table lock (triggers dropped, or polling caught up first; `work` reads the table's changes from the log after it)"
            }
        };
        out.push_str(&format!("{}: {what}", t.table));
        if let Some(c) = &t.poll_column {
            out.push_str(&format!("; poll column `{c}`"));
        }
        if !t.columns_added.is_empty() {
            out.push_str(&format!("; added {}", t.columns_added.join(", ")));
        }
        if !t.digest_columns.is_empty() {
            out.push_str(&format!(
                "; anchored as SHA-256: {}",
                t.digest_columns.join(", ")
            ));
        }
        out.push('\n');
        for c in &t.cascades {
            out.push_str(&format!("warning: {}\n", cascade_warning(&t.table, c)));
        }
    }
    if !report.changed() {
        out.push_str("nothing to do: everything is up to date\n");
    }
    out
}

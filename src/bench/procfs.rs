//! What `/proc` says about a process: CPU time and peak resident memory. Linux only;
//! elsewhere every reading is `None` and the report says "n/a".
//!
//! CPU times in `/proc/<pid>/stat` are in clock ticks of USER_HZ, which the Linux ABI
//! fixes at 100 per second on every architecture we build for.

use std::time::Duration;

const USER_HZ: u64 = 100;

/// User + system CPU time consumed so far by process `pid`.
pub fn cpu_time(pid: u32) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces; fields after it start past ')'.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(Duration::from_millis((utime + stime) * 1000 / USER_HZ))
}

/// Peak resident set size (VmHWM) of process `pid`, in bytes.
pub fn peak_rss(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// The local database server's process (`mariadbd` or `mysqld`), if it runs on this
/// machine and `/proc` shows it; used to report the server's CPU per phase.
pub fn database_server_pid() -> Option<u32> {
    let entries = std::fs::read_dir("/proc").ok()?;
    entries.flatten().find_map(|e| {
        let pid: u32 = e.file_name().to_str()?.parse().ok()?;
        let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).ok()?;
        matches!(comm.trim(), "mariadbd" | "mysqld").then_some(pid)
    })
}

/// CPU time of a process between two points, for a set of processes at once.
#[derive(Debug, Clone, Copy)]
pub struct CpuMark {
    pid: Option<u32>,
    at: Option<Duration>,
}

impl CpuMark {
    pub fn start(pid: Option<u32>) -> CpuMark {
        CpuMark {
            pid,
            at: pid.and_then(cpu_time),
        }
    }

    /// CPU seconds used since `start`.
    pub fn elapsed(&self) -> Option<f64> {
        let now = cpu_time(self.pid?)?;
        Some(now.saturating_sub(self.at?).as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_has_cpu_time_and_a_peak_rss() {
        if cfg!(target_os = "linux") {
            let me = std::process::id();
            assert!(cpu_time(me).is_some());
            assert!(peak_rss(me).is_some_and(|b| b > 0));
        }
    }
}

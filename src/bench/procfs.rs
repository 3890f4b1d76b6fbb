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

/// The local database server's process (`mariadbd` or `mysqld`) that listens on TCP
/// `port`, if it runs on this machine and `/proc` shows it; used to report the server's
/// CPU per phase. Matching the port matters: with two servers on a machine, the first
/// one found may be the idle one.
pub fn database_server_pid(port: u16) -> Option<u32> {
    let inodes = listening_inodes(port);
    if inodes.is_empty() {
        return None;
    }
    let entries = std::fs::read_dir("/proc").ok()?;
    entries.flatten().find_map(|e| {
        let pid: u32 = e.file_name().to_str()?.parse().ok()?;
        let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).ok()?;
        if !matches!(comm.trim(), "mariadbd" | "mysqld") {
            return None;
        }
        let fds = std::fs::read_dir(format!("/proc/{pid}/fd")).ok()?;
        fds.flatten()
            .filter_map(|fd| std::fs::read_link(fd.path()).ok())
            .filter_map(|target| {
                let t = target
                    .to_str()?
                    .strip_prefix("socket:[")?
                    .strip_suffix(']')?;
                t.parse::<u64>().ok()
            })
            .any(|inode| inodes.contains(&inode))
            .then_some(pid)
    })
}

/// Socket inodes of TCP sockets listening on `port` (IPv4 and IPv6).
fn listening_inodes(port: u16) -> Vec<u64> {
    const LISTEN: &str = "0A";
    let mut out = Vec::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(text) = std::fs::read_to_string(table) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let f: Vec<&str> = line.split_whitespace().collect();
            let (Some(local), Some(state), Some(inode)) = (f.get(1), f.get(3), f.get(9)) else {
                continue;
            };
            let local_port = local
                .rsplit(':')
                .next()
                .and_then(|p| u16::from_str_radix(p, 16).ok());
            if *state == LISTEN && local_port == Some(port) {
                if let Ok(i) = inode.parse() {
                    out.push(i);
                }
            }
        }
    }
    out
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

//! The value parsers of the options: durations (capped at `MAX_DURATION`), rates, byte
//! sizes, `--prove N|all`.

use std::time::Duration;

/// `--prove N` or `--prove all`.
pub fn parse_prove(s: &str) -> Result<u64, String> {
    if s.eq_ignore_ascii_case("all") {
        return Ok(u64::MAX);
    }
    s.parse::<u64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| format!("{s:?}: expected a number of rows (1 or more) or `all`"))
}

/// Parse a byte size like `1048576`, `64KiB`, `1MiB` (K/KB/KiB and M/MB/MiB are all
/// binary multiples).
pub fn parse_size(s: &str) -> Result<usize, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (digits, unit) = t.split_at(split);
    let mult: usize = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        _ => return Err(format!("not a size: {s:?}; try 65536, 64KiB or 1MiB")),
    };
    digits
        .parse::<usize>()
        .ok()
        .and_then(|n| n.checked_mul(mult))
        .filter(|n| *n > 0)
        .ok_or_else(|| format!("not a size: {s:?}; try 65536, 64KiB or 1MiB"))
}

/// The longest duration any setting takes. Queue times are `TIMESTAMP(6)` columns
/// computed as `NOW(6) + INTERVAL … MICROSECOND`, which end in 2038; no setting needs
/// more than a year, and a typo like `12y` must not make every claim fail.
pub const MAX_DURATION: Duration = Duration::from_secs(366 * 24 * 3600);

/// Parse a duration like `500ms`, `60s`, `2m`, `24h`, `7d`; at most [`MAX_DURATION`].
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(s)
        .map_err(|e| format!("not a duration ({e}); try 500ms, 60s, 2m, 24h or 7d"))?;
    if d > MAX_DURATION {
        return Err(format!(
            "{s:?} is longer than the 366d any setting accepts (queue times are TIMESTAMP(6) columns, which end in 2038)"
        ));
    }
    Ok(d)
}

/// Parse a rate like `100/s` or `100`.
pub fn parse_rate(s: &str) -> Result<u32, String> {
    let n = s.strip_suffix("/s").unwrap_or(s);
    match n.trim().parse::<u32>() {
        Ok(v) if v > 0 => Ok(v),
        _ => Err(format!("not a rate: {s:?}; try 100/s")),
    }
}

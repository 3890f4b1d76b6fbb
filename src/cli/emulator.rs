//! `emulator`'s options: where it listens and how it behaves (anchoring delay, faults,
//! the documented choices of what the real API leaves open).

use std::net::SocketAddr;
use std::time::Duration;

use clap::{Args, ValueEnum};

use super::{parse_duration, parse_rate, parse_size};

/// Emulator settings. Documented choices for what the real API leaves open are in
/// the README ("Certyo contract assumptions") and in `--help`.
#[derive(Debug, Clone, Args)]
#[command(after_long_help = EMULATOR_CHOICES)]
pub struct EmulatorArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// The one API key accepted.
    #[arg(
        long,
        env = "CERTYO_API_KEY",
        default_value = "certyo_sk_test_emulator",
        hide_env_values = true
    )]
    pub api_key: String,
    /// The tenant that key belongs to.
    #[arg(long, env = "CERTYO_TENANT_ID", default_value = "tenant-emulator")]
    pub tenant_id: String,
    /// Time from acceptance until a record counts as anchored.
    #[arg(long, default_value = "60s", value_parser = parse_duration)]
    pub anchor_delay: Duration,
    /// Fraction of requests answered with 500 (0.0 to 1.0).
    #[arg(long, default_value_t = 0.0)]
    pub fail_rate: f64,
    /// Requests per second before 429 with Retry-After (e.g. 100/s); unlimited if absent.
    #[arg(long, value_parser = parse_rate)]
    pub rate_limit: Option<u32>,
    /// Extra latency added to every response.
    #[arg(long, default_value = "0ms", value_parser = parse_duration)]
    pub latency: Duration,
    /// What a bulk call answers: `items` = 202 with one result per record (invalid ones
    /// 400, valid ones stored); `bare` (or `counts`) = 202 with counts only;
    /// `reject-batch` = 400 for the whole call if any record is invalid, nothing
    /// stored; `strings` = results with word statuses and `recordId` only;
    /// `bare-array` = a bare array of results in order, no identifiers;
    /// `only-rejected` = counts plus results for the rejected only; `shuffled` =
    /// results in random order by `recordId`; `no-detail` = an empty 202.
    #[arg(long, value_enum, default_value_t = BulkResponseMode::Items)]
    pub bulk_response: BulkResponseMode,
    /// Answer every API call with a redirect to this base URL (the request's path
    /// appended), to test that clients do not follow it with their key.
    #[arg(long)]
    pub redirect_to: Option<String>,
    /// The status of those redirects (301, 302, 303, 307 or 308).
    #[arg(long, default_value_t = 307)]
    pub redirect_status: u16,
    /// Largest body of a single-record call; bigger ones get 413 (e.g. 1MiB, 64KiB).
    #[arg(long, default_value = "1MiB", value_parser = parse_size)]
    pub max_body: usize,
    /// Largest body of a bulk call; bigger ones get 413.
    #[arg(long, default_value = "16MiB", value_parser = parse_size)]
    pub max_bulk_body: usize,
}

const EMULATOR_CHOICES: &str = "\
Choices where the Certyo documentation is silent:
  recordHash   lowercase hex SHA-256 of the canonical JSON of recordPayload: object keys
               sorted at every level, no whitespace, serde_json's rendering of strings
               and numbers.
  replay       the same idempotencyKey within 24 h answers 202 with the first answer and
               idempotencyReplayed=true; nothing is stored again.
  anchoring    verify answers verified=true, anchoredOnChain=true, verificationStatus=pass
               once the record's latest version is older than --anchor-delay; before that
               verified=false, verificationStatus=pending; an unknown record is 404.
  errors       {\"error\": \"...\", \"field\": \"...\"}; 413 past --max-body/--max-bulk-body;
               429 carries Retry-After in whole seconds; 500 carries X-Correlation-Id.
  inspection   GET /_emulator/records (no key needed) lists every version of every record,
               arrival order, replays, and the most requests in flight per record.";

/// How the emulator answers a bulk call (the real API does not document it). Each
/// mode is one reading of the contract the worker must survive.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum BulkResponseMode {
    /// 202 with per-item results (`index`, `recordId`, `idempotencyKey`, numeric
    /// `status`): 202 for each accepted record, 400 and an error for each invalid one.
    #[default]
    Items,
    /// 202 with `accepted`/`rejected` counts and no per-item detail.
    #[value(alias = "counts")]
    Bare,
    /// 400 (or 403) for the whole call when any record is invalid; nothing is stored.
    RejectBatch,
    /// 202 with `results` whose `status` is a word (`"accepted"` / `"rejected"`) and
    /// only `recordId` to identify them.
    Strings,
    /// 202 with a bare JSON array of results, in batch order, without identifiers.
    BareArray,
    /// 202 with counts and results for the rejected records only.
    OnlyRejected,
    /// 202 with per-item results in random order, identified by `recordId` only.
    Shuffled,
    /// 202 with an empty body.
    NoDetail,
}

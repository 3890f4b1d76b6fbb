//! Everything that crosses the wire to Certyo: the request/response types (shared
//! with the emulator) and the one HTTP client the worker and verifier use.
//! Every HTTP call of the product is in this module.

mod client;
pub mod types;

pub use client::{ApiError, BulkItemOutcome, CertyoClient, Ingested, Retry};
pub use types::*;

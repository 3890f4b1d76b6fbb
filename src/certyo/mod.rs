//! Everything that crosses the wire to Certyo: the request/response types (shared
//! with the emulator), the one HTTP client the worker and verifier use, and the
//! reading of the undocumented bulk answer. Every HTTP call of the product is in
//! this module.

mod auth;
pub mod bulk_answer;
mod client;
pub mod types;

pub use auth::AuthGate;
pub use client::{
    ApiError, BulkAnswer, BulkItemOutcome, CertyoClient, ClientOptions, Ingested, NetCause, Retry,
};
pub use types::*;

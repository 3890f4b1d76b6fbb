//! `GET /_emulator/records`: a copy of everything received (or, with `summary`, the
//! totals only), for tests and demos. Not part of the Certyo API.

use std::sync::Arc;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;

use super::validate::Invalid;
use super::App;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct InspectQuery {
    collection: Option<String>,
    record_id: Option<String>,
    /// Totals only, no records.
    #[serde(default)]
    summary: bool,
}

pub(super) async fn inspect(
    State(app): State<Arc<App>>,
    q: Result<Query<InspectQuery>, QueryRejection>,
) -> Response {
    let Ok(Query(q)) = q else {
        return Invalid::bad(None, "malformed query string").response();
    };
    if q.summary {
        return Json(super::super::state::Inspection {
            records: Vec::new(),
            totals: app.store.totals(),
        })
        .into_response();
    }
    Json(
        app.store
            .inspect(q.collection.as_deref(), q.record_id.as_deref()),
    )
    .into_response()
}

//! Operational endpoints: liveness (`/healthz`: the process answers) and readiness
//! (`/readyz`: the database answers too), for load balancers and orchestrators.

use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

/// `/readyz` counts undelivered events up to this many: enough to see a stuck relay, and
/// cheap on every probe.
const OUTBOX_COUNT_CAP: u32 = 10_000;

async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

async fn readyz(State(s): State<AppState>) -> (StatusCode, Json<Value>) {
    let store = s.pole.store();
    let outbox = store.outbox_backlog(OUTBOX_COUNT_CAP).await;
    let search = s.search.status().await;
    match (store.ping().await, outbox) {
        (Ok(()), Ok(pending)) => (
            StatusCode::OK,
            Json(json!({
                "status": "ready",
                "version": s.version,
                "store": store.backend(),
                // Events committed but not yet delivered to the bus, counted up to the cap.
                "outbox_pending": pending,
                // The search index: how many records it holds, whether it is being
                // rebuilt, and how many committed changes it has yet to take (its lag: the
                // relay marks an event delivered only once the index has committed it).
                "search": {
                    "documents": search.documents,
                    "state": if search.rebuilding { "rebuilding" } else { "current" },
                    "lag_events": pending,
                },
            })),
        ),
        (Err(e), _) | (_, Err(e)) => {
            tracing::error!(error = %e, "not ready");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({ "status": "unavailable", "store": store.backend() })),
            )
        }
    }
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
}

//! The audit trail over the API: the auditors' search and the monitoring centre's feed.
//! Both need the `read_audit` permission (auditors, professional standards), and both are
//! audited themselves.

use crate::AppState;
use crate::caller::CurrentUser;
use crate::error::{ApiError, Problem};
use axum::Json;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use bluelamp_domain::{AuditAction, RecordId};
use bluelamp_store::{AuditQuery, AuditRow};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

/// Filters as the query string gives them (all optional). Dates are `YYYY-MM-DD` (a whole
/// UK day) or RFC 3339 instants.
#[derive(Debug, Default, Deserialize, IntoParams)]
pub struct AuditParams {
    /// The acting user's name.
    #[serde(default)]
    pub user: String,
    /// A record id: every audit record naming it (views, lists, changes).
    #[serde(default)]
    pub record: String,
    /// create, update, link, unlink, view, view_history, list, bulk_create, sign_in,
    /// sign_out, session_expired, manage_user, create_token, read_audit.
    #[serde(default)]
    pub action: String,
    /// From (inclusive).
    #[serde(default)]
    pub from: String,
    /// To (inclusive for a date, exclusive for an instant).
    #[serde(default)]
    pub to: String,
    /// Only records older than this seq (the `next_before` of the previous page).
    #[serde(default)]
    pub before: String,
    /// At most this many (default 50, at most 10,000).
    #[serde(default)]
    pub limit: String,
}

/// A problem with one filter: its name and what is wrong.
pub type FilterError = (&'static str, String);

fn instant(s: &str, end_of_day: bool) -> Result<Option<jiff::Timestamp>, String> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    if let Ok(t) = s.parse::<jiff::Timestamp>() {
        return Ok(Some(t));
    }
    let date: jiff::civil::Date = s
        .parse()
        .map_err(|_| "Enter a date like 2026-11-30, or an instant with its offset".to_string())?;
    let date = if end_of_day {
        date.tomorrow().map_err(|e| e.to_string())?
    } else {
        date
    };
    date.to_zoned(bluelamp_domain::time::london())
        .map(|z| Some(z.timestamp()))
        .map_err(|e| e.to_string())
}

impl AuditParams {
    /// The store query, or the first filter that is wrong.
    pub fn query(&self, default_limit: u32) -> Result<AuditQuery, FilterError> {
        let record_id = match self.record.trim() {
            "" => None,
            s => Some(
                s.parse::<RecordId>()
                    .map_err(|_| ("record", "Enter a record id".to_string()))?,
            ),
        };
        let action = match self.action.trim() {
            "" => None,
            s => Some(
                serde_json::from_value::<AuditAction>(Value::String(s.to_string()))
                    .map_err(|_| ("action", "Choose an action from the list".to_string()))?,
            ),
        };
        let before_seq = match self.before.trim() {
            "" => None,
            s => Some(
                s.parse::<i64>()
                    .map_err(|_| ("before", "Enter a whole number".to_string()))?,
            ),
        };
        let limit = match self.limit.trim() {
            "" => default_limit,
            s => s
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=bluelamp_app::audit_trail::MAX_PAGE).contains(n))
                .ok_or(("limit", "Enter a number from 1 to 10000".to_string()))?,
        };
        Ok(AuditQuery {
            user_id: Some(self.user.trim().to_lowercase()).filter(|u| !u.is_empty()),
            record_id,
            action,
            from: instant(&self.from, false).map_err(|m| ("from", m))?,
            to: instant(&self.to, true).map_err(|m| ("to", m))?,
            before_seq,
            limit,
        })
    }
}

/// One audit record as auditors see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditRecordView {
    /// Its position in the trail.
    pub seq: i64,
    /// The record, as written (the same shape the feed and `audit verify` hash).
    #[schema(value_type = Object)]
    pub entry: Value,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPage {
    pub items: Vec<AuditRecordView>,
    /// Pass as `before` for the next (older) page; absent on the last page.
    pub next_before: Option<i64>,
}

pub fn view(row: AuditRow) -> AuditRecordView {
    AuditRecordView {
        seq: row.seq,
        entry: serde_json::to_value(&row.entry).unwrap_or(Value::Null),
    }
}

fn filter_problem((field, detail): FilterError) -> ApiError {
    ApiError::BadRequest {
        detail,
        field: Some(field.into()),
    }
}

/// Searches the audit trail by user, record, action and time, newest first.
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(AuditParams),
    responses((status = 200, body = AuditPage), (status = 400, body = Problem),
              (status = 403, body = Problem)))]
pub async fn search(
    State(s): State<AppState>,
    user: CurrentUser,
    Query(p): Query<AuditParams>,
) -> Result<Json<AuditPage>, ApiError> {
    let query = p.query(50).map_err(filter_problem)?;
    let limit = query.limit as usize;
    let rows = s.audit.search(&user.caller, query).await?;
    let next_before = (rows.len() == limit)
        .then(|| rows.last().map(|r| r.seq))
        .flatten();
    Ok(Json(AuditPage {
        items: rows.into_iter().map(view).collect(),
        next_before,
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct FeedParams {
    /// The first leaf to send: 0, or the tree size of the last checkpoint you checked.
    #[serde(default)]
    pub from_leaf: String,
    /// At most this many records (default 1,000, at most 10,000).
    #[serde(default)]
    pub limit: String,
}

/// The monitoring feed as JSON lines (`application/x-ndjson`): each audit record in Merkle
/// log order with its leaf index, leaf hash and canonical bytes, and each signed checkpoint
/// after the record that completes it. Resume from the last checkpoint's `tree_size`.
#[utoipa::path(get, path = "/api/v1/audit/feed", tag = "audit", params(FeedParams),
    responses((status = 200, description = "JSON lines", content_type = "application/x-ndjson"),
              (status = 403, body = Problem)))]
pub async fn feed(
    State(s): State<AppState>,
    user: CurrentUser,
    Query(p): Query<FeedParams>,
) -> Result<Response, ApiError> {
    let from_leaf = match p.from_leaf.trim() {
        "" => 0,
        v => v.parse::<i64>().ok().filter(|n| *n >= 0).ok_or_else(|| {
            filter_problem(("from_leaf", "Enter a leaf index (0 or more)".into()))
        })?,
    };
    let limit = match p.limit.trim() {
        "" => 1_000,
        v => v
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=bluelamp_app::audit_trail::MAX_PAGE).contains(n))
            .ok_or_else(|| filter_problem(("limit", "Enter a number from 1 to 10000".into())))?,
    };
    let lines = s.audit.feed(&user.caller, from_leaf, limit).await?;
    let mut body = String::new();
    for l in lines {
        body.push_str(&serde_json::to_string(&l).unwrap_or_default());
        body.push('\n');
    }
    Ok(([(header::CONTENT_TYPE, "application/x-ndjson")], body).into_response())
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/audit", get(search))
        .route("/api/v1/audit/feed", get(feed))
}

//! Break glass over the API: ask for emergency access to a record, list your requests and
//! those you may decide, and decide one.

use crate::AppState;
use crate::api::ApiJson;
use crate::caller::CurrentUser;
use crate::error::{ApiError, Problem};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use bluelamp_store::AccessGrant;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BreakGlassRequest {
    pub record_id: String,
    /// Why the record is needed now (at least 20 characters).
    pub reason: String,
    /// 1 to 12.
    pub hours: u32,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BreakGlassDecision {
    pub base_version: i64,
    pub approve: bool,
    /// Needed to refuse.
    #[serde(default)]
    pub note: String,
}

/// A request as its requester or an approver sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct GrantView {
    pub id: String,
    pub username: String,
    pub record_id: String,
    pub reason: String,
    pub hours: u32,
    pub requested_at: String,
    /// pending, approved or refused.
    pub status: String,
    pub decided_by: Option<String>,
    pub decision_note: String,
    pub expires_at: Option<String>,
    pub version: i64,
}

impl From<AccessGrant> for GrantView {
    fn from(g: AccessGrant) -> Self {
        use bluelamp_domain::time::to_rfc3339;
        Self {
            id: g.id,
            username: g.username.to_string(),
            record_id: g.record_id.to_string(),
            reason: g.reason,
            hours: g.hours,
            requested_at: to_rfc3339(g.requested_at),
            status: g.status.as_str().into(),
            decided_by: g.decided_by,
            decision_note: g.decision_note,
            expires_at: g.expires_at.map(to_rfc3339),
            version: g.version,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BreakGlassList {
    pub mine: Vec<GrantView>,
    /// Pending requests for records you can see, from others (supervisors, professional
    /// standards).
    pub to_decide: Vec<GrantView>,
}

/// Asks for emergency access to a record outside your need to know (audited and alerted).
/// The answer is the same whether or not the record exists.
#[utoipa::path(post, path = "/api/v1/break-glass", tag = "break glass",
    request_body = BreakGlassRequest,
    responses((status = 202, body = GrantView), (status = 422, body = Problem)))]
pub async fn request(
    State(s): State<AppState>,
    user: CurrentUser,
    ApiJson(body): ApiJson<BreakGlassRequest>,
) -> Result<(StatusCode, Json<GrantView>), ApiError> {
    let g = s
        .break_glass
        .request(
            &user.caller,
            &body.record_id,
            &body.reason,
            &body.hours.to_string(),
        )
        .await?;
    Ok((StatusCode::ACCEPTED, Json(g.into())))
}

#[utoipa::path(get, path = "/api/v1/break-glass", tag = "break glass",
    responses((status = 200, body = BreakGlassList)))]
pub async fn list(
    State(s): State<AppState>,
    user: CurrentUser,
) -> Result<Json<BreakGlassList>, ApiError> {
    let mine = s.break_glass.mine(&user.caller).await?;
    let to_decide = s.break_glass.to_decide(&user.caller).await?;
    Ok(Json(BreakGlassList {
        mine: mine.into_iter().map(GrantView::from).collect(),
        to_decide: to_decide
            .into_iter()
            .map(|p| GrantView::from(p.grant))
            .collect(),
    }))
}

/// Approves or refuses another user's request (supervisors and professional standards who
/// can see the record).
#[utoipa::path(post, path = "/api/v1/break-glass/{id}/decision", tag = "break glass",
    request_body = BreakGlassDecision,
    params(("id" = String, Path, description = "The request's id")),
    responses((status = 200, body = GrantView), (status = 403, body = Problem),
              (status = 422, body = Problem)))]
pub async fn decide(
    State(s): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<BreakGlassDecision>,
) -> Result<Json<GrantView>, ApiError> {
    let g = s
        .break_glass
        .decide(
            &user.caller,
            &id,
            body.base_version,
            body.approve,
            &body.note,
        )
        .await?;
    Ok(Json(g.into()))
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/break-glass", post(request).get(list))
        .route("/api/v1/break-glass/{id}/decision", post(decide))
}

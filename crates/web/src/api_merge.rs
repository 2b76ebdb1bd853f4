//! `/api/v1/persons/merges` and `/api/v1/persons/{id}/unmerge`: one record per real person.
//! A merge moves the merged record's links and identifiers to the survivor and leaves the
//! merged record as history pointing at it; an un-merge restores exactly what was there
//! before. Both are audited with who and why.

use crate::AppState;
use crate::api::{ApiJson, RecordResponse, parse_id};
use crate::caller::CurrentUser;
use crate::error::{ApiError, Problem};
use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use bluelamp_app::merge::{MergeOutcome, MergeRequest};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Merge one person record into another.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeBody {
    /// The record that stays.
    pub survivor_id: String,
    /// The survivor's version you compared.
    pub survivor_version: i64,
    /// The record merged into the survivor; it stays as history and points at it.
    pub merged_id: String,
    /// The merged record's version you compared.
    pub merged_version: i64,
    /// Why these are the same person (kept in the audit trail and on the merged record).
    pub reason: String,
}

/// Undo a merge.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnmergeBody {
    /// The merged record's version you read.
    pub version: i64,
    /// Why the merge was wrong.
    pub reason: String,
}

/// What a merge or un-merge wrote.
#[derive(Debug, Serialize, ToSchema)]
pub struct MergeResult {
    pub survivor: RecordResponse,
    pub merged: RecordResponse,
    /// Links moved to the survivor (merge) or back (un-merge).
    pub links_moved: usize,
    /// Identifiers the survivor gained (merge).
    pub identifiers_added: usize,
}

impl From<MergeOutcome> for MergeResult {
    fn from(o: MergeOutcome) -> Self {
        Self {
            survivor: o.survivor.into(),
            merged: o.merged.into(),
            links_moved: o.links,
            identifiers_added: o.identifiers_added,
        }
    }
}

#[utoipa::path(post, path = "/api/v1/persons/merges", tag = "persons", request_body = MergeBody,
    responses((status = 200, description = "Merged", body = MergeResult),
              (status = 403, description = "You may not change one of the records", body = Problem),
              (status = 404, body = Problem),
              (status = 409, description = "A record changed since the version given, or a link was added to the merged record while it was merged (try again: the merge then moves it)", body = Problem),
              (status = 422, description = "No reason, the same record twice, a record merged already, or a merged record more restricted than the survivor", body = Problem)))]
pub async fn merge(
    State(s): State<AppState>,
    user: CurrentUser,
    ApiJson(body): ApiJson<MergeBody>,
) -> Result<Json<MergeResult>, ApiError> {
    let req = MergeRequest {
        survivor: parse_id(&body.survivor_id)?,
        survivor_version: body.survivor_version,
        merged: parse_id(&body.merged_id)?,
        merged_version: body.merged_version,
        reason: body.reason,
    };
    Ok(Json(s.pole.merge(&user.caller, req).await?.into()))
}

#[utoipa::path(post, path = "/api/v1/persons/{id}/unmerge", tag = "persons", request_body = UnmergeBody, params(("id" = String, Path, description = "The merged record")),
    responses((status = 200, description = "Restored as before the merge", body = MergeResult),
              (status = 404, body = Problem),
              (status = 409, description = "The merged record, the survivor or a moved link changed since the merge", body = Problem),
              (status = 422, description = "No reason, or the record is not merged", body = Problem)))]
pub async fn unmerge(
    State(s): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<UnmergeBody>,
) -> Result<Json<MergeResult>, ApiError> {
    let id = parse_id(&id)?;
    Ok(Json(
        s.pole
            .unmerge(&user.caller, id, body.version, &body.reason)
            .await?
            .into(),
    ))
}

/// A pair of person records that may be one person.
#[derive(Debug, Serialize, ToSchema)]
pub struct DuplicatePair {
    pub a: crate::api::RecordSummary,
    pub b: crate::api::RecordSummary,
    /// The match score (log2 likelihood ratio); 16 or more is likely the same person.
    pub score: f64,
    /// Why they match, field by field.
    pub reason: String,
    /// `scan` (the batch scan) or `check` (when one of them was saved).
    pub found_by: String,
    pub found_at: String,
}

/// The review queue: open pairs whose two records you may both see, most likely first
/// (at most 50). Audited as a list.
#[utoipa::path(get, path = "/api/v1/persons/duplicates", tag = "persons",
    responses((status = 200, description = "Pairs to review", body = Vec<DuplicatePair>)))]
pub async fn queue(
    State(s): State<AppState>,
    user: CurrentUser,
) -> Result<Json<Vec<DuplicatePair>>, ApiError> {
    let items = bluelamp_app::duplicates::review_queue(&s.pole, &user.caller, 50).await?;
    Ok(Json(
        items
            .into_iter()
            .map(|i| DuplicatePair {
                a: i.a.into(),
                b: i.b.into(),
                score: i.candidate.weight,
                reason: i.candidate.reason,
                found_by: i.candidate.found_by,
                found_at: bluelamp_domain::time::to_rfc3339(i.candidate.found_at),
            })
            .collect(),
    ))
}

/// Two records a reviewer decided are different people.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NotDuplicateBody {
    pub a: String,
    pub b: String,
}

#[utoipa::path(post, path = "/api/v1/persons/duplicates/not-duplicate", tag = "persons", request_body = NotDuplicateBody,
    responses((status = 204, description = "Recorded; the pair leaves the queue and is not suggested again"),
              (status = 403, description = "You may not change one of the records", body = Problem),
              (status = 404, body = Problem)))]
pub async fn not_duplicate(
    State(s): State<AppState>,
    user: CurrentUser,
    ApiJson(body): ApiJson<NotDuplicateBody>,
) -> Result<axum::http::StatusCode, ApiError> {
    let a = crate::api::parse_id_field(&body.a, "a")?;
    let b = crate::api::parse_id_field(&body.b, "b")?;
    bluelamp_app::duplicates::not_duplicate(&s.pole, &user.caller, a, b).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/persons/merges", post(merge))
        .route("/api/v1/persons/{id}/unmerge", post(unmerge))
        .route("/api/v1/persons/duplicates", get(queue))
        .route(
            "/api/v1/persons/duplicates/not-duplicate",
            post(not_duplicate),
        )
}

//! `/api/v1/persons/merges` and `/api/v1/persons/{id}/unmerge`: one record per real person.
//! A merge moves the merged record's links and identifiers to the survivor and leaves the
//! merged record as history pointing at it; an un-merge restores exactly what was there
//! before. Both are audited with who and why.

use crate::AppState;
use crate::api::{ApiJson, RecordResponse, parse_id};
use crate::caller::CurrentUser;
use crate::error::{ApiError, Problem};
use axum::extract::{Path, State};
use axum::routing::post;
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
              (status = 409, description = "A record changed since the version given", body = Problem),
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

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/persons/merges", post(merge))
        .route("/api/v1/persons/{id}/unmerge", post(unmerge))
}

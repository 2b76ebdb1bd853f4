//! The user directory over the JSON API (administrators), and `/api/v1/me`.

use crate::AppState;
use crate::api::ApiJson;
use crate::caller::CurrentUser;
use crate::error::{ApiError, Problem};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use bluelamp_app::identity::UserInput;
use bluelamp_store::UserAccount;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A user as administrators see them. The password hash never leaves the server.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserResponse {
    pub username: String,
    pub display_name: String,
    pub rank: String,
    pub number: String,
    pub roles: Vec<String>,
    pub unit: String,
    /// The highest classification the user may see.
    pub clearance: String,
    pub compartments: Vec<String>,
    pub disabled: bool,
    pub locked: bool,
    pub version: i64,
    /// RFC 3339, UTC.
    pub last_sign_in_at: Option<String>,
}

impl From<UserAccount> for UserResponse {
    fn from(a: UserAccount) -> Self {
        let p = a.principal;
        Self {
            username: p.username.to_string(),
            display_name: p.display_name,
            rank: a.rank,
            number: a.number,
            roles: p.roles.iter().map(|r| r.as_str().to_string()).collect(),
            unit: p.unit.to_string(),
            clearance: p.clearance.as_str().into(),
            compartments: p.compartments.iter().map(|c| c.as_str().into()).collect(),
            disabled: a.disabled,
            locked: a.locked_at.is_some(),
            version: a.version,
            last_sign_in_at: a.last_sign_in_at.map(bluelamp_domain::time::to_rfc3339),
        }
    }
}

/// A user's details as an administrator sets them.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserDetails {
    pub display_name: String,
    #[serde(default)]
    pub rank: String,
    #[serde(default)]
    pub number: String,
    /// officer, custody_officer, investigator, supervisor, intelligence_analyst,
    /// case_worker, call_handler, dispatcher, professional_standards, auditor, administrator.
    pub roles: Vec<String>,
    pub unit: String,
    /// OFFICIAL, OFFICIAL-SENSITIVE or SECRET.
    pub clearance: String,
    #[serde(default)]
    pub compartments: Vec<String>,
    #[serde(default)]
    pub disabled: bool,
}

impl UserDetails {
    fn input(self, username: String) -> UserInput {
        UserInput {
            username,
            display_name: self.display_name,
            rank: self.rank,
            number: self.number,
            roles: self.roles,
            unit: self.unit,
            clearance: self.clearance,
            compartments: self.compartments,
            disabled: self.disabled,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    pub username: String,
    /// The first password: at least 8 characters, not a common password.
    pub password: String,
    pub details: UserDetails,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserUpdate {
    /// The version you read; a stale update is refused and nothing is written.
    pub base_version: i64,
    pub details: UserDetails,
}

/// Who the token belongs to.
#[utoipa::path(get, path = "/api/v1/me", tag = "users",
    responses((status = 200, body = UserResponse), (status = 401, body = Problem)))]
pub async fn me(user: CurrentUser) -> Json<UserResponse> {
    let p = user.auth.principal;
    Json(UserResponse {
        username: p.username.to_string(),
        display_name: p.display_name,
        rank: user.auth.account_rank,
        number: String::new(),
        roles: p.roles.iter().map(|r| r.as_str().to_string()).collect(),
        unit: p.unit.to_string(),
        clearance: p.clearance.as_str().into(),
        compartments: p.compartments.iter().map(|c| c.as_str().into()).collect(),
        disabled: false,
        locked: false,
        version: 0,
        last_sign_in_at: None,
    })
}

#[utoipa::path(get, path = "/api/v1/users", tag = "users",
    responses((status = 200, body = [UserResponse]), (status = 403, body = Problem)))]
pub async fn list_users(
    State(s): State<AppState>,
    user: CurrentUser,
) -> Result<Json<Vec<UserResponse>>, ApiError> {
    let users = s.identity.list_users(&user.caller).await?;
    Ok(Json(users.into_iter().map(UserResponse::from).collect()))
}

#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = NewUser,
    responses((status = 201, body = UserResponse), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create_user(
    State(s): State<AppState>,
    user: CurrentUser,
    ApiJson(body): ApiJson<NewUser>,
) -> Result<(StatusCode, Json<UserResponse>), ApiError> {
    let input = body.details.input(body.username);
    let created = s
        .identity
        .create_user(&user.caller, &input, &body.password)
        .await?;
    Ok((StatusCode::CREATED, Json(created.into())))
}

#[utoipa::path(get, path = "/api/v1/users/{username}", tag = "users", params(("username" = String, Path)),
    responses((status = 200, body = UserResponse), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn get_user(
    State(s): State<AppState>,
    user: CurrentUser,
    Path(name): Path<String>,
) -> Result<Json<UserResponse>, ApiError> {
    Ok(Json(s.identity.get_user(&user.caller, &name).await?.into()))
}

/// Changes a user's details, roles, clearance or compartments, or disables them (which ends
/// their sessions and tokens at once).
#[utoipa::path(put, path = "/api/v1/users/{username}", tag = "users", params(("username" = String, Path)), request_body = UserUpdate,
    responses((status = 200, body = UserResponse), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn update_user(
    State(s): State<AppState>,
    user: CurrentUser,
    Path(name): Path<String>,
    ApiJson(body): ApiJson<UserUpdate>,
) -> Result<Json<UserResponse>, ApiError> {
    let input = body.details.input(name.clone());
    let updated = s
        .identity
        .update_user(&user.caller, &name, body.base_version, &input)
        .await?;
    Ok(Json(updated.into()))
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/me", get(me))
        .route("/api/v1/users", get(list_users).post(create_user))
        .route("/api/v1/users/{username}", get(get_user).put(update_user))
}

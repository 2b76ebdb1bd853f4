//! Break-glass pages: ask for emergency access to a record outside your need to know, see
//! your requests, and (supervisors, professional standards) decide others'.

use super::{Chrome, chrome, error_page, render};
use crate::AppState;
use crate::caller::CurrentUser;
use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use bluelamp_app::AppError;
use bluelamp_app::break_glass::{BreakGlass, MAX_HOURS};
use bluelamp_domain::time::format_instant;
use bluelamp_store::{AccessGrant, GrantStatus};
use std::collections::HashMap;

use super::forms::{ErrorLink, FormData};

struct Mine {
    record_id: String,
    reason: String,
    requested: String,
    status: String,
    active: bool,
}

struct ToDecide {
    id: String,
    version: i64,
    requester: String,
    reason: String,
    hours: u32,
    requested: String,
    record_href: String,
    record_summary: String,
    marking: String,
}

#[derive(Template)]
#[template(path = "break_glass.html")]
struct Page {
    chrome: Chrome,
    errors: Vec<ErrorLink>,
    e: HashMap<String, String>,
    notice: Option<String>,
    record_id: String,
    reason: String,
    hours: String,
    hour_options: Vec<u32>,
    mine: Vec<Mine>,
    may_decide: bool,
    to_decide: Vec<ToDecide>,
}

impl Page {
    fn err(&self, k: &str) -> String {
        self.e.get(k).cloned().unwrap_or_default()
    }
}

fn status_text(g: &AccessGrant, now: jiff::Timestamp) -> (String, bool) {
    match g.status {
        GrantStatus::Pending => ("Waiting for a decision".into(), false),
        GrantStatus::Refused => (
            format!(
                "Refused by {}: {}",
                g.decided_by.clone().unwrap_or_default(),
                g.decision_note
            ),
            false,
        ),
        GrantStatus::Approved if g.active_at(now) => (
            format!(
                "Approved by {} until {}",
                g.decided_by.clone().unwrap_or_default(),
                g.expires_at.map(format_instant).unwrap_or_default()
            ),
            true,
        ),
        GrantStatus::Approved => (
            format!(
                "Expired {}",
                g.expires_at.map(format_instant).unwrap_or_default()
            ),
            false,
        ),
    }
}

#[derive(Debug, serde::Deserialize)]
struct Params {
    #[serde(default)]
    record: String,
    #[serde(default)]
    done: String,
}

async fn page(
    state: &AppState,
    user: &CurrentUser,
    status: StatusCode,
    form: (String, String, String),
    errors: Vec<ErrorLink>,
    notice: Option<String>,
) -> Response {
    let now = state.pole.clock().now();
    let mine = match state.break_glass.mine(&user.caller).await {
        Ok(m) => m,
        Err(e) => return error_page(state, user, e),
    };
    let to_decide = match state.break_glass.to_decide(&user.caller).await {
        Ok(t) => t,
        Err(e) => return error_page(state, user, e),
    };
    let e = errors
        .iter()
        .map(|x| (x.target.clone(), x.message.clone()))
        .collect();
    render(
        status,
        &Page {
            chrome: chrome(state, user, "break-glass"),
            errors,
            e,
            notice,
            record_id: form.0,
            reason: form.1,
            hours: form.2,
            hour_options: (1..=MAX_HOURS).collect(),
            mine: mine
                .iter()
                .map(|g| {
                    let (status, active) = status_text(g, now);
                    Mine {
                        record_id: g.record_id.to_string(),
                        reason: g.reason.clone(),
                        requested: format_instant(g.requested_at),
                        status,
                        active,
                    }
                })
                .collect(),
            may_decide: BreakGlass::may_decide(&user.caller),
            to_decide: to_decide
                .into_iter()
                .map(|p| ToDecide {
                    id: p.grant.id.clone(),
                    version: p.grant.version,
                    requester: p.grant.username.to_string(),
                    reason: p.grant.reason.clone(),
                    hours: p.grant.hours,
                    requested: format_instant(p.grant.requested_at),
                    record_href: format!("/{}/{}", p.record.kind.plural(), p.record.id),
                    record_summary: p.record.summary.clone(),
                    marking: p.record.marking.banner(),
                })
                .collect(),
        },
    )
}

async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(p): Query<Params>,
) -> Response {
    let notice = match p.done.as_str() {
        "requested" => Some(
            "Your request has been sent. A supervisor will decide it; it is recorded and professional standards are told."
                .to_string(),
        ),
        "approved" => Some("Access approved".to_string()),
        "refused" => Some("Access refused".to_string()),
        _ => None,
    };
    page(
        &state,
        &user,
        StatusCode::OK,
        (p.record.trim().to_string(), String::new(), "4".into()),
        Vec::new(),
        notice,
    )
    .await
}

fn invalid(v: bluelamp_domain::ValidationErrors) -> Vec<ErrorLink> {
    v.0.into_iter()
        .map(|f| ErrorLink {
            target: f.field,
            message: f.message,
        })
        .collect()
}

async fn request(State(state): State<AppState>, user: CurrentUser, data: FormData) -> Response {
    let form = (
        data.get("record_id").to_string(),
        data.get("reason").to_string(),
        data.get("hours").to_string(),
    );
    match state
        .break_glass
        .request(&user.caller, &form.0, &form.1, &form.2)
        .await
    {
        Ok(_) => Redirect::to("/break-glass?done=requested").into_response(),
        Err(AppError::Invalid(v)) => {
            page(
                &state,
                &user,
                StatusCode::UNPROCESSABLE_ENTITY,
                form,
                invalid(v),
                None,
            )
            .await
        }
        Err(e) => error_page(&state, &user, e),
    }
}

async fn decide(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    data: FormData,
) -> Response {
    let approve = data.get("decision") == "approve";
    let version = data.get("base_version").trim().parse::<i64>().unwrap_or(0);
    match state
        .break_glass
        .decide(&user.caller, &id, version, approve, data.get("note"))
        .await
    {
        Ok(_) => Redirect::to(if approve {
            "/break-glass?done=approved"
        } else {
            "/break-glass?done=refused"
        })
        .into_response(),
        Err(AppError::Invalid(v)) => {
            page(
                &state,
                &user,
                StatusCode::UNPROCESSABLE_ENTITY,
                (String::new(), String::new(), "4".into()),
                invalid(v),
                None,
            )
            .await
        }
        Err(e) => error_page(&state, &user, e),
    }
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/break-glass", get(show).post(request))
        .route("/break-glass/{id}/decision", post(decide))
}

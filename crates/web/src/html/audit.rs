//! The auditors' pages: search the audit trail by user, record, action and time. Every
//! search is itself audited. Records are shown by id and kind only (auditors need not be
//! cleared to read them); each id and user name pivots the search.

use super::{Chrome, chrome, error_page, render};
use crate::AppState;
use crate::api_audit::AuditParams;
use crate::caller::CurrentUser;
use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use bluelamp_domain::time::local;
use bluelamp_domain::{AuditAction, AuditOutcome};
use bluelamp_store::AuditRow;

use super::forms::ErrorLink;

const ACTIONS: [AuditAction; 22] = [
    AuditAction::View,
    AuditAction::ViewHistory,
    AuditAction::List,
    AuditAction::Create,
    AuditAction::Update,
    AuditAction::Link,
    AuditAction::Unlink,
    AuditAction::BulkCreate,
    AuditAction::SignIn,
    AuditAction::SignOut,
    AuditAction::SessionExpired,
    AuditAction::ManageUser,
    AuditAction::CreateToken,
    AuditAction::ReadAudit,
    AuditAction::Alert,
    AuditAction::AlertClosed,
    AuditAction::BreakGlassRequest,
    AuditAction::BreakGlassDecision,
    AuditAction::Export,
    AuditAction::Search,
    AuditAction::Merge,
    AuditAction::Unmerge,
];

struct Subject {
    id: String,
    short: String,
    kind: String,
}

struct Item {
    seq: i64,
    at: String,
    user_id: String,
    user_name: String,
    action: String,
    outcome: &'static str,
    refused: bool,
    subjects: Vec<Subject>,
    more_subjects: usize,
    source: String,
    details: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPageView {
    chrome: Chrome,
    errors: Vec<ErrorLink>,
    user: String,
    record: String,
    from: String,
    to: String,
    actions: Vec<(&'static str, bool)>,
    items: Vec<Item>,
    searched: bool,
    older: Option<String>,
}

fn outcome_label(o: AuditOutcome) -> (&'static str, bool) {
    match o {
        AuditOutcome::Success => ("Success", false),
        AuditOutcome::Denied => ("Refused", true),
        AuditOutcome::Failed => ("Failed", true),
    }
}

fn item(row: AuditRow) -> Item {
    let e = row.entry;
    let (outcome, refused) = outcome_label(e.outcome);
    let shown = 5;
    let mut details = serde_json::to_string(&e.details).unwrap_or_default();
    if details == "{}" || details == "null" {
        details.clear();
    }
    if details.chars().count() > 300 {
        details = details.chars().take(300).collect::<String>() + "…";
    }
    Item {
        seq: row.seq,
        at: local(e.at).strftime("%-d %b %Y %H:%M:%S").to_string(),
        user_id: e.actor.user_id,
        user_name: e.actor.display_name,
        action: e.action.as_str().replace('_', " "),
        outcome,
        refused,
        more_subjects: e.subjects.len().saturating_sub(shown),
        subjects: e
            .subjects
            .iter()
            .take(shown)
            .map(|s| Subject {
                id: s.id.to_string(),
                short: s
                    .id
                    .to_string()
                    .chars()
                    .rev()
                    .take(8)
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                    .collect(),
                kind: s.kind.as_str().to_string(),
            })
            .collect(),
        source: e.context.source_address.unwrap_or_default(),
        details,
    }
}

async fn search(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(p): Query<AuditParams>,
) -> Response {
    let searched = [&p.user, &p.record, &p.action, &p.from, &p.to]
        .iter()
        .any(|v| !v.trim().is_empty());
    let mut errors = Vec::new();
    let mut items = Vec::new();
    let mut older = None;
    match p.query(50) {
        Err((field, message)) => errors.push(ErrorLink {
            target: field.to_string(),
            message,
        }),
        Ok(q) => {
            let limit = q.limit as usize;
            match state.audit.search(&user.caller, q).await {
                Ok(rows) => {
                    if rows.len() == limit
                        && let Some(last) = rows.last()
                    {
                        older = Some(format!(
                            "/audit?user={}&record={}&action={}&from={}&to={}&before={}",
                            super::urlencode(p.user.trim()),
                            super::urlencode(p.record.trim()),
                            super::urlencode(p.action.trim()),
                            super::urlencode(p.from.trim()),
                            super::urlencode(p.to.trim()),
                            last.seq
                        ));
                    }
                    items = rows.into_iter().map(item).collect();
                }
                Err(e) => return error_page(&state, &user, e),
            }
        }
    }
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    render(
        status,
        &AuditPageView {
            chrome: chrome(&state, &user, "audit"),
            errors,
            actions: ACTIONS
                .iter()
                .map(|a| (a.as_str(), a.as_str() == p.action.trim()))
                .collect(),
            user: p.user.trim().to_string(),
            record: p.record.trim().to_string(),
            from: p.from.trim().to_string(),
            to: p.to.trim().to_string(),
            items,
            searched,
            older,
        },
    )
}

struct AlertItem {
    seq: i64,
    at: String,
    rule: String,
    summary: String,
    user_id: String,
    subjects: Vec<Subject>,
    closed: Option<String>,
}

#[derive(Template)]
#[template(path = "alerts.html")]
struct AlertsPage {
    chrome: Chrome,
    errors: Vec<ErrorLink>,
    notice: Option<String>,
    open: Vec<AlertItem>,
    closed: Vec<AlertItem>,
}

fn alert_item(a: bluelamp_app::monitoring::AlertView) -> AlertItem {
    let d = &a.entry.details;
    let text = |k: &str| d.get(k).and_then(|v| v.as_str()).unwrap_or("").to_string();
    AlertItem {
        seq: a.seq,
        at: local(a.entry.at).strftime("%-d %b %Y %H:%M").to_string(),
        rule: text("rule").replace('_', " "),
        summary: text("summary"),
        user_id: text("user_id"),
        subjects: a
            .entry
            .subjects
            .iter()
            .map(|s| Subject {
                id: s.id.to_string(),
                short: s.id.to_string().chars().skip(28).collect(),
                kind: s.kind.as_str().to_string(),
            })
            .collect(),
        closed: a.closed.map(|c| {
            format!(
                "Closed {} by {}: {}",
                local(c.at).strftime("%-d %b %Y %H:%M"),
                c.actor.display_name,
                c.details
                    .get("outcome")
                    .and_then(|v| v.as_str())
                    .unwrap_or("")
            )
        }),
    }
}

#[derive(Debug, serde::Deserialize)]
struct AlertsParams {
    #[serde(default)]
    closed: String,
}

async fn alerts_page(
    state: &AppState,
    user: &CurrentUser,
    status: StatusCode,
    errors: Vec<ErrorLink>,
    notice: Option<String>,
) -> Response {
    match state.alerts.list(&user.caller, 200).await {
        Ok(list) => {
            let (closed, open): (Vec<_>, Vec<_>) = list
                .into_iter()
                .map(alert_item)
                .partition(|a| a.closed.is_some());
            render(
                status,
                &AlertsPage {
                    chrome: chrome(state, user, "alerts"),
                    errors,
                    notice,
                    open,
                    closed,
                },
            )
        }
        Err(e) => error_page(state, user, e),
    }
}

async fn alerts(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(p): Query<AlertsParams>,
) -> Response {
    let notice = (!p.closed.is_empty()).then(|| format!("Alert {} closed", p.closed));
    alerts_page(&state, &user, StatusCode::OK, Vec::new(), notice).await
}

async fn close_alert(
    State(state): State<AppState>,
    user: CurrentUser,
    data: super::forms::FormData,
) -> Response {
    let seq = data.get("alert").trim().parse::<i64>().unwrap_or(0);
    match state
        .alerts
        .close(&user.caller, seq, data.get("outcome"))
        .await
    {
        Ok(()) => axum::response::Redirect::to(&format!("/alerts?closed={seq}")).into_response(),
        Err(bluelamp_app::AppError::Invalid(v)) => {
            let errors =
                v.0.into_iter()
                    .map(|f| ErrorLink {
                        target: format!("outcome-{seq}"),
                        message: f.message,
                    })
                    .collect();
            alerts_page(
                &state,
                &user,
                StatusCode::UNPROCESSABLE_ENTITY,
                errors,
                None,
            )
            .await
        }
        Err(e) => error_page(&state, &user, e),
    }
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/audit", get(search))
        .route("/alerts", get(alerts))
        .route("/alerts/close", axum::routing::post(close_alert))
}

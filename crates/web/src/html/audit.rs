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
use axum::response::Response;
use axum::routing::get;
use bluelamp_domain::time::local;
use bluelamp_domain::{AuditAction, AuditOutcome};
use bluelamp_store::AuditRow;

use super::forms::ErrorLink;

const ACTIONS: [AuditAction; 14] = [
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

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b':' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
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
                            encode(p.user.trim()),
                            encode(p.record.trim()),
                            encode(p.action.trim()),
                            encode(p.from.trim()),
                            encode(p.to.trim()),
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

pub fn routes() -> Router<AppState> {
    Router::new().route("/audit", get(search))
}

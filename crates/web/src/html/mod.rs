//! Server-rendered pages (askama templates + htmx), following GOV.UK Design System patterns:
//! question pages with an error summary and a message by each field, summary lists with
//! change links, Post/Redirect/Get. Every page works without JavaScript; htmx only makes
//! the link search answer as you type.

pub mod accounts;
mod audit;
mod break_glass;
mod custody;
mod display;
pub mod forms;
mod merge;
pub mod passkeys;
mod search;

use crate::AppState;
use crate::api::{ListParams, link_label, list_query};
use crate::caller::CurrentUser;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use bluelamp_app::{AppError, RecordInput};
use bluelamp_domain::pole::LinkRole;
use bluelamp_domain::pole::input::LinkInput;
use bluelamp_domain::time::format_instant;
use bluelamp_domain::{Classification, RecordId, RecordKind, ValidationErrors};
use bluelamp_store::{ListQuery, RecordStatus, StoredRecord};
use display::{KeyDetails, Row};
use forms::{ErrorLink, Field, FormData};
use serde::Deserialize;
use std::collections::HashMap;

/// What every page shows around its content.
#[derive(Debug, Clone)]
pub struct Chrome {
    pub user: String,
    /// The session's CSRF token, put in every form that posts.
    pub csrf: String,
    /// Show the user administration link.
    pub admin: bool,
    /// Show the audit link.
    pub auditor: bool,
    pub version: &'static str,
    /// Which navigation item is current: home, persons, objects, locations, events, api.
    pub active: &'static str,
}

fn chrome(state: &AppState, user: &CurrentUser, active: &'static str) -> Chrome {
    Chrome {
        user: user.label.clone(),
        csrf: user.csrf.clone(),
        admin: user.is(bluelamp_domain::Role::Administrator),
        auditor: user.is(bluelamp_domain::Role::Auditor)
            || user.is(bluelamp_domain::Role::ProfessionalStandards),
        version: state.version,
        active,
    }
}

fn render<T: Template>(status: StatusCode, t: &T) -> Response {
    match t.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed to render");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong. The error has been logged.",
            )
                .into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage {
    chrome: Chrome,
    title: String,
    paragraphs: Vec<String>,
    link: Option<(String, String)>,
}

fn message(
    state: &AppState,
    user: &CurrentUser,
    status: StatusCode,
    title: &str,
    paragraphs: &[&str],
    link: Option<(&str, &str)>,
) -> Response {
    render(
        status,
        &MessagePage {
            chrome: chrome(state, user, ""),
            title: title.into(),
            paragraphs: paragraphs.iter().map(|p| p.to_string()).collect(),
            link: link.map(|(a, b)| (a.to_string(), b.to_string())),
        },
    )
}

/// The page for a use case that failed for a reason other than bad input.
fn error_page(state: &AppState, user: &CurrentUser, e: AppError) -> Response {
    match e {
        AppError::NotFound(id) if !id.0.is_nil() => {
            // The same page whether the record is missing or hidden; break glass is offered
            // for any record address.
            let href = format!("/break-glass?record={id}");
            message(
                state,
                user,
                StatusCode::NOT_FOUND,
                "Page not found",
                &[
                    "If you typed the web address, check it is correct.",
                    "If you followed a link to a record, it may not exist or you may not be able to see it.",
                    "If you need this record now for an urgent operational reason, you can ask a supervisor for emergency access. The request is recorded.",
                ],
                Some((href.as_str(), "Ask for emergency access")),
            )
        }
        AppError::NotFound(_) => message(
            state,
            user,
            StatusCode::NOT_FOUND,
            "Page not found",
            &[
                "If you typed the web address, check it is correct.",
                "If you followed a link to a record, it may not exist or you may not be able to see it.",
            ],
            Some(("/", "Go to the home page")),
        ),
        AppError::Forbidden(msg) => message(
            state,
            user,
            StatusCode::FORBIDDEN,
            "You do not have access",
            &[
                msg.as_str(),
                "The attempt has been recorded. If you need access, ask your supervisor.",
            ],
            Some(("/", "Go to the home page")),
        ),
        AppError::Conflict { id, .. } | AppError::LinksChanged { id, .. } => {
            let href = format!("/records/{id}");
            message(
                state,
                user,
                StatusCode::CONFLICT,
                "Someone else changed this record",
                &[
                    "Another user saved a change to this record while you were working on it, so your change was not saved.",
                    "Open the record to see its latest version, then make your change again.",
                ],
                Some((href.as_str(), "Open the latest version")),
            )
        }
        AppError::Invalid(v) => {
            let text = v.to_string();
            message(
                state,
                user,
                StatusCode::UNPROCESSABLE_ENTITY,
                "There is a problem",
                &[text.as_str()],
                None,
            )
        }
        AppError::Unavailable(msg) => {
            tracing::error!(error = %msg, "store unavailable");
            message(
                state,
                user,
                StatusCode::SERVICE_UNAVAILABLE,
                "Sorry, the service is unavailable",
                &[
                    "The database cannot be reached. Nothing you entered has been saved. Try again in a few minutes.",
                ],
                None,
            )
        }
        AppError::Internal(msg) => {
            tracing::error!(error = %msg, "internal error");
            message(
                state,
                user,
                StatusCode::INTERNAL_SERVER_ERROR,
                "Sorry, there is a problem with the service",
                &["Nothing you entered has been saved. The error has been logged."],
                None,
            )
        }
    }
}

pub async fn not_found(State(state): State<AppState>, user: CurrentUser) -> Response {
    error_page(
        &state,
        &user,
        AppError::NotFound(RecordId(uuid::Uuid::nil())),
    )
}

fn kind_label(kind: RecordKind) -> &'static str {
    match kind {
        RecordKind::Person => "Person",
        RecordKind::Object => "Object",
        RecordKind::Location => "Location",
        RecordKind::Event => "Event",
        RecordKind::Link => "Link",
    }
}

fn plural_label(kind: RecordKind) -> &'static str {
    match kind {
        RecordKind::Person => "Persons",
        RecordKind::Object => "Objects",
        RecordKind::Location => "Locations",
        RecordKind::Event => "Events",
        RecordKind::Link => "Links",
    }
}

fn entity_kind(plural: &str) -> Option<RecordKind> {
    RecordKind::from_plural(plural).filter(|k| *k != RecordKind::Link)
}

fn page_url(kind: RecordKind, id: RecordId) -> String {
    format!("/{}/{}", kind.plural(), id)
}

fn marking_class(c: Classification) -> &'static str {
    match c {
        Classification::Official => "official",
        Classification::OfficialSensitive => "official-sensitive",
        Classification::Secret => "secret",
    }
}

// ------------------------------------------------------------------ home

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    chrome: Chrome,
    counts: Vec<(String, String, u64)>,
}

async fn home(State(state): State<AppState>, user: CurrentUser) -> Response {
    match state.pole.counts(&user.caller).await {
        Ok(c) => render(
            StatusCode::OK,
            &HomePage {
                chrome: chrome(&state, &user, "home"),
                counts: vec![
                    ("Persons".into(), "/persons".into(), c.persons),
                    ("Objects".into(), "/objects".into(), c.objects),
                    ("Locations".into(), "/locations".into(), c.locations),
                    ("Events".into(), "/events".into(), c.events),
                    ("Links".into(), String::new(), c.links),
                ],
            },
        ),
        // Roles that see no records (administrators, auditors) get the page without counts.
        Err(AppError::Forbidden(_)) => render(
            StatusCode::OK,
            &HomePage {
                chrome: chrome(&state, &user, "home"),
                counts: Vec::new(),
            },
        ),
        Err(e) => error_page(&state, &user, e),
    }
}

// ------------------------------------------------------------------ lists

struct ListItem {
    href: String,
    summary: String,
    subtype: String,
    classification: String,
    marking_class: &'static str,
    updated: String,
}

#[derive(Template)]
#[template(path = "list.html")]
struct ListPage {
    chrome: Chrome,
    heading: String,
    plural: String,
    create_label: String,
    prefix: String,
    subtype: String,
    subtypes: Vec<(String, String)>,
    items: Vec<ListItem>,
    total: u64,
    total_exact: bool,
    from: u64,
    to: u64,
    previous: Option<String>,
    next: Option<String>,
    errors: Vec<ErrorLink>,
}

fn subtypes(kind: RecordKind) -> Vec<(String, String)> {
    use bluelamp_domain::pole::{EventType, LocationType};
    match kind {
        RecordKind::Object => forms::OBJECT_KINDS
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect(),
        RecordKind::Event => EventType::ALL
            .iter()
            .map(|t| (t.as_str().into(), t.label().into()))
            .collect(),
        RecordKind::Location => LocationType::ALL
            .iter()
            .map(|t| (t.as_str().into(), t.label().into()))
            .collect(),
        _ => Vec::new(),
    }
}

async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    PageKind(kind): PageKind,
    Query(params): Query<ListParams>,
) -> Response {
    let plural = kind.plural();
    let (query, errors) = match list_query(kind, &params) {
        Ok(q) => (q, Vec::new()),
        Err(e) => (
            ListQuery::new(kind),
            e.0.iter()
                .map(|f| ErrorLink {
                    target: f.field.clone(),
                    message: f.message.clone(),
                })
                .collect(),
        ),
    };
    let page = match state.pole.list(&user.caller, query.clone()).await {
        Ok(p) => p,
        Err(e) => return error_page(&state, &user, e),
    };
    let link_for = |n: u32| {
        let mut url = format!("/{plural}?page={n}");
        if let Some(p) = &query.summary_prefix {
            url.push_str(&format!("&prefix={}", urlencode(p)));
        }
        if let Some(s) = &query.subtype {
            url.push_str(&format!("&subtype={}", urlencode(s)));
        }
        url
    };
    let shown = page.items.len() as u64;
    let from = if shown == 0 { 0 } else { query.offset() + 1 };
    let labels: HashMap<String, String> = subtypes(kind).into_iter().collect();
    render(
        StatusCode::OK,
        &ListPage {
            chrome: chrome(&state, &user, kind.plural()),
            heading: plural_label(kind).into(),
            plural: plural.to_string(),
            create_label: format!("Create a {}", kind_label(kind).to_lowercase()),
            prefix: query.summary_prefix.clone().unwrap_or_default(),
            subtype: query.subtype.clone().unwrap_or_default(),
            subtypes: subtypes(kind),
            items: page
                .items
                .into_iter()
                .map(|r| ListItem {
                    href: page_url(r.kind, r.id),
                    subtype: r
                        .subtype
                        .as_ref()
                        .map(|s| labels.get(s).cloned().unwrap_or_else(|| s.clone()))
                        .unwrap_or_default(),
                    classification: r.marking.classification.as_str().into(),
                    marking_class: marking_class(r.marking.classification),
                    updated: format_instant(r.updated_at),
                    summary: r.summary,
                })
                .collect(),
            total: page.total,
            total_exact: page.total_exact,
            from,
            to: from + shown.saturating_sub(1),
            previous: (query.page > 1).then(|| link_for(query.page - 1)),
            next: (query.offset() + shown < page.total
                || (!page.total_exact && shown == u64::from(query.per_page)))
            .then(|| link_for(query.page + 1)),
            errors,
        },
    )
}

pub fn urlencode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

// ------------------------------------------------------------------ forms

struct Hidden {
    name: String,
    value: String,
}

#[derive(Template)]
#[template(path = "form.html")]
struct FormPage {
    chrome: Chrome,
    title: String,
    caption: String,
    heading: String,
    action: String,
    submit: String,
    back: String,
    hidden: Vec<Hidden>,
    fields: Vec<Field>,
    errors: Vec<ErrorLink>,
    /// Search before create: people already recorded who may be the one being created.
    matches: Vec<merge::Duplicate>,
}

/// The fields of a kind's form (objects: of one object kind).
fn fields_for(kind: RecordKind, object_kind: &str) -> Vec<Field> {
    match kind {
        RecordKind::Person => forms::person_fields(),
        RecordKind::Object => forms::object_fields(object_kind),
        RecordKind::Location => forms::location_fields(),
        _ => forms::event_fields(),
    }
}

/// The posted form as the API's input, and the map from input paths to form fields.
fn input_from(
    kind: RecordKind,
    object_kind: &str,
    data: &FormData,
) -> Result<(RecordInput, HashMap<String, String>), ValidationErrors> {
    Ok(match kind {
        RecordKind::Person => {
            forms::person_input(data).map(|(i, m)| (RecordInput::Person(i), m))?
        }
        RecordKind::Object => {
            forms::object_input(object_kind, data).map(|(i, m)| (RecordInput::Object(i), m))?
        }
        RecordKind::Location => {
            forms::location_input(data).map(|(i, m)| (RecordInput::Location(i), m))?
        }
        _ => forms::event_input(data).map(|(i, m)| (RecordInput::Event(i), m))?,
    })
}

#[allow(clippy::too_many_arguments)]
fn form_page(
    state: &AppState,
    user: &CurrentUser,
    kind: RecordKind,
    object_kind: &str,
    heading: String,
    action: String,
    back: String,
    hidden: Vec<Hidden>,
    data: &FormData,
    errors: Option<(&ValidationErrors, &HashMap<String, String>)>,
) -> Response {
    let (status, page) = form_model(
        state,
        user,
        kind,
        object_kind,
        heading,
        action,
        back,
        hidden,
        data,
        errors,
    );
    render(status, &page)
}

/// The form page [`form_page`] renders, for callers that add to it.
#[allow(clippy::too_many_arguments)]
fn form_model(
    state: &AppState,
    user: &CurrentUser,
    kind: RecordKind,
    object_kind: &str,
    heading: String,
    action: String,
    back: String,
    hidden: Vec<Hidden>,
    data: &FormData,
    errors: Option<(&ValidationErrors, &HashMap<String, String>)>,
) -> (StatusCode, FormPage) {
    let mut fields = fields_for(kind, object_kind);
    forms::fill(&mut fields, data);
    let errors = match errors {
        Some((e, map)) => forms::attach_errors(&mut fields, e, map),
        None => Vec::new(),
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let title = if errors.is_empty() {
        heading.clone()
    } else {
        format!("Error: {heading}")
    };
    (
        status,
        FormPage {
            chrome: chrome(state, user, kind.plural()),
            title,
            caption: plural_label(kind).into(),
            heading,
            action,
            submit: "Save".into(),
            back,
            hidden,
            fields,
            errors,
            matches: Vec::new(),
        },
    )
}

#[derive(Template)]
#[template(path = "object_kind.html")]
struct ObjectKindPage {
    chrome: Chrome,
    kinds: Vec<(String, String)>,
    error: Option<String>,
}

#[derive(Deserialize)]
struct NewParams {
    kind: Option<String>,
}

fn object_kind_valid(k: &str) -> bool {
    forms::OBJECT_KINDS.iter().any(|(v, _)| *v == k)
}

async fn new_form(
    State(state): State<AppState>,
    user: CurrentUser,
    PageKind(kind): PageKind,
    Query(p): Query<NewParams>,
) -> Response {
    let plural = kind.plural();
    let object_kind = p.kind.unwrap_or_default();
    if kind == RecordKind::Object && !object_kind_valid(&object_kind) {
        let error = p_error(&object_kind);
        return render(
            if error.is_some() {
                StatusCode::UNPROCESSABLE_ENTITY
            } else {
                StatusCode::OK
            },
            &ObjectKindPage {
                chrome: chrome(&state, &user, "objects"),
                kinds: forms::OBJECT_KINDS
                    .iter()
                    .map(|(a, b)| (a.to_string(), b.to_string()))
                    .collect(),
                error,
            },
        );
    }
    let mut data = FormData::default();
    data.set("classification", "OFFICIAL");
    let heading = match kind {
        RecordKind::Object => format!(
            "Create a record: {}",
            forms::OBJECT_KINDS
                .iter()
                .find(|(v, _)| *v == object_kind)
                .map(|(_, l)| l.to_lowercase())
                .unwrap_or_default()
        ),
        k => format!("Create a {} record", kind_label(k).to_lowercase()),
    };
    let hidden = if kind == RecordKind::Object {
        vec![Hidden {
            name: "object_kind".into(),
            value: object_kind.clone(),
        }]
    } else {
        Vec::new()
    };
    form_page(
        &state,
        &user,
        kind,
        &object_kind,
        heading,
        format!("/{plural}"),
        format!("/{plural}"),
        hidden,
        &data,
        None,
    )
}

/// An object-kind choice that was sent but is not on the list gets a message; none sent, none.
fn p_error(k: &str) -> Option<String> {
    (!k.is_empty()).then(|| "Choose what kind of object this is".to_string())
}

async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    PageKind(kind): PageKind,
    data: FormData,
) -> Response {
    let plural = kind.plural();
    let object_kind = data.get("object_kind").to_string();
    if kind == RecordKind::Object && !object_kind_valid(&object_kind) {
        return message(
            &state,
            &user,
            StatusCode::UNPROCESSABLE_ENTITY,
            "There is a problem",
            &["Choose what kind of object this is."],
            Some(("/objects/new", "Start again")),
        );
    }
    let heading = format!("Create a {} record", kind_label(kind).to_lowercase());
    let hidden = if kind == RecordKind::Object {
        vec![Hidden {
            name: "object_kind".into(),
            value: object_kind.clone(),
        }]
    } else {
        Vec::new()
    };
    let back = format!("/{plural}");
    let (input, map) = match input_from(kind, &object_kind, &data) {
        Ok(x) => x,
        Err(e) => {
            return form_page(
                &state,
                &user,
                kind,
                &object_kind,
                heading,
                format!("/{plural}"),
                back,
                hidden,
                &data,
                Some((&e, &HashMap::new())),
            );
        }
    };
    // Search before create: likely matches are shown first; saving again creates.
    if let RecordInput::Person(p) = &input
        && data.get("confirm_new") != "yes"
    {
        let matches = merge::likely_matches(&state, &user, p).await;
        if !matches.is_empty() {
            let mut hidden = hidden;
            hidden.push(Hidden {
                name: "confirm_new".into(),
                value: "yes".into(),
            });
            let (_, mut page) = form_model(
                &state,
                &user,
                kind,
                &object_kind,
                heading,
                format!("/{plural}"),
                back,
                hidden,
                &data,
                None,
            );
            page.matches = matches;
            page.submit = "None of these: create a new record".into();
            return render(StatusCode::OK, &page);
        }
    }
    match state.pole.create(&user.caller, input).await {
        Ok(rec) => {
            Redirect::to(&format!("{}?notice=created", page_url(rec.kind, rec.id))).into_response()
        }
        Err(AppError::Invalid(e)) => form_page(
            &state,
            &user,
            kind,
            &object_kind,
            heading,
            format!("/{plural}"),
            back,
            hidden,
            &data,
            Some((&e, &map)),
        ),
        Err(e) => error_page(&state, &user, e),
    }
}

/// A posted form is read before the handler runs; one that cannot be read (too large, not
/// a form) is answered with a page saying so.
impl axum::extract::FromRequest<AppState> for FormData {
    type Rejection = Response;
    async fn from_request(req: axum::extract::Request, state: &AppState) -> Result<Self, Response> {
        use axum::extract::FromRequestParts;
        let (mut parts, body) = req.into_parts();
        let user = CurrentUser::from_request_parts(&mut parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let req = axum::extract::Request::from_parts(parts, body);
        match Form::<Vec<(String, String)>>::from_request(req, state).await {
            // Every form that posts carries the session's CSRF token; a form from another
            // site (or an old session) is refused before anything is done with it.
            Ok(Form(pairs)) => {
                let sent = pairs
                    .iter()
                    .find(|(k, _)| k == "csrf_token")
                    .map(|(_, v)| v.as_str())
                    .unwrap_or("");
                if user.csrf.is_empty()
                    || !bluelamp_app::identity::constant_time_eq(sent, &user.csrf)
                {
                    return Err(message(
                        state,
                        &user,
                        StatusCode::FORBIDDEN,
                        "This form has expired",
                        &[
                            "The form was not sent from a page of this session, so nothing was saved.",
                            "Go back, reload the page and try again.",
                        ],
                        Some(("/", "Go to the home page")),
                    ));
                }
                Ok(FormData(pairs))
            }
            Err(e) => Err(message(
                state,
                &user,
                e.status(),
                "The form could not be read",
                &[&e.body_text()],
                None,
            )),
        }
    }
}

/// The kind of record a page's path names (`/persons/...`); any other word is answered
/// with the "page not found" page before the handler runs.
struct PageKind(RecordKind);

/// The record id in a page's path; anything that is not an id is answered with the "page
/// not found" page before the handler runs.
struct PageId(RecordId);

/// The named path parameter, or the "page not found" page.
async fn path_param<T>(
    parts: &mut axum::http::request::Parts,
    state: &AppState,
    name: &str,
    parse: impl FnOnce(&str) -> Option<T>,
) -> Result<T, Response> {
    use axum::extract::FromRequestParts;
    let params = Path::<HashMap<String, String>>::from_request_parts(parts, state)
        .await
        .map_err(IntoResponse::into_response)?;
    match params.0.get(name).and_then(|v| parse(v)) {
        Some(v) => Ok(v),
        None => {
            let user = CurrentUser::from_request_parts(parts, state)
                .await
                .map_err(IntoResponse::into_response)?;
            Err(error_page(
                state,
                &user,
                AppError::NotFound(RecordId(uuid::Uuid::nil())),
            ))
        }
    }
}

impl axum::extract::FromRequestParts<AppState> for PageKind {
    type Rejection = Response;
    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &AppState,
    ) -> Result<Self, Response> {
        path_param(parts, state, "plural", entity_kind)
            .await
            .map(PageKind)
    }
}

impl axum::extract::FromRequestParts<AppState> for PageId {
    type Rejection = Response;
    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &AppState,
    ) -> Result<Self, Response> {
        path_param(parts, state, "id", |s| s.parse::<RecordId>().ok())
            .await
            .map(PageId)
    }
}

async fn edit_form(
    State(state): State<AppState>,
    user: CurrentUser,
    PageKind(kind): PageKind,
    PageId(id): PageId,
) -> Response {
    let rec = match state.pole.get(&user.caller, id, Some(kind)).await {
        Ok(r) => r,
        Err(e) => return error_page(&state, &user, e),
    };
    let data = match kind {
        RecordKind::Person => forms::person_data(&rec.body, &rec.marking),
        RecordKind::Object => forms::object_data(&rec.body, &rec.marking),
        RecordKind::Location => forms::location_data(&rec.body, &rec.marking),
        _ => forms::event_data(&rec.body, &rec.marking),
    };
    let object_kind = rec.subtype.clone().unwrap_or_default();
    let url = page_url(kind, rec.id);
    form_page(
        &state,
        &user,
        kind,
        &object_kind,
        format!("Change {}", rec.summary),
        url.clone(),
        url,
        edit_hidden(&rec),
        &data,
        None,
    )
}

fn edit_hidden(rec: &StoredRecord) -> Vec<Hidden> {
    let mut h = vec![Hidden {
        name: "base_version".into(),
        value: rec.version.to_string(),
    }];
    if rec.kind == RecordKind::Object {
        h.push(Hidden {
            name: "object_kind".into(),
            value: rec.subtype.clone().unwrap_or_default(),
        });
    }
    h
}

async fn update(
    State(state): State<AppState>,
    user: CurrentUser,
    PageKind(kind): PageKind,
    PageId(id): PageId,
    data: FormData,
) -> Response {
    let Ok(base_version) = data.get("base_version").parse::<i64>() else {
        return message(
            &state,
            &user,
            StatusCode::BAD_REQUEST,
            "The form could not be read",
            &["The version of the record you changed is missing. Open the record and try again."],
            None,
        );
    };
    let object_kind = data.get("object_kind").to_string();
    let url = page_url(kind, id);
    let hidden = vec![
        Hidden {
            name: "base_version".into(),
            value: base_version.to_string(),
        },
        Hidden {
            name: "object_kind".into(),
            value: object_kind.clone(),
        },
    ];
    let heading = format!("Change this {} record", kind_label(kind).to_lowercase());
    let (input, map) = match input_from(kind, &object_kind, &data) {
        Ok(x) => x,
        Err(e) => {
            return form_page(
                &state,
                &user,
                kind,
                &object_kind,
                heading,
                url.clone(),
                url,
                hidden,
                &data,
                Some((&e, &HashMap::new())),
            );
        }
    };
    match state
        .pole
        .update(&user.caller, id, base_version, input)
        .await
    {
        Ok(rec) => {
            Redirect::to(&format!("{}?notice=updated", page_url(rec.kind, rec.id))).into_response()
        }
        Err(AppError::Invalid(e)) => form_page(
            &state,
            &user,
            kind,
            &object_kind,
            heading,
            url.clone(),
            url,
            hidden,
            &data,
            Some((&e, &map)),
        ),
        Err(e) => error_page(&state, &user, e),
    }
}

// ------------------------------------------------------------------ record page

struct LinkItem {
    link_id: String,
    version: i64,
    label: String,
    href: String,
    summary: String,
    kind: String,
    classification: String,
    period: String,
}

#[derive(Template)]
#[template(path = "record.html")]
struct RecordPage {
    chrome: Chrome,
    id: String,
    kind_label: String,
    summary: String,
    marking_banner: String,
    marking_class: &'static str,
    key: Option<KeyDetails>,
    rows: Vec<Row>,
    edit_url: Option<String>,
    links: Vec<LinkItem>,
    self_url: String,
    api_url: String,
    version: i64,
    created: String,
    created_by: String,
    updated: String,
    updated_by: String,
    ended: bool,
    notice: Option<String>,
    /// Shown to roles that may export this record for disclosure.
    export_url: Option<String>,
    /// Persons: possible duplicates and merges.
    merges: merge::PersonMerges,
    /// Set when the reader was sent here from a record merged into this one.
    redirected_from: Option<String>,
}

#[derive(Deserialize)]
struct NoticeParams {
    notice: Option<String>,
    /// `merged`: show a merged record's own page rather than going to its survivor.
    show: Option<String>,
    /// The merged record the reader was sent here from.
    from: Option<String>,
}

fn notice_text(n: Option<&str>) -> Option<String> {
    match n? {
        "created" => Some("Record created".into()),
        "updated" => Some("Your changes have been saved".into()),
        "linked" => Some("Link added".into()),
        "unlinked" => Some("Link ended. It stays in the history.".into()),
        "merged" => {
            Some("Records merged. The other record stays as history and points here.".into())
        }
        "unmerged" => Some("Merge undone: both records are as they were before it".into()),
        _ => None,
    }
}

async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    PageKind(kind): PageKind,
    PageId(id): PageId,
    Query(n): Query<NoticeParams>,
) -> Response {
    record_page(state, user, id, Some(kind), n).await
}

async fn show_any(
    State(state): State<AppState>,
    user: CurrentUser,
    PageId(id): PageId,
    Query(n): Query<NoticeParams>,
) -> Response {
    record_page(state, user, id, None, n).await
}

async fn record_page(
    state: AppState,
    user: CurrentUser,
    id: RecordId,
    kind: Option<RecordKind>,
    params: NoticeParams,
) -> Response {
    let (rec, links) = match state
        .pole
        .get_with_links(&user.caller, id, kind, false)
        .await
    {
        Ok(found) => found,
        Err(e) => return error_page(&state, &user, e),
    };
    // A merged record's page goes to its survivor, unless its own page is asked for.
    if let Some(note) = bluelamp_app::merge::MergedInto::of(&rec)
        && params.show.as_deref() != Some("merged")
    {
        return Redirect::to(&format!(
            "{}?from={}",
            page_url(RecordKind::Person, note.id),
            rec.id
        ))
        .into_response();
    }
    let redirected_from = params
        .from
        .as_deref()
        .and_then(|f| f.parse::<RecordId>().ok())
        .map(|f| format!("{}?show=merged", page_url(RecordKind::Person, f)));
    let merges = merge::person_merges(&state, &user, &rec).await;
    let is_merged = merges.merged.is_some();
    let links = links
        .into_iter()
        .map(|v| {
            let body: Option<bluelamp_domain::pole::Link> =
                serde_json::from_value(v.link.body.clone()).ok();
            let period = match body.as_ref().map(|b| (b.valid_from, b.valid_to)) {
                Some((Some(a), Some(b))) => format!(
                    "{} to {}",
                    bluelamp_domain::time::format_date(a),
                    bluelamp_domain::time::format_date(b)
                ),
                Some((Some(a), None)) => format!("Since {}", bluelamp_domain::time::format_date(a)),
                Some((None, Some(b))) => format!("Until {}", bluelamp_domain::time::format_date(b)),
                _ => String::new(),
            };
            LinkItem {
                link_id: v.link.id.to_string(),
                version: v.link.version,
                label: link_label(&v),
                href: page_url(v.other_kind, v.other_id),
                summary: v.other_summary.clone(),
                kind: kind_label(v.other_kind).into(),
                classification: v.other_marking.classification.as_str().into(),
                period,
            }
        })
        .collect();
    let self_url = if rec.kind == RecordKind::Link {
        format!("/records/{}", rec.id)
    } else {
        page_url(rec.kind, rec.id)
    };
    let export_url = state
        .pole
        .may_export(&user.caller, &rec)
        .then(|| format!("/records/{}/export", rec.id));
    render(
        StatusCode::OK,
        &RecordPage {
            chrome: chrome(&state, &user, rec.kind.plural()),
            id: rec.id.to_string(),
            kind_label: kind_label(rec.kind).into(),
            summary: rec.summary.clone(),
            marking_banner: rec.marking.banner(),
            marking_class: marking_class(rec.marking.classification),
            key: (rec.kind == RecordKind::Person)
                .then(|| display::person_key_details(&rec.body))
                .flatten(),
            rows: display::rows(rec.kind, &rec.body),
            edit_url: (rec.kind != RecordKind::Link && !is_merged)
                .then(|| format!("{self_url}/edit")),
            links,
            api_url: crate::api::record_url(rec.kind, rec.id),
            self_url,
            version: rec.version,
            created: format_instant(rec.created_at),
            created_by: rec.created_by,
            updated: format_instant(rec.updated_at),
            updated_by: rec.updated_by,
            ended: rec.status == RecordStatus::Ended,
            notice: notice_text(params.notice.as_deref()),
            export_url,
            merges,
            redirected_from,
        },
    )
}

/// The export of a record for disclosure, as a JSON download (the page counterpart of
/// `GET /api/v1/records/{id}/export`).
async fn export_download(
    State(state): State<AppState>,
    user: CurrentUser,
    PageId(id): PageId,
) -> Response {
    match state.pole.export(&user.caller, id).await {
        Ok(b) => crate::api::export_response(b).into_response(),
        Err(e) => error_page(&state, &user, e),
    }
}

// ------------------------------------------------------------------ history

struct HistoryItem {
    version: i64,
    change: String,
    when: String,
    who: String,
    changes: Vec<(String, String, String)>,
}

#[derive(Template)]
#[template(path = "history.html")]
struct HistoryPage {
    chrome: Chrome,
    summary: String,
    back: String,
    items: Vec<HistoryItem>,
}

async fn history(State(state): State<AppState>, user: CurrentUser, PageId(id): PageId) -> Response {
    let entries = match state.pole.history(&user.caller, id).await {
        Ok(h) => h,
        Err(e) => return error_page(&state, &user, e),
    };
    let Some(last) = entries.last() else {
        return error_page(&state, &user, AppError::NotFound(id));
    };
    let kind = last.version.kind;
    let summary = last.version.summary.clone();
    let items = entries
        .into_iter()
        .rev()
        .map(|h| HistoryItem {
            version: h.version.version,
            change: match h.version.change {
                bluelamp_store::ChangeKind::Create => "Created".into(),
                bluelamp_store::ChangeKind::Update => "Changed".into(),
                bluelamp_store::ChangeKind::End => "Ended".into(),
            },
            when: format_instant(h.version.changed_at),
            who: h.version.changed_by_name,
            changes: h
                .changes
                .into_iter()
                .map(|c| {
                    (
                        c.field.replace('_', " "),
                        c.before.unwrap_or_else(|| "(none)".into()),
                        c.after.unwrap_or_else(|| "(none)".into()),
                    )
                })
                .collect(),
        })
        .collect();
    render(
        StatusCode::OK,
        &HistoryPage {
            chrome: chrome(&state, &user, kind.plural()),
            summary,
            back: if kind == RecordKind::Link {
                format!("/records/{id}")
            } else {
                page_url(kind, id)
            },
            items,
        },
    )
}

// ------------------------------------------------------------------ links

/// A role offered on the "add a link" page, in the direction it reads from this record.
struct RoleChoice {
    value: String,
    label: String,
    selected: bool,
}

struct Candidate {
    id: String,
    summary: String,
    kind: String,
    classification: String,
    /// Why the search offered it ("surname sounds like Smith"); empty for a record found
    /// by the start of its summary.
    reason: String,
    checked: bool,
}

#[derive(Template)]
#[template(path = "link_new.html")]
struct LinkPage {
    chrome: Chrome,
    id: String,
    summary: String,
    back: String,
    roles: Vec<RoleChoice>,
    target_kinds: Vec<(String, String, bool)>,
    q: String,
    candidates: Vec<Candidate>,
    searched: bool,
    errors: Vec<ErrorLink>,
    role_error: Option<String>,
    target_error: Option<String>,
    from: [String; 3],
    to: [String; 3],
    from_error: Option<String>,
    to_error: Option<String>,
}

#[derive(Template)]
#[template(path = "candidates.html")]
struct CandidatesFragment {
    candidates: Vec<Candidate>,
    searched: bool,
    q: String,
}

#[derive(Deserialize, Default)]
struct LinkParams {
    role: Option<String>,
    target_kind: Option<String>,
    q: Option<String>,
    #[serde(rename = "from-day")]
    from_day: Option<String>,
    #[serde(rename = "from-month")]
    from_month: Option<String>,
    #[serde(rename = "from-year")]
    from_year: Option<String>,
    #[serde(rename = "to-day")]
    to_day: Option<String>,
    #[serde(rename = "to-month")]
    to_month: Option<String>,
    #[serde(rename = "to-year")]
    to_year: Option<String>,
}

/// Problems with the "add a link" form, each shown beside its question.
#[derive(Default)]
struct LinkErrors {
    role: Option<String>,
    target: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

/// Every role that can start or end at a record of `kind`, as "role:out" / "role:in".
fn role_choices(kind: RecordKind, selected: &str) -> Vec<RoleChoice> {
    let kinds = [
        RecordKind::Person,
        RecordKind::Object,
        RecordKind::Location,
        RecordKind::Event,
    ];
    let mut out = Vec::new();
    for role in LinkRole::ALL {
        if kinds.iter().any(|k| role.allows(kind, *k)) {
            let value = format!("{}:out", role.as_str());
            out.push(RoleChoice {
                selected: value == selected,
                value,
                label: role.label().into(),
            });
        }
        if kinds.iter().any(|k| role.allows(*k, kind)) && role.inverse_label() != role.label() {
            let value = format!("{}:in", role.as_str());
            out.push(RoleChoice {
                selected: value == selected,
                value,
                label: role.inverse_label().into(),
            });
        }
    }
    out
}

async fn candidates_for(
    state: &AppState,
    user: &CurrentUser,
    params: &LinkParams,
    exclude: RecordId,
) -> Result<(Vec<Candidate>, bool), AppError> {
    let q = params.q.as_deref().unwrap_or("").trim();
    let Some(kind) = params.target_kind.as_deref().and_then(entity_kind) else {
        return Ok((Vec::new(), false));
    };
    if q.is_empty() || q.chars().count() > 100 || q.chars().any(char::is_control) {
        return Ok((Vec::new(), false));
    }
    let candidate =
        |id: RecordId, summary: String, classification: Classification, reason| Candidate {
            id: id.to_string(),
            summary,
            kind: kind_label(kind).into(),
            classification: classification.as_str().into(),
            reason,
            checked: false,
        };
    // The search finds the record however it was typed (a misspelt or sound-alike name, a
    // date of birth, part of a registration, a phone number in any format); a record saved
    // a moment ago may not be indexed yet, so those whose summary starts with what was
    // typed follow while the search leaves room. Both are audited, as a search and as a
    // list.
    let mut out: Vec<Candidate> = Vec::new();
    let input = bluelamp_app::search::SearchInput {
        q: q.to_string(),
        kind: Some(kind),
        page: 1,
        per_page: LINK_CANDIDATES,
        ..Default::default()
    };
    match state.search.search(&user.caller, &input).await {
        Ok(found) => {
            for hit in found.results.into_iter().flat_map(|r| r.hits) {
                if hit.id != exclude {
                    out.push(candidate(
                        hit.id,
                        hit.summary,
                        hit.classification,
                        hit.reason,
                    ));
                }
            }
        }
        // Not something the search reads (punctuation alone): the list still runs.
        Err(AppError::Invalid(_)) => {}
        Err(e) => {
            tracing::warn!(error = %e, "search for a record to link failed; listing by summary")
        }
    }
    // Only while the search has left room: each keystroke is audited, and protective
    // monitoring counts consultations.
    if out.len() < LINK_CANDIDATES as usize {
        let mut query = ListQuery::new(kind);
        query.summary_prefix = Some(q.to_string());
        query.per_page = LINK_CANDIDATES;
        let page = state.pole.list(&user.caller, query).await?;
        for r in page.items {
            if r.id != exclude && !out.iter().any(|c| c.id == r.id.to_string()) {
                out.push(candidate(
                    r.id,
                    r.summary,
                    r.marking.classification,
                    String::new(),
                ));
            }
        }
    }
    Ok((out, true))
}

/// Records offered by each of the search and the list on the "add a link" page.
const LINK_CANDIDATES: u32 = 10;

async fn link_form(
    State(state): State<AppState>,
    user: CurrentUser,
    PageId(id): PageId,
    Query(params): Query<LinkParams>,
) -> Response {
    link_page(state, user, id, params, LinkErrors::default()).await
}

async fn link_page(
    state: AppState,
    user: CurrentUser,
    id: RecordId,
    params: LinkParams,
    errors: LinkErrors,
) -> Response {
    let rec = match state.pole.get(&user.caller, id, None).await {
        Ok(r) if r.kind != RecordKind::Link => r,
        Ok(_) => return error_page(&state, &user, AppError::NotFound(id)),
        Err(e) => return error_page(&state, &user, e),
    };
    let (candidates, searched) = match candidates_for(&state, &user, &params, id).await {
        Ok(c) => c,
        Err(e) => return error_page(&state, &user, e),
    };
    let target_kind = params
        .target_kind
        .clone()
        .unwrap_or_else(|| "persons".into());
    let mut summary_errors = Vec::new();
    for (message, target) in [
        (&errors.role, "role"),
        (&errors.target, "q"),
        (&errors.from, "from-day"),
        (&errors.to, "to-day"),
    ] {
        if let Some(m) = message {
            summary_errors.push(ErrorLink {
                target: target.into(),
                message: m.clone(),
            });
        }
    }
    let part = |v: &Option<String>| v.clone().unwrap_or_default();
    render(
        if summary_errors.is_empty() {
            StatusCode::OK
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        },
        &LinkPage {
            chrome: chrome(&state, &user, rec.kind.plural()),
            id: id.to_string(),
            summary: rec.summary.clone(),
            back: page_url(rec.kind, rec.id),
            roles: role_choices(rec.kind, params.role.as_deref().unwrap_or("")),
            target_kinds: [
                RecordKind::Person,
                RecordKind::Object,
                RecordKind::Location,
                RecordKind::Event,
            ]
            .iter()
            .map(|k| {
                (
                    k.plural().to_string(),
                    plural_label(*k).to_string(),
                    k.plural() == target_kind,
                )
            })
            .collect(),
            q: params.q.clone().unwrap_or_default(),
            candidates,
            searched,
            errors: summary_errors,
            role_error: errors.role,
            target_error: errors.target,
            from: [
                part(&params.from_day),
                part(&params.from_month),
                part(&params.from_year),
            ],
            to: [
                part(&params.to_day),
                part(&params.to_month),
                part(&params.to_year),
            ],
            from_error: errors.from,
            to_error: errors.to,
        },
    )
}

/// The candidate list alone, for htmx to swap in as the user types.
async fn link_candidates(
    State(state): State<AppState>,
    user: CurrentUser,
    PageId(id): PageId,
    Query(params): Query<LinkParams>,
) -> Response {
    match candidates_for(&state, &user, &params, id).await {
        Ok((candidates, searched)) => render(
            StatusCode::OK,
            &CandidatesFragment {
                candidates,
                searched,
                q: params.q.unwrap_or_default(),
            },
        ),
        Err(e) => error_page(&state, &user, e),
    }
}

async fn link_create(
    State(state): State<AppState>,
    user: CurrentUser,
    PageId(id): PageId,
    data: FormData,
) -> Response {
    let field = |k: &str| Some(data.get(k).to_string());
    let params = LinkParams {
        role: field("role"),
        target_kind: field("target_kind"),
        q: field("q"),
        from_day: field("from-day"),
        from_month: field("from-month"),
        from_year: field("from-year"),
        to_day: field("to-day"),
        to_month: field("to-month"),
        to_year: field("to-year"),
    };
    let role = data.get("role");
    let target = data.get("target_id");
    let (role_name, outgoing) = match role.split_once(':') {
        Some((r, "out")) => (r, true),
        Some((r, "in")) => (r, false),
        _ => ("", true),
    };
    let valid_from = forms::full_date(&data, "from");
    let valid_to = forms::full_date(&data, "to");
    let errors = LinkErrors {
        role: role_name
            .is_empty()
            .then(|| "Choose how the records are linked".to_string()),
        target: target
            .is_empty()
            .then(|| "Search for the record to link to, then choose it".to_string()),
        from: valid_from.as_ref().err().cloned(),
        to: valid_to.as_ref().err().cloned(),
    };
    if errors.role.is_some()
        || errors.target.is_some()
        || errors.from.is_some()
        || errors.to.is_some()
    {
        return link_page(state, user, id, params, errors).await;
    }
    let (from_id, to_id) = if outgoing {
        (id.to_string(), target.to_string())
    } else {
        (target.to_string(), id.to_string())
    };
    let input = LinkInput {
        from_id,
        to_id,
        role: role_name.into(),
        valid_from: valid_from.unwrap_or_default(),
        valid_to: valid_to.unwrap_or_default(),
        ..Default::default()
    };
    match state.pole.link(&user.caller, input).await {
        Ok(_) => {
            // /records/{id} shows any kind of record: no need to look the kind up.
            Redirect::to(&format!("/records/{id}?notice=linked")).into_response()
        }
        Err(AppError::Invalid(e)) => {
            let mut errors = LinkErrors::default();
            for f in &e.0 {
                let slot = match f.field.as_str() {
                    "valid_from" => &mut errors.from,
                    "valid_to" => &mut errors.to,
                    "to_id" | "from_id" => &mut errors.target,
                    _ => &mut errors.role,
                };
                slot.get_or_insert_with(|| f.message.clone());
            }
            link_page(state, user, id, params, errors).await
        }
        Err(e) => error_page(&state, &user, e),
    }
}

async fn link_end(
    State(state): State<AppState>,
    user: CurrentUser,
    PageId(id): PageId,
    data: FormData,
) -> Response {
    let Ok(base) = data.get("base_version").parse::<i64>() else {
        return message(
            &state,
            &user,
            StatusCode::BAD_REQUEST,
            "The form could not be read",
            &["The link's version is missing."],
            None,
        );
    };
    // Only return to a page of our own (never an open redirect).
    let ret = data.get("return_to");
    let ret = if ret.starts_with('/') && !ret.starts_with("//") && !ret.contains("\\") {
        ret.to_string()
    } else {
        "/".into()
    };
    match state.pole.unlink(&user.caller, id, base).await {
        Ok(_) => Redirect::to(&format!("{ret}?notice=unlinked")).into_response(),
        Err(e) => error_page(&state, &user, e),
    }
}

// ------------------------------------------------------------------ API docs

struct ApiOperation {
    method: String,
    path: String,
    summary: String,
    request: String,
    responses: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "api_docs.html")]
struct ApiDocsPage {
    chrome: Chrome,
    groups: Vec<(String, String, Vec<ApiOperation>)>,
}

/// The API documentation, rendered on the server from the OpenAPI document, so it works
/// offline and needs no script.
async fn api_docs(State(state): State<AppState>, user: CurrentUser) -> Response {
    let doc = serde_json::to_value(crate::api::openapi()).unwrap_or_default();
    let mut groups: Vec<(String, String, Vec<ApiOperation>)> = doc["tags"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|t| {
            (
                t["name"].as_str().unwrap_or("").to_string(),
                t["description"].as_str().unwrap_or("").to_string(),
                Vec::new(),
            )
        })
        .collect();
    if let Some(paths) = doc["paths"].as_object() {
        for (path, item) in paths {
            for (method, op) in item.as_object().into_iter().flatten() {
                let tag = op["tags"][0].as_str().unwrap_or("").to_string();
                let request = op["requestBody"]["content"]["application/json"]["schema"]["$ref"]
                    .as_str()
                    .map(|r| r.rsplit('/').next().unwrap_or("").to_string())
                    .unwrap_or_default();
                let responses = op["responses"]
                    .as_object()
                    .into_iter()
                    .flatten()
                    .map(|(code, r)| {
                        (
                            code.clone(),
                            r["description"].as_str().unwrap_or("").to_string(),
                        )
                    })
                    .collect();
                let summary = op["summary"]
                    .as_str()
                    .or(op["description"].as_str())
                    .unwrap_or("")
                    .to_string();
                let entry = ApiOperation {
                    method: method.to_uppercase(),
                    path: path.clone(),
                    summary,
                    request,
                    responses,
                };
                match groups.iter_mut().find(|g| g.0 == tag) {
                    Some(g) => g.2.push(entry),
                    None => groups.push((tag, String::new(), vec![entry])),
                }
            }
        }
    }
    render(
        StatusCode::OK,
        &ApiDocsPage {
            chrome: chrome(&state, &user, "api"),
            groups,
        },
    )
}

async fn redirect_records_page(Path(id): Path<String>) -> Redirect {
    Redirect::to(&format!("/records/{id}"))
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(accounts::routes())
        .merge(custody::routes())
        .merge(audit::routes())
        .merge(break_glass::routes())
        .merge(passkeys::routes())
        .merge(search::routes())
        .route("/", get(home))
        .route("/api/docs", get(api_docs))
        .route("/records/{id}", get(show_any))
        .route("/records/{id}/history", get(history))
        .route("/records/{id}/export", get(export_download))
        .route("/records/{id}/links/new", get(link_form))
        .route("/records/{id}/links/candidates", get(link_candidates))
        .route("/records/{id}/links", post(link_create))
        .route("/links/{id}", get(redirect_records_page))
        .route("/links/{id}/end", post(link_end))
        .route(
            "/persons/{id}/compare/{other}",
            get(merge::compare).post(merge::merge),
        )
        .route("/persons/{id}/unmerge", post(merge::unmerge))
        .route("/duplicates", get(merge::queue))
        .route("/duplicates/not-duplicate", post(merge::dismiss))
        .route("/{plural}", get(list).post(create))
        .route("/{plural}/new", get(new_form))
        .route("/{plural}/{id}", get(show).post(update))
        .route("/{plural}/{id}/edit", get(edit_form))
}

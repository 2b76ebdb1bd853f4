//! The search page (`/search`): the box from the header of every page, a structured person
//! search, results grouped by kind with the reason each matched, and search as you type for
//! persons (`/search/suggest`, an htmx fragment). Every search, each suggestion included,
//! is audited.

use super::{Chrome, chrome, error_page, marking_class, page_url, render, urlencode};
use crate::AppState;
use crate::api_search::SearchParams;
use crate::caller::CurrentUser;
use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use bluelamp_app::AppError;
use bluelamp_domain::RecordKind;
use bluelamp_search::index::KindResults;

use super::forms::ErrorLink;

/// Hits shown per kind when every kind is shown at once.
const PER_KIND: u32 = 10;
/// Hits per page when one kind is paged through.
const PER_PAGE: u32 = 25;

struct HitView {
    href: String,
    summary: String,
    subtype: String,
    classification: &'static str,
    marking_class: &'static str,
    reason: String,
}

struct Group {
    kind: &'static str,
    heading: &'static str,
    total: usize,
    total_exact: bool,
    hits: Vec<HitView>,
    /// "Show all" when only the first hits of this kind are shown.
    more: Option<String>,
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage {
    chrome: Chrome,
    q: String,
    family_name: String,
    given_names: String,
    dob: String,
    age: String,
    structured: bool,
    searched: bool,
    q_error: bool,
    understood: String,
    complete: bool,
    status: String,
    groups: Vec<Group>,
    previous: Option<String>,
    next: Option<String>,
    errors: Vec<ErrorLink>,
}

#[derive(Template)]
#[template(path = "search_suggest.html")]
struct Suggestions {
    hits: Vec<HitView>,
}

fn heading(kind: RecordKind) -> &'static str {
    match kind {
        RecordKind::Person => "People",
        RecordKind::Object => "Vehicles and other objects",
        RecordKind::Location => "Locations",
        RecordKind::Event => "Events",
        RecordKind::Link => "Links",
    }
}

fn hit_views(r: KindResults) -> Vec<HitView> {
    r.hits
        .into_iter()
        .map(|h| HitView {
            href: page_url(h.kind, h.id),
            summary: h.summary,
            subtype: h.subtype.unwrap_or_default().replace('_', " "),
            classification: h.classification.as_str(),
            marking_class: marking_class(h.classification),
            reason: h.reason,
        })
        .collect()
}

/// The page's own address for these parameters, with another kind and page.
fn url_for(p: &SearchParams, kind: Option<RecordKind>, page: u32) -> String {
    let mut url = format!("/search?q={}", urlencode(&p.q));
    for (name, value) in [
        ("family_name", &p.family_name),
        ("given_names", &p.given_names),
        ("dob", &p.dob),
        ("age", &p.age),
    ] {
        if !value.trim().is_empty() {
            url.push_str(&format!("&{name}={}", urlencode(value)));
        }
    }
    if let Some(k) = kind {
        url.push_str(&format!("&kind={}", k.as_str()));
    }
    if page > 1 {
        url.push_str(&format!("&page={page}"));
    }
    url
}

async fn search_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(params): Query<SearchParams>,
) -> Response {
    let structured = [
        &params.family_name,
        &params.given_names,
        &params.dob,
        &params.age,
    ]
    .iter()
    .any(|v| !v.trim().is_empty());
    let mut page = SearchPage {
        chrome: chrome(&state, &user, "search"),
        q: params.q.clone(),
        family_name: params.family_name.clone(),
        given_names: params.given_names.clone(),
        dob: params.dob.clone(),
        age: params.age.clone(),
        structured,
        searched: false,
        q_error: false,
        understood: String::new(),
        complete: true,
        status: String::new(),
        groups: Vec::new(),
        previous: None,
        next: None,
        errors: Vec::new(),
    };
    if params.q.trim().is_empty() && !structured {
        return render(StatusCode::OK, &page);
    }
    let mut input = match params.input() {
        Ok(i) => i,
        Err(e) => {
            page.errors = e.0.iter().map(ErrorLink::from).collect();
            return render(StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
    };
    let one_kind = input.kind;
    input.per_page = if one_kind.is_some() {
        PER_PAGE
    } else {
        PER_KIND
    };
    let outcome = match state.search.search(&user.caller, &input).await {
        Ok(o) => o,
        Err(AppError::Invalid(e)) => {
            page.q_error = e.0.iter().any(|f| f.field == "q");
            page.errors = e.0.iter().map(ErrorLink::from).collect();
            return render(StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
        Err(e) => return error_page(&state, &user, e),
    };
    page.searched = true;
    page.complete = outcome.complete;
    page.understood = outcome.understood.describe().join("; ");
    let total = outcome.total();
    page.status = format!("{total} record{} found", if total == 1 { "" } else { "s" });
    if let Some(kind) = one_kind
        && let Some(r) = outcome.results.first()
    {
        let shown = r.hits.len();
        let offset = usize::try_from((input.page - 1) * PER_PAGE).unwrap_or(0);
        page.previous = (input.page > 1).then(|| url_for(&params, Some(kind), input.page - 1));
        page.next =
            (offset + shown < r.total).then(|| url_for(&params, Some(kind), input.page + 1));
    }
    page.groups = outcome
        .results
        .into_iter()
        .filter(|r| r.total > 0)
        .map(|r| Group {
            kind: r.kind.as_str(),
            heading: heading(r.kind),
            total: r.total,
            total_exact: r.total_exact,
            more: (one_kind.is_none() && r.total > r.hits.len())
                .then(|| url_for(&params, Some(r.kind), 1)),
            hits: hit_views(r),
        })
        .collect();
    render(StatusCode::OK, &page)
}

/// Search as you type: the five best persons for what is in the box so far.
async fn suggest(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(params): Query<SearchParams>,
) -> Response {
    if params.q.trim().chars().count() < 2 {
        return render(StatusCode::OK, &Suggestions { hits: vec![] });
    }
    let Ok(mut input) = params.input() else {
        return render(StatusCode::OK, &Suggestions { hits: vec![] });
    };
    input.kind = Some(RecordKind::Person);
    input.per_page = 5;
    input.page = 1;
    match state.search.search(&user.caller, &input).await {
        Ok(o) => render(
            StatusCode::OK,
            &Suggestions {
                hits: o.results.into_iter().flat_map(hit_views).collect(),
            },
        ),
        // Half-typed input that is not yet a search shows nothing.
        Err(AppError::Invalid(_)) => render(StatusCode::OK, &Suggestions { hits: vec![] }),
        Err(e) => {
            tracing::warn!(error = %e, "search suggestions failed");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/search", get(search_page))
        .route("/search/suggest", get(suggest))
}

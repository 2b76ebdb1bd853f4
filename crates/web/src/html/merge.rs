//! One record per real person, on the pages: possible duplicates on a person's page, two
//! records side by side with how well they match, merging them with a reason, and undoing
//! a merge from the merged record's page.

use super::{Chrome, chrome, display, error_page, message, page_url, render};
use crate::AppState;
use crate::caller::CurrentUser;
use crate::html::forms::{ErrorLink, FormData};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use bluelamp_app::AppError;
use bluelamp_app::duplicates::{phone_role, weighed};
use bluelamp_app::merge::{MergeRequest, MergedInto, merged_from};
use bluelamp_domain::pole::{Object, Person};
use bluelamp_domain::time::format_instant;
use bluelamp_domain::{RecordId, RecordKind};
use bluelamp_search::{PersonFeatures, score};
use bluelamp_store::StoredRecord;

/// A possible duplicate shown on a person's page.
pub(super) struct Duplicate {
    pub href: String,
    pub compare: String,
    pub summary: String,
    pub score: String,
    pub reason: String,
}

/// A merge shown on the merged record's page.
pub(super) struct MergedView {
    pub survivor_href: String,
    pub when: String,
    pub by: String,
    pub reason: String,
}

/// What a person's page shows about duplicates and merges.
#[derive(Default)]
pub(super) struct PersonMerges {
    /// Set when this record was merged into another.
    pub merged: Option<MergedView>,
    /// Records merged into this one (links to their pages).
    pub merged_from: Vec<(String, String)>,
    pub duplicates: Vec<Duplicate>,
}

/// Possible duplicates (from the index: likely matches the caller may see) and merges, for
/// a person record. A failure to search leaves the list empty rather than the page broken.
pub(super) async fn person_merges(
    state: &AppState,
    user: &CurrentUser,
    rec: &StoredRecord,
) -> PersonMerges {
    if rec.kind != RecordKind::Person {
        return PersonMerges::default();
    }
    if let Some(note) = MergedInto::of(rec) {
        return PersonMerges {
            merged: Some(MergedView {
                survivor_href: page_url(RecordKind::Person, note.id),
                when: format_instant(note.at),
                by: note.by,
                reason: note.reason,
            }),
            ..PersonMerges::default()
        };
    }
    let merged_from = merged_from(rec)
        .into_iter()
        .map(|id| {
            (
                format!("{}?show=merged", page_url(RecordKind::Person, id)),
                id.to_string(),
            )
        })
        .collect();
    let duplicates = match state.search.likely_duplicates(&user.caller, rec).await {
        Ok(found) => found
            .into_iter()
            .map(|m| {
                let compare = compare_url(rec.id, m.hit.id);
                duplicate(m, compare)
            })
            .collect(),
        Err(e) => {
            tracing::warn!(error = %e, "possible duplicates not shown");
            Vec::new()
        }
    };
    PersonMerges {
        merged: None,
        merged_from,
        duplicates,
    }
}

/// Search before create: the likely matches for a person about to be created (none when
/// the search fails: creating must not depend on the index).
pub(super) async fn likely_matches(
    state: &AppState,
    user: &CurrentUser,
    input: &bluelamp_domain::pole::input::PersonInput,
) -> Vec<Duplicate> {
    match state.search.before_create(&user.caller, input).await {
        Ok(found) => found
            .into_iter()
            .filter(|m| m.likely)
            .map(|m| duplicate(m, String::new()))
            .collect(),
        Err(e) => {
            tracing::warn!(error = %e, "search before create not shown");
            Vec::new()
        }
    }
}

fn duplicate(m: bluelamp_app::search::LikelyMatch, compare: String) -> Duplicate {
    Duplicate {
        href: page_url(RecordKind::Person, m.hit.id),
        compare,
        summary: m.hit.summary,
        score: format!("{:.1}", m.hit.score),
        reason: m.hit.reason,
    }
}

fn compare_url(a: RecordId, b: RecordId) -> String {
    format!("/persons/{a}/compare/{b}")
}

struct Side {
    /// The addresses the person is linked to as resident (each ends with its postcode).
    homes: Vec<String>,
    /// Numbers of the phones the person uses or owns, as the scan reads them.
    phones: Vec<String>,
    id: String,
    href: String,
    summary: String,
    version: i64,
    marking: String,
    rows: Vec<display::Row>,
    links: usize,
}

struct FieldLine {
    field: String,
    weight: String,
    reason: String,
    against: bool,
}

#[derive(Template)]
#[template(path = "compare.html")]
struct ComparePage {
    chrome: Chrome,
    action: String,
    /// The record whose page the comparison came from, then the other.
    sides: Vec<Side>,
    total: String,
    likely: bool,
    fields: Vec<FieldLine>,
    keep: String,
    reason: String,
    errors: Vec<ErrorLink>,
}

impl ComparePage {
    fn err(&self, name: &str) -> &str {
        self.errors
            .iter()
            .find(|e| e.target == name)
            .map(|e| e.message.as_str())
            .unwrap_or("")
    }
}

fn parse_pair(a: &str, b: &str) -> Option<(RecordId, RecordId)> {
    Some((a.parse().ok()?, b.parse().ok()?))
}

async fn side(
    state: &AppState,
    user: &CurrentUser,
    id: RecordId,
) -> Result<(Side, StoredRecord), AppError> {
    let (rec, links) = state
        .pole
        .get_with_links(&user.caller, id, Some(RecordKind::Person), false)
        .await?;
    // What the scan and the check weigh: links within the person's marking (whoever may
    // see the person may, by the markings, see what the score is computed from).
    let weighed =
        |l: &&bluelamp_store::LinkView| weighed(&l.link.marking, &l.other_marking, &rec.marking);
    let homes = links
        .iter()
        .filter(weighed)
        .filter(|l| {
            l.other_kind == RecordKind::Location
                && l.link.link.as_ref().is_some_and(|e| e.role == "resides_at")
        })
        .map(|l| l.other_summary.clone())
        .collect();
    let phones = links
        .iter()
        .filter(weighed)
        .filter(|l| {
            l.outgoing
                && l.other_kind == RecordKind::Object
                && l.link.link.as_ref().is_some_and(|e| phone_role(&e.role))
        })
        .filter_map(|l| Object::phone_number_in_summary(&l.other_summary))
        .map(|n| n.as_str().to_owned())
        .collect();
    Ok((
        Side {
            homes,
            phones,
            id: rec.id.to_string(),
            href: page_url(rec.kind, rec.id),
            summary: rec.summary.clone(),
            version: rec.version,
            marking: rec.marking.banner(),
            rows: display::rows(rec.kind, &rec.body),
            links: links.len(),
        },
        rec,
    ))
}

async fn compare_page(
    state: &AppState,
    user: &CurrentUser,
    a: RecordId,
    b: RecordId,
    keep: String,
    reason: String,
    errors: Vec<ErrorLink>,
) -> Response {
    let (sa, ra) = match side(state, user, a).await {
        Ok(x) => x,
        Err(e) => return error_page(state, user, e),
    };
    let (sb, rb) = match side(state, user, b).await {
        Ok(x) => x,
        Err(e) => return error_page(state, user, e),
    };
    // The model as the scan runs it on these two: names, dates, identifiers, the
    // addresses each is linked to as resident and the numbers of their phones.
    let features = |r: &StoredRecord, side: &Side| {
        serde_json::from_value::<Person>(r.body.clone())
            .ok()
            .map(|p| PersonFeatures::from_person(&p, &side.homes).with_phones(&side.phones))
    };
    let (total, likely, fields) = match (features(&ra, &sa), features(&rb, &sb)) {
        (Some(fa), Some(fb)) => {
            let s = score(&fa, &fb);
            let fields = s
                .fields
                .iter()
                .filter(|f| f.weight != 0.0 || !f.reason.is_empty())
                .map(|f| FieldLine {
                    field: f.field.replace('_', " "),
                    weight: format!("{:+.1}", f.weight),
                    reason: f.reason.clone(),
                    against: f.weight < 0.0,
                })
                .collect();
            (format!("{:.1}", s.weight), s.is_likely_match(), fields)
        }
        _ => (String::new(), false, Vec::new()),
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render(
        status,
        &ComparePage {
            chrome: chrome(state, user, "persons"),
            action: compare_url(a, b),
            sides: vec![sa, sb],
            total,
            likely,
            fields,
            keep,
            reason,
            errors,
        },
    )
}

/// Two person records side by side, with the match model's reasons, and the merge form.
pub(super) async fn compare(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((a, b)): Path<(String, String)>,
) -> Response {
    let Some((a, b)) = parse_pair(&a, &b) else {
        return error_page(
            &state,
            &user,
            AppError::NotFound(RecordId(uuid::Uuid::nil())),
        );
    };
    compare_page(
        &state,
        &user,
        a,
        b,
        String::new(),
        String::new(),
        Vec::new(),
    )
    .await
}

/// Merges the pair as the form says: which record stays, and why.
pub(super) async fn merge(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((a, b)): Path<(String, String)>,
    data: FormData,
) -> Response {
    let Some((a, b)) = parse_pair(&a, &b) else {
        return error_page(
            &state,
            &user,
            AppError::NotFound(RecordId(uuid::Uuid::nil())),
        );
    };
    let keep = data.get("keep").to_string();
    let reason = data.get("reason").to_string();
    let (survivor, merged) = match keep.as_str() {
        k if k == a.to_string() => (a, b),
        k if k == b.to_string() => (b, a),
        _ => {
            return compare_page(
                &state,
                &user,
                a,
                b,
                keep,
                reason,
                vec![ErrorLink {
                    target: "keep".into(),
                    message: "Choose which record to keep".into(),
                }],
            )
            .await;
        }
    };
    let version = |id: RecordId| {
        data.get(&format!("version-{id}"))
            .parse::<i64>()
            .unwrap_or_default()
    };
    let req = MergeRequest {
        survivor,
        survivor_version: version(survivor),
        merged,
        merged_version: version(merged),
        reason: reason.clone(),
    };
    match state.pole.merge(&user.caller, req).await {
        Ok(_) => Redirect::to(&format!(
            "{}?notice=merged",
            page_url(RecordKind::Person, survivor)
        ))
        .into_response(),
        Err(AppError::Invalid(errors)) => {
            let errors = errors
                .0
                .iter()
                .map(|e| {
                    let field = if e.field == "reason" {
                        "reason"
                    } else {
                        "keep"
                    };
                    ErrorLink {
                        target: field.into(),
                        message: e.message.clone(),
                    }
                })
                .collect();
            compare_page(&state, &user, a, b, keep, reason, errors).await
        }
        Err(e) => error_page(&state, &user, e),
    }
}

/// Undoes the merge of the record in the path.
pub(super) async fn unmerge(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    data: FormData,
) -> Response {
    let Ok(id) = id.parse::<RecordId>() else {
        return error_page(
            &state,
            &user,
            AppError::NotFound(RecordId(uuid::Uuid::nil())),
        );
    };
    let Ok(version) = data.get("version").parse::<i64>() else {
        return message(
            &state,
            &user,
            StatusCode::BAD_REQUEST,
            "The form could not be read",
            &["The record's version is missing."],
            None,
        );
    };
    match state
        .pole
        .unmerge(&user.caller, id, version, data.get("reason"))
        .await
    {
        Ok(_) => Redirect::to(&format!(
            "{}?notice=unmerged",
            page_url(RecordKind::Person, id)
        ))
        .into_response(),
        Err(AppError::Invalid(errors)) => {
            let lines: Vec<String> = errors.0.iter().map(|e| e.message.clone()).collect();
            let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
            let back = format!("{}?show=merged", page_url(RecordKind::Person, id));
            message(
                &state,
                &user,
                StatusCode::UNPROCESSABLE_ENTITY,
                "The merge was not undone",
                &refs,
                Some((&back, "Back to the record")),
            )
        }
        Err(e) => error_page(&state, &user, e),
    }
}

struct QueueItem {
    a_href: String,
    a_summary: String,
    b_href: String,
    b_summary: String,
    a: String,
    b: String,
    compare: String,
    score: String,
    reason: String,
    found: String,
}

#[derive(Template)]
#[template(path = "duplicates.html")]
struct QueuePage {
    chrome: Chrome,
    items: Vec<QueueItem>,
    notice: Option<String>,
}

/// How many pairs the review queue shows at once.
const QUEUE_PAGE: usize = 50;

#[derive(serde::Deserialize)]
pub(super) struct QueueParams {
    notice: Option<String>,
}

/// The review queue: likely duplicate pairs (from the scan and the check on each new or
/// changed person) that the reader may see both of, highest score first.
pub(super) async fn queue(
    State(state): State<AppState>,
    user: CurrentUser,
    axum::extract::Query(p): axum::extract::Query<QueueParams>,
) -> Response {
    let items =
        match bluelamp_app::duplicates::review_queue(&state.pole, &user.caller, QUEUE_PAGE).await {
            Ok(items) => items,
            Err(e) => return error_page(&state, &user, e),
        };
    let items = items
        .into_iter()
        .map(|i| QueueItem {
            a_href: page_url(RecordKind::Person, i.a.id),
            a_summary: i.a.summary,
            b_href: page_url(RecordKind::Person, i.b.id),
            b_summary: i.b.summary,
            a: i.a.id.to_string(),
            b: i.b.id.to_string(),
            compare: compare_url(i.a.id, i.b.id),
            score: format!("{:.1}", i.candidate.weight),
            reason: i.candidate.reason,
            found: format!(
                "{} {}",
                if i.candidate.found_by == "scan" {
                    "Scan"
                } else {
                    "On saving"
                },
                format_instant(i.candidate.found_at)
            ),
        })
        .collect();
    let notice = match p.notice.as_deref() {
        Some("dismissed") => {
            Some("Recorded as two people. The pair will not be suggested again.".into())
        }
        _ => None,
    };
    render(
        StatusCode::OK,
        &QueuePage {
            chrome: chrome(&state, &user, "duplicates"),
            items,
            notice,
        },
    )
}

/// Records that a pair in the queue are two people.
pub(super) async fn dismiss(
    State(state): State<AppState>,
    user: CurrentUser,
    data: FormData,
) -> Response {
    let (Ok(a), Ok(b)) = (
        data.get("a").parse::<RecordId>(),
        data.get("b").parse::<RecordId>(),
    ) else {
        return message(
            &state,
            &user,
            StatusCode::BAD_REQUEST,
            "The form could not be read",
            &["The pair of records is missing."],
            Some(("/duplicates", "Back to possible duplicates")),
        );
    };
    match bluelamp_app::duplicates::not_duplicate(&state.pole, &user.caller, a, b).await {
        Ok(()) => Redirect::to("/duplicates?notice=dismissed").into_response(),
        Err(e) => error_page(&state, &user, e),
    }
}

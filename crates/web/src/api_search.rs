//! `/api/v1/search`: one search across persons, objects, locations and events, with a
//! structured person search on top. Only records the caller may see are found; every
//! search is audited with what was asked and the records returned.

use crate::AppState;
use crate::api::record_url;
use crate::caller::CurrentUser;
use crate::error::{ApiError, Problem};
use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use bluelamp_app::search::SearchInput;
use bluelamp_domain::{RecordKind, ValidationErrors};
use bluelamp_search::index::{Hit, KindResults};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// What to search for. Everything is optional, but something must be given.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct SearchParams {
    /// The search box: names, a date of birth (`12/05/1980`, `05/1980`, `1980`,
    /// `1975-1980`), a PNC ID, CRO, NI or other reference, a phone number in any format, a
    /// registration with `*` and `?` wildcards (`AB12*`), a postcode, sector or district
    /// (`LS1 4AP`, `LS1 4`, `LS1`), or words from addresses, descriptions and narratives.
    #[serde(default)]
    pub q: String,
    /// Structured person search: family name (replaces any name in `q`).
    #[serde(default)]
    pub family_name: String,
    #[serde(default)]
    pub given_names: String,
    /// Date of birth as `q` takes it.
    #[serde(default)]
    pub dob: String,
    /// Age today, in whole years.
    #[serde(default)]
    pub age: String,
    /// male, female, other or not_known (adds to the score; never a filter).
    #[serde(default)]
    pub gender: String,
    /// person, object, location or event: page through one kind. Without it, the first
    /// page of every kind.
    #[serde(default)]
    pub kind: String,
    /// 1-based (with `kind`).
    #[serde(default)]
    pub page: String,
    /// 1 to 100 (default 20).
    #[serde(default)]
    pub per_page: String,
}

impl SearchParams {
    /// The use case's input, or every parameter that is wrong.
    pub fn input(&self) -> Result<SearchInput, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let number = |errors: &mut ValidationErrors, name: &str, v: &str, max: u32| {
            let v = v.trim();
            if v.is_empty() {
                return None;
            }
            match v.parse::<u32>() {
                Ok(n) if (1..=max).contains(&n) => Some(n),
                _ => {
                    errors.push(name, format!("Enter a whole number from 1 to {max}"));
                    None
                }
            }
        };
        let kind = match self.kind.trim() {
            "" | "all" => None,
            k => match RecordKind::ALL
                .into_iter()
                .find(|x| x.as_str() == k || x.plural() == k)
                .filter(|x| *x != RecordKind::Link)
            {
                Some(x) => Some(x),
                None => {
                    errors.push("kind", "Choose person, object, location or event");
                    None
                }
            },
        };
        let page = number(&mut errors, "page", &self.page, 10_000).unwrap_or(1);
        let per_page = number(&mut errors, "per_page", &self.per_page, 100).unwrap_or(20);
        let age = match self.age.trim() {
            "" => None,
            a => match a.parse::<u8>() {
                Ok(n) => Some(n),
                Err(_) => {
                    errors.push("age", "Enter an age in whole years");
                    None
                }
            },
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(SearchInput {
            q: self.q.clone(),
            family_name: self.family_name.clone(),
            given_names: self.given_names.clone(),
            dob: self.dob.clone(),
            age,
            gender: self.gender.clone(),
            kind,
            page,
            per_page,
        })
    }
}

/// One record found.
#[derive(Debug, Serialize, ToSchema)]
pub struct SearchHit {
    pub id: String,
    /// person, object, location or event.
    pub kind: String,
    /// The record in the API.
    pub url: String,
    pub summary: String,
    pub subtype: Option<String>,
    pub version: i64,
    pub classification: String,
    /// How well it matched (for persons, the match model's log-likelihood weight).
    pub score: f64,
    /// Why it matched: "surname sounds like Smith; year of birth matches".
    pub reason: String,
    /// For persons, each field's contribution: field, level, weight and reason.
    #[schema(value_type = Vec<Object>)]
    pub fields: Vec<serde_json::Value>,
}

impl From<Hit> for SearchHit {
    fn from(h: Hit) -> Self {
        Self {
            id: h.id.to_string(),
            kind: h.kind.as_str().into(),
            url: record_url(h.kind, h.id),
            summary: h.summary,
            subtype: h.subtype,
            version: h.version,
            classification: h.classification.as_str().into(),
            score: h.score,
            reason: h.reason,
            fields: h
                .fields
                .iter()
                .filter_map(|f| serde_json::to_value(f).ok())
                .collect(),
        }
    }
}

/// The matches of one kind.
#[derive(Debug, Serialize, ToSchema)]
pub struct SearchGroup {
    pub kind: String,
    /// How many records of this kind match. For persons, the best 100 candidates are
    /// ranked; `total_exact` is false when there were more.
    pub total: usize,
    pub total_exact: bool,
    pub items: Vec<SearchHit>,
}

impl From<KindResults> for SearchGroup {
    fn from(r: KindResults) -> Self {
        Self {
            kind: r.kind.as_str().into(),
            total: r.total,
            total_exact: r.total_exact,
            items: r.hits.into_iter().map(SearchHit::from).collect(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SearchResponse {
    /// How the search was read ("name John Smith", "born in 1980").
    pub understood: Vec<String>,
    /// False while the index is being rebuilt: results may be incomplete.
    pub complete: bool,
    pub page: u32,
    pub per_page: u32,
    pub results: Vec<SearchGroup>,
}

/// Searches persons, objects, locations and events.
#[utoipa::path(get, path = "/api/v1/search", tag = "search", params(SearchParams),
    responses((status = 200, body = SearchResponse),
              (status = 400, description = "An unknown parameter", body = Problem),
              (status = 422, description = "A parameter is invalid, or nothing to search for", body = Problem),
              (status = 403, description = "The caller's roles may not search", body = Problem)))]
pub async fn search(
    State(s): State<AppState>,
    user: CurrentUser,
    params: Result<Query<SearchParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<SearchResponse>, ApiError> {
    let Query(params) = params.map_err(|e| ApiError::BadRequest {
        detail: e.body_text(),
        field: None,
    })?;
    let input = params.input().map_err(ApiError::Unprocessable)?;
    let outcome = s.search.search(&user.caller, &input).await?;
    Ok(Json(SearchResponse {
        understood: outcome.understood.describe(),
        complete: outcome.complete,
        page: input.page,
        per_page: input.per_page,
        results: outcome.results.into_iter().map(SearchGroup::from).collect(),
    }))
}

/// A person already recorded who may be the one about to be created.
#[derive(Debug, Serialize, ToSchema)]
pub struct PersonMatch {
    #[serde(flatten)]
    pub hit: SearchHit,
    /// The score reaches the duplicate threshold (16): probably the same person. Use that
    /// record (or link to it) rather than creating another.
    pub likely: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PersonMatches {
    /// Best first, at most five; empty when nobody you may see is a plausible match.
    pub items: Vec<PersonMatch>,
}

/// Search before create: the persons already recorded (that you may see) who best match
/// the person in the body, with scores and reasons. Takes the body `POST /api/v1/persons`
/// takes; writes nothing; audited as a search.
#[utoipa::path(post, path = "/api/v1/persons/matches", tag = "search", request_body = bluelamp_domain::pole::input::PersonInput,
    responses((status = 200, body = PersonMatches),
              (status = 400, description = "Not JSON, or not the expected shape", body = Problem),
              (status = 422, description = "A field is invalid", body = Problem)))]
pub async fn person_matches(
    State(s): State<AppState>,
    user: CurrentUser,
    crate::api::ApiJson(input): crate::api::ApiJson<bluelamp_domain::pole::input::PersonInput>,
) -> Result<Json<PersonMatches>, ApiError> {
    let found = s.search.before_create(&user.caller, &input).await?;
    Ok(Json(PersonMatches {
        items: found
            .into_iter()
            .map(|m| PersonMatch {
                likely: m.likely,
                hit: SearchHit::from(m.hit),
            })
            .collect(),
    }))
}

pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/search", get(search)).route(
        "/api/v1/persons/matches",
        axum::routing::post(person_matches),
    )
}

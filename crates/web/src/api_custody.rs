//! Custody over the JSON API: book in, read a custody record with its PACE clock, add
//! entries, and the suite board.

use crate::AppState;
use crate::api::{ApiJson, MarkingView, marking_view, parse_id_field};
use crate::caller::CurrentUser;
use crate::error::{ApiError, Problem};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::routing::{get, post};
use axum::{Json, Router};
use bluelamp_app::custody::{
    BoardRow, BookIn, CustodyView, Detainee, DetentionDecision, RightsInput, RiskInput,
};
use bluelamp_domain::Marking;
use bluelamp_domain::custody::{Booking, ClockStatus, Entry, EntryKind, Officer};
use bluelamp_domain::pole::input::MarkingInput;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// A booking in. `booking.basis` is `{"type": "arrival"}` in the ordinary case; see the
/// custody guide for the others. Times are RFC 3339 with an offset.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "person_id": "0192f0c4-6b0e-7c59-9d3e-2f1a4b5c6d7e",
    "booking": {
        "station": "Central",
        "arrested_at": "2026-11-30T09:40:00Z",
        "arrest_place": "High Street, Anytown",
        "arresting_officer": "PC 1234 Jones",
        "grounds": "Seen leaving the shop with unpaid goods",
        "arrived_at": "2026-11-30T10:05:00Z",
        "offences": [{"description": "Theft from a shop", "mode": "either_way"}],
        "regime": "pace",
        "basis": {"type": "arrival"}
    },
    "custody_officer": {"name": "PS 201 Patel", "rank": "sergeant"},
    "risk": {"observation_level": 1, "intoxicated": false, "notes": ""},
    "rights": {"legal_advice_requested": true, "someone_informed_requested": false},
    "detention": {"decision": "authorise", "grounds": "To secure and preserve evidence and obtain it by questioning"}
}))]
pub struct BookInRequest {
    /// The detainee's person record.
    pub person_id: String,
    #[schema(value_type = Object)]
    pub booking: Booking,
    /// The custody officer booking in: `{"name": ..., "rank": "sergeant"}`.
    #[schema(value_type = Object)]
    pub custody_officer: Officer,
    #[schema(value_type = Object)]
    pub risk: RiskInput,
    /// Omit when the rights could not be given yet.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub rights: Option<RightsInput>,
    /// `{"decision": "authorise", "grounds": ...}` or `{"decision": "refuse", "reason": ...}`.
    #[schema(value_type = Object)]
    pub detention: DetentionDecision,
    /// Defaults to OFFICIAL-SENSITIVE.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub marking: Option<MarkingInput>,
}

/// One entry to add to a custody record.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "base_version": 3,
    "entry": {"type": "cell_visit", "roused": null, "condition": "Awake, calm, asked for water"}
}))]
pub struct NewEntryRequest {
    /// The version you read; if someone has added an entry since, nothing is written (409).
    pub base_version: i64,
    /// When it happened (RFC 3339); defaults to now. Not before the last entry.
    #[serde(default)]
    pub at: Option<String>,
    /// The entry, tagged by `type`: detention_authorised, review, review_postponed,
    /// extension, warrant, rights_given, right_delayed, right_delay_ended, risk_assessment,
    /// cell_visit, meal, rest_started, rest_ended, hospital_departed, hospital_returned,
    /// questioned_in_hospital, interview, solicitor_visit, property, health_care, charged,
    /// disposal, bail_return, note, correction.
    #[schema(value_type = Object)]
    pub entry: EntryKind,
}

/// A custody record with its clock as at the time of the request.
#[derive(Debug, Serialize, ToSchema)]
pub struct CustodyResponse {
    pub id: String,
    /// Send this as `base_version` when you add an entry.
    pub version: i64,
    pub marking: MarkingView,
    pub custody_number: String,
    pub station: String,
    #[schema(value_type = Option<Object>)]
    pub detainee: Option<Detainee>,
    #[schema(value_type = Object)]
    pub booking: Booking,
    /// Every entry, oldest first; a correction is a later entry naming the one it corrects.
    #[schema(value_type = [Object])]
    pub entries: Vec<Entry>,
    /// The PACE clock: relevant time, limit, time left, what is due and overdue, and which
    /// authorisations are possible now, by which rank, and why not.
    #[schema(value_type = Object)]
    pub status: ClockStatus,
}

impl From<CustodyView> for CustodyResponse {
    fn from(v: CustodyView) -> Self {
        Self {
            id: v.record.id.to_string(),
            version: v.record.version,
            marking: marking_view(&v.record.marking),
            custody_number: v.custody.custody_number,
            station: v.custody.booking.station.clone(),
            detainee: v.detainee,
            booking: v.custody.booking,
            entries: v.custody.entries,
            status: v.status,
        }
    }
}

impl From<BoardRow> for CustodyResponse {
    fn from(r: BoardRow) -> Self {
        Self {
            id: r.id.to_string(),
            version: r.version,
            marking: marking_view(&r.marking),
            custody_number: r.custody.custody_number,
            station: r.custody.booking.station.clone(),
            detainee: r.detainee,
            booking: r.custody.booking,
            entries: r.custody.entries,
            status: r.status,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BoardResponse {
    /// Detainees in custody, the one with the soonest due action first.
    pub items: Vec<CustodyResponse>,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct BoardParams {
    /// The custody suite; every suite when omitted.
    #[serde(default)]
    pub station: String,
}

fn parse_marking(m: Option<MarkingInput>) -> Result<Option<Marking>, ApiError> {
    match m {
        None => Ok(None),
        Some(m) => Marking::parse(&m.classification, &m.compartments, &m.caveats)
            .map(Some)
            .map_err(|e| ApiError::from(bluelamp_app::AppError::Invalid(e))),
    }
}

/// Books a detainee in.
#[utoipa::path(post, path = "/api/v1/custody", tag = "custody", request_body = BookInRequest,
    responses((status = 201, body = CustodyResponse), (status = 422, body = Problem),
              (status = 403, body = Problem),
              (status = 409, description = "The person changed (for example, was merged) while they were booked in", body = Problem)))]
pub async fn book_in(
    State(s): State<AppState>,
    user: CurrentUser,
    ApiJson(body): ApiJson<BookInRequest>,
) -> Result<(StatusCode, HeaderMap, Json<CustodyResponse>), ApiError> {
    let input = BookIn {
        person_id: parse_id_field(&body.person_id, "person_id")?,
        booking: body.booking,
        custody_officer: body.custody_officer,
        risk: body.risk,
        rights: body.rights,
        detention: body.detention,
        marking: parse_marking(body.marking)?,
    };
    let view = s.custody.book_in(&user.caller, input).await?;
    let mut headers = HeaderMap::new();
    if let Ok(v) = HeaderValue::from_str(&format!("/api/v1/custody/{}", view.record.id)) {
        headers.insert(header::LOCATION, v);
    }
    Ok((StatusCode::CREATED, headers, Json(view.into())))
}

/// A custody record with its PACE clock.
#[utoipa::path(get, path = "/api/v1/custody/{id}", tag = "custody",
    params(("id" = String, Path, description = "The custody record's id")),
    responses((status = 200, body = CustodyResponse), (status = 404, body = Problem)))]
pub async fn get_custody(
    State(s): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<CustodyResponse>, ApiError> {
    let id = parse_id_field(&id, "id")?;
    Ok(Json(s.custody.get(&user.caller, id).await?.into()))
}

/// Adds an entry to a custody record; refused (422, naming the rule) when PACE does not
/// allow it.
#[utoipa::path(post, path = "/api/v1/custody/{id}/entries", tag = "custody",
    request_body = NewEntryRequest,
    params(("id" = String, Path, description = "The custody record's id")),
    responses((status = 200, body = CustodyResponse), (status = 404, body = Problem),
              (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn add_entry(
    State(s): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<NewEntryRequest>,
) -> Result<Json<CustodyResponse>, ApiError> {
    let id = parse_id_field(&id, "id")?;
    let at = match body.at.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(t) => Some(
            t.parse::<jiff::Timestamp>()
                .map_err(|_| ApiError::BadRequest {
                    detail: "Enter a date and time with its offset, like 2026-03-01T21:14:00Z"
                        .into(),
                    field: Some("at".into()),
                })?,
        ),
    };
    Ok(Json(
        s.custody
            .record(&user.caller, id, body.base_version, at, body.entry)
            .await?
            .into(),
    ))
}

/// The suite board: every detainee in custody that you may see, soonest due action first.
#[utoipa::path(get, path = "/api/v1/custody", tag = "custody", params(BoardParams),
    responses((status = 200, body = BoardResponse), (status = 403, body = Problem)))]
pub async fn board(
    State(s): State<AppState>,
    user: CurrentUser,
    Query(params): Query<BoardParams>,
) -> Result<Json<BoardResponse>, ApiError> {
    let rows = s.custody.board(&user.caller, &params.station).await?;
    Ok(Json(BoardResponse {
        items: rows.into_iter().map(CustodyResponse::from).collect(),
    }))
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/custody", post(book_in).get(board))
        .route("/api/v1/custody/{id}", get(get_custody))
        .route("/api/v1/custody/{id}/entries", post(add_entry))
}

//! The JSON API under `/api/v1`, described by the OpenAPI 3.1 document at
//! `/api/v1/openapi.json`. Every handler turns its request into a typed input, calls one use
//! case and maps the outcome; errors are RFC 9457 problem details naming the field.

use crate::AppState;
use crate::caller::CurrentUser;
use crate::error::{ApiError, Problem};
use axum::extract::{FromRequest, Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use bluelamp_app::RecordInput;
use bluelamp_app::pole::HistoryEntry;
use bluelamp_domain::pole::input::{
    EventInput, LinkInput, LocationInput, ObjectInput, PersonInput,
};
use bluelamp_domain::time::to_rfc3339;
use bluelamp_domain::{RecordId, RecordKind, Version};
use bluelamp_store::{LinkView, ListOrder, ListQuery, StoredRecord};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{OpenApi, ToSchema};

/// A JSON body, read strictly: the content type must be JSON, the body at most
/// `MAX_BODY_BYTES`, and any problem is answered with the path of the field that failed.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|ct| {
                let base = ct
                    .split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase();
                base == "application/json" || base.ends_with("+json")
            })
            .unwrap_or(false);
        if !is_json {
            return Err(ApiError::UnsupportedMediaType);
        }
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|e| {
                if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::PayloadTooLarge
                } else {
                    ApiError::BadRequest {
                        detail: "The request body could not be read".into(),
                        field: None,
                    }
                }
            })?;
        let de = &mut serde_json::Deserializer::from_slice(&bytes);
        match serde_path_to_error::deserialize::<_, T>(de) {
            Ok(v) => Ok(ApiJson(v)),
            Err(e) => {
                let path = e.path().to_string();
                let inner = e.into_inner();
                let field = (path != ".").then_some(path);
                let detail = match inner.classify() {
                    serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
                        format!(
                            "The body is not valid JSON (line {}, column {})",
                            inner.line(),
                            inner.column()
                        )
                    }
                    _ => {
                        // serde's message ends with " at line N column M"; the field path
                        // says where more usefully.
                        let msg = inner.to_string();
                        match msg.rfind(" at line ") {
                            Some(i) => msg[..i].to_string(),
                            None => msg,
                        }
                    }
                };
                Err(ApiError::BadRequest { detail, field })
            }
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MarkingView {
    /// OFFICIAL, OFFICIAL-SENSITIVE or SECRET.
    pub classification: String,
    pub compartments: Vec<String>,
    pub caveats: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LinkEndsView {
    pub from_id: String,
    pub to_id: String,
    pub role: String,
}

/// A record as it is now.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecordResponse {
    pub id: String,
    /// person, object, location, event or link.
    pub kind: String,
    /// Send this as `base_version` when you change the record.
    pub version: i64,
    pub marking: MarkingView,
    pub summary: String,
    pub subtype: Option<String>,
    /// active, or ended (links only).
    pub status: String,
    /// The entity, in its validated, canonical form.
    #[schema(value_type = Object)]
    pub data: Value,
    pub link: Option<LinkEndsView>,
    pub created_at: String,
    pub created_by: String,
    pub updated_at: String,
    pub updated_by: String,
    pub url: String,
}

pub fn marking_view(m: &bluelamp_domain::Marking) -> MarkingView {
    MarkingView {
        classification: m.classification.as_str().into(),
        compartments: m
            .compartments
            .iter()
            .map(|c| c.as_str().to_string())
            .collect(),
        caveats: m.caveats.iter().map(|c| c.as_str().to_string()).collect(),
    }
}

pub fn record_url(kind: RecordKind, id: RecordId) -> String {
    format!("/api/v1/{}/{}", kind.plural(), id)
}

impl From<StoredRecord> for RecordResponse {
    fn from(r: StoredRecord) -> Self {
        Self {
            id: r.id.to_string(),
            kind: r.kind.as_str().into(),
            version: r.version,
            marking: marking_view(&r.marking),
            summary: r.summary,
            subtype: r.subtype,
            status: r.status.as_str().into(),
            data: r.body,
            link: r.link.map(|l| LinkEndsView {
                from_id: l.from.to_string(),
                to_id: l.to.to_string(),
                role: l.role,
            }),
            created_at: to_rfc3339(r.created_at),
            created_by: r.created_by,
            updated_at: to_rfc3339(r.updated_at),
            updated_by: r.updated_by,
            url: record_url(r.kind, r.id),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RecordSummary {
    pub id: String,
    pub kind: String,
    pub version: i64,
    pub summary: String,
    pub subtype: Option<String>,
    pub classification: String,
    pub updated_at: String,
    pub url: String,
}

impl From<StoredRecord> for RecordSummary {
    fn from(r: StoredRecord) -> Self {
        Self {
            id: r.id.to_string(),
            kind: r.kind.as_str().into(),
            version: r.version,
            url: record_url(r.kind, r.id),
            summary: r.summary,
            subtype: r.subtype,
            classification: r.marking.classification.as_str().into(),
            updated_at: to_rfc3339(r.updated_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ListResponse {
    pub items: Vec<RecordSummary>,
    pub page: u32,
    pub per_page: u32,
    /// How many records match, counted up to 10,000.
    pub total: u64,
    /// False when more than 10,000 match: `total` and `total_pages` are then lower bounds.
    pub total_exact: bool,
    pub total_pages: u64,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Page number, from 1.
    pub page: Option<String>,
    /// Items per page, 1 to 100 (default 25).
    pub per_page: Option<String>,
    /// Only records whose summary starts with this (case-insensitive).
    pub prefix: Option<String>,
    /// Only this sub-type (object kind, event type, location type).
    pub subtype: Option<String>,
    /// `summary` (default) or `updated`.
    pub order: Option<String>,
}

/// Turns list parameters into a query, naming any bad one.
pub fn list_query(
    kind: RecordKind,
    p: &ListParams,
) -> Result<ListQuery, bluelamp_domain::ValidationErrors> {
    let mut e = bluelamp_domain::ValidationErrors::new();
    let mut q = ListQuery::new(kind);
    if let Some(v) = p.page.as_deref().filter(|s| !s.is_empty()) {
        match v.parse::<u32>() {
            Ok(n) if (1..=1_000_000).contains(&n) => q.page = n,
            _ => e.push("page", "Enter a page number from 1"),
        }
    }
    if let Some(v) = p.per_page.as_deref().filter(|s| !s.is_empty()) {
        match v.parse::<u32>() {
            Ok(n) if (1..=100).contains(&n) => q.per_page = n,
            _ => e.push("per_page", "Enter a number of items per page from 1 to 100"),
        }
    }
    if let Some(v) = p.prefix.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        if v.chars().count() > 100 || v.chars().any(char::is_control) {
            e.push(
                "prefix",
                "Enter at most 100 characters, without control characters",
            );
        } else {
            q.summary_prefix = Some(v.to_string());
        }
    }
    if let Some(v) = p
        .subtype
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        if v.len() > 40 || !v.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
            e.push("subtype", "Choose a sub-type from the list");
        } else {
            q.subtype = Some(v.to_string());
        }
    }
    match p.order.as_deref().unwrap_or("") {
        "" | "summary" => q.order = ListOrder::Summary,
        "updated" => q.order = ListOrder::RecentlyUpdated,
        _ => e.push("order", "Choose summary or updated"),
    }
    e.into_result(|| q)
}

pub(crate) fn parse_id(s: &str) -> Result<RecordId, ApiError> {
    parse_id_field(s, "id")
}

/// A record id from the request, or a problem naming `field`.
pub(crate) fn parse_id_field(s: &str, field: &str) -> Result<RecordId, ApiError> {
    s.parse::<RecordId>().map_err(|m| ApiError::BadRequest {
        detail: m,
        field: Some(field.into()),
    })
}

fn created(rec: StoredRecord) -> (StatusCode, HeaderMap, Json<RecordResponse>) {
    let mut headers = HeaderMap::new();
    if let Ok(v) = HeaderValue::from_str(&record_url(rec.kind, rec.id)) {
        headers.insert(header::LOCATION, v);
    }
    (StatusCode::CREATED, headers, Json(rec.into()))
}

async fn create(
    state: AppState,
    user: CurrentUser,
    input: RecordInput,
) -> Result<(StatusCode, HeaderMap, Json<RecordResponse>), ApiError> {
    Ok(created(state.pole.create(&user.caller, input).await?))
}

async fn read(
    state: AppState,
    user: CurrentUser,
    kind: Option<RecordKind>,
    id: String,
) -> Result<Json<RecordResponse>, ApiError> {
    let id = parse_id(&id)?;
    Ok(Json(state.pole.get(&user.caller, id, kind).await?.into()))
}

async fn update(
    state: AppState,
    user: CurrentUser,
    id: String,
    base_version: Version,
    input: RecordInput,
) -> Result<Json<RecordResponse>, ApiError> {
    let id = parse_id(&id)?;
    Ok(Json(
        state
            .pole
            .update(&user.caller, id, base_version, input)
            .await?
            .into(),
    ))
}

async fn list(
    state: AppState,
    user: CurrentUser,
    kind: RecordKind,
    params: ListParams,
) -> Result<Json<ListResponse>, ApiError> {
    let q = list_query(kind, &params).map_err(ApiError::Unprocessable)?;
    let page = state.pole.list(&user.caller, q).await?;
    let total_pages = page.total.div_ceil(u64::from(page.per_page.max(1)));
    Ok(Json(ListResponse {
        items: page.items.into_iter().map(RecordSummary::from).collect(),
        page: page.page,
        per_page: page.per_page,
        total: page.total,
        total_exact: page.total_exact,
        total_pages,
    }))
}

/// Generates the typed create / read / replace / list handlers of one kind of entity, each
/// with its own OpenAPI description.
macro_rules! entity_api {
    ($kind:expr, $variant:ident, $input:ty, $update:ident, $tag:literal, $coll:literal, $item:literal,
     $create_fn:ident, $get_fn:ident, $put_fn:ident, $list_fn:ident) => {
        /// The body of a change: the whole entity, and the version it was based on.
        #[derive(Debug, Deserialize, ToSchema)]
        #[serde(deny_unknown_fields)]
        pub struct $update {
            /// The version you read; if the record has changed since, the change is refused
            /// with 409 and nothing is written.
            pub base_version: i64,
            pub record: $input,
        }

        #[utoipa::path(post, path = $coll, tag = $tag, request_body = $input,
            responses((status = 201, description = "Created", body = RecordResponse),
                      (status = 400, description = "Not JSON, or not the expected shape", body = Problem),
                      (status = 422, description = "A field is invalid", body = Problem)))]
        pub async fn $create_fn(State(s): State<AppState>, user: CurrentUser, ApiJson(input): ApiJson<$input>) -> Result<(StatusCode, HeaderMap, Json<RecordResponse>), ApiError> {
            create(s, user, RecordInput::$variant(input)).await
        }

        #[utoipa::path(get, path = $item, tag = $tag, params(("id" = String, Path, description = "Record id")),
            responses((status = 200, description = "The record (the consultation is audited)", body = RecordResponse),
                      (status = 404, description = "No such record", body = Problem)))]
        pub async fn $get_fn(State(s): State<AppState>, user: CurrentUser, Path(id): Path<String>) -> Result<Json<RecordResponse>, ApiError> {
            read(s, user, Some($kind), id).await
        }

        #[utoipa::path(put, path = $item, tag = $tag, request_body = $update, params(("id" = String, Path, description = "Record id")),
            responses((status = 200, description = "Changed: a new version", body = RecordResponse),
                      (status = 404, description = "No such record", body = Problem),
                      (status = 409, description = "Changed by someone else since base_version", body = Problem),
                      (status = 422, description = "A field is invalid", body = Problem)))]
        pub async fn $put_fn(State(s): State<AppState>, user: CurrentUser, Path(id): Path<String>, ApiJson(body): ApiJson<$update>) -> Result<Json<RecordResponse>, ApiError> {
            update(s, user, id, body.base_version, RecordInput::$variant(body.record)).await
        }

        #[utoipa::path(get, path = $coll, tag = $tag, params(ListParams),
            responses((status = 200, description = "A page of records (the ids returned are audited)", body = ListResponse),
                      (status = 422, description = "A parameter is invalid", body = Problem)))]
        pub async fn $list_fn(State(s): State<AppState>, user: CurrentUser, Query(p): Query<ListParams>) -> Result<Json<ListResponse>, ApiError> {
            list(s, user, $kind, p).await
        }
    };
}

entity_api!(
    RecordKind::Person,
    Person,
    PersonInput,
    UpdatePerson,
    "persons",
    "/api/v1/persons",
    "/api/v1/persons/{id}",
    create_person,
    get_person,
    update_person,
    list_persons
);
entity_api!(
    RecordKind::Object,
    Object,
    ObjectInput,
    UpdateObject,
    "objects",
    "/api/v1/objects",
    "/api/v1/objects/{id}",
    create_object,
    get_object,
    update_object,
    list_objects
);
entity_api!(
    RecordKind::Location,
    Location,
    LocationInput,
    UpdateLocation,
    "locations",
    "/api/v1/locations",
    "/api/v1/locations/{id}",
    create_location,
    get_location,
    update_location,
    list_locations
);
entity_api!(
    RecordKind::Event,
    Event,
    EventInput,
    UpdateEvent,
    "events",
    "/api/v1/events",
    "/api/v1/events/{id}",
    create_event,
    get_event,
    update_event,
    list_events
);

#[derive(Debug, Serialize, ToSchema)]
pub struct OtherEnd {
    pub id: String,
    pub kind: String,
    pub summary: String,
    pub classification: String,
    pub url: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LinkResponse {
    pub link: RecordResponse,
    /// How the link reads from the record asked about: "Owner of", "Owned by".
    pub label: String,
    /// `outgoing` when the link starts at the record asked about.
    pub direction: String,
    pub other: OtherEnd,
}

pub fn link_label(view: &LinkView) -> String {
    match view
        .link
        .link
        .as_ref()
        .and_then(|l| bluelamp_domain::pole::LinkRole::parse(&l.role).ok())
    {
        Some(role) if view.outgoing => role.label().into(),
        Some(role) => role.inverse_label().into(),
        None => view.link.summary.clone(),
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LinksParams {
    /// Include ended links: `true` or `false` (default false).
    pub include_ended: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/records/{id}/links", tag = "links", params(("id" = String, Path), LinksParams),
    responses((status = 200, description = "Links starting or ending at the record", body = Vec<LinkResponse>)))]
pub async fn record_links(
    State(s): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Query(p): Query<LinksParams>,
) -> Result<Json<Vec<LinkResponse>>, ApiError> {
    let id = parse_id(&id)?;
    let include_ended = match p.include_ended.as_deref() {
        None | Some("") | Some("false") => false,
        Some("true") => true,
        Some(_) => {
            return Err(ApiError::BadRequest {
                detail: "include_ended must be true or false".into(),
                field: Some("include_ended".into()),
            });
        }
    };
    // The record and its links are one consultation: an unknown id is a 404, not an
    // empty list.
    let (_, links) = s
        .pole
        .get_with_links(&user.caller, id, None, include_ended)
        .await?;
    Ok(Json(links.into_iter().map(link_response).collect()))
}

fn link_response(v: LinkView) -> LinkResponse {
    LinkResponse {
        label: link_label(&v),
        direction: if v.outgoing { "outgoing" } else { "incoming" }.into(),
        other: OtherEnd {
            id: v.other_id.to_string(),
            kind: v.other_kind.as_str().into(),
            summary: v.other_summary.clone(),
            classification: v.other_marking.classification.as_str().into(),
            url: record_url(v.other_kind, v.other_id),
        },
        link: v.link.into(),
    }
}

/// One version of a record in an export, with its content.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExportVersion {
    pub version: i64,
    pub change: String,
    pub changed_at: String,
    pub changed_by: String,
    pub marking: MarkingView,
    pub summary: String,
    #[schema(value_type = Object)]
    pub data: Value,
}

/// A record for disclosure: the record, the links and the versions the exporter may see.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExportResponse {
    pub exported_at: String,
    pub exported_by: String,
    pub record: RecordResponse,
    pub links: Vec<LinkResponse>,
    pub history: Vec<ExportVersion>,
}

/// Exports a record with its links and history for disclosure (investigators, supervisors,
/// case workers, professional standards). Audited with every record it contains; hidden links
/// and versions are left out.
#[utoipa::path(get, path = "/api/v1/records/{id}/export", tag = "records", params(("id" = String, Path)),
    responses((status = 200, body = ExportResponse), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn export_record(
    State(s): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<(HeaderMap, Json<ExportResponse>), ApiError> {
    let id = parse_id(&id)?;
    Ok(export_response(s.pole.export(&user.caller, id).await?))
}

/// An export as a JSON download.
pub fn export_response(b: bluelamp_app::pole::ExportBundle) -> (HeaderMap, Json<ExportResponse>) {
    let id = b.record.id;
    let mut headers = HeaderMap::new();
    if let Ok(v) = HeaderValue::from_str(&format!(
        "attachment; filename=\"bluelamp-export-{id}.json\""
    )) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    (
        headers,
        Json(ExportResponse {
            exported_at: to_rfc3339(b.exported_at),
            exported_by: b.exported_by.user_id,
            record: b.record.into(),
            links: b.links.into_iter().map(link_response).collect(),
            history: b
                .history
                .into_iter()
                .map(|v| ExportVersion {
                    version: v.version,
                    change: v.change.as_str().into(),
                    changed_at: to_rfc3339(v.changed_at),
                    changed_by: v.changed_by,
                    marking: marking_view(&v.marking),
                    summary: v.summary,
                    data: v.body,
                })
                .collect(),
        }),
    )
}

#[utoipa::path(get, path = "/api/v1/records/{id}", tag = "records", params(("id" = String, Path)),
    responses((status = 200, description = "Any record by id", body = RecordResponse), (status = 404, body = Problem)))]
pub async fn get_record(
    State(s): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<RecordResponse>, ApiError> {
    read(s, user, None, id).await
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FieldChangeView {
    pub field: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryResponse {
    pub version: i64,
    /// create, update or end.
    pub change: String,
    pub changed_at: String,
    pub changed_by: String,
    pub changed_by_name: String,
    pub summary: String,
    pub marking: MarkingView,
    /// What differs from the version before (empty for the first).
    pub changes: Vec<FieldChangeView>,
    pub audit_id: String,
}

impl From<HistoryEntry> for HistoryResponse {
    fn from(h: HistoryEntry) -> Self {
        Self {
            version: h.version.version,
            change: h.version.change.as_str().into(),
            changed_at: to_rfc3339(h.version.changed_at),
            changed_by: h.version.changed_by,
            changed_by_name: h.version.changed_by_name,
            summary: h.version.summary,
            marking: marking_view(&h.version.marking),
            changes: h
                .changes
                .into_iter()
                .map(|c| FieldChangeView {
                    field: c.field,
                    before: c.before,
                    after: c.after,
                })
                .collect(),
            audit_id: h.version.audit_id.to_string(),
        }
    }
}

#[utoipa::path(get, path = "/api/v1/records/{id}/history", tag = "records", params(("id" = String, Path)),
    responses((status = 200, description = "Every version, oldest first, with what changed", body = Vec<HistoryResponse>), (status = 404, body = Problem)))]
pub async fn record_history(
    State(s): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<Vec<HistoryResponse>>, ApiError> {
    let id = parse_id(&id)?;
    Ok(Json(
        s.pole
            .history(&user.caller, id)
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VersionResponse {
    pub id: String,
    pub version: i64,
    pub change: String,
    pub changed_at: String,
    pub changed_by_name: String,
    pub summary: String,
    pub marking: MarkingView,
    #[schema(value_type = Object)]
    pub data: Value,
}

#[utoipa::path(get, path = "/api/v1/records/{id}/versions/{version}", tag = "records",
    params(("id" = String, Path), ("version" = i64, Path)),
    responses((status = 200, description = "The record as it was at that version", body = VersionResponse), (status = 404, body = Problem)))]
pub async fn record_version(
    State(s): State<AppState>,
    user: CurrentUser,
    Path((id, version)): Path<(String, String)>,
) -> Result<Json<VersionResponse>, ApiError> {
    let id = parse_id(&id)?;
    let version: Version = version.parse().map_err(|_| ApiError::BadRequest {
        detail: "Enter a version number".into(),
        field: Some("version".into()),
    })?;
    let v = s.pole.version(&user.caller, id, version).await?;
    Ok(Json(VersionResponse {
        id: v.id.to_string(),
        version: v.version,
        change: v.change.as_str().into(),
        changed_at: to_rfc3339(v.changed_at),
        changed_by_name: v.changed_by_name,
        summary: v.summary,
        marking: marking_view(&v.marking),
        data: v.body,
    }))
}

#[utoipa::path(post, path = "/api/v1/links", tag = "links", request_body = LinkInput,
    responses((status = 201, description = "Linked", body = RecordResponse),
              (status = 409, description = "An end changed (for example, was merged) while the link was made; `current_version` is that end's", body = Problem),
              (status = 422, description = "A field is invalid, an end does not exist or was merged, or the role does not suit the ends", body = Problem)))]
pub async fn create_link(
    State(s): State<AppState>,
    user: CurrentUser,
    ApiJson(input): ApiJson<LinkInput>,
) -> Result<(StatusCode, HeaderMap, Json<RecordResponse>), ApiError> {
    Ok(created(s.pole.link(&user.caller, input).await?))
}

#[utoipa::path(get, path = "/api/v1/links/{id}", tag = "links", params(("id" = String, Path)),
    responses((status = 200, body = RecordResponse), (status = 404, body = Problem)))]
pub async fn get_link(
    State(s): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<RecordResponse>, ApiError> {
    read(s, user, Some(RecordKind::Link), id).await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EndLink {
    /// The link's version you read.
    pub base_version: i64,
}

#[utoipa::path(post, path = "/api/v1/links/{id}/end", tag = "links", request_body = EndLink, params(("id" = String, Path)),
    responses((status = 200, description = "Ended (unlinked); the link stays in the history", body = RecordResponse),
              (status = 404, body = Problem), (status = 409, description = "Changed or already ended", body = Problem)))]
pub async fn end_link(
    State(s): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<EndLink>,
) -> Result<Json<RecordResponse>, ApiError> {
    let id = parse_id(&id)?;
    Ok(Json(
        s.pole
            .unlink(&user.caller, id, body.base_version)
            .await?
            .into(),
    ))
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Bluelamp API", description = "One POLE store: persons, objects, locations, events and the links between them. Every change writes a new version and an audit record; every consultation is audited. Every call acts as the holder of its bearer token: 401 without a valid token, 403 for an action the policies refuse, and 404 for a record the caller may not see exactly as for one that does not exist. Errors are RFC 9457 problem details."),
    paths(
        create_person, get_person, update_person, list_persons,
        create_object, get_object, update_object, list_objects,
        create_location, get_location, update_location, list_locations,
        create_event, get_event, update_event, list_events,
        get_record, record_history, record_version, record_links, export_record,
        create_link, get_link, end_link,
        crate::api_users::me, crate::api_users::list_users, crate::api_users::create_user,
        crate::api_users::get_user, crate::api_users::update_user,
        crate::api_custody::book_in, crate::api_custody::get_custody,
        crate::api_custody::add_entry, crate::api_custody::board,
        crate::api_audit::search, crate::api_audit::feed,
        crate::api_search::search, crate::api_search::person_matches,
        crate::api_merge::merge, crate::api_merge::unmerge,
        crate::api_merge::queue, crate::api_merge::not_duplicate,
        crate::api_break_glass::request, crate::api_break_glass::list,
        crate::api_break_glass::decide,
    ),
    tags(
        (name = "persons", description = "People: one record per real person"),
        (name = "objects", description = "Vehicles, phones, weapons, documents, property, drugs"),
        (name = "locations", description = "Addresses and places"),
        (name = "events", description = "Incidents, crimes, arrests and other occurrences"),
        (name = "links", description = "Links between records, with a role"),
        (name = "search", description = "One search across persons, objects, locations and events: names (typos, sound-alikes, nicknames, accents, swapped names, initials, aliases), dates of birth (exact, partial, ranges, transposed), references, phones, registrations with wildcards, postcodes and words; ranked with a reason for each match; only what you may see; audited"),
        (name = "records", description = "Any record: history and versions"),
        (name = "custody", description = "Custody records and the PACE detention clock: book in, reviews, visits, rights, disposal, the suite board"),
        (name = "audit", description = "The audit trail: search it (auditors) and read the monitoring feed of records and signed checkpoints"),
        (name = "break glass", description = "Emergency access to one record outside your need to know: asked for with a reason, decided by a second person, time-limited, audited and alerted"),
        (name = "users", description = "Who may sign in, with which roles and clearance (administrators)"),
    )
)]
pub struct ApiDoc;

/// The OpenAPI document, with this build's version.
pub fn openapi() -> utoipa::openapi::OpenApi {
    use utoipa::openapi::security::{
        HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
    };
    let mut doc = ApiDoc::openapi();
    doc.info.version = env!("CARGO_PKG_VERSION").to_string();
    doc.components
        .get_or_insert_with(Default::default)
        .add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "A personal API token (create one on your account page). Read-only tokens may only GET.",
                    ))
                    .build(),
            ),
        );
    doc.security = Some(vec![SecurityRequirement::new(
        "bearer",
        Vec::<String>::new(),
    )]);
    doc
}

async fn openapi_json() -> impl IntoResponse {
    Json(openapi())
}

async fn api_not_found() -> ApiError {
    ApiError::NotFound
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/openapi.json", get(openapi_json))
        .route("/api/v1/persons", post(create_person).get(list_persons))
        .route("/api/v1/persons/{id}", get(get_person).put(update_person))
        .route("/api/v1/objects", post(create_object).get(list_objects))
        .route("/api/v1/objects/{id}", get(get_object).put(update_object))
        .route(
            "/api/v1/locations",
            post(create_location).get(list_locations),
        )
        .route(
            "/api/v1/locations/{id}",
            get(get_location).put(update_location),
        )
        .route("/api/v1/events", post(create_event).get(list_events))
        .route("/api/v1/events/{id}", get(get_event).put(update_event))
        .route("/api/v1/records/{id}", get(get_record))
        .route("/api/v1/records/{id}/history", get(record_history))
        .route(
            "/api/v1/records/{id}/versions/{version}",
            get(record_version),
        )
        .route("/api/v1/records/{id}/links", get(record_links))
        .route("/api/v1/records/{id}/export", get(export_record))
        .route("/api/v1/links", post(create_link))
        .route("/api/v1/links/{id}", get(get_link))
        .route("/api/v1/links/{id}/end", post(end_link))
        .route("/api/v1/{*rest}", axum::routing::any(api_not_found))
}

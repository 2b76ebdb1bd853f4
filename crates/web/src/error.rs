//! API errors as RFC 9457 problem details, named after what the client sees. Internal errors
//! are logged with the request id and never shown.

use axum::Json;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use bluelamp_app::AppError;
use bluelamp_domain::{FieldError, ValidationErrors};
use serde::Serialize;
use utoipa::ToSchema;

/// A problem detail (RFC 9457) with field-level errors for validation failures.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem.
    #[serde(rename = "type")]
    pub problem_type: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// For validation failures: each field and what is wrong with it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ProblemField>,
    /// For conflicts: the record's current version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_version: Option<i64>,
    /// For conflicts: the record that changed, which `current_version` is of (one of the
    /// two ends of a link being made, one of the two persons of a merge).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record_id: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProblemField {
    /// The field as the client sent it, dotted for nesting (`identifiers.0.value`).
    pub field: String,
    pub message: String,
}

impl From<&FieldError> for ProblemField {
    fn from(e: &FieldError) -> Self {
        Self {
            field: e.field.clone(),
            message: e.message.clone(),
        }
    }
}

#[derive(Debug)]
pub enum ApiError {
    /// 400: the body is not JSON, or not the JSON this endpoint takes.
    BadRequest {
        detail: String,
        field: Option<String>,
    },
    NotFound,
    /// 401: no valid session or token.
    Unauthorized(String),
    /// 403: the policies refuse the action (audited).
    Forbidden(String),
    Conflict {
        detail: String,
        current: i64,
        id: bluelamp_domain::RecordId,
    },
    Unprocessable(ValidationErrors),
    PayloadTooLarge,
    UnsupportedMediaType,
    Unavailable,
    Internal,
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Invalid(v) => ApiError::Unprocessable(v),
            AppError::NotFound(_) => ApiError::NotFound,
            AppError::Forbidden(msg) => ApiError::Forbidden(msg),
            AppError::Conflict {
                id,
                expected,
                current,
            } => ApiError::Conflict {
                id,
                detail: format!(
                    "The record has changed since version {expected}; it is now version \
                     {current}. Fetch it again and re-apply your change."
                ),
                current,
            },
            AppError::LinksChanged { id, version } => ApiError::Conflict {
                id,
                detail: format!(
                    "The links to the record (still at version {version}) changed while the \
                     change was made, or one of them cannot be read as stored. Try again; if it \
                     happens again, ask an administrator to check the record's links."
                ),
                current: version,
            },
            AppError::Unavailable(msg) => {
                tracing::error!(error = %msg, "store unavailable");
                ApiError::Unavailable
            }
            AppError::Internal(msg) => {
                tracing::error!(error = %msg, "internal error");
                ApiError::Internal
            }
        }
    }
}

fn problem(status: StatusCode, slug: &str, title: &str, detail: String) -> Problem {
    Problem {
        problem_type: format!("https://bluelamp.invalid/problems/{slug}"),
        title: title.into(),
        status: status.as_u16(),
        detail,
        errors: Vec::new(),
        current_version: None,
        record_id: None,
    }
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::Conflict { .. } => StatusCode::CONFLICT,
            ApiError::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn to_problem(&self) -> Problem {
        let status = self.status();
        match self {
            ApiError::BadRequest { detail, field } => {
                let mut p = problem(
                    status,
                    "bad-request",
                    "The request body could not be read",
                    detail.clone(),
                );
                if let Some(f) = field {
                    p.errors.push(ProblemField {
                        field: f.clone(),
                        message: detail.clone(),
                    });
                }
                p
            }
            ApiError::NotFound => problem(
                status,
                "not-found",
                "Not found",
                "There is no record at this address.".into(),
            ),
            ApiError::Unauthorized(detail) => {
                problem(status, "unauthorized", "Sign in first", detail.clone())
            }
            ApiError::Forbidden(detail) => {
                problem(status, "forbidden", "Not allowed", detail.clone())
            }
            ApiError::Conflict {
                detail,
                current,
                id,
            } => {
                let mut p = problem(status, "conflict", "The record has changed", detail.clone());
                p.current_version = Some(*current);
                p.record_id = Some(id.to_string());
                p
            }
            ApiError::Unprocessable(v) => {
                let mut p = problem(
                    status,
                    "validation",
                    "Some fields are invalid",
                    v.to_string(),
                );
                p.errors = v.0.iter().map(ProblemField::from).collect();
                p
            }
            ApiError::PayloadTooLarge => problem(
                status,
                "too-large",
                "The request body is too large",
                format!("Send at most {} bytes.", crate::MAX_BODY_BYTES),
            ),
            ApiError::UnsupportedMediaType => problem(
                status,
                "media-type",
                "Send JSON",
                "Set Content-Type: application/json.".into(),
            ),
            ApiError::Unavailable => problem(
                status,
                "unavailable",
                "Service unavailable",
                "The database cannot be reached. Try again shortly.".into(),
            ),
            ApiError::Internal => problem(
                status,
                "internal",
                "Something went wrong",
                "The error has been logged with this request's id.".into(),
            ),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let bearer = matches!(self, ApiError::Unauthorized(_));
        let mut resp = (status, Json(self.to_problem())).into_response();
        if bearer {
            resp.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer realm=\"bluelamp\""),
            );
        }
        resp.headers_mut().insert(
            header::CONTENT_TYPE,
            header::HeaderValue::from_static("application/problem+json"),
        );
        resp
    }
}

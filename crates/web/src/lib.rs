//! The web edge: JSON API under `/api/v1` (described by OpenAPI at
//! `/api/v1/openapi.json`) and server-rendered pages (askama + htmx). A request is turned into
//! a typed input here and handed to a use case in `bluelamp-app`; nothing here talks to the
//! database or decides a rule.

pub mod api;
pub mod api_audit;
pub mod api_break_glass;
pub mod api_custody;
pub mod api_merge;
pub mod api_search;
pub mod api_users;
mod assets;
pub mod caller;
pub mod error;
pub mod html;
mod ops;
pub mod sso;

use axum::Router;
use axum::http::{HeaderName, HeaderValue, header};
use bluelamp_app::PoleService;
use bluelamp_app::identity::IdentityService;
use std::time::Duration;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

/// The largest request body accepted. A POLE record is a few kilobytes; a megabyte leaves
/// room for long narratives while refusing a hostile upload before it is read.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub pole: PoleService,
    pub custody: bluelamp_app::CustodyService,
    pub audit: bluelamp_app::audit_trail::AuditTrail,
    pub alerts: bluelamp_app::monitoring::Alerts,
    pub break_glass: bluelamp_app::break_glass::BreakGlass,
    /// The search index and audited searches over it.
    pub search: bluelamp_app::search::Search,
    /// Single sign-on through the force's OpenID Connect provider, when configured.
    pub sso: Option<sso::Sso>,
    /// Users must sign in with a passkey (the SECRET tier).
    pub require_webauthn: bool,
    /// The address users reach Bluelamp at (the passkeys' origin and site); when unset, the
    /// request's own host is used (development).
    pub public_url: Option<String>,
    /// Passkey challenges waiting for the browser's answer.
    pub passkey_challenges: html::passkeys::Challenges,
    pub identity: IdentityService,
    /// Served behind TLS: cookies are `Secure` and responses carry HSTS.
    pub tls: bool,
    /// Every user must set up two-step verification before using anything else.
    pub require_mfa: bool,
    /// Shown in the page footer and `/readyz`.
    pub version: &'static str,
}

pub fn router(state: AppState) -> Router {
    let request_id = HeaderName::from_static("x-request-id");
    let tls = state.tls;
    Router::new()
        .merge(api::routes())
        .merge(api_users::routes())
        .merge(api_custody::routes())
        .merge(api_search::routes())
        .merge(api_merge::routes())
        .merge(api_audit::routes())
        .merge(api_break_glass::routes())
        .merge(html::routes())
        .merge(ops::routes())
        .merge(assets::routes())
        .fallback(html::not_found)
        .with_state(state)
        // Bodies are limited where they are read, so the refusal is a problem document
        // (API) or a page (forms), not a bare 413.
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(30),
        ))
        .layer(security_headers())
        .layer(axum::middleware::map_response(
            move |mut resp: axum::response::Response| async move {
                if tls {
                    html::accounts::hsts(resp.headers_mut());
                }
                resp
            },
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            HeaderName::from_static("referrer-policy"),
            HeaderValue::from_static("no-referrer"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(
            TraceLayer::new_for_http().make_span_with(|req: &axum::http::Request<_>| {
                let id = req
                    .headers()
                    .get("x-request-id")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("-");
                tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
            }),
        )
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
}

/// No inline script or style anywhere, so the policy can forbid both; pages cannot be framed.
fn security_headers() -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::if_not_present(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
        ),
    )
}

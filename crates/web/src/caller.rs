//! The one place a request becomes a [`Caller`]: who is acting and from where.
//!
//! Pages authenticate with the session cookie; the JSON API only with a bearer token (a
//! personal API token), never a cookie, so a page on another site cannot make a signed-in
//! browser call the API. A request without a valid session is sent to the sign-in page
//! (pages) or answered 401 (API).

use crate::AppState;
use crate::error::ApiError;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{Method, header};
use axum::response::{IntoResponse, Redirect, Response};
use bluelamp_app::Caller;
use bluelamp_app::identity::{Authenticated, SessionRefused};
use bluelamp_domain::{RequestContext, Role};
use bluelamp_store::SessionKind;
use std::net::SocketAddr;

/// The name of the session cookie.
pub const SESSION_COOKIE: &str = "bluelamp_session";

/// The signed-in user and the request's context.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub caller: Caller,
    /// Shown in the header: "PC 4721 Demo (officer, RESPONSE)".
    pub label: String,
    /// The CSRF token forms must carry (empty for API callers).
    pub csrf: String,
    pub auth: Authenticated,
}

impl CurrentUser {
    pub fn is(&self, role: Role) -> bool {
        self.auth.principal.has_role(role)
    }

    /// The hash identifying this session in the store.
    pub fn session_hash(&self) -> &str {
        &self.auth.session.id_hash
    }
}

fn header(parts: &Parts, name: &str) -> Option<String> {
    parts
        .headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.chars().take(512).collect())
}

/// The value of a cookie in the request, if present.
pub fn cookie(headers: &axum::http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

pub fn request_context(parts: &Parts) -> RequestContext {
    RequestContext {
        correlation_id: header(parts, "x-request-id"),
        source_address: parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip().to_string()),
        user_agent: header(parts, "user-agent"),
        session_id: None,
    }
}

/// Why the extractor refused: a redirect to sign in (pages) or a problem (API).
pub enum AuthRejection {
    SignIn(String),
    /// Signed in with a password; the second factor is still to come.
    Code(String),
    /// Two-step verification must be set up first (the deployment requires it).
    SetUpMfa,
    /// A passkey must be registered and used (the deployment requires passkeys).
    SetUpPasskey,
    Api(ApiError),
}

impl IntoResponse for AuthRejection {
    fn into_response(self) -> Response {
        match self {
            AuthRejection::SignIn(next) => {
                let target = if next.starts_with('/') && !next.starts_with("//") {
                    format!("/sign-in?next={}", crate::html::urlencode(&next))
                } else {
                    "/sign-in".to_string()
                };
                Redirect::to(&target).into_response()
            }
            AuthRejection::Code(next) => {
                let target = if next.starts_with('/') && !next.starts_with("//") {
                    format!("/sign-in/code?next={}", crate::html::urlencode(&next))
                } else {
                    "/sign-in/code".to_string()
                };
                Redirect::to(&target).into_response()
            }
            AuthRejection::SetUpMfa => Redirect::to("/account/mfa").into_response(),
            AuthRejection::SetUpPasskey => Redirect::to("/account/passkeys").into_response(),
            AuthRejection::Api(e) => e.into_response(),
        }
    }
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = AuthRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if let Some(user) = parts.extensions.get::<CurrentUser>() {
            return Ok(user.clone());
        }
        let is_api = parts.uri.path().starts_with("/api/");
        let mut context = request_context(parts);
        let (secret, kind) = if is_api {
            // Not `header()`, which keeps 512 characters: an identity provider's access
            // token is a JWT of a few kilobytes.
            let bearer = parts
                .headers
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .filter(|h| h.len() <= 16 * 1024)
                .and_then(|h| {
                    h.strip_prefix("Bearer ")
                        .or_else(|| h.strip_prefix("bearer "))
                        .map(|t| t.trim().to_string())
                });
            match bearer {
                Some(t) => (t, SessionKind::ApiToken),
                None => {
                    return Err(AuthRejection::Api(ApiError::Unauthorized(
                        "Send a personal API token: Authorization: Bearer <token>. Create one on your account page.".into(),
                    )));
                }
            }
        } else {
            let path = parts
                .uri
                .path_and_query()
                .map(|p| p.as_str().to_string())
                .unwrap_or_default();
            let next = if parts.method == Method::GET {
                path
            } else {
                String::new()
            };
            match cookie(&parts.headers, SESSION_COOKIE) {
                Some(s) => (s, SessionKind::Browser),
                None => return Err(AuthRejection::SignIn(next)),
            }
        };
        let refused = |why: SessionRefused| {
            tracing::debug!(?why, "session refused");
            let here = parts
                .uri
                .path_and_query()
                .filter(|_| parts.method == Method::GET)
                .map(|p| p.as_str().to_string())
                .unwrap_or_default();
            if why == SessionRefused::MfaPending && !is_api {
                return AuthRejection::Code(here);
            }
            if is_api {
                AuthRejection::Api(ApiError::Unauthorized(
                    "The token is not valid: it may have expired or been revoked.".into(),
                ))
            } else {
                AuthRejection::SignIn(
                    parts
                        .uri
                        .path_and_query()
                        .filter(|_| parts.method == Method::GET)
                        .map(|p| p.as_str().to_string())
                        .unwrap_or_default(),
                )
            }
        };
        // An access token from the force's identity provider (a JWT) rather than a personal
        // API token.
        let is_jwt = is_api && secret.matches('.').count() == 2 && !secret.starts_with("blp_");
        let auth = if is_jwt {
            let Some(sso) = state.sso.clone() else {
                return Err(refused(SessionRefused::Unknown));
            };
            let now = state.pole.clock().now();
            let claims = match sso.provider().await {
                Ok(p) => p.validate_bearer(&secret, now).await,
                Err(e) => Err(e),
            };
            let claims = match claims {
                Ok(c) => c,
                Err(e) => {
                    return Err(AuthRejection::Api(ApiError::Unauthorized(format!(
                        "The access token is not valid: {e}"
                    ))));
                }
            };
            match state
                .identity
                .authenticate_bearer_claims(
                    &claims,
                    &sso.mapping,
                    &sso.write_scope,
                    &secret,
                    &context,
                )
                .await
            {
                Ok(Ok(a)) => a,
                Ok(Err(why)) => {
                    return Err(AuthRejection::Api(ApiError::Unauthorized(format!(
                        "The access token does not let you use Bluelamp: {why}"
                    ))));
                }
                Err(e) => return Err(AuthRejection::Api(e.into())),
            }
        } else {
            match state.identity.authenticate(&secret, kind, &context).await {
                Ok(Ok(a)) => a,
                Ok(Err(why)) => return Err(refused(why)),
                Err(e) => return Err(AuthRejection::Api(e.into())),
            }
        };
        // An API token without the write scope may only read.
        if is_api
            && !matches!(parts.method, Method::GET | Method::HEAD)
            && !auth.session.scopes.iter().any(|s| s == "write")
        {
            return Err(AuthRejection::Api(ApiError::Forbidden(
                "This token may only read: create a token with the write scope.".into(),
            )));
        }
        // A deployment that requires a second factor (an authenticator app) or passkeys (the
        // SECRET tier) lets a session without it do nothing but set it up and sign out.
        let setup = if state.require_mfa && !auth.mfa_enrolled {
            Some((
                "/account/mfa",
                "Set up two-step verification on your account page first.",
                AuthRejection::SetUpMfa,
            ))
        } else if state.require_webauthn
            && !auth
                .session
                .scopes
                .iter()
                .any(|s| s == bluelamp_app::passkeys::PASSKEY_SCOPE)
        {
            Some((
                "/account/passkeys",
                "This deployment requires signing in with a passkey.",
                AuthRejection::SetUpPasskey,
            ))
        } else {
            None
        };
        if let Some((page, message, page_rejection)) = setup {
            let path = parts.uri.path();
            if !(path.starts_with(page) || path == "/sign-out") {
                return Err(if is_api {
                    AuthRejection::Api(ApiError::Forbidden(message.into()))
                } else {
                    page_rejection
                });
            }
        }
        context.session_id = Some(auth.session_ref());
        let p = &auth.principal;
        let roles: Vec<&str> = p.roles.iter().map(|r| r.label()).collect();
        let label = format!(
            "{} {} ({}, {})",
            auth.account_rank,
            p.display_name,
            roles.join(", "),
            p.unit
        )
        .trim()
        .to_string();
        let mut caller = Caller::user(
            p.clone(),
            context,
            if is_api {
                "bluelamp-api"
            } else {
                "bluelamp-web"
            },
        );
        // Break-glass grants in force for this user (none if they cannot be read: less
        // access, never more).
        caller.grants = match state.break_glass.active_for(&p.username).await {
            Ok(g) => g,
            Err(e) => {
                tracing::warn!(error = %e, "could not read break-glass grants");
                Vec::new()
            }
        };
        let user = CurrentUser {
            caller,
            label,
            csrf: if is_api {
                String::new()
            } else {
                auth.session.csrf_token.clone()
            },
            auth,
        };
        parts.extensions.insert(user.clone());
        Ok(user)
    }
}

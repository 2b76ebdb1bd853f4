//! The one place a request becomes a [`Caller`]: who is acting and from where. Until the
//! Security issue adds sign-in, every request acts as the configured demo identity; that
//! issue replaces the body of this extractor and nothing else.

use crate::AppState;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use bluelamp_app::Caller;
use bluelamp_domain::{Actor, RequestContext};
use std::convert::Infallible;
use std::net::SocketAddr;

#[derive(Debug, Clone)]
pub struct DemoIdentity {
    pub actor: Actor,
    /// Shown in the header: "PC 4721 Demo (Officer)".
    pub label: String,
}

impl Default for DemoIdentity {
    fn default() -> Self {
        Self {
            actor: Actor {
                user_id: "demo.officer".into(),
                display_name: "PC 4721 Demo".into(),
            },
            label: "PC 4721 Demo".into(),
        }
    }
}

/// The signed-in user (today: the demo identity) and the request's context.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub caller: Caller,
    pub label: String,
}

fn header(parts: &Parts, name: &str) -> Option<String> {
    parts
        .headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.chars().take(512).collect())
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let source = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip().to_string());
        let is_api = parts.uri.path().starts_with("/api/");
        Ok(CurrentUser {
            caller: Caller {
                actor: state.demo_identity.actor.clone(),
                context: RequestContext {
                    correlation_id: header(parts, "x-request-id"),
                    source_address: source,
                    user_agent: header(parts, "user-agent"),
                },
                service: if is_api {
                    "bluelamp-api"
                } else {
                    "bluelamp-web"
                },
            },
            label: state.demo_identity.label.clone(),
        })
    }
}

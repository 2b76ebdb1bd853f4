//! Passkey pages: the user's passkeys (register, remove) and the challenges the browser signs.
//! The browser side is in `assets/bluelamp.js` (WebAuthn needs script; the rest of Bluelamp
//! works without it).

use super::forms::{ErrorLink, FormData};
use super::{Chrome, chrome, error_page, render};
use crate::AppState;
use crate::caller::CurrentUser;
use askama::Template;
use axum::Json;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use bluelamp_app::AppError;
use bluelamp_domain::time::format_instant;
use bluelamp_webauthn::RelyingParty;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long the browser has to answer a challenge.
const CHALLENGE_TTL: Duration = Duration::from_secs(300);

/// Challenges issued and not yet answered, by who they were issued to. In memory: a
/// deployment with several nodes needs sticky sessions for the few seconds a passkey
/// ceremony takes.
#[derive(Clone, Default)]
pub struct Challenges(Arc<Mutex<Pending>>);

/// Challenge and when it was issued, by who it was issued to.
type Pending = HashMap<String, (Vec<u8>, Instant)>;

impl Challenges {
    pub fn put(&self, key: String, challenge: Vec<u8>) {
        let mut m = match self.0.lock() {
            Ok(m) => m,
            Err(p) => p.into_inner(),
        };
        m.retain(|_, (_, at)| at.elapsed() < CHALLENGE_TTL);
        m.insert(key, (challenge, Instant::now()));
    }

    /// The challenge issued to `key`, once.
    pub fn take(&self, key: &str) -> Option<Vec<u8>> {
        let mut m = match self.0.lock() {
            Ok(m) => m,
            Err(p) => p.into_inner(),
        };
        m.remove(key)
            .filter(|(_, at)| at.elapsed() < CHALLENGE_TTL)
            .map(|(c, _)| c)
    }
}

/// Bluelamp as a relying party: the configured public address, or (in development) the
/// host the browser asked for.
pub fn relying_party(state: &AppState, headers: &HeaderMap) -> RelyingParty {
    let origin = match &state.public_url {
        Some(u) => u.trim_end_matches('/').to_string(),
        None => format!(
            "http://{}",
            headers
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .unwrap_or("localhost")
        ),
    };
    let host = origin
        .split("://")
        .nth(1)
        .unwrap_or("localhost")
        .split('/')
        .next()
        .unwrap_or("localhost");
    let id = if host.starts_with('[') {
        host.split(']')
            .next()
            .unwrap_or(host)
            .trim_start_matches('[')
            .to_string()
    } else {
        host.split(':').next().unwrap_or(host).to_string()
    };
    RelyingParty {
        id,
        origin,
        name: "Bluelamp".into(),
    }
}

struct Item {
    id: String,
    name: String,
    created: String,
    last_used: String,
}

#[derive(Template)]
#[template(path = "passkeys.html")]
struct Page {
    chrome: Chrome,
    errors: Vec<ErrorLink>,
    notice: Option<String>,
    items: Vec<Item>,
    required: bool,
}

#[derive(serde::Deserialize)]
struct Params {
    #[serde(default)]
    done: String,
}

async fn page(
    state: &AppState,
    user: &CurrentUser,
    status: StatusCode,
    errors: Vec<ErrorLink>,
    notice: Option<String>,
) -> Response {
    match state.identity.passkeys(&user.caller).await {
        Ok(list) => render(
            status,
            &Page {
                chrome: chrome(state, user, "account"),
                errors,
                notice,
                required: state.require_webauthn
                    && !user
                        .auth
                        .session
                        .scopes
                        .iter()
                        .any(|s| s == bluelamp_app::passkeys::PASSKEY_SCOPE),
                items: list
                    .into_iter()
                    .map(|p| Item {
                        id: p.id,
                        name: p.name,
                        created: format_instant(p.created_at),
                        last_used: p
                            .last_used_at
                            .map(format_instant)
                            .unwrap_or_else(|| "Not yet".into()),
                    })
                    .collect(),
            },
        ),
        Err(e) => error_page(state, user, e),
    }
}

async fn show(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(p): Query<Params>,
) -> Response {
    let notice = match p.done.as_str() {
        "added" => Some("Passkey added. You can now sign in with it.".to_string()),
        "removed" => Some("Passkey removed".to_string()),
        _ => None,
    };
    page(&state, &user, StatusCode::OK, Vec::new(), notice).await
}

/// The options for `navigator.credentials.create()`.
async fn options(
    State(state): State<AppState>,
    headers: HeaderMap,
    user: CurrentUser,
    _form: FormData,
) -> Response {
    let rp = relying_party(&state, &headers);
    let challenge = match bluelamp_webauthn::new_challenge() {
        Ok(c) => c,
        Err(e) => return error_page(&state, &user, AppError::Internal(e.to_string())),
    };
    match state
        .identity
        .passkey_creation_options(&user.caller, &rp, &challenge)
        .await
    {
        Ok(o) => {
            state
                .passkey_challenges
                .put(format!("reg:{}", user.session_hash()), challenge);
            Json(o).into_response()
        }
        Err(e) => error_page(&state, &user, e),
    }
}

async fn add(
    State(state): State<AppState>,
    headers: HeaderMap,
    user: CurrentUser,
    data: FormData,
) -> Response {
    let rp = relying_party(&state, &headers);
    let Some(challenge) = state
        .passkey_challenges
        .take(&format!("reg:{}", user.session_hash()))
    else {
        return page(
            &state,
            &user,
            StatusCode::UNPROCESSABLE_ENTITY,
            vec![ErrorLink {
                target: "name".into(),
                message: "The request to add a passkey had expired. Try again.".into(),
            }],
            None,
        )
        .await;
    };
    match state
        .identity
        .add_passkey(
            &user.caller,
            &rp,
            &challenge,
            data.get("credential"),
            data.get("name"),
        )
        .await
    {
        Ok(()) => Redirect::to("/account/passkeys?done=added").into_response(),
        Err(AppError::Invalid(v)) => {
            let errors =
                v.0.into_iter()
                    .map(|f| ErrorLink {
                        target: "name".into(),
                        message: f.message,
                    })
                    .collect();
            page(
                &state,
                &user,
                StatusCode::UNPROCESSABLE_ENTITY,
                errors,
                None,
            )
            .await
        }
        Err(e) => error_page(&state, &user, e),
    }
}

async fn remove(State(state): State<AppState>, user: CurrentUser, data: FormData) -> Response {
    match state
        .identity
        .remove_passkey(&user.caller, data.get("id"))
        .await
    {
        Ok(()) => Redirect::to("/account/passkeys?done=removed").into_response(),
        Err(e) => error_page(&state, &user, e),
    }
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/account/passkeys", get(show).post(add))
        .route("/account/passkeys/options", post(options))
        .route("/account/passkeys/remove", post(remove))
}

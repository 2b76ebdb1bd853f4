//! Sign-in and sign-out, the user's own account (API tokens, password, sign out
//! everywhere), and user administration pages.

use super::forms::{self, ErrorLink, Field, FormData};
use super::{Chrome, FormPage, Hidden, chrome, error_page, render};
use crate::AppState;
use crate::caller::{CurrentUser, SESSION_COOKIE, cookie, request_context};
use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use bluelamp_app::AppError;
use bluelamp_domain::ValidationErrors;
use bluelamp_domain::time::format_instant;
use serde::Deserialize;

const SIGN_IN_COOKIE: &str = "bluelamp_signin";

fn cookie_header(state: &AppState, name: &str, value: &str, clear: bool) -> HeaderValue {
    let secure = if state.tls { "; Secure" } else { "" };
    let age = if clear { "; Max-Age=0" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Lax{secure}{age}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// A redirect that sets (`Some`) or clears (`None`) cookies.
fn redirect_with_cookies(state: &AppState, to: &str, cookies: &[(&str, Option<&str>)]) -> Response {
    let mut resp = Redirect::to(to).into_response();
    for (name, value) in cookies {
        resp.headers_mut().append(
            header::SET_COOKIE,
            cookie_header(state, name, value.unwrap_or(""), value.is_none()),
        );
    }
    resp
}

fn anonymous_chrome(state: &AppState) -> Chrome {
    Chrome {
        user: String::new(),
        csrf: String::new(),
        admin: false,
        auditor: false,
        version: state.version,
        active: "",
    }
}

/// Only a path on this site may be a place to go back to after signing in.
fn safe_next(next: &str) -> String {
    if next.starts_with('/') && !next.starts_with("//") && !next.contains('\\') {
        next.to_string()
    } else {
        "/".to_string()
    }
}

#[derive(Template)]
#[template(path = "sign_in.html")]
struct SignInPage {
    chrome: Chrome,
    errors: Vec<ErrorLink>,
    error: Option<String>,
    username: String,
    next: String,
    signin_token: String,
    signed_out: bool,
    /// The single sign-on button's words; empty when single sign-on is not configured.
    sso_label: String,
    sso_href: String,
}

#[derive(Deserialize)]
struct SignInQuery {
    #[serde(default)]
    next: String,
    #[serde(default)]
    signed_out: Option<String>,
}

fn sign_in_page(
    state: &AppState,
    existing: Option<String>,
    status: StatusCode,
    error: Option<String>,
    username: String,
    next: String,
    signed_out: bool,
) -> Response {
    // A random token in the form and in a cookie: a sign-in form posted from another site
    // cannot know it (login CSRF). The browser's existing token is kept, so a second tab or
    // a background request (a favicon sent here) does not invalidate an open form.
    let token = existing
        .filter(|t| t.len() == 32 && t.chars().all(|c| c.is_ascii_hexdigit()))
        .unwrap_or_else(|| {
            bluelamp_app::identity::csrf_token_for(&uuid::Uuid::now_v7().to_string())
        });
    let mut resp = render(
        status,
        &SignInPage {
            chrome: anonymous_chrome(state),
            errors: error
                .iter()
                .map(|e| ErrorLink {
                    target: "username".into(),
                    message: e.clone(),
                })
                .collect(),
            error,
            username,
            signin_token: token.clone(),
            signed_out,
            sso_label: state
                .sso
                .as_ref()
                .map(|s| s.label.clone())
                .unwrap_or_default(),
            sso_href: format!("/sign-in/oidc?next={}", super::urlencode(&next)),
            next,
        },
    );
    resp.headers_mut().append(
        header::SET_COOKIE,
        cookie_header(state, SIGN_IN_COOKIE, &token, false),
    );
    resp
}

async fn sign_in_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<SignInQuery>,
) -> Response {
    sign_in_page(
        &state,
        cookie(&headers, SIGN_IN_COOKIE),
        StatusCode::OK,
        None,
        String::new(),
        safe_next(&q.next),
        q.signed_out.is_some(),
    )
}

#[derive(Deserialize)]
struct SignInForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
    #[serde(default)]
    signin_token: String,
}

async fn sign_in(State(state): State<AppState>, req: axum::extract::Request) -> Response {
    let (mut parts, body) = req.into_parts();
    let context = request_context(&parts);
    let expected = cookie(&parts.headers, SIGN_IN_COOKIE).unwrap_or_default();
    let req = axum::extract::Request::from_parts(parts.clone(), body);
    let form = match axum::Form::<SignInForm>::from_request(req, &state).await {
        Ok(axum::Form(f)) => f,
        Err(e) => {
            return sign_in_page(
                &state,
                Some(expected.clone()),
                e.status(),
                Some("The form could not be read. Try again.".into()),
                String::new(),
                "/".into(),
                false,
            );
        }
    };
    let _ = &mut parts;
    let next = safe_next(&form.next);
    if expected.is_empty()
        || !bluelamp_app::identity::constant_time_eq(&expected, &form.signin_token)
    {
        return sign_in_page(
            &state,
            Some(expected.clone()),
            StatusCode::FORBIDDEN,
            Some("The sign-in form had expired. Enter your details again.".into()),
            form.username,
            next,
            false,
        );
    }
    if form.username.trim().is_empty() || form.password.is_empty() {
        return sign_in_page(
            &state,
            Some(expected.clone()),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("Enter your user name and password".into()),
            form.username,
            next,
            false,
        );
    }
    match state
        .identity
        .sign_in(&form.username, &form.password, &context, "bluelamp-web")
        .await
    {
        Ok(signed_in) => {
            let target = if signed_in.mfa_required {
                format!("/sign-in/code?next={}", super::urlencode(&next))
            } else {
                next.clone()
            };
            redirect_with_cookies(
                &state,
                &target,
                &[
                    (SESSION_COOKIE, Some(&signed_in.secret)),
                    (SIGN_IN_COOKIE, None),
                ],
            )
        }
        Err(AppError::Forbidden(msg)) => sign_in_page(
            &state,
            Some(expected.clone()),
            StatusCode::UNAUTHORIZED,
            Some(msg),
            form.username,
            next,
            false,
        ),
        Err(e) => {
            tracing::error!(error = %e, "sign-in failed");
            sign_in_page(
                &state,
                Some(expected.clone()),
                StatusCode::SERVICE_UNAVAILABLE,
                Some("Sign-in is unavailable at the moment. Try again in a few minutes.".into()),
                form.username,
                next,
                false,
            )
        }
    }
}

use axum::extract::FromRequest;

// ------------------------------------------------------------------ second factor

#[derive(Template)]
#[template(path = "sign_in_code.html")]
struct CodePage {
    chrome: Chrome,
    errors: Vec<ErrorLink>,
    error: Option<String>,
    csrf: String,
    next: String,
}

fn code_page(
    state: &AppState,
    status: StatusCode,
    secret: &str,
    next: String,
    error: Option<String>,
) -> Response {
    render(
        status,
        &CodePage {
            chrome: anonymous_chrome(state),
            errors: error
                .iter()
                .map(|e| ErrorLink {
                    target: "code".into(),
                    message: e.clone(),
                })
                .collect(),
            error,
            csrf: bluelamp_app::identity::csrf_token_for(secret),
            next,
        },
    )
}

async fn code_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<SignInQuery>,
) -> Response {
    match cookie(&headers, SESSION_COOKIE) {
        Some(secret) => code_page(&state, StatusCode::OK, &secret, safe_next(&q.next), None),
        None => Redirect::to("/sign-in").into_response(),
    }
}

#[derive(Deserialize)]
struct CodeForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    next: String,
    #[serde(default)]
    csrf_token: String,
}

async fn code_submit(State(state): State<AppState>, req: axum::extract::Request) -> Response {
    let (parts, body) = req.into_parts();
    let context = request_context(&parts);
    let Some(secret) = cookie(&parts.headers, SESSION_COOKIE) else {
        return Redirect::to("/sign-in").into_response();
    };
    let req = axum::extract::Request::from_parts(parts, body);
    let form = match axum::Form::<CodeForm>::from_request(req, &state).await {
        Ok(axum::Form(f)) => f,
        Err(e) => {
            return code_page(
                &state,
                e.status(),
                &secret,
                "/".into(),
                Some("The form could not be read. Try again.".into()),
            );
        }
    };
    let next = safe_next(&form.next);
    if !bluelamp_app::identity::constant_time_eq(
        &form.csrf_token,
        &bluelamp_app::identity::csrf_token_for(&secret),
    ) {
        return code_page(
            &state,
            StatusCode::FORBIDDEN,
            &secret,
            next,
            Some("The form had expired. Enter the code again.".into()),
        );
    }
    if form.code.trim().is_empty() {
        return code_page(
            &state,
            StatusCode::UNPROCESSABLE_ENTITY,
            &secret,
            next,
            Some("Enter the code from your authenticator app".into()),
        );
    }
    match state
        .identity
        .complete_mfa(&secret, &form.code, &context)
        .await
    {
        Ok(signed_in) => {
            redirect_with_cookies(&state, &next, &[(SESSION_COOKIE, Some(&signed_in.secret))])
        }
        Err(AppError::Forbidden(msg)) if msg == bluelamp_app::identity::CODE_REFUSED => {
            code_page(&state, StatusCode::UNAUTHORIZED, &secret, next, Some(msg))
        }
        Err(AppError::Forbidden(_)) => Redirect::to("/sign-in").into_response(),
        Err(e) => {
            tracing::error!(error = %e, "second factor failed");
            code_page(
                &state,
                StatusCode::SERVICE_UNAVAILABLE,
                &secret,
                next,
                Some("Sign-in is unavailable at the moment. Try again in a few minutes.".into()),
            )
        }
    }
}

#[derive(Template)]
#[template(path = "mfa_setup.html")]
struct MfaSetupPage {
    chrome: Chrome,
    errors: Vec<ErrorLink>,
    qr: String,
    secret: String,
    required: bool,
}

#[derive(Template)]
#[template(path = "recovery_codes.html")]
struct RecoveryCodesPage {
    chrome: Chrome,
    codes: Vec<String>,
}

async fn mfa_page(
    state: &AppState,
    user: &CurrentUser,
    status: StatusCode,
    errors: Vec<ErrorLink>,
) -> Response {
    let pending = match state.identity.pending_totp(&user.caller).await {
        Ok(Some(p)) => Ok(p),
        Ok(None) => state.identity.begin_totp(&user.caller).await,
        Err(e) => Err(e),
    };
    match pending {
        Ok((secret, uri)) => render(
            status,
            &MfaSetupPage {
                chrome: chrome(state, user, "account"),
                errors,
                qr: bluelamp_app::totp::qr_svg(&uri).unwrap_or_default(),
                secret,
                required: state.require_mfa,
            },
        ),
        Err(e) => error_page(state, user, e),
    }
}

async fn mfa_form(State(state): State<AppState>, user: CurrentUser) -> Response {
    if user.auth.mfa_enrolled {
        return Redirect::to("/account").into_response();
    }
    mfa_page(&state, &user, StatusCode::OK, vec![]).await
}

async fn mfa_confirm(State(state): State<AppState>, user: CurrentUser, data: FormData) -> Response {
    match state
        .identity
        .confirm_totp(&user.caller, data.get("code"))
        .await
    {
        Ok(codes) => render(
            StatusCode::OK,
            &RecoveryCodesPage {
                chrome: chrome(&state, &user, "account"),
                codes,
            },
        ),
        Err(AppError::Invalid(e)) => {
            let errors =
                e.0.iter()
                    .map(|f| ErrorLink {
                        target: "code".into(),
                        message: f.message.clone(),
                    })
                    .collect();
            mfa_page(&state, &user, StatusCode::UNPROCESSABLE_ENTITY, errors).await
        }
        Err(e) => error_page(&state, &user, e),
    }
}

async fn user_reset_mfa(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(name): Path<String>,
    _csrf: FormData,
) -> Response {
    match state.identity.reset_mfa(&user.caller, &name).await {
        Ok(a) => Redirect::to(&format!("/admin/users/{}", a.principal.username)).into_response(),
        Err(e) => error_page(&state, &user, e),
    }
}

async fn sign_out(State(state): State<AppState>, user: CurrentUser, _csrf: FormData) -> Response {
    if let Err(e) = state
        .identity
        .sign_out(&user.caller, user.session_hash())
        .await
    {
        return error_page(&state, &user, e);
    }
    redirect_with_cookies(&state, "/sign-in?signed_out=1", &[(SESSION_COOKIE, None)])
}

// ------------------------------------------------------------------ account

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    chrome: Chrome,
    details: Vec<(String, String)>,
    mfa_enrolled: bool,
}

fn principal_rows(p: &bluelamp_domain::Principal) -> Vec<(String, String)> {
    let roles: Vec<&str> = p.roles.iter().map(|r| r.label()).collect();
    let comps: Vec<&str> = p.compartments.iter().map(|c| c.as_str()).collect();
    vec![
        ("Name".into(), p.display_name.clone()),
        ("User name".into(), p.username.to_string()),
        ("Roles".into(), roles.join(", ")),
        ("Unit".into(), p.unit.to_string()),
        ("Vetting clearance".into(), p.clearance.as_str().into()),
        (
            "Compartments".into(),
            if comps.is_empty() {
                "None".into()
            } else {
                comps.join(", ")
            },
        ),
    ]
}

async fn account(State(state): State<AppState>, user: CurrentUser) -> Response {
    let mut details = principal_rows(&user.auth.principal);
    details.push((
        "Signed in".into(),
        format_instant(user.auth.session.created_at),
    ));
    details.push((
        "Session ends".into(),
        format!(
            "after {} minutes without activity, and at {} at the latest",
            state.identity.policy().idle_timeout.as_mins(),
            format_instant(user.auth.session.expires_at)
        ),
    ));
    render(
        StatusCode::OK,
        &AccountPage {
            chrome: chrome(&state, &user, "account"),
            details,
            mfa_enrolled: user.auth.mfa_enrolled,
        },
    )
}

#[allow(clippy::too_many_arguments)]
fn form_page(
    state: &AppState,
    user: &CurrentUser,
    status: StatusCode,
    heading: &str,
    caption: &str,
    action: &str,
    submit: &str,
    back: &str,
    mut fields: Vec<Field>,
    data: &FormData,
    errors: Option<(
        &ValidationErrors,
        &std::collections::HashMap<String, String>,
    )>,
) -> Response {
    forms::fill(&mut fields, data);
    let errors = match errors {
        Some((e, map)) => forms::attach_errors(&mut fields, e, map),
        None => Vec::new(),
    };
    render(
        status,
        &FormPage {
            chrome: chrome(state, user, "account"),
            title: if errors.is_empty() {
                heading.to_string()
            } else {
                format!("Error: {heading}")
            },
            caption: caption.into(),
            heading: heading.into(),
            action: action.into(),
            submit: submit.into(),
            back: back.into(),
            hidden: Vec::<Hidden>::new(),
            fields,
            errors,
            matches: Vec::new(),
        },
    )
}

async fn token_form(State(state): State<AppState>, user: CurrentUser) -> Response {
    let mut data = FormData(Vec::new());
    data.set("days", "30");
    form_page(
        &state,
        &user,
        StatusCode::OK,
        "Create an API token",
        "Your account",
        "/account/tokens",
        "Create the token",
        "/account",
        forms::token_fields(),
        &data,
        None,
    )
}

#[derive(Template)]
#[template(path = "token.html")]
struct TokenPage {
    chrome: Chrome,
    label: String,
    token: String,
    expires: String,
}

async fn token_create(
    State(state): State<AppState>,
    user: CurrentUser,
    data: FormData,
) -> Response {
    // Not a number is out of range: the use case names the field.
    let days: i64 = data.get("days").trim().parse().unwrap_or_default();
    match state
        .identity
        .create_token(
            &user.caller,
            data.get("label"),
            data.get("write") == "yes",
            days,
        )
        .await
    {
        Ok((secret, session)) => render(
            StatusCode::CREATED,
            &TokenPage {
                chrome: chrome(&state, &user, "account"),
                label: session.label,
                token: secret,
                expires: format_instant(session.expires_at),
            },
        ),
        Err(AppError::Invalid(e)) => form_page(
            &state,
            &user,
            StatusCode::UNPROCESSABLE_ENTITY,
            "Create an API token",
            "Your account",
            "/account/tokens",
            "Create the token",
            "/account",
            forms::token_fields(),
            &data,
            Some((&e, &Default::default())),
        ),
        Err(e) => error_page(&state, &user, e),
    }
}

async fn sign_out_everywhere(
    State(state): State<AppState>,
    user: CurrentUser,
    _csrf: FormData,
) -> Response {
    if let Err(e) = state.identity.sign_out_everywhere(&user.caller).await {
        return error_page(&state, &user, e);
    }
    redirect_with_cookies(&state, "/sign-in?signed_out=1", &[(SESSION_COOKIE, None)])
}

async fn password_form(State(state): State<AppState>, user: CurrentUser) -> Response {
    form_page(
        &state,
        &user,
        StatusCode::OK,
        "Change your password",
        "Your account",
        "/account/password",
        "Change the password",
        "/account",
        forms::own_password_fields(),
        &FormData(Vec::new()),
        None,
    )
}

async fn password_change(
    State(state): State<AppState>,
    user: CurrentUser,
    data: FormData,
) -> Response {
    match state
        .identity
        .change_own_password(
            &user.caller,
            data.get("current_password"),
            data.get("password"),
        )
        .await
    {
        Ok(()) => super::message(
            &state,
            &user,
            StatusCode::OK,
            "Your password has been changed",
            &["Use the new password next time you sign in."],
            Some(("/account", "Back to your account")),
        ),
        Err(AppError::Invalid(e)) => form_page(
            &state,
            &user,
            StatusCode::UNPROCESSABLE_ENTITY,
            "Change your password",
            "Your account",
            "/account/password",
            "Change the password",
            "/account",
            forms::own_password_fields(),
            &data,
            Some((&e, &Default::default())),
        ),
        Err(e) => error_page(&state, &user, e),
    }
}

// ------------------------------------------------------------------ administration

struct UserRow {
    username: String,
    name: String,
    roles: String,
    unit: String,
    clearance: String,
    status: String,
}

#[derive(Template)]
#[template(path = "users.html")]
struct UsersPage {
    chrome: Chrome,
    users: Vec<UserRow>,
}

fn status_of(a: &bluelamp_store::UserAccount) -> String {
    if a.disabled {
        "Disabled".into()
    } else if a.locked_at.is_some() {
        "Locked".into()
    } else {
        "Active".into()
    }
}

async fn users(State(state): State<AppState>, user: CurrentUser) -> Response {
    match state.identity.list_users(&user.caller).await {
        Ok(list) => render(
            StatusCode::OK,
            &UsersPage {
                chrome: chrome(&state, &user, "users"),
                users: list
                    .iter()
                    .map(|a| UserRow {
                        username: a.principal.username.to_string(),
                        name: format!("{} {}", a.rank, a.principal.display_name)
                            .trim()
                            .to_string(),
                        roles: a
                            .principal
                            .roles
                            .iter()
                            .map(|r| r.label())
                            .collect::<Vec<_>>()
                            .join(", "),
                        unit: a.principal.unit.to_string(),
                        clearance: a.principal.clearance.as_str().into(),
                        status: status_of(a),
                    })
                    .collect(),
            },
        ),
        Err(e) => error_page(&state, &user, e),
    }
}

#[allow(clippy::too_many_arguments)]
fn admin_form(
    state: &AppState,
    user: &CurrentUser,
    status: StatusCode,
    creating: bool,
    action: &str,
    data: &FormData,
    errors: Option<&ValidationErrors>,
    hidden: Vec<Hidden>,
) -> Response {
    let mut fields = forms::user_fields(creating);
    forms::fill(&mut fields, data);
    let errors = match errors {
        Some(e) => forms::attach_errors(&mut fields, e, &forms::user_map()),
        None => Vec::new(),
    };
    let heading = if creating {
        "Create a user"
    } else {
        "Change a user"
    };
    render(
        status,
        &FormPage {
            chrome: chrome(state, user, "users"),
            title: if errors.is_empty() {
                heading.to_string()
            } else {
                format!("Error: {heading}")
            },
            caption: "Users".into(),
            heading: heading.into(),
            action: action.into(),
            submit: if creating {
                "Create the user".into()
            } else {
                "Save the changes".into()
            },
            back: "/admin/users".into(),
            hidden,
            fields,
            errors,
            matches: Vec::new(),
        },
    )
}

async fn user_new(State(state): State<AppState>, user: CurrentUser) -> Response {
    if let Err(e) = state.identity.list_users(&user.caller).await {
        return error_page(&state, &user, e);
    }
    let mut data = FormData(Vec::new());
    data.set("clearance", "OFFICIAL");
    admin_form(
        &state,
        &user,
        StatusCode::OK,
        true,
        "/admin/users",
        &data,
        None,
        vec![],
    )
}

async fn user_create(State(state): State<AppState>, user: CurrentUser, data: FormData) -> Response {
    let input = forms::user_input(&data);
    match state
        .identity
        .create_user(&user.caller, &input, data.get("password"))
        .await
    {
        Ok(a) => Redirect::to(&format!("/admin/users/{}", a.principal.username)).into_response(),
        Err(AppError::Invalid(e)) => admin_form(
            &state,
            &user,
            StatusCode::UNPROCESSABLE_ENTITY,
            true,
            "/admin/users",
            &data,
            Some(&e),
            vec![],
        ),
        Err(e) => error_page(&state, &user, e),
    }
}

#[derive(Template)]
#[template(path = "user.html")]
struct UserPage {
    chrome: Chrome,
    name: String,
    username: String,
    details: Vec<(String, String)>,
    locked: bool,
    mfa_enrolled: bool,
}

async fn user_show(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(name): Path<String>,
) -> Response {
    match state.identity.get_user(&user.caller, &name).await {
        Ok(a) => {
            let mut details = principal_rows(&a.principal);
            details.push(("Rank".into(), a.rank.clone()));
            details.push(("Number".into(), a.number.clone()));
            details.push(("Status".into(), status_of(&a)));
            details.push((
                "Two-step verification".into(),
                if a.totp.as_ref().is_some_and(|t| t.confirmed) {
                    format!("On ({} recovery codes left)", a.recovery_codes.len())
                } else {
                    "Off".into()
                },
            ));
            details.push((
                "Last signed in".into(),
                a.last_sign_in_at
                    .map(format_instant)
                    .unwrap_or_else(|| "Never".into()),
            ));
            render(
                StatusCode::OK,
                &UserPage {
                    chrome: chrome(&state, &user, "users"),
                    name: format!("{} {}", a.rank, a.principal.display_name)
                        .trim()
                        .to_string(),
                    username: a.principal.username.to_string(),
                    details,
                    locked: a.locked_at.is_some(),
                    mfa_enrolled: a.totp.as_ref().is_some_and(|t| t.confirmed),
                },
            )
        }
        Err(e) => error_page(&state, &user, e),
    }
}

async fn user_edit(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(name): Path<String>,
) -> Response {
    match state.identity.get_user(&user.caller, &name).await {
        Ok(a) => admin_form(
            &state,
            &user,
            StatusCode::OK,
            false,
            &format!("/admin/users/{}", a.principal.username),
            &forms::user_data(&a),
            None,
            vec![Hidden {
                name: "base_version".into(),
                value: a.version.to_string(),
            }],
        ),
        Err(e) => error_page(&state, &user, e),
    }
}

async fn user_update(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(name): Path<String>,
    data: FormData,
) -> Response {
    let base: i64 = data.get("base_version").parse().unwrap_or(0);
    let input = forms::user_input(&data);
    let action = format!("/admin/users/{name}");
    match state
        .identity
        .update_user(&user.caller, &name, base, &input)
        .await
    {
        Ok(a) => Redirect::to(&format!("/admin/users/{}", a.principal.username)).into_response(),
        Err(AppError::Invalid(e)) => admin_form(
            &state,
            &user,
            StatusCode::UNPROCESSABLE_ENTITY,
            false,
            &action,
            &data,
            Some(&e),
            vec![Hidden {
                name: "base_version".into(),
                value: base.to_string(),
            }],
        ),
        Err(e) => error_page(&state, &user, e),
    }
}

async fn user_release(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(name): Path<String>,
    _csrf: FormData,
) -> Response {
    match state.identity.release_lock(&user.caller, &name).await {
        Ok(a) => Redirect::to(&format!("/admin/users/{}", a.principal.username)).into_response(),
        Err(e) => error_page(&state, &user, e),
    }
}

async fn user_password_form(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(name): Path<String>,
) -> Response {
    if let Err(e) = state.identity.get_user(&user.caller, &name).await {
        return error_page(&state, &user, e);
    }
    form_page(
        &state,
        &user,
        StatusCode::OK,
        "Set a new password",
        &name,
        &format!("/admin/users/{name}/password"),
        "Set the password",
        &format!("/admin/users/{name}"),
        forms::password_fields(),
        &FormData(Vec::new()),
        None,
    )
}

async fn user_password_set(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(name): Path<String>,
    data: FormData,
) -> Response {
    match state
        .identity
        .set_password(&user.caller, &name, data.get("password"))
        .await
    {
        Ok(()) => Redirect::to(&format!("/admin/users/{name}")).into_response(),
        Err(AppError::Invalid(e)) => form_page(
            &state,
            &user,
            StatusCode::UNPROCESSABLE_ENTITY,
            "Set a new password",
            &name,
            &format!("/admin/users/{name}/password"),
            "Set the password",
            &format!("/admin/users/{name}"),
            forms::password_fields(),
            &data,
            Some((&e, &Default::default())),
        ),
        Err(e) => error_page(&state, &user, e),
    }
}

/// HSTS for deployments behind TLS.
pub fn hsts(headers: &mut HeaderMap) {
    headers.insert(
        header::STRICT_TRANSPORT_SECURITY,
        HeaderValue::from_static("max-age=31536000; includeSubDomains"),
    );
}

// ------------------------------------------------------------------ single sign-on

const SSO_COOKIE: &str = "bluelamp_oidc";

fn sso_failed(state: &AppState, status: StatusCode, message: String, next: String) -> Response {
    let mut resp = sign_in_page(
        state,
        None,
        status,
        Some(message),
        String::new(),
        next,
        false,
    );
    resp.headers_mut().append(
        header::SET_COOKIE,
        cookie_header(state, SSO_COOKIE, "", true),
    );
    resp
}

/// Sends the browser to the force's identity provider (authorization code with PKCE).
async fn sso_start(State(state): State<AppState>, Query(q): Query<SignInQuery>) -> Response {
    let next = safe_next(&q.next);
    let Some(sso) = state.sso.clone() else {
        return (StatusCode::NOT_FOUND, "Single sign-on is not set up here.").into_response();
    };
    let begun = match sso.provider().await {
        Ok(p) => p.begin(&next),
        Err(e) => Err(e),
    };
    match begun {
        Ok((url, pending)) => {
            use base64::Engine;
            let value = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .encode(serde_json::to_vec(&pending).unwrap_or_default());
            redirect_with_cookies(&state, &url, &[(SSO_COOKIE, Some(&value))])
        }
        Err(e) => {
            tracing::error!(error = %e, "single sign-on could not start");
            sso_failed(
                &state,
                StatusCode::SERVICE_UNAVAILABLE,
                "Single sign-on is unavailable at the moment: the force's identity provider cannot be reached. Try again in a few minutes.".into(),
                next,
            )
        }
    }
}

#[derive(Deserialize)]
struct SsoCallback {
    #[serde(default)]
    code: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    error: String,
    #[serde(default)]
    error_description: String,
}

/// The identity provider sends the browser back here with a code.
async fn sso_callback(
    State(state): State<AppState>,
    headers: HeaderMap,
    parts: axum::http::request::Parts,
    Query(q): Query<SsoCallback>,
) -> Response {
    let context = request_context(&parts);
    let Some(sso) = state.sso.clone() else {
        return (StatusCode::NOT_FOUND, "Single sign-on is not set up here.").into_response();
    };
    let pending: Option<bluelamp_oidc::Pending> = cookie(&headers, SSO_COOKIE).and_then(|v| {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(v)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
    });
    let next = pending
        .as_ref()
        .map(|p| safe_next(&p.next))
        .unwrap_or_else(|| "/".into());
    let refuse = |why: String| {
        let identity = state.identity.clone();
        let context = context.clone();
        async move {
            if let Err(e) = identity
                .audit_sso_failure(&why, &context, "bluelamp-web")
                .await
            {
                tracing::error!(error = %e, "could not audit a failed single sign-on");
            }
        }
    };
    if !q.error.is_empty() {
        let why = format!(
            "the identity provider said {}: {}",
            q.error, q.error_description
        );
        refuse(why.clone()).await;
        return sso_failed(
            &state,
            StatusCode::UNAUTHORIZED,
            format!("You were not signed in: {why}."),
            next,
        );
    }
    let Some(pending) = pending else {
        refuse("no sign-in was in progress in this browser".into()).await;
        return sso_failed(
            &state,
            StatusCode::UNAUTHORIZED,
            "The sign-in had expired or was started in another browser. Try again.".into(),
            next,
        );
    };
    let claims = match sso.provider().await {
        Ok(p) => {
            p.finish(&q.code, &q.state, &pending, state.pole.clock().now())
                .await
        }
        Err(e) => Err(e),
    };
    let claims = match claims {
        Ok(c) => c,
        Err(e) => {
            refuse(e.to_string()).await;
            tracing::warn!(error = %e, "single sign-on refused");
            return sso_failed(
                &state,
                StatusCode::UNAUTHORIZED,
                format!("You were not signed in: {e}."),
                next,
            );
        }
    };
    match state
        .identity
        .sign_in_sso(
            &sso.config.issuer,
            &claims,
            &sso.mapping,
            &context,
            "bluelamp-web",
        )
        .await
    {
        Ok(signed_in) => redirect_with_cookies(
            &state,
            &next,
            &[
                (SESSION_COOKIE, Some(&signed_in.secret)),
                (SSO_COOKIE, None),
            ],
        ),
        Err(AppError::Forbidden(msg)) => sso_failed(&state, StatusCode::FORBIDDEN, msg, next),
        Err(e) => {
            tracing::error!(error = %e, "single sign-on failed");
            sso_failed(
                &state,
                StatusCode::SERVICE_UNAVAILABLE,
                "Sign-in is unavailable at the moment. Try again in a few minutes.".into(),
                next,
            )
        }
    }
}

// ------------------------------------------------------------------ passkey sign-in

#[derive(Deserialize)]
struct PasskeyForm {
    #[serde(default)]
    signin_token: String,
    #[serde(default)]
    next: String,
    #[serde(default)]
    credential: String,
}

fn signin_token_ok(headers: &HeaderMap, token: &str) -> bool {
    let expected = cookie(headers, SIGN_IN_COOKIE).unwrap_or_default();
    !expected.is_empty() && bluelamp_app::identity::constant_time_eq(&expected, token)
}

/// The options for `navigator.credentials.get()`, bound to this browser's sign-in token.
async fn passkey_options(
    State(state): State<AppState>,
    headers: HeaderMap,
    axum::Form(form): axum::Form<PasskeyForm>,
) -> Response {
    if !signin_token_ok(&headers, &form.signin_token) {
        return (StatusCode::FORBIDDEN, "The sign-in form had expired.").into_response();
    }
    let rp = super::passkeys::relying_party(&state, &headers);
    match bluelamp_webauthn::new_challenge() {
        Ok(c) => {
            let options = bluelamp_webauthn::request_options(&rp, &c);
            state
                .passkey_challenges
                .put(format!("signin:{}", form.signin_token), c);
            axum::Json(options).into_response()
        }
        Err(e) => (StatusCode::SERVICE_UNAVAILABLE, e.to_string()).into_response(),
    }
}

async fn passkey_sign_in(
    State(state): State<AppState>,
    headers: HeaderMap,
    parts: axum::http::request::Parts,
    axum::Form(form): axum::Form<PasskeyForm>,
) -> Response {
    let next = safe_next(&form.next);
    let expected = cookie(&headers, SIGN_IN_COOKIE);
    let again = |status, msg: &str| {
        sign_in_page(
            &state,
            expected.clone(),
            status,
            Some(msg.to_string()),
            String::new(),
            next.clone(),
            false,
        )
    };
    if !signin_token_ok(&headers, &form.signin_token) {
        return again(
            StatusCode::FORBIDDEN,
            "The sign-in form had expired. Try again.",
        );
    }
    let Some(challenge) = state
        .passkey_challenges
        .take(&format!("signin:{}", form.signin_token))
    else {
        return again(
            StatusCode::UNAUTHORIZED,
            "The passkey request had expired. Try again.",
        );
    };
    let rp = super::passkeys::relying_party(&state, &headers);
    let context = request_context(&parts);
    match state
        .identity
        .sign_in_passkey(&rp, &challenge, &form.credential, &context, "bluelamp-web")
        .await
    {
        Ok(signed_in) => redirect_with_cookies(
            &state,
            &next,
            &[
                (SESSION_COOKIE, Some(&signed_in.secret)),
                (SIGN_IN_COOKIE, None),
            ],
        ),
        Err(AppError::Forbidden(msg)) => again(StatusCode::UNAUTHORIZED, &msg),
        Err(e) => {
            tracing::error!(error = %e, "passkey sign-in failed");
            again(
                StatusCode::SERVICE_UNAVAILABLE,
                "Sign-in is unavailable at the moment. Try again in a few minutes.",
            )
        }
    }
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/sign-in/passkey/options", post(passkey_options))
        .route("/sign-in/passkey", post(passkey_sign_in))
        .route("/sign-in/oidc", get(sso_start))
        .route("/sign-in/oidc/callback", get(sso_callback))
        .route("/sign-in", get(sign_in_form).post(sign_in))
        .route("/sign-out", post(sign_out))
        .route("/sign-in/code", get(code_form).post(code_submit))
        .route("/account/mfa", get(mfa_form).post(mfa_confirm))
        .route("/admin/users/{name}/reset-mfa", post(user_reset_mfa))
        .route("/account", get(account))
        .route("/account/tokens/new", get(token_form))
        .route("/account/tokens", post(token_create))
        .route(
            "/account/password",
            get(password_form).post(password_change),
        )
        .route("/account/sign-out-everywhere", post(sign_out_everywhere))
        .route("/admin/users", get(users).post(user_create))
        .route("/admin/users/new", get(user_new))
        .route("/admin/users/{name}", get(user_show).post(user_update))
        .route("/admin/users/{name}/edit", get(user_edit))
        .route("/admin/users/{name}/release", post(user_release))
        .route(
            "/admin/users/{name}/password",
            get(user_password_form).post(user_password_set),
        )
}

//! Security: sign-in, sessions, CSRF, tokens, need to know and the audit of every refusal.
//! Each test tries the wrong thing (the wrong user, clearance, compartment, session, token)
//! and shows the refusal and its audit record.

use crate::helpers::*;
use bluelamp_domain::{AuditAction, AuditOutcome, Classification, FixedClock};
use bluelamp_server::SecurityOptions;
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use std::sync::Arc;

async fn last_audit(app: &TestApp) -> bluelamp_domain::AuditEntry {
    app.store
        .audit_entries(0, 1_000_000)
        .await
        .unwrap()
        .pop()
        .unwrap()
        .entry
}

fn cookie_value(resp: &reqwest::Response, name: &str) -> Option<String> {
    resp.headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(|v| {
            v[name.len() + 1..]
                .split(';')
                .next()
                .unwrap_or("")
                .to_string()
        })
}

/// Signs in through the form as a browser would; returns the session cookie or the page.
async fn sign_in_form(
    app: &TestApp,
    username: &str,
    password: &str,
) -> Result<String, (StatusCode, String)> {
    let form = app.anonymous.get(app.url("/sign-in")).send().await.unwrap();
    let signin_cookie = cookie_value(&form, "bluelamp_signin").unwrap();
    let html = form.text().await.unwrap();
    assert!(
        html.contains("authorised use only"),
        "the system-use banner is shown"
    );
    let token = html
        .split("name=\"signin_token\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let resp = app
        .anonymous
        .post(app.url("/sign-in"))
        .header("cookie", format!("bluelamp_signin={signin_cookie}"))
        .form(&[
            ("username", username),
            ("password", password),
            ("signin_token", &token),
            ("next", "/persons"),
        ])
        .send()
        .await
        .unwrap();
    match cookie_value(&resp, "bluelamp_session") {
        Some(s) if resp.status() == StatusCode::SEE_OTHER => {
            assert_eq!(
                resp.headers()["location"],
                "/persons",
                "back to where the user was going"
            );
            Ok(s)
        }
        _ => Err((resp.status(), resp.text().await.unwrap())),
    }
}

fn cookie_client(secret: &str) -> Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::COOKIE,
        format!("bluelamp_session={secret}").parse().unwrap(),
    );
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .default_headers(headers)
        .build()
        .unwrap()
}

#[tokio::test]
async fn without_a_session_pages_go_to_sign_in_and_the_api_answers_401() {
    let app = spawn_app().await;
    let page = app
        .anonymous
        .get(app.url("/persons?page=2"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        page.headers()["location"],
        "/sign-in?next=%2Fpersons%3Fpage%3D2"
    );
    let api = app
        .anonymous
        .get(app.url("/api/v1/persons"))
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), StatusCode::UNAUTHORIZED);
    assert!(
        api.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Bearer")
    );
    let forged = app
        .anonymous
        .get(app.url("/api/v1/persons"))
        .bearer_auth("blp_not-a-real-token")
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::UNAUTHORIZED);
    // A browser session cookie does not authenticate the API (no cross-site API calls).
    let cookie_only = app
        .anonymous
        .get(app.url("/api/v1/persons"))
        .header("cookie", "bluelamp_session=whatever")
        .send()
        .await
        .unwrap();
    assert_eq!(cookie_only.status(), StatusCode::UNAUTHORIZED);
    // Health checks stay open for load balancers.
    assert_eq!(
        app.anonymous
            .get(app.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn sign_in_works_and_refusals_look_alike_for_unknown_users_and_wrong_passwords() {
    let app = spawn_app().await;
    app.sign_in_as(&user("pc.known", &["officer"], "RESPONSE", "OFFICIAL", &[]))
        .await;
    let secret = sign_in_form(&app, "pc.known", PASSWORD).await.unwrap();
    let home = cookie_client(&secret)
        .get(app.url("/"))
        .send()
        .await
        .unwrap();
    assert_eq!(home.status(), StatusCode::OK);
    assert!(home.text().await.unwrap().contains("Test pc.known"));
    let entry = last_audit(&app).await;
    assert_eq!(
        (entry.action, entry.outcome),
        (AuditAction::SignIn, AuditOutcome::Success)
    );
    assert!(
        entry.context.session_id.is_some(),
        "the audit names the session"
    );

    let (s1, wrong) = sign_in_form(&app, "pc.known", "not-the-password")
        .await
        .unwrap_err();
    let (s2, unknown) = sign_in_form(&app, "pc.nobody", "not-the-password")
        .await
        .unwrap_err();
    assert_eq!(
        (s1, s2),
        (StatusCode::UNAUTHORIZED, StatusCode::UNAUTHORIZED)
    );
    let message = |html: &str| {
        html.split("error-summary__list")
            .nth(1)
            .unwrap()
            .split("</ul>")
            .next()
            .unwrap()
            .to_string()
    };
    assert_eq!(message(&wrong), message(&unknown), "no user enumeration");
    let entry = last_audit(&app).await;
    assert_eq!(
        (entry.action, entry.outcome),
        (AuditAction::SignIn, AuditOutcome::Failed)
    );
    assert_eq!(entry.actor.user_id, "pc.nobody");
}

#[tokio::test]
async fn five_failures_lock_the_account_until_an_administrator_releases_it() {
    let app = spawn_app().await;
    app.sign_in_as(&user(
        "pc.target",
        &["officer"],
        "RESPONSE",
        "OFFICIAL",
        &[],
    ))
    .await;
    for _ in 0..5 {
        assert!(
            sign_in_form(&app, "pc.target", "guess-guess-guess")
                .await
                .is_err()
        );
    }
    let entry = last_audit(&app).await;
    assert_eq!(entry.details["locked"], json!(true));
    assert!(
        sign_in_form(&app, "pc.target", PASSWORD).await.is_err(),
        "locked even with the right password"
    );
    assert_eq!(last_audit(&app).await.outcome, AuditOutcome::Denied);

    // Someone who is not an administrator cannot release it.
    let officer_release = app
        .client
        .post(app.url("/admin/users/pc.target/release"))
        .form(&[("csrf_token", app.csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(officer_release.status(), StatusCode::FORBIDDEN);
    let refusal = last_audit(&app).await;
    assert_eq!(
        (refusal.action, refusal.outcome),
        (AuditAction::ManageUser, AuditOutcome::Denied)
    );

    let admin = app
        .sign_in_as(&user("it.admin", &["administrator"], "IT", "OFFICIAL", &[]))
        .await;
    let released = admin
        .client
        .post(app.url("/admin/users/pc.target/release"))
        .form(&[("csrf_token", admin.csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(released.status(), StatusCode::SEE_OTHER);
    assert!(sign_in_form(&app, "pc.target", PASSWORD).await.is_ok());
}

#[tokio::test]
async fn a_form_without_the_session_csrf_token_is_refused_and_writes_nothing() {
    let app = spawn_app().await;
    let before = app.record_count().await;
    for token in ["", "0123456789abcdef0123456789abcdef"] {
        let resp = app
            .client
            .post(app.url("/persons"))
            .form(&[
                ("family_name", "Forged"),
                ("given_names", "Form"),
                ("csrf_token", token),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::FORBIDDEN);
        assert!(resp.text().await.unwrap().contains("This form has expired"));
    }
    // The token of another user's session does not work either.
    let other = app
        .sign_in_as(&user("pc.other", &["officer"], "RESPONSE", "OFFICIAL", &[]))
        .await;
    let resp = app
        .client
        .post(app.url("/persons"))
        .form(&[
            ("family_name", "Forged"),
            ("given_names", "Form"),
            ("csrf_token", other.csrf.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.record_count().await, before);
}

#[tokio::test]
async fn sign_out_ends_the_session_and_sign_out_everywhere_ends_the_tokens_too() {
    let app = spawn_app().await;
    let me = app
        .sign_in_as(&user(
            "pc.leaving",
            &["officer"],
            "RESPONSE",
            "OFFICIAL",
            &[],
        ))
        .await;
    let out = me
        .client
        .post(app.url("/sign-out"))
        .form(&[("csrf_token", me.csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    assert!(
        out.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    let after = me.client.get(app.url("/")).send().await.unwrap();
    assert_eq!(
        after.status(),
        StatusCode::SEE_OTHER,
        "the old cookie is dead"
    );
    assert_eq!(
        me.client
            .get(app.url("/api/v1/persons"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK,
        "the token lives on"
    );

    let again = app
        .sign_in_as(&user(
            "pc.leaving",
            &["officer"],
            "RESPONSE",
            "OFFICIAL",
            &[],
        ))
        .await;
    let everywhere = again
        .client
        .post(app.url("/account/sign-out-everywhere"))
        .form(&[("csrf_token", again.csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(everywhere.status(), StatusCode::SEE_OTHER);
    for c in [&me.client, &again.client] {
        assert_eq!(
            c.get(app.url("/api/v1/persons"))
                .send()
                .await
                .unwrap()
                .status(),
            StatusCode::UNAUTHORIZED
        );
    }
}

#[tokio::test]
async fn an_idle_session_expires_and_the_expiry_is_audited() {
    let clock = Arc::new(FixedClock::new("2026-11-22T09:00:00Z".parse().unwrap()));
    let app = spawn_app_at(
        SecurityOptions {
            accredited: Classification::Secret,
            ..SecurityOptions::default()
        },
        clock.clone(),
    )
    .await;
    assert_eq!(
        app.client.get(app.url("/")).send().await.unwrap().status(),
        StatusCode::OK
    );
    clock.advance(jiff::SignedDuration::from_mins(29));
    assert_eq!(
        app.client.get(app.url("/")).send().await.unwrap().status(),
        StatusCode::OK,
        "29 minutes idle is fine"
    );
    clock.advance(jiff::SignedDuration::from_mins(31));
    let resp = app.client.get(app.url("/")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(resp.headers()["location"], "/sign-in?next=%2F");
    let expiry = app
        .store
        .audit_entries(0, 1_000_000)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.entry)
        .find(|e| e.action == AuditAction::SessionExpired)
        .unwrap();
    assert_eq!(expiry.details["reason"], "idle timeout");
    // 12 hours after sign-in even an active API token holder's browser session is over;
    // the token (1 day) still works until it expires.
    clock.advance(jiff::SignedDuration::from_hours(25));
    assert_eq!(
        app.client
            .get(app.url("/api/v1/persons"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn disabling_a_user_ends_their_sessions_at_once() {
    let app = spawn_app().await;
    let victim = app
        .sign_in_as(&user(
            "pc.disabled",
            &["officer"],
            "RESPONSE",
            "OFFICIAL",
            &[],
        ))
        .await;
    let admin = app
        .sign_in_as(&user("it.admin", &["administrator"], "IT", "OFFICIAL", &[]))
        .await;
    let edit = admin
        .client
        .get(app.url("/admin/users/pc.disabled/edit"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let version = edit
        .split("name=\"base_version\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let resp = admin
        .client
        .post(app.url("/admin/users/pc.disabled"))
        .form(&[
            ("csrf_token", admin.csrf.as_str()),
            ("base_version", version.as_str()),
            ("display_name", "Test pc.disabled"),
            ("rank", "PC"),
            ("roles", "officer"),
            ("unit", "RESPONSE"),
            ("clearance", "OFFICIAL"),
            ("disabled", "yes"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.status(),
        StatusCode::SEE_OTHER,
        "{}",
        resp.text().await.unwrap()
    );
    assert_eq!(
        victim
            .client
            .get(app.url("/"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        victim
            .client
            .get(app.url("/api/v1/persons"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::UNAUTHORIZED
    );
    let audit = last_audit(&app).await;
    assert_eq!(audit.action, AuditAction::ManageUser);
    assert_eq!(audit.details["after"]["disabled"], json!(true));
}

#[tokio::test]
async fn a_read_only_token_cannot_write() {
    let app = spawn_app().await;
    let officer = app
        .sign_in_as(&user(
            "pc.reader",
            &["officer"],
            "RESPONSE",
            "OFFICIAL",
            &[],
        ))
        .await;
    let signed = app
        .identity
        .sign_in("pc.reader", PASSWORD, &Default::default(), "tests")
        .await
        .unwrap();
    let caller = bluelamp_app::Caller::user(signed.principal, Default::default(), "tests");
    let (token, _) = app
        .identity
        .create_token(&caller, "read only", false, 1)
        .await
        .unwrap();
    let c = Client::new();
    assert_eq!(
        c.get(app.url("/api/v1/persons"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    let w = c
        .post(app.url("/api/v1/persons"))
        .bearer_auth(&token)
        .json(&json!({"family_name": "X", "given_names": "Y"}))
        .send()
        .await
        .unwrap();
    assert_eq!(w.status(), StatusCode::FORBIDDEN);
    assert!(!officer.token.is_empty());
}

/// Records at every marking, created by a cleared user; then each viewer sees only what
/// their clearance, compartments and team allow, through every kind of endpoint.
#[tokio::test]
async fn need_to_know_holds_on_every_endpoint_and_every_refusal_is_audited() {
    let app = spawn_app().await;
    let secret = app
        .sign_in_as(&user(
            "dci.secret",
            &["investigator", "supervisor"],
            "MIT",
            "SECRET",
            &["OP-KESTREL", "PSD"],
        ))
        .await;
    let mk = |family: &str, marking: Value| json!({"family_name": family, "given_names": "Subject", "marking": marking});
    let create = |body: Value| {
        let c = secret.client.clone();
        let url = app.url("/api/v1/persons");
        async move {
            let r = c.post(url).json(&body).send().await.unwrap();
            assert_eq!(r.status(), StatusCode::CREATED);
            r.json::<Value>().await.unwrap()["id"]
                .as_str()
                .unwrap()
                .to_string()
        }
    };
    let open = create(mk("Zopen", json!({"classification": "OFFICIAL"}))).await;
    let sensitive = create(mk(
        "Zsensitive",
        json!({"classification": "OFFICIAL-SENSITIVE"}),
    ))
    .await;
    let secret_rec = create(mk("Zsecret", json!({"classification": "SECRET"}))).await;
    let kestrel = create(mk(
        "Zkestrel",
        json!({"classification": "OFFICIAL", "compartments": ["OP-KESTREL"]}),
    ))
    .await;
    let restricted = create(mk(
        "Zrestricted",
        json!({"classification": "OFFICIAL", "restriction": {"teams": ["MIT"]}}),
    ))
    .await;
    // A link from the open record to the secret one must not show the secret end.
    let link = secret
        .client
        .post(app.url("/api/v1/links"))
        .json(&json!({"from_id": open, "to_id": secret_rec, "role": "associate_of"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        link.status(),
        StatusCode::CREATED,
        "{}",
        link.text().await.unwrap()
    );

    struct Viewer {
        name: &'static str,
        roles: &'static [&'static str],
        unit: &'static str,
        clearance: &'static str,
        comps: &'static [&'static str],
        sees: Vec<&'static str>,
    }
    let viewers = [
        Viewer {
            name: "pcso.official",
            roles: &["officer"],
            unit: "NEIGHBOURHOOD",
            clearance: "OFFICIAL",
            comps: &[],
            sees: vec!["Zopen"],
        },
        Viewer {
            name: "pc.sensitive",
            roles: &["officer"],
            unit: "RESPONSE",
            clearance: "OFFICIAL-SENSITIVE",
            comps: &[],
            sees: vec!["Zopen", "Zsensitive"],
        },
        Viewer {
            name: "dc.kestrel",
            roles: &["investigator"],
            unit: "CID",
            clearance: "OFFICIAL-SENSITIVE",
            comps: &["OP-KESTREL"],
            sees: vec!["Zkestrel", "Zopen", "Zsensitive"],
        },
        Viewer {
            name: "dc.mit",
            roles: &["investigator"],
            unit: "MIT",
            clearance: "SECRET",
            comps: &[],
            sees: vec!["Zopen", "Zrestricted", "Zsecret", "Zsensitive"],
        },
        Viewer {
            name: "it.admin2",
            roles: &["administrator"],
            unit: "IT",
            clearance: "SECRET",
            comps: &["OP-KESTREL"],
            sees: vec![],
        },
    ];
    let ids = [
        ("Zopen", &open),
        ("Zsensitive", &sensitive),
        ("Zsecret", &secret_rec),
        ("Zkestrel", &kestrel),
        ("Zrestricted", &restricted),
    ];
    for v in viewers {
        let s = app
            .sign_in_as(&user(v.name, v.roles, v.unit, v.clearance, v.comps))
            .await;
        // API list: only the visible ones, and the total counts only them.
        let list = s
            .client
            .get(app.url("/api/v1/persons?prefix=z"))
            .send()
            .await
            .unwrap();
        if v.sees.is_empty() {
            assert_eq!(
                list.status(),
                StatusCode::FORBIDDEN,
                "{}: a role without record access",
                v.name
            );
            let audit = last_audit(&app).await;
            assert_eq!(
                (audit.action, audit.outcome),
                (AuditAction::List, AuditOutcome::Denied)
            );
        } else {
            let list: Value = list.json().await.unwrap();
            let mut names: Vec<String> = list["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| {
                    i["summary"]
                        .as_str()
                        .unwrap()
                        .split(',')
                        .next()
                        .unwrap()
                        .to_lowercase()
                })
                .collect();
            names.sort();
            let want: Vec<String> = v.sees.iter().map(|s| s.to_lowercase()).collect();
            assert_eq!(names, want, "{} list", v.name);
            assert_eq!(list["total"], json!(v.sees.len()), "{} total", v.name);
            // The list page says the same.
            let page = s
                .client
                .get(app.url("/persons?prefix=z"))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            for (name, _) in ids {
                assert_eq!(
                    page.contains(&format!("{}, Subject", name.to_uppercase())),
                    v.sees.contains(&name),
                    "{} list page, {name}",
                    v.name
                );
            }
        }
        for (name, id) in ids {
            let visible = v.sees.contains(&name);
            let before = app.audit_count_by(v.name).await;
            for path in [
                format!("/api/v1/persons/{id}"),
                format!("/api/v1/records/{id}/history"),
                format!("/api/v1/records/{id}/links"),
                format!("/persons/{id}"),
                format!("/records/{id}/history"),
            ] {
                let r = s.client.get(app.url(&path)).send().await.unwrap();
                let status = r.status();
                let body = r.text().await.unwrap();
                if visible {
                    assert_eq!(status, StatusCode::OK, "{} {path}", v.name);
                } else {
                    assert_eq!(
                        status,
                        StatusCode::NOT_FOUND,
                        "{} {path}: hidden looks like missing",
                        v.name
                    );
                    assert!(
                        !body.to_lowercase().contains(&name.to_lowercase()),
                        "{} {path}: nothing of the record leaks",
                        v.name
                    );
                }
            }
            // A person page the user may see also runs (and audits) its search for
            // possible duplicates.
            assert_eq!(
                app.audit_count_by(v.name).await,
                before + 5 + usize::from(visible),
                "each attempt is audited"
            );
            if !visible {
                let audit = app
                    .store
                    .audit_entries(0, 1_000_000)
                    .await
                    .unwrap()
                    .into_iter()
                    .rev()
                    .find(|r| r.entry.actor.user_id == v.name)
                    .unwrap()
                    .entry;
                assert_eq!(audit.outcome, AuditOutcome::Denied, "{} {name}", v.name);
                assert!(
                    audit.details["decision"]["policies"]
                        .as_array()
                        .is_some_and(|p| !p.is_empty())
                        || v.name == "it.admin2"
                );
            }
        }
        // The open record's links never show the SECRET record at the other end.
        if v.sees.contains(&"Zopen") {
            let links: Value = s
                .client
                .get(app.url(&format!("/api/v1/records/{open}/links")))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            let n = links["items"]
                .as_array()
                .map(|a| a.len())
                .unwrap_or_else(|| links.as_array().map(|a| a.len()).unwrap_or(0));
            assert_eq!(
                n,
                usize::from(v.sees.contains(&"Zsecret")),
                "{} links of the open record: {links}",
                v.name
            );
        }
    }
}

#[tokio::test]
async fn writes_above_the_users_clearance_or_the_deployments_accreditation_are_refused() {
    let app = spawn_app_with(SecurityOptions::default()).await; // accredited OFFICIAL-SENSITIVE
    let before = app.record_count().await;
    let r = app.post_json("/api/v1/persons", &json!({"family_name": "Covert", "given_names": "X", "marking": {"classification": "SECRET"}})).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let p: Value = r.json().await.unwrap();
    assert!(
        p["detail"]
            .as_str()
            .unwrap()
            .contains("accreditation.above-deployment-tier"),
        "{p}"
    );
    let low = app
        .sign_in_as(&user(
            "pcso.low",
            &["officer"],
            "NEIGHBOURHOOD",
            "OFFICIAL",
            &[],
        ))
        .await;
    let r = low.client.post(app.url("/api/v1/persons")).json(&json!({"family_name": "Sensitive", "given_names": "X", "marking": {"classification": "OFFICIAL-SENSITIVE"}})).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = low.client.post(app.url("/api/v1/persons")).json(&json!({"family_name": "Kestrel", "given_names": "X", "marking": {"classification": "OFFICIAL", "compartments": ["OP-KESTREL"]}})).send().await.unwrap();
    assert_eq!(
        r.status(),
        StatusCode::FORBIDDEN,
        "a compartment the user does not hold"
    );
    let dispatcher = app
        .sign_in_as(&user(
            "disp.one",
            &["dispatcher"],
            "CONTROL",
            "OFFICIAL",
            &[],
        ))
        .await;
    let r = dispatcher
        .client
        .post(app.url("/api/v1/persons"))
        .json(&json!({"family_name": "Any", "given_names": "X"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::FORBIDDEN,
        "dispatchers read but do not record"
    );
    assert_eq!(app.record_count().await, before, "nothing was written");
    let audit = last_audit(&app).await;
    assert_eq!(
        (audit.action, audit.outcome),
        (AuditAction::Create, AuditOutcome::Denied)
    );
    assert_eq!(audit.actor.user_id, "disp.one");
}

#[tokio::test]
async fn administrators_manage_users_through_the_pages() {
    let app = spawn_app().await;
    let admin = app
        .sign_in_as(&user("it.boss", &["administrator"], "IT", "OFFICIAL", &[]))
        .await;
    let list = admin
        .client
        .get(app.url("/admin/users"))
        .send()
        .await
        .unwrap();
    assert_eq!(list.status(), StatusCode::OK);
    let bad = admin
        .client
        .post(app.url("/admin/users"))
        .form(&[
            ("csrf_token", admin.csrf.as_str()),
            ("username", "x y"),
            ("display_name", ""),
            ("unit", "CID"),
            ("clearance", "SECRET"),
            ("password", "password1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = bad.text().await.unwrap();
    for msg in [
        "A user name may use only",
        "Enter the name to show",
        "Choose at least one role",
    ] {
        assert!(html.contains(msg), "{msg}");
    }
    let ok = admin
        .client
        .post(app.url("/admin/users"))
        .form(&[
            ("csrf_token", admin.csrf.as_str()),
            ("username", "dc.new"),
            ("display_name", "New Detective"),
            ("rank", "DC"),
            ("roles", "investigator"),
            ("unit", "CID"),
            ("clearance", "OFFICIAL-SENSITIVE"),
            ("compartments", "op-kestrel"),
            ("password", "a-long-unusual-passphrase"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::SEE_OTHER);
    assert!(
        sign_in_form(&app, "dc.new", "a-long-unusual-passphrase")
            .await
            .is_ok()
    );
    let officer_sees = app
        .client
        .get(app.url("/admin/users"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        officer_sees.status(),
        StatusCode::FORBIDDEN,
        "officers do not manage users"
    );
}

#[tokio::test]
async fn administrators_manage_users_through_the_api_and_others_are_refused() {
    let app = spawn_app().await;
    let admin = app
        .sign_in_as(&user("it.api", &["administrator"], "IT", "OFFICIAL", &[]))
        .await;
    let me: Value = admin
        .client
        .get(app.url("/api/v1/me"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["username"], "it.api");
    let details = json!({"display_name": "Api Made", "rank": "DC", "roles": ["investigator"], "unit": "CID", "clearance": "OFFICIAL-SENSITIVE", "compartments": ["op-heron"]});
    let created = admin
        .client
        .post(app.url("/api/v1/users"))
        .json(&json!({"username": "dc.api", "password": "an-uncommon-passphrase", "details": details}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let created: Value = created.json().await.unwrap();
    assert_eq!(created["compartments"], json!(["OP-HERON"]));
    assert!(
        created.get("password_hash").is_none(),
        "the hash never leaves the server"
    );
    let weak = admin
        .client
        .post(app.url("/api/v1/users"))
        .json(&json!({"username": "dc.weak", "password": "password1", "details": details}))
        .send()
        .await
        .unwrap();
    assert_eq!(weak.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem_fields(&weak.json().await.unwrap()), ["password"]);
    let mut changed = details.clone();
    changed["clearance"] = json!("SECRET");
    let updated: Value = admin
        .client
        .put(app.url("/api/v1/users/dc.api"))
        .json(&json!({"base_version": 1, "details": changed}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (updated["clearance"].as_str(), updated["version"].as_i64()),
        (Some("SECRET"), Some(2))
    );
    let stale = admin
        .client
        .put(app.url("/api/v1/users/dc.api"))
        .json(&json!({"base_version": 1, "details": details}))
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // An officer's token may not list or change users.
    assert_eq!(
        app.client
            .get(app.url("/api/v1/users"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::FORBIDDEN
    );
    let audit = last_audit(&app).await;
    assert_eq!(
        (audit.action, audit.outcome),
        (AuditAction::ManageUser, AuditOutcome::Denied)
    );
}

/// The code an authenticator app would show now for a base32 secret.
fn totp_now(secret_b32: &str) -> String {
    let secret = bluelamp_app::totp::base32_decode(secret_b32).unwrap();
    bluelamp_app::totp::code(
        &secret,
        bluelamp_app::totp::step_of(
            bluelamp_domain::Clock::now(&bluelamp_domain::SystemClock).as_second(),
        ),
    )
}

async fn form_post(c: &Client, url: String, pairs: &[(&str, &str)]) -> reqwest::Response {
    c.post(url).form(pairs).send().await.unwrap()
}

#[tokio::test]
async fn two_step_verification_set_up_then_required_at_sign_in_with_codes_used_once() {
    let app = spawn_app().await;
    let me = app
        .sign_in_as(&user("pc.mfa", &["officer"], "RESPONSE", "OFFICIAL", &[]))
        .await;
    // Set up: the page shows a QR code and the key; a wrong code is refused.
    let page = me
        .client
        .get(app.url("/account/mfa"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("<svg"), "a QR code");
    let secret = page
        .split("<code class=\"token\">")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .to_string();
    let wrong = form_post(
        &me.client,
        app.url("/account/mfa"),
        &[("csrf_token", &me.csrf), ("code", "000000")],
    )
    .await;
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let done = form_post(
        &me.client,
        app.url("/account/mfa"),
        &[("csrf_token", &me.csrf), ("code", &totp_now(&secret))],
    )
    .await;
    assert_eq!(done.status(), StatusCode::OK);
    // The seed is kept sealed: the database holds no trace of the key the page showed.
    let name = bluelamp_domain::Username::parse("pc.mfa").unwrap();
    let stored = app.store.user(&name).await.unwrap().unwrap().totp.unwrap();
    assert!(stored.secret.starts_with("sealed:v1:"), "{}", stored.secret);
    assert!(!stored.secret.contains(&secret));
    let raw = bluelamp_app::totp::base32_decode(&secret).unwrap();
    let db = std::fs::read(&app.db_path).unwrap_or_default();
    let wal = std::fs::read(app.db_path.with_extension("db-wal")).unwrap_or_default();
    for bytes in [&db, &wal] {
        assert!(!bytes.windows(secret.len()).any(|w| w == secret.as_bytes()));
        assert!(!bytes.windows(raw.len()).any(|w| w == raw.as_slice()));
    }
    let html = done.text().await.unwrap();
    let recovery: Vec<String> = html
        .split("<li><code>")
        .skip(1)
        .map(|s| s.split('<').next().unwrap().to_string())
        .collect();
    assert_eq!(recovery.len(), 10);

    // Signing in now stops after the password...
    let secret_cookie = sign_in_form_expecting_code(&app, "pc.mfa").await;
    let pending = cookie_client(&secret_cookie);
    let home = pending.get(app.url("/persons")).send().await.unwrap();
    assert_eq!(home.status(), StatusCode::SEE_OTHER);
    assert!(
        home.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/sign-in/code"),
        "nothing works before the code"
    );
    let csrf = code_page_csrf(&app, &pending).await;
    // ...a wrong code is refused and audited, and the code already used at set-up is spent...
    let bad = form_post(
        &pending,
        app.url("/sign-in/code"),
        &[("csrf_token", &csrf), ("code", "123456"), ("next", "/")],
    )
    .await;
    assert_eq!(bad.status(), StatusCode::UNAUTHORIZED);
    let audit = last_audit(&app).await;
    assert_eq!(
        (audit.action, audit.outcome),
        (AuditAction::SignIn, AuditOutcome::Failed)
    );
    assert_eq!(audit.details["stage"], "mfa");
    // ...and a recovery code works once, giving a new session.
    let ok = form_post(
        &pending,
        app.url("/sign-in/code"),
        &[
            ("csrf_token", &csrf),
            ("code", &recovery[0].to_uppercase()),
            ("next", "/persons"),
        ],
    )
    .await;
    assert_eq!(ok.status(), StatusCode::SEE_OTHER);
    let full = cookie_value(&ok, "bluelamp_session").unwrap();
    assert_ne!(full, secret_cookie, "a new secret after the second factor");
    assert_eq!(last_audit(&app).await.details["method"], "recovery_code");
    assert_eq!(
        cookie_client(&full)
            .get(app.url("/persons"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    let again = sign_in_form_expecting_code(&app, "pc.mfa").await;
    let c = cookie_client(&again);
    let csrf = code_page_csrf(&app, &c).await;
    let reused = form_post(
        &c,
        app.url("/sign-in/code"),
        &[("csrf_token", &csrf), ("code", &recovery[0]), ("next", "/")],
    )
    .await;
    assert_eq!(
        reused.status(),
        StatusCode::UNAUTHORIZED,
        "a recovery code works once"
    );
    // An administrator can reset it; the user page says whether it is on.
    let admin = app
        .sign_in_as(&user("it.mfa", &["administrator"], "IT", "OFFICIAL", &[]))
        .await;
    let shown = admin
        .client
        .get(app.url("/admin/users/pc.mfa"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(shown.contains("On (9 recovery codes left)"), "{shown}");
    let reset = form_post(
        &admin.client,
        app.url("/admin/users/pc.mfa/reset-mfa"),
        &[("csrf_token", &admin.csrf)],
    )
    .await;
    assert_eq!(reset.status(), StatusCode::SEE_OTHER);
    assert!(
        sign_in_form(&app, "pc.mfa", PASSWORD).await.is_ok(),
        "password alone again after a reset"
    );
}

/// A seed stored in the clear by an earlier release is sealed (audited) and keeps working:
/// the user signs in with the same app as before.
#[tokio::test]
async fn an_authenticator_seed_stored_in_the_clear_is_sealed_and_still_works() {
    let app = spawn_app().await;
    app.sign_in_as(&user(
        "pc.legacy",
        &["officer"],
        "RESPONSE",
        "OFFICIAL",
        &[],
    ))
    .await;
    let name = bluelamp_domain::Username::parse("pc.legacy").unwrap();
    let secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
    store_totp_seed(&app, &name, secret).await;

    let first = app.identity.seal_stored_totp().await.unwrap();
    assert_eq!((first.sealed, first.opened), (1, 0));
    let again = app.identity.seal_stored_totp().await.unwrap();
    assert_eq!(
        (again.sealed, again.opened),
        (0, 1),
        "sealed once, and opens"
    );
    let stored = app.store.user(&name).await.unwrap().unwrap().totp.unwrap();
    assert!(stored.secret.starts_with("sealed:v1:"));
    assert!(!stored.secret.contains(secret));
    let audit = last_audit(&app).await;
    assert_eq!(audit.action, AuditAction::ManageUser);
    assert_eq!(audit.details["operation"], "mfa_secret_sealed");
    assert_eq!(audit.details["user"], "pc.legacy");

    // Signing in with the app's code still works.
    let ok = sign_in_with_app_code(&app, "pc.legacy", secret).await;
    assert_eq!(ok.status(), StatusCode::SEE_OTHER);
    assert_eq!(last_audit(&app).await.details["method"], "totp");

    // A seed this server's key does not open (sealed under another key, or planted in the
    // clear) is reported at start and matches no code: a refusal, not a failure.
    let raw = bluelamp_app::totp::base32_decode(secret).unwrap();
    for planted in [
        bluelamp_app::secrets::SecretBox::ephemeral()
            .unwrap()
            .seal("totp:pc.legacy", &raw)
            .unwrap(),
        secret.to_string(),
    ] {
        store_totp_seed(&app, &name, &planted).await;
        if planted.starts_with("sealed:") {
            let report = app.identity.seal_stored_totp().await.unwrap();
            assert_eq!(report.unopenable, ["pc.legacy"]);
            assert!(
                report.wrong_key(),
                "no sealed seed opens: the start is refused"
            );
            // A server started with a key that opens none of the sealed seeds stops.
            let refused = bluelamp_server::start_with(
                tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap(),
                app.store.clone(),
                bluelamp_server::system_clock(),
                SecurityOptions {
                    secrets_key: Some(bluelamp_app::secrets::SecretsKey::generate().unwrap()),
                    ..SecurityOptions::default()
                },
                Arc::new(bluelamp_audit::Signer::generate().unwrap()),
                None,
                None,
                None,
            )
            .await;
            let err = refused.err().expect("the start is refused").to_string();
            assert!(err.contains("secrets key does not open"), "{err}");
        }
        let refused = sign_in_with_app_code(&app, "pc.legacy", secret).await;
        assert_eq!(refused.status(), StatusCode::UNAUTHORIZED, "{planted}");
    }
    // A clear seed that cannot be sealed (not base32) is reported; the sweep goes on.
    store_totp_seed(&app, &name, "not base32!").await;
    let report = app.identity.seal_stored_totp().await.unwrap();
    assert_eq!(
        (report.sealed, report.failed.clone()),
        (0, vec!["pc.legacy".to_string()])
    );
    assert!(!report.wrong_key());
}

/// Writes `stored` as the user's app seed straight into the directory (as an earlier release,
/// or someone with access to the database, would have).
async fn store_totp_seed(app: &TestApp, name: &bluelamp_domain::Username, stored: &str) {
    let mut account = app.store.user(name).await.unwrap().unwrap();
    let base = account.version;
    account.totp = Some(bluelamp_store::TotpEnrolment {
        secret: stored.into(),
        confirmed: true,
        last_step: None,
        created_at: bluelamp_domain::Clock::now(&bluelamp_domain::SystemClock),
    });
    app.store
        .directory_apply(bluelamp_store::DirectoryChange {
            ops: vec![bluelamp_store::DirectoryOp::PutUser {
                account: Box::new(account),
                base_version: Some(base),
            }],
            audit: None,
        })
        .await
        .unwrap();
}

/// Signs in with the password, then with the code the app holding `secret_b32` shows now.
async fn sign_in_with_app_code(
    app: &TestApp,
    username: &str,
    secret_b32: &str,
) -> reqwest::Response {
    let cookie = sign_in_form_expecting_code(app, username).await;
    let pending = cookie_client(&cookie);
    let csrf = code_page_csrf(app, &pending).await;
    form_post(
        &pending,
        app.url("/sign-in/code"),
        &[
            ("csrf_token", &csrf),
            ("code", &totp_now(secret_b32)),
            ("next", "/persons"),
        ],
    )
    .await
}

/// The CSRF token of the "enter your code" page a half-signed-in client is sent to.
async fn code_page_csrf(app: &TestApp, pending: &Client) -> String {
    let page = text_of(pending, app.url("/sign-in/code")).await;
    page.split("name=\"csrf_token\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string()
}

async fn sign_in_form_expecting_code(app: &TestApp, username: &str) -> String {
    let form = app.anonymous.get(app.url("/sign-in")).send().await.unwrap();
    let signin_cookie = cookie_value(&form, "bluelamp_signin").unwrap();
    let html = form.text().await.unwrap();
    let token = html
        .split("name=\"signin_token\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let resp = app
        .anonymous
        .post(app.url("/sign-in"))
        .header("cookie", format!("bluelamp_signin={signin_cookie}"))
        .form(&[
            ("username", username),
            ("password", PASSWORD),
            ("signin_token", &token),
            ("next", "/persons"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(resp.headers()["location"], "/sign-in/code?next=%2Fpersons");
    cookie_value(&resp, "bluelamp_session").unwrap()
}

#[tokio::test]
async fn a_deployment_that_requires_two_step_verification_sends_users_to_set_it_up() {
    let app = spawn_app_with(SecurityOptions {
        accredited: Classification::Secret,
        require_mfa: true,
        ..SecurityOptions::default()
    })
    .await;
    let page = app.client.get(app.url("/persons")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::SEE_OTHER);
    assert_eq!(page.headers()["location"], "/account/mfa");
    let api = app
        .client
        .get(app.url("/api/v1/persons"))
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), StatusCode::FORBIDDEN);
    let setup = app
        .client
        .get(app.url("/account/mfa"))
        .send()
        .await
        .unwrap();
    assert_eq!(setup.status(), StatusCode::OK);
    assert!(
        setup
            .text()
            .await
            .unwrap()
            .contains("requires two-step verification")
    );
}

#[tokio::test]
async fn changing_your_own_password_needs_the_current_one() {
    let app = spawn_app().await;
    let post = |current: &str, new: &str| {
        let c = app.client.clone();
        let url = app.url("/account/password");
        let form = vec![
            ("csrf_token".to_string(), app.csrf.clone()),
            ("current_password".to_string(), current.to_string()),
            ("password".to_string(), new.to_string()),
        ];
        async move { c.post(url).form(&form).send().await.unwrap() }
    };
    let r = post("not-my-password", "a-brand-new-passphrase").await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Your current password is not right")
    );
    let refused = last_audit(&app).await;
    assert_eq!(refused.outcome, AuditOutcome::Denied);
    // The old password still works: nothing was changed.
    app.identity
        .sign_in("test.officer", PASSWORD, &Default::default(), "tests")
        .await
        .unwrap();
    let r = post(PASSWORD, "a-brand-new-passphrase").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        app.identity
            .sign_in("test.officer", PASSWORD, &Default::default(), "tests")
            .await
            .is_err()
    );
    app.identity
        .sign_in(
            "test.officer",
            "a-brand-new-passphrase",
            &Default::default(),
            "tests",
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn a_deployment_that_requires_passkeys_lets_a_password_session_only_register_one() {
    let app = spawn_app_with(SecurityOptions {
        accredited: Classification::Secret,
        require_webauthn: true,
        ..SecurityOptions::default()
    })
    .await;
    let page = app.client.get(app.url("/persons")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::SEE_OTHER);
    assert_eq!(page.headers()["location"], "/account/passkeys");
    let own = app
        .client
        .get(app.url("/account/passkeys"))
        .send()
        .await
        .unwrap();
    assert_eq!(own.status(), StatusCode::OK);
    assert!(
        own.text()
            .await
            .unwrap()
            .contains("requires signing in with a passkey")
    );
    let api = app.get("/api/v1/persons").await;
    assert_eq!(api.status(), StatusCode::FORBIDDEN);
    // A passkey answer that is not one is refused and audited.
    let r = app
        .anonymous
        .post(app.url("/sign-in/passkey"))
        .form(&[("signin_token", "x"), ("credential", "{}")])
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::FORBIDDEN,
        "no sign-in token, no attempt"
    );
}

//! The API accepts the force identity provider's access tokens as bearer tokens: the
//! provider's signature, issuer, audience and expiry are checked, the claims give the user
//! and their need to know, and only a token with the write scope may change anything.
//! The provider here publishes its discovery document and keys from a small HTTP server the
//! test runs (the browser suite signs in through a real OpenID provider).

use crate::helpers::*;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bluelamp_domain::Classification;
use bluelamp_server::SecurityOptions;
use ed25519_dalek::Signer;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn key() -> ed25519_dalek::SigningKey {
    ed25519_dalek::SigningKey::from_bytes(&[42u8; 32])
}

/// Serves the discovery document and the key set until the test ends.
async fn provider() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let issuer = format!("http://{}", listener.local_addr().unwrap());
    let discovery = json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/auth"),
        "token_endpoint": format!("{issuer}/token"),
        "jwks_uri": format!("{issuer}/jwks"),
    })
    .to_string();
    let jwks = json!({"keys": [{"kty": "OKP", "crv": "Ed25519", "kid": "k1", "use": "sig",
        "x": URL_SAFE_NO_PAD.encode(key().verifying_key().to_bytes())}]})
    .to_string();
    let pages = Arc::new((discovery, jwks));
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                break;
            };
            let pages = pages.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 4096];
                let n = sock.read(&mut buf).await.unwrap_or(0);
                let req = String::from_utf8_lossy(&buf[..n]);
                let body = if req.starts_with("GET /.well-known/openid-configuration") {
                    pages.0.clone()
                } else if req.starts_with("GET /jwks") {
                    pages.1.clone()
                } else {
                    String::new()
                };
                let resp = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = sock.write_all(resp.as_bytes()).await;
            });
        }
    });
    issuer
}

fn token(issuer: &str, claims: Value) -> String {
    let h =
        URL_SAFE_NO_PAD.encode(json!({"alg": "EdDSA", "kid": "k1", "typ": "at+jwt"}).to_string());
    let mut c = claims;
    c["iss"] = json!(issuer);
    let p = URL_SAFE_NO_PAD.encode(c.to_string());
    let msg = format!("{h}.{p}");
    let sig = key().sign(msg.as_bytes());
    format!("{msg}.{}", URL_SAFE_NO_PAD.encode(sig.to_bytes()))
}

fn bearer(t: &str) -> reqwest::Client {
    let mut h = reqwest::header::HeaderMap::new();
    h.insert(
        reqwest::header::AUTHORIZATION,
        format!("Bearer {t}").parse().unwrap(),
    );
    reqwest::Client::builder()
        .default_headers(h)
        .build()
        .unwrap()
}

#[tokio::test]
async fn the_identity_providers_access_tokens_work_as_api_bearer_tokens() {
    let issuer = provider().await;
    let sso = bluelamp_web::sso::Sso::new(
        bluelamp_oidc::ClientConfig {
            issuer: issuer.clone(),
            client_id: "bluelamp".into(),
            client_secret: "unused".into(),
            redirect_uri: "http://127.0.0.1/sign-in/oidc/callback".into(),
            scopes: vec![],
            api_audience: Some("api://bluelamp".into()),
        },
        bluelamp_app::sso::ClaimMapping::default(),
        "Sign in".into(),
        "bluelamp.write".into(),
    );
    let app = spawn_app_sso(
        SecurityOptions {
            accredited: Classification::Secret,
            ..SecurityOptions::default()
        },
        sso,
    )
    .await;
    let secret_rec = app
        .create(
            "persons",
            json!({"family_name": "Covert", "given_names": "Cat",
            "marking": {"classification": "SECRET"}}),
        )
        .await;
    let now = bluelamp_domain::Clock::now(&bluelamp_domain::SystemClock).as_second();
    let claims = |aud: &str, scp: &str, exp: i64| {
        json!({"sub": "u-1", "aud": aud, "iat": now - 5, "exp": exp, "scp": scp,
            "preferred_username": "pc.api@force.police.uk", "name": "PC 7 Api",
            "roles": ["officer"], "unit": "RESPONSE", "clearance": "OFFICIAL-SENSITIVE",
            "amr": ["pwd", "mfa"]})
    };
    let reader = bearer(&token(
        &issuer,
        claims("api://bluelamp", "bluelamp.read", now + 600),
    ));
    let r = reader.get(app.url("/api/v1/me")).send().await.unwrap();
    let status = r.status();
    if status != StatusCode::OK {
        panic!("{status}: {}", r.text().await.unwrap());
    }
    let me: Value = r.json().await.unwrap();
    assert_eq!(me["username"], "pc.api");
    assert_eq!(me["clearance"], "OFFICIAL-SENSITIVE");
    // Need to know from the claims: the SECRET record is hidden.
    let r = reader
        .get(app.url(&format!(
            "/api/v1/persons/{}",
            secret_rec["id"].as_str().unwrap()
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    // Without the write scope, reading only.
    let r = reader
        .post(app.url("/api/v1/persons"))
        .json(&json!({"family_name": "Nope"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let writer = bearer(&token(
        &issuer,
        claims("api://bluelamp", "bluelamp.read bluelamp.write", now + 600),
    ));
    let r = writer
        .post(app.url("/api/v1/persons"))
        .json(&json!({"family_name": "Written", "given_names": "By Token"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let audit = app.store.audit_entries(0, 1_000_000).await.unwrap();
    assert!(
        audit.iter().any(|a| a.entry.actor.user_id == "pc.api"
            && a.entry.action == bluelamp_domain::AuditAction::Create),
        "the change is audited against the user the token names"
    );
    // Another audience, an expired token, a forged signature: refused.
    for bad in [
        token(&issuer, claims("another-api", "bluelamp.read", now + 600)),
        token(
            &issuer,
            claims("api://bluelamp", "bluelamp.read", now - 600),
        ),
        {
            // Claims changed after signing: a clearance the provider never gave.
            let good = token(
                &issuer,
                claims("api://bluelamp", "bluelamp.read", now + 600),
            );
            let mut parts: Vec<String> = good.split('.').map(String::from).collect();
            let mut forged = claims("api://bluelamp", "bluelamp.read", now + 600);
            forged["clearance"] = json!("SECRET");
            forged["iss"] = json!(issuer);
            parts[1] = URL_SAFE_NO_PAD.encode(forged.to_string());
            parts.join(".")
        },
    ] {
        let r = bearer(&bad)
            .get(app.url("/api/v1/me"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{bad}");
    }
}

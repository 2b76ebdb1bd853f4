#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;
use serde_json::json;

mod test_key;

const ISSUER: &str = "https://idp.force.example";
const CLIENT: &str = "bluelamp";
const NONCE: &str = "n-0S6_WzA2Mj";

fn now() -> Timestamp {
    "2026-11-30T10:00:00Z".parse().unwrap()
}

fn rsa_private() -> rsa::RsaPrivateKey {
    let big = |h: &str| rsa::BigUint::parse_bytes(h.as_bytes(), 16).unwrap();
    rsa::RsaPrivateKey::from_components(
        big(test_key::N),
        rsa::BigUint::from(65_537u32),
        big(test_key::D),
        vec![big(test_key::P), big(test_key::Q)],
    )
    .unwrap()
}

fn rsa_jwk(kid: &str) -> Jwk {
    let n = rsa::BigUint::parse_bytes(test_key::N.as_bytes(), 16).unwrap();
    Jwk {
        kty: "RSA".into(),
        kid: Some(kid.into()),
        alg: Some("RS256".into()),
        use_: Some("sig".into()),
        n: Some(URL_SAFE_NO_PAD.encode(n.to_bytes_be())),
        e: Some(URL_SAFE_NO_PAD.encode([1u8, 0, 1])),
        crv: None,
        x: None,
    }
}

fn ed_key() -> ed25519_dalek::SigningKey {
    ed25519_dalek::SigningKey::from_bytes(&[7u8; 32])
}

fn ed_jwk(kid: &str) -> Jwk {
    Jwk {
        kty: "OKP".into(),
        kid: Some(kid.into()),
        alg: Some("EdDSA".into()),
        use_: Some("sig".into()),
        n: None,
        e: None,
        crv: Some("Ed25519".into()),
        x: Some(URL_SAFE_NO_PAD.encode(ed_key().verifying_key().to_bytes())),
    }
}

fn claims() -> Value {
    json!({
        "iss": ISSUER, "aud": CLIENT, "sub": "248289761001", "nonce": NONCE,
        "iat": now().as_second() - 10, "exp": now().as_second() + 300,
        "preferred_username": "pc.jones",
    })
}

fn sign(alg: &str, kid: &str, claims: &Value) -> String {
    let h = URL_SAFE_NO_PAD.encode(json!({"alg": alg, "kid": kid, "typ": "JWT"}).to_string());
    let p = URL_SAFE_NO_PAD.encode(claims.to_string());
    let msg = format!("{h}.{p}");
    let sig = match alg {
        "RS256" => {
            use rsa::signature::{SignatureEncoding, Signer};
            rsa::pkcs1v15::SigningKey::<Sha256>::new(rsa_private())
                .sign(msg.as_bytes())
                .to_vec()
        }
        "EdDSA" => {
            use ed25519_dalek::Signer;
            ed_key().sign(msg.as_bytes()).to_bytes().to_vec()
        }
        _ => b"x".to_vec(),
    };
    format!("{msg}.{}", URL_SAFE_NO_PAD.encode(sig))
}

fn jwks() -> Jwks {
    Jwks {
        keys: vec![rsa_jwk("rsa-1"), ed_jwk("ed-1")],
    }
}

fn check(token: &str) -> Result<Map<String, Value>, OidcError> {
    validate_id_token(token, &jwks(), ISSUER, CLIENT, NONCE, now())
}

fn rejected(token: &str, why: &str) {
    match check(token) {
        Err(OidcError::InvalidToken(m)) => assert!(m.contains(why), "{m} (wanted {why})"),
        other => panic!("expected a refusal naming {why}, got {other:?}"),
    }
}

#[test]
fn a_valid_rs256_token_gives_its_claims() {
    let c = check(&sign("RS256", "rsa-1", &claims())).unwrap();
    assert_eq!(c["preferred_username"], "pc.jones");
}

#[test]
fn a_valid_eddsa_token_gives_its_claims() {
    assert!(check(&sign("EdDSA", "ed-1", &claims())).is_ok());
}

#[test]
fn a_tampered_payload_fails_the_signature() {
    let t = sign("RS256", "rsa-1", &claims());
    let mut parts: Vec<String> = t.split('.').map(String::from).collect();
    let mut c = claims();
    c["preferred_username"] = json!("ch.constable");
    parts[1] = URL_SAFE_NO_PAD.encode(c.to_string());
    rejected(&parts.join("."), "signature");
}

#[test]
fn alg_none_and_symmetric_algorithms_are_refused() {
    let h = URL_SAFE_NO_PAD.encode(json!({"alg": "none"}).to_string());
    let p = URL_SAFE_NO_PAD.encode(claims().to_string());
    rejected(&format!("{h}.{p}."), "algorithm");
    rejected(&sign("HS256", "rsa-1", &claims()), "algorithm");
}

#[test]
fn a_token_signed_by_another_key_or_naming_an_unknown_key_is_refused() {
    // Signed with the Ed25519 key but claiming the RSA key's id.
    rejected(&sign("EdDSA", "rsa-1", &claims()), "does not support");
    rejected(&sign("RS256", "unknown", &claims()), "no published key");
}

#[test]
fn issuer_audience_azp_expiry_iat_nonce_and_subject_are_checked() {
    let bad = |f: &dyn Fn(&mut Value), why: &str| {
        let mut c = claims();
        f(&mut c);
        rejected(&sign("RS256", "rsa-1", &c), why);
    };
    bad(&|c| c["iss"] = json!("https://evil.example"), "issued by");
    bad(&|c| c["aud"] = json!("another-app"), "aud");
    bad(
        &|c| {
            c["aud"] = json!(["another-app", CLIENT]);
            c["azp"] = json!("another-app");
        },
        "azp",
    );
    bad(&|c| c["exp"] = json!(now().as_second() - 121), "expired");
    bad(&|c| c["iat"] = json!(now().as_second() + 121), "future");
    bad(&|c| c["nonce"] = json!("replayed"), "nonce");
    bad(
        &|c| {
            c.as_object_mut().unwrap().remove("nonce");
        },
        "nonce",
    );
    bad(&|c| c["sub"] = json!(""), "subject");
    // Within the leeway is fine.
    let mut c = claims();
    c["exp"] = json!(now().as_second() - 60);
    assert!(check(&sign("RS256", "rsa-1", &c)).is_ok());
}

#[test]
fn pkce_challenge_matches_rfc_7636_appendix_b() {
    assert_eq!(
        pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    );
}

#[test]
fn only_https_or_loopback_providers_are_accepted() {
    assert!(check_secure("https://login.microsoftonline.com/x/v2.0").is_ok());
    assert!(check_secure("http://127.0.0.1:4000").is_ok());
    assert!(check_secure("http://localhost:4000/oidc").is_ok());
    assert_eq!(
        check_secure("http://idp.force.example"),
        Err(OidcError::Insecure("http://idp.force.example".into()))
    );
}

#[test]
fn an_access_token_for_the_api_needs_its_audience_but_no_nonce() {
    let mut c = claims();
    c.as_object_mut().unwrap().remove("nonce");
    c["aud"] = json!("api://bluelamp");
    c["scp"] = json!("bluelamp.read bluelamp.write");
    let t = sign("RS256", "rsa-1", &c);
    let got = validate_access_token(&t, &jwks(), ISSUER, "api://bluelamp", now()).unwrap();
    assert_eq!(got["scp"], "bluelamp.read bluelamp.write");
    assert!(matches!(
        validate_access_token(&t, &jwks(), ISSUER, CLIENT, now()),
        Err(OidcError::InvalidToken(m)) if m.contains("aud")
    ));
    c["exp"] = json!(now().as_second() - 600);
    let old = sign("RS256", "rsa-1", &c);
    assert!(validate_access_token(&old, &jwks(), ISSUER, "api://bluelamp", now()).is_err());
}

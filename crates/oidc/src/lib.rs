//! OpenID Connect single sign-on, as a relying party: discovery, the authorization code flow
//! with PKCE (S256), state and nonce, the token exchange, and ID token validation (signature
//! by the provider's published keys, RS256 or EdDSA; `iss`, `aud`, `azp`, `exp`, `iat`,
//! `nonce`). The only crate that talks to the identity provider; it knows nothing of users or
//! roles (the app maps the validated claims).
//!
//! The provider must be reached over HTTPS, except on the loopback interface (tests and a
//! provider on the same host).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jiff::{SignedDuration, Timestamp};
use serde::Deserialize;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use std::sync::Arc;
use tokio::sync::RwLock;

/// Clock skew tolerated between Bluelamp and the provider.
pub const LEEWAY: SignedDuration = SignedDuration::from_secs(120);
/// How long the provider's keys are cached before they are fetched again (also refetched at
/// once when a token names a key not in the cache).
pub const JWKS_TTL: SignedDuration = SignedDuration::from_mins(60);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum OidcError {
    #[error("the identity provider could not be reached: {0}")]
    Unreachable(String),
    #[error("the identity provider answered with something unexpected: {0}")]
    BadResponse(String),
    #[error("the identity provider must be reached over https (not {0})")]
    Insecure(String),
    #[error("the sign-in was not started here, or has expired (state does not match)")]
    StateMismatch,
    #[error("the identity provider refused the sign-in: {0}")]
    Refused(String),
    #[error("the ID token is not valid: {0}")]
    InvalidToken(String),
}

/// What a deployment configures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientConfig {
    /// The issuer identifier, exactly as the provider's discovery document and tokens give it.
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    /// Where the provider sends the browser back: `<public_url>/sign-in/oidc/callback`.
    pub redirect_uri: String,
    /// Scopes beyond `openid`.
    pub scopes: Vec<String>,
    /// The audience of access tokens issued for Bluelamp's API (default: the client id).
    pub api_audience: Option<String>,
}

/// The parts of the discovery document Bluelamp uses.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct Metadata {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub jwks_uri: String,
}

/// One published key (RSA or Ed25519).
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct Jwk {
    pub kty: String,
    #[serde(default)]
    pub kid: Option<String>,
    #[serde(default)]
    pub alg: Option<String>,
    #[serde(default, rename = "use")]
    pub use_: Option<String>,
    #[serde(default)]
    pub n: Option<String>,
    #[serde(default)]
    pub e: Option<String>,
    #[serde(default)]
    pub crv: Option<String>,
    #[serde(default)]
    pub x: Option<String>,
}

#[derive(Debug, Clone, Deserialize, PartialEq, Eq, Default)]
pub struct Jwks {
    pub keys: Vec<Jwk>,
}

/// A sign-in in progress: kept by the browser (in an HttpOnly cookie) between the redirect
/// to the provider and the callback.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, Deserialize)]
pub struct Pending {
    pub state: String,
    pub nonce: String,
    pub verifier: String,
    /// Where to go after signing in (a local path).
    pub next: String,
}

fn random_token() -> Result<String, OidcError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|e| OidcError::Unreachable(format!("no randomness available: {e}")))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// The PKCE S256 challenge for a verifier (RFC 7636).
pub fn pkce_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

fn form_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn is_loopback(url: &str) -> bool {
    let rest = url.strip_prefix("http://").unwrap_or("");
    let host = rest.split(['/', ':']).next().unwrap_or("");
    matches!(host, "127.0.0.1" | "localhost" | "[::1]")
}

fn check_secure(url: &str) -> Result<(), OidcError> {
    if url.starts_with("https://") || is_loopback(url) {
        Ok(())
    } else {
        Err(OidcError::Insecure(url.to_string()))
    }
}

/// The configured provider, with its metadata and cached keys.
#[derive(Clone)]
pub struct Provider {
    config: ClientConfig,
    metadata: Metadata,
    http: reqwest::Client,
    jwks: Arc<RwLock<(Jwks, Option<Timestamp>)>>,
}

impl std::fmt::Debug for Provider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the client secret.
        f.debug_struct("Provider")
            .field("issuer", &self.config.issuer)
            .field("client_id", &self.config.client_id)
            .finish()
    }
}

impl Provider {
    /// Reads the provider's discovery document and checks it names the configured issuer.
    pub async fn discover(config: ClientConfig) -> Result<Self, OidcError> {
        check_secure(&config.issuer)?;
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| OidcError::Unreachable(e.to_string()))?;
        let url = format!(
            "{}/.well-known/openid-configuration",
            config.issuer.trim_end_matches('/')
        );
        let metadata: Metadata = http
            .get(&url)
            .send()
            .await
            .map_err(|e| OidcError::Unreachable(format!("{url}: {e}")))?
            .error_for_status()
            .map_err(|e| OidcError::BadResponse(e.to_string()))?
            .json()
            .await
            .map_err(|e| OidcError::BadResponse(format!("discovery document: {e}")))?;
        if metadata.issuer != config.issuer {
            return Err(OidcError::BadResponse(format!(
                "the discovery document names issuer {:?}, not {:?}",
                metadata.issuer, config.issuer
            )));
        }
        for u in [
            &metadata.authorization_endpoint,
            &metadata.token_endpoint,
            &metadata.jwks_uri,
        ] {
            check_secure(u)?;
        }
        Ok(Self {
            config,
            metadata,
            http,
            jwks: Arc::new(RwLock::new((Jwks::default(), None))),
        })
    }

    pub fn issuer(&self) -> &str {
        &self.config.issuer
    }

    /// Starts a sign-in: the address to send the browser to, and what to keep until it
    /// comes back.
    pub fn begin(&self, next: &str) -> Result<(String, Pending), OidcError> {
        let pending = Pending {
            state: random_token()?,
            nonce: random_token()?,
            verifier: random_token()?,
            next: next.to_string(),
        };
        let mut scopes = vec!["openid".to_string()];
        scopes.extend(self.config.scopes.iter().cloned());
        let sep = if self.metadata.authorization_endpoint.contains('?') {
            '&'
        } else {
            '?'
        };
        let url = format!(
            "{}{sep}response_type=code&client_id={}&redirect_uri={}&scope={}&state={}&nonce={}&code_challenge={}&code_challenge_method=S256",
            self.metadata.authorization_endpoint,
            form_encode(&self.config.client_id),
            form_encode(&self.config.redirect_uri),
            form_encode(&scopes.join(" ")),
            pending.state,
            pending.nonce,
            pkce_challenge(&pending.verifier),
        );
        Ok((url, pending))
    }

    /// Finishes a sign-in: checks the state, exchanges the code (with the PKCE verifier) and
    /// returns the validated ID token's claims.
    pub async fn finish(
        &self,
        code: &str,
        state: &str,
        pending: &Pending,
        now: Timestamp,
    ) -> Result<Map<String, Value>, OidcError> {
        if state.is_empty() || !constant_time_eq(state.as_bytes(), pending.state.as_bytes()) {
            return Err(OidcError::StateMismatch);
        }
        let body = format!(
            "grant_type=authorization_code&code={}&redirect_uri={}&code_verifier={}&client_id={}&client_secret={}",
            form_encode(code),
            form_encode(&self.config.redirect_uri),
            form_encode(&pending.verifier),
            form_encode(&self.config.client_id),
            form_encode(&self.config.client_secret),
        );
        let response = self
            .http
            .post(&self.metadata.token_endpoint)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept", "application/json")
            .body(body)
            .send()
            .await
            .map_err(|e| OidcError::Unreachable(e.to_string()))?;
        let status = response.status();
        let tokens: Value = response
            .json()
            .await
            .map_err(|e| OidcError::BadResponse(format!("token response: {e}")))?;
        if !status.is_success() {
            let why = tokens
                .get("error_description")
                .or_else(|| tokens.get("error"))
                .and_then(Value::as_str)
                .unwrap_or("no reason given")
                .to_string();
            return Err(OidcError::Refused(why));
        }
        let id_token = tokens
            .get("id_token")
            .and_then(Value::as_str)
            .ok_or_else(|| OidcError::BadResponse("no id_token in the token response".into()))?;
        let kid = header(id_token)?
            .get("kid")
            .and_then(Value::as_str)
            .map(String::from);
        let jwks = self.keys(kid.as_deref(), now).await?;
        validate_id_token(
            id_token,
            &jwks,
            &self.config.issuer,
            &self.config.client_id,
            &pending.nonce,
            now,
        )
    }

    /// Validates an access token sent as `Authorization: Bearer` to the API.
    pub async fn validate_bearer(
        &self,
        token: &str,
        now: Timestamp,
    ) -> Result<Map<String, Value>, OidcError> {
        let kid = header(token)?
            .get("kid")
            .and_then(Value::as_str)
            .map(String::from);
        let jwks = self.keys(kid.as_deref(), now).await?;
        let audience = self
            .config
            .api_audience
            .as_deref()
            .unwrap_or(&self.config.client_id);
        validate_access_token(token, &jwks, &self.config.issuer, audience, now)
    }

    /// The provider's keys, fetched again when stale or when a token names an unknown key.
    async fn keys(&self, kid: Option<&str>, now: Timestamp) -> Result<Jwks, OidcError> {
        {
            let cached = self.jwks.read().await;
            let fresh = cached.1.is_some_and(|t| now.duration_since(t) < JWKS_TTL);
            let known =
                kid.is_none_or(|k| cached.0.keys.iter().any(|j| j.kid.as_deref() == Some(k)));
            if fresh && known {
                return Ok(cached.0.clone());
            }
        }
        let jwks: Jwks = self
            .http
            .get(&self.metadata.jwks_uri)
            .send()
            .await
            .map_err(|e| OidcError::Unreachable(e.to_string()))?
            .error_for_status()
            .map_err(|e| OidcError::BadResponse(e.to_string()))?
            .json()
            .await
            .map_err(|e| OidcError::BadResponse(format!("keys: {e}")))?;
        *self.jwks.write().await = (jwks.clone(), Some(now));
        Ok(jwks)
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn b64(part: &str, what: &str) -> Result<Vec<u8>, OidcError> {
    URL_SAFE_NO_PAD
        .decode(part.trim_end_matches('='))
        .map_err(|_| OidcError::InvalidToken(format!("the {what} is not base64url")))
}

fn json_part(part: &str, what: &str) -> Result<Map<String, Value>, OidcError> {
    serde_json::from_slice(&b64(part, what)?)
        .map_err(|_| OidcError::InvalidToken(format!("the {what} is not a JSON object")))
}

fn header(token: &str) -> Result<Map<String, Value>, OidcError> {
    let h = token
        .split('.')
        .next()
        .ok_or_else(|| OidcError::InvalidToken("not a JWT".into()))?;
    json_part(h, "header")
}

fn verify_signature(alg: &str, key: &Jwk, message: &[u8], sig: &[u8]) -> Result<(), OidcError> {
    let bad = || OidcError::InvalidToken("the signature does not verify".into());
    match (alg, key.kty.as_str()) {
        ("RS256", "RSA") => {
            use rsa::signature::Verifier;
            use rsa::traits::PublicKeyParts;
            let n = b64(key.n.as_deref().unwrap_or(""), "key modulus")?;
            let e = b64(key.e.as_deref().unwrap_or(""), "key exponent")?;
            let public = rsa::RsaPublicKey::new(
                rsa::BigUint::from_bytes_be(&n),
                rsa::BigUint::from_bytes_be(&e),
            )
            .map_err(|e| OidcError::InvalidToken(format!("the provider's RSA key: {e}")))?;
            if public.size() < 256 {
                return Err(OidcError::InvalidToken(
                    "the provider's RSA key is shorter than 2048 bits".into(),
                ));
            }
            let key = rsa::pkcs1v15::VerifyingKey::<Sha256>::new(public);
            let signature = rsa::pkcs1v15::Signature::try_from(sig).map_err(|_| bad())?;
            key.verify(message, &signature).map_err(|_| bad())
        }
        ("EdDSA", "OKP") if key.crv.as_deref() == Some("Ed25519") => {
            use ed25519_dalek::Verifier;
            let x: [u8; 32] = b64(key.x.as_deref().unwrap_or(""), "key")?
                .try_into()
                .map_err(|_| {
                    OidcError::InvalidToken("the provider's Ed25519 key is not 32 bytes".into())
                })?;
            let key = ed25519_dalek::VerifyingKey::from_bytes(&x).map_err(|_| {
                OidcError::InvalidToken("the provider's Ed25519 key is invalid".into())
            })?;
            let sig: [u8; 64] = sig.try_into().map_err(|_| bad())?;
            key.verify(message, &ed25519_dalek::Signature::from_bytes(&sig))
                .map_err(|_| bad())
        }
        _ => Err(OidcError::InvalidToken(format!(
            "the token is signed with {alg}, which this key ({}) does not support",
            key.kty
        ))),
    }
}

fn number(claims: &Map<String, Value>, name: &str) -> Result<i64, OidcError> {
    claims
        .get(name)
        .and_then(Value::as_i64)
        .ok_or_else(|| OidcError::InvalidToken(format!("the {name} claim is missing")))
}

/// Validates an ID token (OpenID Connect Core 3.1.3.7) and returns its claims.
pub fn validate_id_token(
    token: &str,
    jwks: &Jwks,
    issuer: &str,
    client_id: &str,
    nonce: &str,
    now: Timestamp,
) -> Result<Map<String, Value>, OidcError> {
    let claims = validate_jwt(token, jwks, issuer, client_id, now)?;
    if let Some(azp) = claims.get("azp").and_then(Value::as_str)
        && azp != client_id
    {
        return Err(OidcError::InvalidToken(
            "it was issued to another client (azp)".into(),
        ));
    }
    match claims.get("nonce").and_then(Value::as_str) {
        Some(n) if constant_time_eq(n.as_bytes(), nonce.as_bytes()) => {}
        _ => {
            return Err(OidcError::InvalidToken(
                "its nonce does not match this sign-in".into(),
            ));
        }
    }
    Ok(claims)
}

/// Validates a JWT access token (RFC 9068) issued by the provider for Bluelamp's API
/// (`audience`), and returns its claims.
pub fn validate_access_token(
    token: &str,
    jwks: &Jwks,
    issuer: &str,
    audience: &str,
    now: Timestamp,
) -> Result<Map<String, Value>, OidcError> {
    validate_jwt(token, jwks, issuer, audience, now)
}

/// The checks an ID token and an access token share: signature by a published key, issuer,
/// audience, expiry, issue time and subject.
fn validate_jwt(
    token: &str,
    jwks: &Jwks,
    issuer: &str,
    audience: &str,
    now: Timestamp,
) -> Result<Map<String, Value>, OidcError> {
    let client_id = audience;
    let parts: Vec<&str> = token.split('.').collect();
    let [h, p, s] = parts.as_slice() else {
        return Err(OidcError::InvalidToken(
            "not a signed JWT (three parts)".into(),
        ));
    };
    let head = json_part(h, "header")?;
    let alg = head.get("alg").and_then(Value::as_str).unwrap_or("");
    if !matches!(alg, "RS256" | "EdDSA") {
        // Never "none", never a symmetric algorithm keyed with a public key.
        return Err(OidcError::InvalidToken(format!(
            "the token's algorithm {alg:?} is not accepted (RS256 or EdDSA)"
        )));
    }
    let kid = head.get("kid").and_then(Value::as_str);
    let candidates: Vec<&Jwk> = jwks
        .keys
        .iter()
        .filter(|k| k.use_.as_deref().is_none_or(|u| u == "sig"))
        .filter(|k| match kid {
            Some(kid) => k.kid.as_deref() == Some(kid),
            None => true,
        })
        .collect();
    let key = match candidates.as_slice() {
        [k] => *k,
        [] => {
            return Err(OidcError::InvalidToken(
                "no published key matches the token".into(),
            ));
        }
        _ => {
            return Err(OidcError::InvalidToken(
                "the token names no key and the provider publishes several".into(),
            ));
        }
    };
    let message = format!("{h}.{p}");
    verify_signature(alg, key, message.as_bytes(), &b64(s, "signature")?)?;

    let claims = json_part(p, "payload")?;
    if claims.get("iss").and_then(Value::as_str) != Some(issuer) {
        return Err(OidcError::InvalidToken(format!(
            "it was issued by {:?}, not {issuer:?}",
            claims.get("iss")
        )));
    }
    let audiences: Vec<&str> = match claims.get("aud") {
        Some(Value::String(a)) => vec![a.as_str()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if !audiences.contains(&client_id) {
        return Err(OidcError::InvalidToken(
            "it is not meant for Bluelamp (aud)".into(),
        ));
    }
    let now_s = now.as_second();
    let leeway = LEEWAY.as_secs();
    if number(&claims, "exp")? + leeway <= now_s {
        return Err(OidcError::InvalidToken("it has expired".into()));
    }
    if number(&claims, "iat")? - leeway > now_s {
        return Err(OidcError::InvalidToken(
            "it was issued in the future".into(),
        ));
    }
    if claims
        .get("sub")
        .and_then(Value::as_str)
        .is_none_or(str::is_empty)
    {
        return Err(OidcError::InvalidToken("it names no subject (sub)".into()));
    }
    Ok(claims)
}

#[cfg(test)]
mod tests;

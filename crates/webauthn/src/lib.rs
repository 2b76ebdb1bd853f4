//! WebAuthn (passkeys) as a relying party: the options the browser's
//! `navigator.credentials.create()` / `.get()` need, and the verification of what comes back
//! (W3C Web Authentication Level 2, sections 7.1 and 7.2). Passkeys are phishing-resistant:
//! the signature covers the origin the browser saw and the relying party's id.
//!
//! Attestation is not asked for ("none"): Bluelamp trusts a passkey because a signed-in user
//! (or an administrator) registered it, not because of who made the authenticator. Public
//! keys: ES256 (most security keys, Android, Apple), RS256 (Windows Hello) and EdDSA.

pub mod cbor;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cbor::Cbor;
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const FLAG_UP: u8 = 0x01;
const FLAG_UV: u8 = 0x04;
const FLAG_AT: u8 = 0x40;

/// COSE algorithm numbers accepted.
pub const ES256: i64 = -7;
pub const EDDSA: i64 = -8;
pub const RS256: i64 = -257;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum WebAuthnError {
    #[error("the passkey response is malformed: {0}")]
    Malformed(String),
    #[error("the passkey response is for another request (challenge does not match)")]
    Challenge,
    #[error("the passkey was used on another site ({0})")]
    Origin(String),
    #[error("the passkey is for another site (relying party id)")]
    RpId,
    #[error("the user was not present or not verified on the authenticator")]
    UserVerification,
    #[error("the passkey's key type is not supported ({0})")]
    Unsupported(String),
    #[error("the signature does not verify")]
    Signature,
    #[error("the passkey's counter went backwards: it may have been copied")]
    Counter,
}

/// Who Bluelamp is, to the authenticator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelyingParty {
    /// The relying party id: the site's host name (`bluelamp.force.police.uk`, `localhost`).
    pub id: String,
    /// The exact origin pages are served from (`https://bluelamp.force.police.uk`).
    pub origin: String,
    pub name: String,
}

/// A registered passkey, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential {
    pub id: Vec<u8>,
    /// The COSE public key, exactly as the authenticator sent it.
    pub public_key: Vec<u8>,
    pub alg: i64,
    pub sign_count: u32,
}

pub fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

pub fn unb64(s: &str, what: &str) -> Result<Vec<u8>, WebAuthnError> {
    URL_SAFE_NO_PAD
        .decode(s.trim_end_matches('='))
        .map_err(|_| WebAuthnError::Malformed(format!("{what} is not base64url")))
}

/// 32 random bytes for a challenge.
pub fn new_challenge() -> Result<Vec<u8>, WebAuthnError> {
    let mut c = vec![0u8; 32];
    getrandom::fill(&mut c).map_err(|e| WebAuthnError::Malformed(format!("no randomness: {e}")))?;
    Ok(c)
}

/// `PublicKeyCredentialCreationOptions` (binary fields base64url) for registering a passkey.
pub fn creation_options(
    rp: &RelyingParty,
    user_handle: &[u8],
    user_name: &str,
    display_name: &str,
    challenge: &[u8],
    exclude: &[Vec<u8>],
) -> Value {
    json!({
        "rp": { "id": rp.id, "name": rp.name },
        "user": { "id": b64(user_handle), "name": user_name, "displayName": display_name },
        "challenge": b64(challenge),
        "pubKeyCredParams": [
            { "type": "public-key", "alg": ES256 },
            { "type": "public-key", "alg": EDDSA },
            { "type": "public-key", "alg": RS256 },
        ],
        "timeout": 120_000,
        "attestation": "none",
        "authenticatorSelection": { "residentKey": "required", "requireResidentKey": true, "userVerification": "required" },
        "excludeCredentials": exclude.iter().map(|id| json!({ "type": "public-key", "id": b64(id) })).collect::<Vec<_>>(),
    })
}

/// `PublicKeyCredentialRequestOptions` for signing in with any passkey for this site.
pub fn request_options(rp: &RelyingParty, challenge: &[u8]) -> Value {
    json!({
        "rpId": rp.id,
        "challenge": b64(challenge),
        "timeout": 120_000,
        "userVerification": "required",
        "allowCredentials": [],
    })
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AttestationResponse {
    #[serde(rename = "clientDataJSON")]
    pub client_data_json: String,
    pub attestation_object: String,
}

/// What `navigator.credentials.create()` gave, base64url-encoded by the page.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RegistrationResponse {
    pub id: String,
    pub response: AttestationResponse,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssertionData {
    #[serde(rename = "clientDataJSON")]
    pub client_data_json: String,
    pub authenticator_data: String,
    pub signature: String,
    #[serde(default)]
    pub user_handle: Option<String>,
}

/// What `navigator.credentials.get()` gave, base64url-encoded by the page.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssertionResponse {
    pub id: String,
    pub response: AssertionData,
}

fn check_client_data(
    rp: &RelyingParty,
    raw: &[u8],
    kind: &str,
    challenge: &[u8],
) -> Result<(), WebAuthnError> {
    let c: Value = serde_json::from_slice(raw)
        .map_err(|_| WebAuthnError::Malformed("clientDataJSON is not JSON".into()))?;
    if c.get("type").and_then(Value::as_str) != Some(kind) {
        return Err(WebAuthnError::Malformed(format!("not a {kind} response")));
    }
    let got = unb64(
        c.get("challenge").and_then(Value::as_str).unwrap_or(""),
        "challenge",
    )?;
    if got != challenge {
        return Err(WebAuthnError::Challenge);
    }
    let origin = c.get("origin").and_then(Value::as_str).unwrap_or("");
    if origin != rp.origin {
        return Err(WebAuthnError::Origin(origin.to_string()));
    }
    if c.get("crossOrigin").and_then(Value::as_bool) == Some(true) {
        return Err(WebAuthnError::Origin("a cross-origin frame".into()));
    }
    Ok(())
}

struct AuthData<'a> {
    flags: u8,
    sign_count: u32,
    /// Credential id and COSE key bytes, when attested credential data is present.
    attested: Option<(Vec<u8>, &'a [u8])>,
}

fn parse_auth_data<'a>(rp: &RelyingParty, d: &'a [u8]) -> Result<AuthData<'a>, WebAuthnError> {
    let short = || WebAuthnError::Malformed("authenticator data is too short".into());
    if d.len() < 37 {
        return Err(short());
    }
    if d[..32] != Sha256::digest(rp.id.as_bytes())[..] {
        return Err(WebAuthnError::RpId);
    }
    let flags = d[32];
    let sign_count = u32::from_be_bytes([d[33], d[34], d[35], d[36]]);
    let attested = if flags & FLAG_AT != 0 {
        let rest = &d[37..];
        if rest.len() < 18 {
            return Err(short());
        }
        let len = usize::from(u16::from_be_bytes([rest[16], rest[17]]));
        let id = rest.get(18..18 + len).ok_or_else(short)?.to_vec();
        let key_bytes = &rest[18 + len..];
        let (_, used) =
            cbor::decode(key_bytes).map_err(|e| WebAuthnError::Malformed(e.to_string()))?;
        Some((id, &key_bytes[..used]))
    } else {
        None
    };
    Ok(AuthData {
        flags,
        sign_count,
        attested,
    })
}

fn check_flags(flags: u8, require_uv: bool) -> Result<(), WebAuthnError> {
    if flags & FLAG_UP == 0 || (require_uv && flags & FLAG_UV == 0) {
        return Err(WebAuthnError::UserVerification);
    }
    Ok(())
}

fn cose_alg(key: &[u8]) -> Result<i64, WebAuthnError> {
    let (k, _) = cbor::decode(key).map_err(|e| WebAuthnError::Malformed(e.to_string()))?;
    k.get_int(3)
        .and_then(Cbor::as_int)
        .and_then(|a| i64::try_from(a).ok())
        .ok_or_else(|| WebAuthnError::Malformed("the public key names no algorithm".into()))
}

/// Checks a signature over `message` with a COSE public key.
pub fn verify_signature(key: &[u8], message: &[u8], sig: &[u8]) -> Result<(), WebAuthnError> {
    let (k, _) = cbor::decode(key).map_err(|e| WebAuthnError::Malformed(e.to_string()))?;
    let bytes = |label: i128, what: &str| {
        k.get_int(label)
            .and_then(Cbor::as_bytes)
            .ok_or_else(|| WebAuthnError::Malformed(format!("the public key has no {what}")))
    };
    match (
        k.get_int(1).and_then(Cbor::as_int),
        k.get_int(3).and_then(Cbor::as_int),
    ) {
        (Some(2), Some(-7)) => {
            use p256::ecdsa::signature::Verifier;
            if k.get_int(-1).and_then(Cbor::as_int) != Some(1) {
                return Err(WebAuthnError::Unsupported(
                    "an EC2 curve other than P-256".into(),
                ));
            }
            let point = p256::EncodedPoint::from_affine_coordinates(
                bytes(-2, "x")?.into(),
                bytes(-3, "y")?.into(),
                false,
            );
            let key = p256::ecdsa::VerifyingKey::from_encoded_point(&point).map_err(|_| {
                WebAuthnError::Malformed("the P-256 key is not on the curve".into())
            })?;
            let sig =
                p256::ecdsa::Signature::from_der(sig).map_err(|_| WebAuthnError::Signature)?;
            key.verify(message, &sig)
                .map_err(|_| WebAuthnError::Signature)
        }
        (Some(1), Some(-8)) => {
            use ed25519_dalek::Verifier;
            let x: [u8; 32] = bytes(-2, "x")?
                .try_into()
                .map_err(|_| WebAuthnError::Malformed("the Ed25519 key is not 32 bytes".into()))?;
            let key = ed25519_dalek::VerifyingKey::from_bytes(&x)
                .map_err(|_| WebAuthnError::Malformed("the Ed25519 key is invalid".into()))?;
            let sig: [u8; 64] = sig.try_into().map_err(|_| WebAuthnError::Signature)?;
            key.verify(message, &ed25519_dalek::Signature::from_bytes(&sig))
                .map_err(|_| WebAuthnError::Signature)
        }
        (Some(3), Some(-257)) => {
            use rsa::signature::Verifier;
            let public = rsa::RsaPublicKey::new(
                rsa::BigUint::from_bytes_be(bytes(-1, "modulus")?),
                rsa::BigUint::from_bytes_be(bytes(-2, "exponent")?),
            )
            .map_err(|e| WebAuthnError::Malformed(format!("the RSA key: {e}")))?;
            let key = rsa::pkcs1v15::VerifyingKey::<Sha256>::new(public);
            let sig =
                rsa::pkcs1v15::Signature::try_from(sig).map_err(|_| WebAuthnError::Signature)?;
            key.verify(message, &sig)
                .map_err(|_| WebAuthnError::Signature)
        }
        (kty, alg) => Err(WebAuthnError::Unsupported(format!(
            "key type {kty:?}, algorithm {alg:?}"
        ))),
    }
}

/// Verifies a registration (section 7.1) and returns the credential to store.
pub fn verify_registration(
    rp: &RelyingParty,
    challenge: &[u8],
    resp: &RegistrationResponse,
) -> Result<Credential, WebAuthnError> {
    let client_data = unb64(&resp.response.client_data_json, "clientDataJSON")?;
    check_client_data(rp, &client_data, "webauthn.create", challenge)?;
    let att = unb64(&resp.response.attestation_object, "attestationObject")?;
    let (obj, _) = cbor::decode(&att).map_err(|e| WebAuthnError::Malformed(e.to_string()))?;
    let auth_data = obj
        .get_text("authData")
        .and_then(Cbor::as_bytes)
        .ok_or_else(|| WebAuthnError::Malformed("no authenticator data".into()))?;
    let ad = parse_auth_data(rp, auth_data)?;
    check_flags(ad.flags, true)?;
    let (id, key) = ad
        .attested
        .ok_or_else(|| WebAuthnError::Malformed("no credential in the registration".into()))?;
    if unb64(&resp.id, "id")? != id {
        return Err(WebAuthnError::Malformed(
            "the credential id does not match".into(),
        ));
    }
    let alg = cose_alg(key)?;
    if ![ES256, EDDSA, RS256].contains(&alg) {
        return Err(WebAuthnError::Unsupported(format!("algorithm {alg}")));
    }
    // The key must be usable: a signature check against nothing proves nothing, so only
    // parse it here (decode errors surface now rather than at first sign-in).
    let _ = cbor::decode(key).map_err(|e| WebAuthnError::Malformed(e.to_string()))?;
    Ok(Credential {
        id,
        public_key: key.to_vec(),
        alg,
        sign_count: ad.sign_count,
    })
}

/// Verifies a sign-in (section 7.2) with the stored credential; returns the new signature
/// counter to store.
pub fn verify_assertion(
    rp: &RelyingParty,
    challenge: &[u8],
    resp: &AssertionResponse,
    cred: &Credential,
) -> Result<u32, WebAuthnError> {
    if unb64(&resp.id, "id")? != cred.id {
        return Err(WebAuthnError::Malformed(
            "the credential id does not match".into(),
        ));
    }
    let client_data = unb64(&resp.response.client_data_json, "clientDataJSON")?;
    check_client_data(rp, &client_data, "webauthn.get", challenge)?;
    let auth_data = unb64(&resp.response.authenticator_data, "authenticatorData")?;
    let ad = parse_auth_data(rp, &auth_data)?;
    check_flags(ad.flags, true)?;
    let mut message = auth_data.clone();
    message.extend_from_slice(&Sha256::digest(&client_data));
    verify_signature(
        &cred.public_key,
        &message,
        &unb64(&resp.response.signature, "signature")?,
    )?;
    // A counter that does not move on is fine (many passkeys keep it at 0); one that goes
    // backwards means two copies of the key are in use.
    if (ad.sign_count != 0 || cred.sign_count != 0) && ad.sign_count <= cred.sign_count {
        return Err(WebAuthnError::Counter);
    }
    Ok(ad.sign_count)
}

#[cfg(test)]
mod tests;

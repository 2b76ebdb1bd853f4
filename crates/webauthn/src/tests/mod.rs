#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;
use p256::ecdsa::SigningKey;
use p256::ecdsa::signature::Signer;

fn rp() -> RelyingParty {
    RelyingParty {
        id: "bluelamp.example".into(),
        origin: "https://bluelamp.example".into(),
        name: "Bluelamp".into(),
    }
}

/// A software authenticator: one P-256 key, a counter.
struct Authenticator {
    key: SigningKey,
    id: Vec<u8>,
    count: u32,
}

impl Authenticator {
    fn new() -> Self {
        Self {
            key: SigningKey::from_bytes(&[9u8; 32].into()).unwrap(),
            id: vec![0xc0, 0xde, 1, 2, 3, 4, 5, 6],
            count: 0,
        }
    }

    fn cose(&self) -> Vec<u8> {
        let point = self.key.verifying_key().to_encoded_point(false);
        let mut out = Vec::new();
        cbor::encode(
            &Cbor::Map(vec![
                (Cbor::Int(1), Cbor::Int(2)),
                (Cbor::Int(3), Cbor::Int(-7)),
                (Cbor::Int(-1), Cbor::Int(1)),
                (Cbor::Int(-2), Cbor::Bytes(point.x().unwrap().to_vec())),
                (Cbor::Int(-3), Cbor::Bytes(point.y().unwrap().to_vec())),
            ]),
            &mut out,
        );
        out
    }

    fn auth_data(&self, rp_id: &str, flags: u8, attested: bool) -> Vec<u8> {
        let mut d = Sha256::digest(rp_id.as_bytes()).to_vec();
        d.push(flags | if attested { FLAG_AT } else { 0 });
        d.extend_from_slice(&self.count.to_be_bytes());
        if attested {
            d.extend_from_slice(&[0u8; 16]);
            d.extend_from_slice(&(self.id.len() as u16).to_be_bytes());
            d.extend_from_slice(&self.id);
            d.extend_from_slice(&self.cose());
        }
        d
    }

    fn client_data(kind: &str, challenge: &[u8], origin: &str) -> Vec<u8> {
        json!({"type": kind, "challenge": b64(challenge), "origin": origin, "crossOrigin": false})
            .to_string()
            .into_bytes()
    }

    fn register(
        &self,
        challenge: &[u8],
        origin: &str,
        rp_id: &str,
        flags: u8,
    ) -> RegistrationResponse {
        let mut att = Vec::new();
        cbor::encode(
            &Cbor::Map(vec![
                (Cbor::Text("fmt".into()), Cbor::Text("none".into())),
                (Cbor::Text("attStmt".into()), Cbor::Map(vec![])),
                (
                    Cbor::Text("authData".into()),
                    Cbor::Bytes(self.auth_data(rp_id, flags, true)),
                ),
            ]),
            &mut att,
        );
        RegistrationResponse {
            id: b64(&self.id),
            response: AttestationResponse {
                client_data_json: b64(&Self::client_data("webauthn.create", challenge, origin)),
                attestation_object: b64(&att),
            },
        }
    }

    fn sign_in(&mut self, challenge: &[u8], origin: &str, flags: u8) -> AssertionResponse {
        self.count += 1;
        let ad = self.auth_data("bluelamp.example", flags, false);
        let cd = Self::client_data("webauthn.get", challenge, origin);
        let mut msg = ad.clone();
        msg.extend_from_slice(&Sha256::digest(&cd));
        let sig: p256::ecdsa::Signature = self.key.sign(&msg);
        AssertionResponse {
            id: b64(&self.id),
            response: AssertionData {
                client_data_json: b64(&cd),
                authenticator_data: b64(&ad),
                signature: b64(sig.to_der().as_bytes()),
                user_handle: Some(b64(b"pc.jones")),
            },
        }
    }
}

const ORIGIN: &str = "https://bluelamp.example";
const UP_UV: u8 = FLAG_UP | FLAG_UV;

#[test]
fn a_passkey_registers_and_then_signs_in() {
    let mut a = Authenticator::new();
    let challenge = new_challenge().unwrap();
    let cred = verify_registration(
        &rp(),
        &challenge,
        &a.register(&challenge, ORIGIN, "bluelamp.example", UP_UV),
    )
    .unwrap();
    assert_eq!(cred.alg, ES256);
    assert_eq!(cred.id, a.id);
    let c2 = new_challenge().unwrap();
    let count = verify_assertion(&rp(), &c2, &a.sign_in(&c2, ORIGIN, UP_UV), &cred).unwrap();
    assert_eq!(count, 1);
}

#[test]
fn registration_for_another_challenge_origin_or_site_is_refused() {
    let a = Authenticator::new();
    let challenge = new_challenge().unwrap();
    let other = new_challenge().unwrap();
    assert_eq!(
        verify_registration(
            &rp(),
            &challenge,
            &a.register(&other, ORIGIN, "bluelamp.example", UP_UV)
        )
        .unwrap_err(),
        WebAuthnError::Challenge
    );
    assert!(matches!(
        verify_registration(
            &rp(),
            &challenge,
            &a.register(
                &challenge,
                "https://b1uelamp.example",
                "bluelamp.example",
                UP_UV
            )
        )
        .unwrap_err(),
        WebAuthnError::Origin(_)
    ));
    assert_eq!(
        verify_registration(
            &rp(),
            &challenge,
            &a.register(&challenge, ORIGIN, "evil.example", UP_UV)
        )
        .unwrap_err(),
        WebAuthnError::RpId
    );
    assert_eq!(
        verify_registration(
            &rp(),
            &challenge,
            &a.register(&challenge, ORIGIN, "bluelamp.example", FLAG_UP)
        )
        .unwrap_err(),
        WebAuthnError::UserVerification,
        "user verification (PIN, fingerprint, face) is required"
    );
}

#[test]
fn a_sign_in_with_a_bad_signature_phished_origin_or_replayed_counter_is_refused() {
    let mut a = Authenticator::new();
    let challenge = new_challenge().unwrap();
    let cred = verify_registration(
        &rp(),
        &challenge,
        &a.register(&challenge, ORIGIN, "bluelamp.example", UP_UV),
    )
    .unwrap();
    let c = new_challenge().unwrap();
    let mut tampered = a.sign_in(&c, ORIGIN, UP_UV);
    let mut ad = unb64(&tampered.response.authenticator_data, "ad").unwrap();
    ad[36] ^= 1;
    tampered.response.authenticator_data = b64(&ad);
    assert_eq!(
        verify_assertion(&rp(), &c, &tampered, &cred).unwrap_err(),
        WebAuthnError::Signature
    );
    assert!(matches!(
        verify_assertion(
            &rp(),
            &c,
            &a.sign_in(&c, "https://phish.example", UP_UV),
            &cred
        )
        .unwrap_err(),
        WebAuthnError::Origin(_)
    ));
    let ok = a.sign_in(&c, ORIGIN, UP_UV);
    let count = verify_assertion(&rp(), &c, &ok, &cred).unwrap();
    let used = Credential {
        sign_count: count + 5,
        ..cred.clone()
    };
    assert_eq!(
        verify_assertion(&rp(), &c, &ok, &used).unwrap_err(),
        WebAuthnError::Counter
    );
    assert_eq!(
        verify_assertion(&rp(), &c, &a.sign_in(&c, ORIGIN, FLAG_UP), &cred).unwrap_err(),
        WebAuthnError::UserVerification
    );
}

#[test]
fn options_carry_the_challenge_and_ask_for_user_verification() {
    let o = creation_options(
        &rp(),
        b"pc.jones",
        "pc.jones",
        "PC Jones",
        b"0123456789abcdef",
        &[vec![1, 2]],
    );
    assert_eq!(o["rp"]["id"], "bluelamp.example");
    assert_eq!(o["authenticatorSelection"]["userVerification"], "required");
    assert_eq!(o["excludeCredentials"][0]["id"], b64(&[1, 2]));
    let r = request_options(&rp(), b"abc");
    assert_eq!(r["challenge"], b64(b"abc"));
}

//! Configuration. Each setting comes from, in order of precedence: a command-line flag, a
//! `BLUELAMP_*` environment variable, the configuration file (`--config`, TOML), a default.

use serde::Deserialize;
use std::path::{Path, PathBuf};

/// The configuration file's contents. Every key is optional.
#[derive(Debug, Default, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub listen: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<String>,
    pub demo: Option<bool>,
    pub log_format: Option<String>,
    /// The highest classification this deployment may hold: OFFICIAL, OFFICIAL-SENSITIVE
    /// (the default) or SECRET (an accredited, air-gapped deployment).
    pub accredited: Option<String>,
    /// Minutes of inactivity after which a session ends: 15 to 30 (default 30).
    pub idle_timeout_minutes: Option<i64>,
    /// The address users reach Bluelamp at; `https://...` makes cookies Secure and turns
    /// on HSTS (set it when a TLS proxy is in front).
    pub public_url: Option<String>,
    /// The audit signing key (hex Ed25519 secret) [default: <data_dir>/audit-signing.key].
    pub audit_key_file: Option<PathBuf>,
    /// The key that seals secrets the server reads back (authenticator-app seeds) in the
    /// database (hex AES-256) [default: <data_dir>/secrets.key].
    pub secrets_key_file: Option<PathBuf>,
    /// Every user must set up two-step verification before using anything else.
    pub require_mfa: Option<bool>,
    /// Every user must sign in with a passkey (WebAuthn): the SECRET tier.
    pub require_webauthn: Option<bool>,
    /// Protective monitoring: consultations by one user in an hour that raise an alert
    /// (default 300).
    pub alert_consultations_per_hour: Option<u32>,
    /// Protective monitoring: refusals of one user in 15 minutes that raise an alert
    /// (default 5).
    pub alert_denials_per_15_minutes: Option<u32>,
    /// Protective monitoring: an hour of the day with less than this per cent of a user's
    /// last 30 days' activity is unusual for them (default 1).
    pub alert_unusual_hour_percent: Option<u32>,
    /// Protective monitoring: hours between checks of every record against the audit trail
    /// (`bluelamp audit records`), raising an alert for any changed outside Bluelamp;
    /// 0 turns it off (default 24).
    pub records_check_hours: Option<u32>,
    /// Single sign-on: the OpenID Connect issuer (`https://login.microsoftonline.com/<tenant>/v2.0`).
    /// Needs `public_url`, `oidc_client_id` and `oidc_client_secret_file`.
    pub oidc_issuer: Option<String>,
    pub oidc_client_id: Option<String>,
    /// A file holding the client secret (so it is never in the configuration or the logs).
    pub oidc_client_secret_file: Option<PathBuf>,
    /// Scopes to ask for beyond `openid` (default `profile email`).
    pub oidc_scopes: Option<String>,
    /// The audience of the provider's access tokens for Bluelamp's API (default: the client
    /// id); such tokens are then accepted as `Authorization: Bearer` on `/api`.
    pub oidc_api_audience: Option<String>,
    /// The scope an access token needs to change anything through the API (default
    /// `bluelamp.write`); without it the token may only read.
    pub oidc_write_scope: Option<String>,
    /// The sign-in button's words (default "Sign in with your force account").
    pub oidc_button_label: Option<String>,
    /// The claims that carry the user name, display name, roles, unit, clearance,
    /// compartments and rank (defaults: preferred_username, name, roles, unit, clearance,
    /// compartments, rank).
    pub oidc_claim_username: Option<String>,
    pub oidc_claim_name: Option<String>,
    pub oidc_claim_roles: Option<String>,
    pub oidc_claim_unit: Option<String>,
    pub oidc_claim_clearance: Option<String>,
    pub oidc_claim_compartments: Option<String>,
    pub oidc_claim_rank: Option<String>,
    /// The provider must confirm a second factor (`amr`); default true.
    pub oidc_require_mfa: Option<bool>,
    /// A claim that must be true for sign-in (a managed, compliant device).
    pub oidc_device_compliance_claim: Option<String>,
}

/// Single sign-on as configured (the client secret read from its file).
#[derive(Debug, Clone, PartialEq)]
pub struct SsoSettings {
    pub client: bluelamp_oidc::ClientConfig,
    pub mapping: bluelamp_app::sso::ClaimMapping,
    pub label: String,
    pub write_scope: String,
}

impl FileConfig {
    /// The single sign-on settings, when an issuer is configured; an incomplete
    /// configuration is an error naming what is missing.
    pub fn sso(&self, public_url: Option<&str>) -> Result<Option<SsoSettings>, String> {
        let Some(issuer) = self.oidc_issuer.clone().filter(|i| !i.is_empty()) else {
            return Ok(None);
        };
        let public_url = public_url
            .ok_or("oidc_issuer needs public_url (the address the provider sends users back to)")?;
        let client_id = self
            .oidc_client_id
            .clone()
            .filter(|c| !c.is_empty())
            .ok_or("oidc_issuer needs oidc_client_id")?;
        let secret_file = self
            .oidc_client_secret_file
            .clone()
            .ok_or("oidc_issuer needs oidc_client_secret_file")?;
        let client_secret = std::fs::read_to_string(&secret_file)
            .map_err(|e| {
                format!(
                    "cannot read oidc_client_secret_file {}: {e}",
                    secret_file.display()
                )
            })?
            .trim()
            .to_string();
        if client_secret.is_empty() {
            return Err(format!("{} is empty", secret_file.display()));
        }
        let d = bluelamp_app::sso::ClaimMapping::default();
        let pick = |v: &Option<String>, default: String| {
            v.clone().filter(|s| !s.is_empty()).unwrap_or(default)
        };
        Ok(Some(SsoSettings {
            client: bluelamp_oidc::ClientConfig {
                issuer,
                client_id,
                client_secret,
                redirect_uri: format!("{}/sign-in/oidc/callback", public_url.trim_end_matches('/')),
                scopes: self
                    .oidc_scopes
                    .clone()
                    .unwrap_or_else(|| "profile email".into())
                    .split_whitespace()
                    .map(String::from)
                    .collect(),
                api_audience: self.oidc_api_audience.clone().filter(|a| !a.is_empty()),
            },
            mapping: bluelamp_app::sso::ClaimMapping {
                username: pick(&self.oidc_claim_username, d.username),
                display_name: pick(&self.oidc_claim_name, d.display_name),
                roles: pick(&self.oidc_claim_roles, d.roles),
                unit: pick(&self.oidc_claim_unit, d.unit),
                clearance: pick(&self.oidc_claim_clearance, d.clearance),
                compartments: pick(&self.oidc_claim_compartments, d.compartments),
                rank: pick(&self.oidc_claim_rank, d.rank),
                require_mfa: self.oidc_require_mfa.unwrap_or(true),
                device_compliance: self
                    .oidc_device_compliance_claim
                    .clone()
                    .filter(|s| !s.is_empty()),
            },
            write_scope: self
                .oidc_write_scope
                .clone()
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| "bluelamp.write".into()),
            label: self
                .oidc_button_label
                .clone()
                .unwrap_or_else(|| "Sign in with your force account".into()),
        }))
    }
}

impl FileConfig {
    pub fn load(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read the configuration file {}: {e}", path.display()))?;
        toml::from_str(&text).map_err(|e| {
            format!(
                "the configuration file {} is not valid: {e}",
                path.display()
            )
        })
    }
}

pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
pub const DEFAULT_DATA_DIR: &str = "./data";

/// Settings after precedence has been applied.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub listen: String,
    pub data_dir: PathBuf,
    pub database_url: Option<String>,
    pub demo: bool,
    pub log_format: String,
    pub security: crate::SecurityOptions,
    pub public_url: Option<String>,
    pub audit_key_file: PathBuf,
    pub secrets_key_file: PathBuf,
    pub sso: Option<SsoSettings>,
}

impl Settings {
    /// `flag_*` are what clap found on the command line or in the environment.
    pub fn resolve(
        file: &FileConfig,
        flag_listen: Option<String>,
        flag_data_dir: Option<PathBuf>,
        flag_database_url: Option<String>,
        flag_demo: bool,
        flag_log_format: Option<String>,
    ) -> Result<Self, String> {
        let log_format = flag_log_format
            .or_else(|| file.log_format.clone())
            .unwrap_or_else(|| "text".into());
        if log_format != "text" && log_format != "json" {
            return Err(format!(
                "log format must be text or json, not {log_format:?}"
            ));
        }
        let mut security = crate::SecurityOptions::default();
        if let Some(a) = &file.accredited {
            security.accredited = a
                .parse()
                .map_err(|e| format!("accredited: {e} (found {a:?})"))?;
        }
        if let Some(m) = file.idle_timeout_minutes {
            if !(15..=30).contains(&m) {
                return Err(format!(
                    "idle_timeout_minutes must be from 15 to 30, not {m}"
                ));
            }
            security.sessions.idle_timeout = jiff::SignedDuration::from_mins(m);
        }
        security.require_mfa = file.require_mfa.unwrap_or(false);
        security.require_webauthn = file.require_webauthn.unwrap_or(false);
        let m = &mut security.monitoring;
        if let Some(n) = file.alert_consultations_per_hour {
            if n == 0 {
                return Err("alert_consultations_per_hour must be at least 1".into());
            }
            m.consultations_per_hour = n;
        }
        if let Some(n) = file.alert_denials_per_15_minutes {
            if n == 0 {
                return Err("alert_denials_per_15_minutes must be at least 1".into());
            }
            m.denials_per_15_minutes = n;
        }
        if let Some(n) = file.records_check_hours {
            if n > 24 * 31 {
                return Err(format!(
                    "records_check_hours must be from 0 (off) to 744 (a month), not {n}"
                ));
            }
            m.records_check_hours = n;
        }
        if let Some(n) = file.alert_unusual_hour_percent {
            if n > 50 {
                return Err(format!(
                    "alert_unusual_hour_percent must be from 0 to 50, not {n}"
                ));
            }
            m.unusual_hour_percent = n;
        }
        let public_url = file.public_url.clone().filter(|u| !u.is_empty());
        if let Some(u) = &public_url {
            if !(u.starts_with("https://") || u.starts_with("http://")) {
                return Err(format!(
                    "public_url must start with https:// or http://, not {u:?}"
                ));
            }
            security.tls = u.starts_with("https://");
        }
        let data_dir: PathBuf = flag_data_dir
            .clone()
            .or_else(|| file.data_dir.clone())
            .unwrap_or_else(|| DEFAULT_DATA_DIR.into());
        let sso = file.sso(public_url.as_deref())?;
        Ok(Self {
            sso,
            security,
            public_url,
            audit_key_file: file
                .audit_key_file
                .clone()
                .unwrap_or_else(|| data_dir.join("audit-signing.key")),
            secrets_key_file: file
                .secrets_key_file
                .clone()
                .unwrap_or_else(|| data_dir.join("secrets.key")),
            listen: flag_listen
                .or_else(|| file.listen.clone())
                .unwrap_or_else(|| DEFAULT_LISTEN.into()),
            data_dir,
            database_url: flag_database_url
                .or_else(|| file.database_url.clone())
                .filter(|u| !u.is_empty()),
            demo: flag_demo || file.demo.unwrap_or(false),
            log_format,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_beat_the_file_and_the_file_beats_defaults() {
        let file = FileConfig {
            listen: Some("0.0.0.0:9000".into()),
            demo: Some(true),
            ..Default::default()
        };
        let s = Settings::resolve(&file, None, None, None, false, None).unwrap();
        assert_eq!(s.listen, "0.0.0.0:9000");
        assert!(s.demo);
        assert_eq!(s.data_dir, PathBuf::from("./data"));
        let s =
            Settings::resolve(&file, Some("127.0.0.1:1".into()), None, None, false, None).unwrap();
        assert_eq!(s.listen, "127.0.0.1:1");
    }

    #[test]
    fn an_unknown_key_in_the_file_is_refused_by_name() {
        let err = toml::from_str::<FileConfig>("listen = \"x\"\nlisten_port = 1\n").unwrap_err();
        assert!(err.to_string().contains("listen_port"), "{err}");
    }

    #[test]
    fn a_bad_log_format_is_refused() {
        assert!(
            Settings::resolve(
                &FileConfig::default(),
                None,
                None,
                None,
                false,
                Some("xml".into())
            )
            .is_err()
        );
    }
}

#[cfg(test)]
mod security_tests {
    use super::*;

    #[test]
    fn security_settings_are_read_and_checked() {
        let file: FileConfig = toml::from_str(
            "accredited = \"SECRET\"\nidle_timeout_minutes = 15\npublic_url = \"https://bluelamp.force.example\"\n",
        )
        .unwrap();
        let s = Settings::resolve(&file, None, None, None, false, None).unwrap();
        assert_eq!(
            s.security.accredited,
            bluelamp_domain::Classification::Secret
        );
        assert_eq!(s.security.sessions.idle_timeout.as_mins(), 15);
        assert!(s.security.tls);
        let default =
            Settings::resolve(&FileConfig::default(), None, None, None, false, None).unwrap();
        assert_eq!(
            default.security.accredited,
            bluelamp_domain::Classification::OfficialSensitive
        );
        assert!(!default.security.tls);
        assert_eq!(default.security.monitoring.records_check_hours, 24);
        let off: FileConfig = toml::from_str("records_check_hours = 0").unwrap();
        let off = Settings::resolve(&off, None, None, None, false, None).unwrap();
        assert_eq!(off.security.monitoring.records_check_hours, 0);
        for bad in [
            "idle_timeout_minutes = 60",
            "accredited = \"TOP SECRET\"",
            "public_url = \"ftp://x\"",
            "records_check_hours = 745",
        ] {
            let file: FileConfig = toml::from_str(bad).unwrap();
            let err = Settings::resolve(&file, None, None, None, false, None).unwrap_err();
            assert!(!err.is_empty(), "{bad}");
        }
    }

    #[test]
    fn single_sign_on_needs_every_part_and_reads_the_secret_from_its_file() {
        let dir = std::env::temp_dir().join(format!("bluelamp-sso-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let secret = dir.join("secret");
        std::fs::write(&secret, "s3cret\n").unwrap();
        let mut file = FileConfig {
            oidc_issuer: Some("https://idp.example".into()),
            ..Default::default()
        };
        assert!(file.sso(None).unwrap_err().contains("public_url"));
        assert!(
            file.sso(Some("https://bluelamp.example"))
                .unwrap_err()
                .contains("oidc_client_id")
        );
        file.oidc_client_id = Some("bluelamp".into());
        assert!(
            file.sso(Some("https://bluelamp.example"))
                .unwrap_err()
                .contains("oidc_client_secret_file")
        );
        file.oidc_client_secret_file = Some(secret);
        let sso = file
            .sso(Some("https://bluelamp.example/"))
            .unwrap()
            .unwrap();
        assert_eq!(sso.client.client_secret, "s3cret");
        assert_eq!(
            sso.client.redirect_uri,
            "https://bluelamp.example/sign-in/oidc/callback"
        );
        assert!(
            sso.mapping.require_mfa,
            "a second factor is required unless turned off"
        );
        assert_eq!(FileConfig::default().sso(None), Ok(None));
    }
}

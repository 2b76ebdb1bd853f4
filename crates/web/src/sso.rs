//! Single sign-on settings as the web edge holds them: the relying-party configuration, the
//! claim mapping, and the provider, discovered on first use (so Bluelamp starts, and local
//! sign-in works, even while the identity provider is unreachable).

use bluelamp_app::sso::ClaimMapping;
use bluelamp_oidc::{ClientConfig, OidcError, Provider};
use std::sync::Arc;
use tokio::sync::OnceCell;

#[derive(Clone)]
pub struct Sso {
    pub config: ClientConfig,
    pub mapping: ClaimMapping,
    /// The sign-in button's words ("Sign in with your force account").
    pub label: String,
    /// The scope an API access token needs to write.
    pub write_scope: String,
    provider: Arc<OnceCell<Provider>>,
}

impl std::fmt::Debug for Sso {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sso")
            .field("issuer", &self.config.issuer)
            .field("client_id", &self.config.client_id)
            .finish()
    }
}

impl Sso {
    pub fn new(
        config: ClientConfig,
        mapping: ClaimMapping,
        label: String,
        write_scope: String,
    ) -> Self {
        Self {
            config,
            mapping,
            label,
            write_scope,
            provider: Arc::new(OnceCell::new()),
        }
    }

    /// The provider, read from its discovery document the first time (retried on the next
    /// sign-in if that fails).
    pub async fn provider(&self) -> Result<&Provider, OidcError> {
        self.provider
            .get_or_try_init(|| Provider::discover(self.config.clone()))
            .await
    }
}

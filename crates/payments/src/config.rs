//! Which payment provider relais uses, and building it from the configuration.
//!
//! # The providers
//!
//! | key | implemented | |
//! | --- | --- | --- |
//! | `sandbox` | yes | [`Sandbox`]: local, no network, Stripe's test cards; the default |
//! | `stripe` | yes | [`StripeClient`]: Stripe's HTTP API |
//! | `uzcard` | no | refused with [`ConfigError::NotAvailable`] |
//! | `braintree` | no | refused with [`ConfigError::NotAvailable`] |
//! | `hdcpay` | no | refused with [`ConfigError::NotAvailable`] |
//!
//! The seed names `stripe`, `uzcard`, `braintree` and `hdcpay` as the providers of its payment
//! methods, so relais knows all four keys (and stores them) but only talks to Stripe. Uzcard's,
//! Braintree's and HDC Pay's protocols are not implemented here: rather than a client that
//! pretends, configuring one of them fails at start-up with a message saying that it is not
//! available in this build.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::{PaymentProvider, Sandbox, SandboxConfig, SandboxLedger, StripeClient, StripeConfig};

/// A payment provider's key, as the seed and the configuration spell it (lower case).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProviderKey {
    /// Stripe (implemented: [`StripeClient`]).
    Stripe,
    /// Uzcard (not available in this build).
    Uzcard,
    /// Braintree (not available in this build).
    Braintree,
    /// HDC Pay (not available in this build).
    Hdcpay,
    /// The local sandbox (implemented: [`Sandbox`]).
    Sandbox,
}

impl ProviderKey {
    /// Every key, in the seed's order, then `sandbox`.
    pub const ALL: [ProviderKey; 5] = [
        ProviderKey::Stripe,
        ProviderKey::Uzcard,
        ProviderKey::Braintree,
        ProviderKey::Hdcpay,
        ProviderKey::Sandbox,
    ];

    /// The key as a string (`stripe`).
    pub fn as_str(self) -> &'static str {
        match self {
            ProviderKey::Stripe => "stripe",
            ProviderKey::Uzcard => "uzcard",
            ProviderKey::Braintree => "braintree",
            ProviderKey::Hdcpay => "hdcpay",
            ProviderKey::Sandbox => "sandbox",
        }
    }

    /// Whether this build can talk to the provider.
    pub fn is_available(self) -> bool {
        matches!(self, ProviderKey::Stripe | ProviderKey::Sandbox)
    }
}

impl fmt::Display for ProviderKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A string that is not one of the [`ProviderKey`]s.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown payment provider `{0}`: expected stripe, uzcard, braintree, hdcpay or sandbox")]
pub struct UnknownProvider(pub String);

impl FromStr for ProviderKey {
    type Err = UnknownProvider;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ProviderKey::ALL
            .into_iter()
            .find(|key| key.as_str() == s)
            .ok_or_else(|| UnknownProvider(s.to_owned()))
    }
}

/// The `[payments]` configuration: which provider, and its settings.
#[derive(Debug, Clone, Deserialize)]
pub struct PaymentsConfig {
    /// The provider to use; `sandbox` when not given.
    #[serde(default = "sandbox_key")]
    pub provider: ProviderKey,
    /// Stripe's settings, required when `provider` is `stripe`.
    #[serde(default)]
    pub stripe: Option<StripeConfig>,
    /// The sandbox's settings, required when `provider` is `sandbox`.
    #[serde(default)]
    pub sandbox: Option<SandboxConfig>,
}

fn sandbox_key() -> ProviderKey {
    ProviderKey::Sandbox
}

/// Why a payment provider could not be built from its configuration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// The provider is known but this build has no implementation of it.
    #[error(
        "payment provider `{0}` is not available in this build: only `stripe` and `sandbox` are implemented"
    )]
    NotAvailable(ProviderKey),
    /// The provider's section is missing from the configuration.
    #[error("payment provider `{0}` is selected but its `[payments.{0}]` settings are missing")]
    Missing(ProviderKey),
    /// A setting is invalid; the message names it and never shows a secret.
    #[error("invalid payment configuration: {0}")]
    Invalid(String),
}

/// The configured provider; the sandbox keeps its cards and holds in `ledger` (unused otherwise).
pub fn build_provider(
    config: &PaymentsConfig,
    ledger: Arc<dyn SandboxLedger>,
) -> Result<Arc<dyn PaymentProvider>, ConfigError> {
    match config.provider {
        ProviderKey::Stripe => {
            let stripe = config
                .stripe
                .clone()
                .ok_or(ConfigError::Missing(ProviderKey::Stripe))?;
            Ok(Arc::new(StripeClient::new(stripe)?))
        }
        ProviderKey::Sandbox => {
            let sandbox = config
                .sandbox
                .clone()
                .ok_or(ConfigError::Missing(ProviderKey::Sandbox))?;
            Ok(Arc::new(Sandbox::new(sandbox, ledger)?))
        }
        key @ (ProviderKey::Uzcard | ProviderKey::Braintree | ProviderKey::Hdcpay) => {
            Err(ConfigError::NotAvailable(key))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MemoryLedger;

    fn config(json: serde_json::Value) -> PaymentsConfig {
        serde_json::from_value(json).unwrap()
    }

    fn ledger() -> Arc<dyn SandboxLedger> {
        Arc::new(MemoryLedger::new())
    }

    #[test]
    fn keys_are_lowercase_strings() {
        for key in ProviderKey::ALL {
            let json = serde_json::to_value(key).unwrap();
            assert_eq!(json, key.as_str());
            assert_eq!(serde_json::from_value::<ProviderKey>(json).unwrap(), key);
            assert_eq!(key.as_str().parse::<ProviderKey>().unwrap(), key);
            assert_eq!(key.to_string(), key.as_str());
        }
        assert!(serde_json::from_value::<ProviderKey>("Stripe".into()).is_err());
        assert_eq!(
            "paypal".parse::<ProviderKey>().unwrap_err().to_string(),
            "unknown payment provider `paypal`: expected stripe, uzcard, braintree, hdcpay or sandbox"
        );
    }

    #[test]
    fn only_stripe_and_the_sandbox_are_available() {
        let available: Vec<ProviderKey> = ProviderKey::ALL
            .into_iter()
            .filter(|key| key.is_available())
            .collect();
        assert_eq!(available, [ProviderKey::Stripe, ProviderKey::Sandbox]);
    }

    #[test]
    fn the_others_are_refused_when_configured() {
        for key in ["uzcard", "braintree", "hdcpay"] {
            let error = build_provider(&config(serde_json::json!({"provider": key})), ledger())
                .err()
                .unwrap();
            assert_eq!(
                error.to_string(),
                format!(
                    "payment provider `{key}` is not available in this build: only `stripe` and `sandbox` are implemented"
                )
            );
        }
    }

    #[test]
    fn builds_the_sandbox_by_default_and_stripe_when_asked() {
        let sandbox = config(serde_json::json!({"sandbox": {"secret": "0123456789abcdef0123"}}));
        assert_eq!(
            build_provider(&sandbox, ledger()).unwrap().key(),
            ProviderKey::Sandbox
        );
        let stripe = config(serde_json::json!({
            "provider": "stripe",
            "stripe": {"secret_key": "sk_test_0123456789"}
        }));
        assert_eq!(
            build_provider(&stripe, ledger()).unwrap().key(),
            ProviderKey::Stripe
        );
    }

    #[test]
    fn a_missing_section_is_named() {
        let error = build_provider(&config(serde_json::json!({"provider": "stripe"})), ledger())
            .err()
            .unwrap();
        assert_eq!(error, ConfigError::Missing(ProviderKey::Stripe));
        assert!(error.to_string().contains("[payments.stripe]"), "{error}");
    }
}

//! ERP connectors: where relais finds the third parties (companies) an operator keeps in its ERP.
//!
//! The rest of relais sees one small interface, [`Erp`], and nothing of the ERP's protocol. There is one
//! real implementation, [`OdooClient`], for Odoo's partners (`res.partner`), and an in-memory one,
//! [`MemoryErp`], for tests and demonstrations.
//!
//! # Why Odoo's `/jsonrpc` endpoint
//!
//! Odoo offers three external APIs over the same ORM calls (`execute_kw`): XML-RPC (`/xmlrpc/2/*`),
//! JSON-RPC (`/jsonrpc`) and, from Odoo 19 on, JSON-2 (`/json/2/<model>/<method>` with a bearer API key).
//! [`OdooClient`] speaks JSON-RPC because it is the one that works on every Odoo in service today
//! (API keys are accepted in place of the password from Odoo 14 on), needs nothing beyond the JSON client
//! relais already has (XML-RPC would need an XML-RPC codec), and is stateless: each call is one `POST`
//! carrying the database, the user id and the key, with no session cookie to keep alive.
//! Odoo 19 logs `/jsonrpc` as deprecated and plans its removal in Odoo 20; when that happens a JSON-2
//! implementation of [`Erp`] can sit next to this one without the callers noticing.
//!
//! # Why a trait object with boxed futures
//!
//! The API keeps the configured ERP as an `Option<Arc<dyn Erp>>` in its state (`None` when no ERP is
//! configured), so [`Erp`] must be object-safe, which an `async fn` in a trait is not. Its methods
//! therefore return an [`ErpFuture`] (a boxed, `Send` future). The boxing costs one allocation per call,
//! nothing next to an HTTP round trip, and in exchange any crate (the API's tests, a future connector)
//! can bring its own implementation, which an enum over the known implementations would not allow.

use std::future::Future;
use std::pin::Pin;

mod memory;
mod odoo;

pub use memory::MemoryErp;
pub use odoo::{OdooClient, OdooConfig};

/// The future returned by [`Erp`] methods: boxed and `Send`, so that `dyn Erp` can be shared across tasks.
pub type ErpFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, ErpError>> + Send + 'a>>;

/// A source of third parties: the companies an operator keeps in its ERP.
pub trait Erp: Send + Sync {
    /// A short label for logs (kind of ERP and where it is), never containing a secret.
    fn name(&self) -> &str;

    /// The active companies matching `query`, ordered by name, then by ERP id.
    fn partners<'a>(&'a self, query: &'a PartnerQuery) -> ErpFuture<'a, Vec<ErpPartner>>;

    /// The active company with this ERP id, or `None` if there is none (unknown, archived or not a company).
    fn partner(&self, erp_id: i64) -> ErpFuture<'_, Option<ErpPartner>>;
}

/// What [`Erp::partners`] should return.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PartnerQuery {
    /// Case-insensitive substring the company name must contain; blank means no filter.
    pub search: Option<String>,
    /// ERP ids to leave out, typically those of the third parties already imported.
    pub exclude: Vec<i64>,
    /// Maximum number of companies to return; `None` returns them all.
    pub limit: Option<u32>,
    /// Number of matching companies to skip before the first one returned.
    pub offset: u32,
}

impl PartnerQuery {
    /// The search term, trimmed, if there is a non-blank one.
    pub fn search_term(&self) -> Option<&str> {
        self.search
            .as_deref()
            .map(str::trim)
            .filter(|term| !term.is_empty())
    }
}

/// A company as the ERP knows it, with what relais needs to create a third party from it.
///
/// Empty ERP fields are `None`, never empty strings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErpPartner {
    /// The company's id in the ERP, which an imported third party remembers.
    pub erp_id: i64,
    /// The company's name.
    pub name: String,
    /// VAT (tax) identification number.
    pub vat: Option<String>,
    /// Contact email address.
    pub email: Option<String>,
    /// Contact phone number.
    pub phone: Option<String>,
    /// First address line (number and street).
    pub street: Option<String>,
    /// Second address line.
    pub street2: Option<String>,
    /// Postal code.
    pub zip: Option<String>,
    /// City.
    pub city: Option<String>,
    /// ISO 3166-1 alpha-2 code of the country, upper case (`"FR"`).
    pub country_code: Option<String>,
    /// Name of the country as the ERP displays it.
    pub country_name: Option<String>,
    /// Company registry number (SIREN, KvK, ...).
    pub company_registry: Option<String>,
    /// The ERP's internal reference for the company.
    pub reference: Option<String>,
    /// Web site.
    pub website: Option<String>,
    /// Whether the company is active (not archived) in the ERP.
    pub active: bool,
}

impl ErpPartner {
    /// An active company with only an id and a name, every other field empty.
    pub fn new(erp_id: i64, name: impl Into<String>) -> Self {
        Self {
            erp_id,
            name: name.into(),
            vat: None,
            email: None,
            phone: None,
            street: None,
            street2: None,
            zip: None,
            city: None,
            country_code: None,
            country_name: None,
            company_registry: None,
            reference: None,
            website: None,
            active: true,
        }
    }

    /// The street address on one line (`street, street2`), as a relais third party's `address`.
    pub fn address(&self) -> Option<String> {
        let lines: Vec<&str> = [self.street.as_deref(), self.street2.as_deref()]
            .into_iter()
            .flatten()
            .collect();
        (!lines.is_empty()).then(|| lines.join(", "))
    }
}

/// Why an ERP could not answer.
#[derive(Debug, thiserror::Error)]
pub enum ErpError {
    /// No ERP is configured: the ERP operations cannot be used.
    #[error("no ERP is configured")]
    NotConfigured,
    /// The ERP configuration is invalid (bad URL, empty database, ...).
    #[error("invalid ERP configuration: {0}")]
    Misconfigured(String),
    /// The ERP could not be reached (network error, timeout, gateway error).
    #[error("the ERP cannot be reached: {0}")]
    Unreachable(String),
    /// The ERP refused the configured credentials.
    #[error("the ERP refused the credentials: {0}")]
    Authentication(String),
    /// The ERP reached a call but answered with an error of its own.
    #[error("the ERP reported an error: {message}")]
    Remote {
        /// The ERP's name for the error (for Odoo, the exception class, e.g. `odoo.exceptions.AccessError`).
        name: Option<String>,
        /// The ERP's message.
        message: String,
    },
    /// The ERP's answer did not follow the protocol (not JSON-RPC, unexpected result shape, ...).
    #[error("unexpected answer from the ERP: {0}")]
    Protocol(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_term_ignores_blank_searches() {
        let mut query = PartnerQuery::default();
        assert_eq!(query.search_term(), None);
        query.search = Some("   ".into());
        assert_eq!(query.search_term(), None);
        query.search = Some("  acme ".into());
        assert_eq!(query.search_term(), Some("acme"));
    }

    #[test]
    fn address_joins_the_street_lines() {
        let mut partner = ErpPartner::new(1, "Acme");
        assert_eq!(partner.address(), None);
        partner.street2 = Some("Building B".into());
        assert_eq!(partner.address().as_deref(), Some("Building B"));
        partner.street = Some("12 rue de la Paix".into());
        assert_eq!(
            partner.address().as_deref(),
            Some("12 rue de la Paix, Building B")
        );
    }
}

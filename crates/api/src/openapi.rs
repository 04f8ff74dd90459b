//! The OpenAPI document: generated from the handlers' annotations, then completed with what
//! applies to every operation (security, the error catalogue).

use crate::access::{Authentication, EXTENSION, Requirement};
use crate::error::ErrorCode;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::tag::TagBuilder;
use utoipa::openapi::{InfoBuilder, LicenseBuilder, OpenApi};

/// The document as the handlers declare it, before [`finish`].
pub fn base() -> OpenApi {
    let mut api = OpenApi::default();
    api.info = InfoBuilder::new()
        .title("relais")
        .version(env!("CARGO_PKG_VERSION"))
        .description(Some(DESCRIPTION))
        .license(Some(
            LicenseBuilder::new().name("AGPL-3.0-or-later").build(),
        ))
        .build();
    api
}

const DESCRIPTION: &str = "The relais back office for shared-mobility operators.\n\n\
Dashboard operations live under `/dashboard/`; each one's `summary` is its title in the Dashboard \
API definition and its tag is its group there. Success answers `{\"code\": 0, \"data\": ...}` (or \
`{\"code\": 0}`); failures `{\"code\": <negative>, \"message\": {\"text\": ..., \"fields\": {...}}}` \
with the codes of `x-error-codes`. Lists are paged by keyset: `page_size`, `last_primary_key`, \
`primary_key_dir`, and the answer's `page` says how to ask for the next page.\n\n\
Each operation's `x-permission` says what it needs: `authentication` (`none`, `token`, or \
`surface_token`: a token that the partner or hauler surface checks itself, refusing in its own \
error shape), the `permission` key, whether it needs the `write` modifier, and its `scope` rule. Every Dashboard \
operation also needs `dashboard.access`. Operations marked `x-relais-extension` go beyond the \
Dashboard API definition: what a real back office needs that it leaves out.";

/// Complete the generated document.
pub fn finish(mut api: OpenApi) -> OpenApi {
    let components = api.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        "bearer",
        SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
    );
    components.add_security_scheme(
        "authentication_header",
        SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
            "Authentication",
            "The API token alone, as the partner API takes it.",
        ))),
    );
    for item in api.paths.paths.values_mut() {
        for operation in [
            &mut item.get,
            &mut item.post,
            &mut item.put,
            &mut item.patch,
            &mut item.delete,
        ]
        .into_iter()
        .flatten()
        {
            let needs_token = operation
                .extensions
                .as_ref()
                .and_then(|e| e.get(EXTENSION))
                .and_then(|v| serde_json::from_value::<Requirement>(v.clone()).ok())
                .is_some_and(|r| r.authentication != Authentication::None);
            // An operation that declares its own security (a surface taking one header form
            // only) keeps it.
            if needs_token && operation.security.is_none() {
                operation.security = Some(vec![
                    utoipa::openapi::security::SecurityRequirement::new(
                        "bearer",
                        Vec::<String>::new(),
                    ),
                    utoipa::openapi::security::SecurityRequirement::new(
                        "authentication_header",
                        Vec::<String>::new(),
                    ),
                ]);
            }
        }
    }
    let catalogue: Vec<serde_json::Value> = ErrorCode::ALL
        .iter()
        .map(|c| {
            serde_json::json!({
                "code": c.code(),
                "status": c.status().as_u16(),
                "name": format!("{c:?}"),
                "meaning": c.meaning(),
            })
        })
        .collect();
    let mut extensions = api.extensions.take().unwrap_or_default();
    extensions.insert("x-error-codes".into(), serde_json::Value::Array(catalogue));
    api.extensions = Some(extensions);
    let tags = api.tags.get_or_insert_with(Vec::new);
    for (name, description) in [
        (
            "Operations",
            "Health, readiness and metrics, for the people who run the server.",
        ),
        ("Authentication", "Signing in and out."),
        (
            "Partner",
            "The partner address book (companies, contacts) and trucker invite codes under \
             `/api/v4/`, compatible with the transport-management product of seeds 000-002: its \
             paths, fields, page-number pagination, `Token` authentication and error shapes \
             (`{\"field\": [\"message\"]}`, `{\"detail\": \"...\"}`), not the Dashboard envelope.",
        ),
        (
            "Haulers",
            "Hauler connections under `/haulers/`, compatible with seed 003: a hauler asks to work \
             for an operator's location by quoting its tenant code. Its own headers and error shape.",
        ),
        (
            "HaulerConnections",
            "The operator's side of hauler connections, in the Dashboard style: list, approve, deny, \
             revoke (relais extension).",
        ),
        (
            "PartnerAccounts",
            "Setting up a partner account from the Dashboard (relais extension).",
        ),
        (
            "Reference",
            "Reference lists the dashboard's forms offer (countries, vehicle models). Not in the \
             Dashboard API definition: marked `x-relais-extension`.",
        ),
    ] {
        tags.push(
            TagBuilder::new()
                .name(name)
                .description(Some(description))
                .build(),
        );
    }
    api
}

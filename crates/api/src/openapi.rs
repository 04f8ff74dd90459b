//! The OpenAPI document: generated from the handlers' annotations, then completed with what
//! applies to every operation (security, the error catalogue).

use crate::access::{Authentication, EXTENSION, Requirement, ScopeRule};
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
    for (path, item) in api.paths.paths.iter_mut() {
        let dashboard_style = path.starts_with("/dashboard/") || path.starts_with("/auth/");
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
            let requirement = operation
                .extensions
                .as_ref()
                .and_then(|e| e.get(EXTENSION))
                .and_then(|v| serde_json::from_value::<Requirement>(v.clone()).ok());
            let needs_token = requirement
                .as_ref()
                .is_some_and(|r| r.authentication != Authentication::None);
            if let Some(requirement) = &requirement
                && dashboard_style
            {
                standard_answers(operation, requirement);
            }
            if path.starts_with("/api/v4/") {
                partner_bad_request(operation);
            }
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

/// The answers every operation can give by its declaration and its extractors, added where the
/// operation does not describe them itself: the document then lists every status the server
/// can give, and only what is specific to an operation is written by hand.
fn standard_answers(operation: &mut utoipa::openapi::path::Operation, requirement: &Requirement) {
    use utoipa::openapi::path::ParameterIn;
    use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
    let error = |description: String| {
        ResponseBuilder::new()
            .description(description)
            .content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("ErrorBody")))
                    .build(),
            )
            .build()
    };
    let has_body = operation.request_body.is_some();
    let json_body = operation
        .request_body
        .as_ref()
        .is_some_and(|b| b.content.contains_key("application/json"));
    let parameters = operation.parameters.as_deref().unwrap_or_default();
    let has_params = !parameters.is_empty();
    let has_path_params = parameters
        .iter()
        .any(|p| p.parameter_in == ParameterIn::Path);
    let token = requirement.authentication == Authentication::Token;
    let scoped = requirement.scope != ScopeRule::Any || !requirement.objects.is_empty();
    let mut answers: Vec<(&str, String)> = Vec::new();
    if has_body || has_params {
        answers.push((
            "400",
            "The request cannot be read: malformed JSON or parameter, wrong type, missing or \
             unknown field (-10)"
                .into(),
        ));
        answers.push((
            "422",
            "A value breaks a constraint, or an id is below its minimum; `fields` names each \
             (-11)"
                .into(),
        ));
    }
    if token {
        answers.push(("401", "No valid API token (-20)".into()));
        answers.push((
            "403",
            if scoped {
                "Account blocked (-22), missing permission (-30), or an object outside the \
                 caller's scope (-31)"
            } else {
                "Account blocked (-22) or missing permission (-30)"
            }
            .into(),
        ));
    }
    if !requirement.objects.is_empty()
        || has_path_params
        || matches!(
            requirement.scope,
            ScopeRule::NetworksQuery(_) | ScopeRule::WholeNetworksQuery(_)
        )
    {
        answers.push((
            "404",
            "No such object; `fields` names the parameter (-2)".into(),
        ));
    }
    if requirement.write && !requirement.objects.is_empty() {
        answers.push((
            "409",
            "Refused by the state of the data, e.g. a closed network (-41)".into(),
        ));
    }
    if has_body {
        answers.push(("413", "The request body is too large (-13)".into()));
    }
    if json_body {
        answers.push(("415", "The body is not `application/json` (-12)".into()));
    }
    answers.push((
        "503",
        "The database is unreachable or the request timed out; retry later (-50)".into(),
    ));
    for (status, description) in answers {
        operation
            .responses
            .responses
            .entry(status.to_owned())
            .or_insert_with(|| error(description).into());
    }
    // Swagger UI does not show `x-permission`: say it in words.
    if let Some(needs) = needs_in_words(requirement) {
        let description = operation.description.get_or_insert_with(String::new);
        if !description.contains("**Needs:**") {
            if !description.is_empty() {
                description.push_str("\n\n");
            }
            description.push_str(&format!("**Needs:** {needs}."));
        }
    }
}

/// The requirement, as a sentence.
fn needs_in_words(requirement: &Requirement) -> Option<String> {
    let permission = requirement.permission?;
    let with = if requirement.write { " with write" } else { "" };
    let mut text = format!("`{}`{with}", permission.key());
    match &requirement.scope {
        ScopeRule::Global => text.push_str(", granted globally"),
        ScopeRule::NetworksQuery(name) => text.push_str(&format!(
            " over the networks of `{name}` (lists narrow to the clusters the grant reaches)"
        )),
        ScopeRule::WholeNetworksQuery(name) => text.push_str(&format!(
            " over the networks of `{name}`, each reached as a whole (riders' data belongs to \
             networks, not to clusters)"
        )),
        ScopeRule::Any => {}
    }
    for object in &requirement.objects {
        let place = match object.location {
            crate::access::Location::Path => "path",
            crate::access::Location::Query => "query",
            crate::access::Location::Body => "body",
        };
        text.push_str(&format!(
            ", reaching the {} of {place} `{}`",
            object.object.name(),
            object.parameter
        ));
    }
    Some(text)
}

/// Every partner operation may answer 400: a control character in a path or query parameter
/// (`{"parameter": ["Null characters are not allowed."]}`), field errors, or a body that is not
/// JSON (`{"detail": "JSON parse error - ..."}`), in Django REST framework's shapes.
fn partner_bad_request(operation: &mut utoipa::openapi::path::Operation) {
    use utoipa::openapi::schema::OneOfBuilder;
    use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
    let description = operation
        .responses
        .responses
        .get("400")
        .and_then(|r| match r {
            utoipa::openapi::RefOr::T(r) => Some(r.description.clone()),
            utoipa::openapi::RefOr::Ref(_) => None,
        })
        .unwrap_or_else(|| {
            "A path or query parameter holds a control character (`{\"parameter\": [\"Null \
             characters are not allowed.\"]}`)"
                .to_owned()
        });
    let schema = OneOfBuilder::new()
        .item(Ref::from_schema_name("FieldErrors"))
        .item(Ref::from_schema_name("Detail"))
        .build();
    let response = ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(utoipa::openapi::schema::Schema::OneOf(schema)))
                .build(),
        )
        .build();
    operation
        .responses
        .responses
        .insert("400".to_owned(), response.into());
}

//! Access rules: who may use a network (an email pattern, an organization, an app label).

use crate::access::{Authorized, read, write};
use crate::dashboard::networks::NetworkPath;
use crate::envelope::{Done, Envelope, done, ok};
use crate::error::{ApiError, ApiResult, ErrorBody, ErrorCode};
use crate::extract::required_nullable;
use crate::extract::{ValidJson, ValidPath};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use relais_domain::Permission;
use relais_store::entity::network_access_rule;
use relais_store::network_settings::AccessRuleFields;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use validator::{Validate, ValidationError};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_access_rules, create_access_rule))
        .routes(routes!(update_access_rule, delete_access_rule))
}

/// The seed's pattern for `email_pattern`.
const EMAIL_PATTERN: &str = r"^[a-zA-Z0-9@._(){}[\]|*+?%#\\-]+$";

/// Constraint: `email_pattern` matches `^[a-zA-Z0-9@._(){}[\]|*+?%#\\-]+$`.
fn valid_email_pattern(value: &str) -> Result<(), ValidationError> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || "@._(){}[]|*+?%#\\-".contains(c);
    if !value.is_empty() && value.chars().all(allowed) {
        Ok(())
    } else {
        Err(ValidationError::new("pattern").with_message(
            format!("must match {EMAIL_PATTERN} (letters, digits and @._(){{}}[]|*+?%#\\-)").into(),
        ))
    }
}

/// Refuse a rule letting nobody in: at least one property is needed.
fn at_least_one(fields: &AccessRuleFields) -> ApiResult<()> {
    if fields.email_pattern.is_none()
        && fields.organization_id.is_none()
        && fields.app_label_id.is_none()
    {
        let problem = "at least one of email_pattern, organization and app_label is required";
        return Err(ApiError::new(ErrorCode::Validation, problem)
            .with_field("email_pattern", problem)
            .with_field("organization", problem)
            .with_field("app_label", problem));
    }
    Ok(())
}

/// An access rule: users matching any of its properties may use the network.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccessRule {
    pub id: i64,
    pub network_id: i64,
    /// A SQL `LIKE`-style pattern on the user's email, as given.
    pub email_pattern: Option<String>,
    /// The identifier of an organization.
    pub organization: Option<i64>,
    /// The identifier of an app white label.
    pub app_label: Option<i64>,
    pub created_at: DateTime<Utc>,
}

impl From<network_access_rule::Model> for AccessRule {
    fn from(r: network_access_rule::Model) -> Self {
        AccessRule {
            id: r.id,
            network_id: r.network_id,
            email_pattern: r.email_pattern,
            organization: r.organization_id,
            app_label: r.app_label_id,
            created_at: r.created_at,
        }
    }
}

/// The access rule named in the path.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct AccessRulePath {
    /// Identifier of the network on which the access rule is.
    #[validate(range(min = 1))]
    #[param(minimum = 1)]
    pub network_id: i64,
    /// Identifier of the network access rule.
    #[validate(range(min = 1))]
    #[param(minimum = 1)]
    pub rid: i64,
}

/// Info on the new access rule to create, at least one property is required.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAccessRuleRequest {
    /// A pgsql pattern that specifies which email can access this network.
    #[serde(default)]
    #[validate(length(max = 255), custom(function = "valid_email_pattern"))]
    #[schema(
        pattern = r"^[a-zA-Z0-9@._(){}[\]|*+?%#\\-]+$",
        max_length = 255,
        example = "%@relais.example"
    )]
    pub email_pattern: Option<String>,
    /// The identifier of an organization that can access this network.
    #[serde(default)]
    #[validate(range(min = 1))]
    #[schema(minimum = 1, example = json!(null))]
    pub organization: Option<i64>,
    /// The identifier of the app white label that can access this network.
    #[serde(default)]
    #[validate(range(min = 1))]
    #[schema(minimum = 1, example = 1)]
    pub app_label: Option<i64>,
}

/// Info on the new access rule to update, at least one property is required.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateAccessRuleRequest {
    /// A pgsql pattern that specifies which email can access this network.
    #[serde(deserialize_with = "required_nullable")]
    #[validate(length(max = 255), custom(function = "valid_email_pattern"))]
    #[schema(
        example = "%@relais.example",
        required = true,
        pattern = r"^[a-zA-Z0-9@._(){}[\]|*+?%#\\-]+$",
        max_length = 255
    )]
    pub email_pattern: Option<String>,
    /// The identifier of an organization that can access this network.
    #[serde(deserialize_with = "required_nullable")]
    #[validate(range(min = 1))]
    #[schema(required = true, minimum = 1, example = json!(null))]
    pub organization: Option<i64>,
    /// The identifier of the app white label that can access this network.
    #[serde(deserialize_with = "required_nullable")]
    #[validate(range(min = 1))]
    #[schema(required = true, minimum = 1, example = 1)]
    pub app_label: Option<i64>,
}

/// Get access rules
#[utoipa::path(get, path = "/dashboard/networks/{network_id}/access-rules", tag = "Networks",
    summary = "Get access rules",
    description = "Return access rules of a given network, oldest first.",
    params(NetworkPath),
    extensions(("x-permission" = json!(read(Permission::NetworksManage).network_in_path("network_id")))),
    responses(
        (status = 200, description = "The network's access rules", body = Envelope<Vec<AccessRule>>),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or network outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such network (-2)", body = ErrorBody)))]
pub async fn get_access_rules(
    State(state): State<AppState>,
    ValidPath(path): ValidPath<NetworkPath>,
) -> ApiResult<Json<Envelope<Vec<AccessRule>>>> {
    let rules = relais_store::network_settings::access_rules(&state.db, path.network_id).await?;
    Ok(ok(rules.into_iter().map(AccessRule::from).collect()))
}

/// Create access rule
#[utoipa::path(post, path = "/dashboard/networks/{network_id}/access-rules", tag = "Networks",
    summary = "Create access rule",
    description = "Create a new access rule for a given network. At least one of `email_pattern`, `organization` and `app_label` is required (-11 naming the three otherwise). `email_pattern` is a SQL `LIKE`-style pattern (`%@relais.example`), stored as given. The app label must exist (404 naming `app_label`). Organizations are not managed by relais yet: any identifier >= 1 is accepted as is.",
    params(NetworkPath),
    request_body(content = CreateAccessRuleRequest, description = "Info on the new access rule to create, at least one property is required."),
    extensions(("x-permission" = json!(write(Permission::NetworksManage).network_in_path("network_id")))),
    responses(
        (status = 200, description = "The new access rule", body = Envelope<AccessRule>),
        (status = 400, description = "Malformed body (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or network outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such network or app label (-2)", body = ErrorBody),
        (status = 409, description = "The network is closed (-41)", body = ErrorBody),
        (status = 422, description = "Invalid body (-11)", body = ErrorBody)))]
pub async fn create_access_rule(
    State(state): State<AppState>,
    auth: Authorized,
    ValidPath(path): ValidPath<NetworkPath>,
    ValidJson(body): ValidJson<CreateAccessRuleRequest>,
) -> ApiResult<Json<Envelope<AccessRule>>> {
    let fields = AccessRuleFields {
        email_pattern: body.email_pattern,
        organization_id: body.organization,
        app_label_id: body.app_label,
    };
    at_least_one(&fields)?;
    let rule =
        relais_store::network_settings::create_access_rule(&state.db, path.network_id, fields)
            .await?;
    tracing::info!(
        network_id = path.network_id,
        rule_id = rule.id,
        user_id = auth.user_id(),
        "access rule created"
    );
    Ok(ok(AccessRule::from(rule)))
}

/// Update access rule
#[utoipa::path(put, path = "/dashboard/networks/{network_id}/access-rules/{rid}", tag = "Networks",
    summary = "Update access rule",
    description = "Update the given network access rule. The three properties are required and replace the rule's; each may be null, but not all three (-11 naming them). The app label must exist (404 naming `app_label`); any organization identifier >= 1 is accepted (organizations are not managed by relais yet).",
    params(AccessRulePath),
    request_body(content = UpdateAccessRuleRequest, description = "Info on the new access rule to update, at least one property is required."),
    extensions(("x-permission" = json!(write(Permission::NetworksManage).network_in_path("network_id")))),
    responses(
        (status = 200, description = "The access rule, changed", body = Envelope<AccessRule>),
        (status = 400, description = "Malformed body, missing property (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or network outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such network, access rule on it, or app label (-2)", body = ErrorBody),
        (status = 409, description = "The network is closed (-41)", body = ErrorBody),
        (status = 422, description = "Invalid body (-11)", body = ErrorBody)))]
pub async fn update_access_rule(
    State(state): State<AppState>,
    auth: Authorized,
    ValidPath(path): ValidPath<AccessRulePath>,
    ValidJson(body): ValidJson<UpdateAccessRuleRequest>,
) -> ApiResult<Json<Envelope<AccessRule>>> {
    let fields = AccessRuleFields {
        email_pattern: body.email_pattern,
        organization_id: body.organization,
        app_label_id: body.app_label,
    };
    at_least_one(&fields)?;
    let rule = relais_store::network_settings::update_access_rule(
        &state.db,
        path.network_id,
        path.rid,
        fields,
    )
    .await?;
    tracing::info!(
        network_id = path.network_id,
        rule_id = rule.id,
        user_id = auth.user_id(),
        "access rule updated"
    );
    Ok(ok(AccessRule::from(rule)))
}

/// Delete access rule
#[utoipa::path(delete, path = "/dashboard/networks/{network_id}/access-rules/{rid}", tag = "Networks",
    summary = "Delete access rule",
    description = "Delete the given network access rule.",
    params(AccessRulePath),
    extensions(("x-permission" = json!(write(Permission::NetworksManage).network_in_path("network_id")))),
    responses(
        (status = 200, description = "Deleted", body = Done),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or network outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such network or access rule on it (-2)", body = ErrorBody),
        (status = 409, description = "The network is closed (-41)", body = ErrorBody)))]
pub async fn delete_access_rule(
    State(state): State<AppState>,
    auth: Authorized,
    ValidPath(path): ValidPath<AccessRulePath>,
) -> ApiResult<Json<Done>> {
    relais_store::network_settings::delete_access_rule(&state.db, path.network_id, path.rid)
        .await?;
    tracing::info!(
        network_id = path.network_id,
        rule_id = path.rid,
        user_id = auth.user_id(),
        "access rule deleted"
    );
    Ok(done())
}

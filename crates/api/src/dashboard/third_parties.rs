//! Seed group `ThirdParties`: the companies the operator works with (network owners), created by
//! hand or imported from the ERP.
//!
//! Third parties are operator-wide, not attached to networks, so organizational units do not
//! scope them: reading them needs `networks.manage` (anyone choosing a network's owner may see
//! them all); creating and importing them, and browsing the ERP, need `networks.manage`
//! globally (with write to create or import).
//!
//! The ERP is the one configured in [`AppState::erp`]. Without one, the ERP operations answer
//! -50 (503) "no ERP is configured"; when the ERP fails (unreachable, refused credentials,
//! unexpected answer) they answer -50 with a generic text and the detail goes to the log.

use crate::access::{read, write};
use crate::dashboard::networks::{CountryRef, known_country};
use crate::envelope::{Envelope, ok};
use crate::error::{ApiError, ApiResult, ErrorBody, ErrorCode};
use crate::extract::{ValidJson, ValidQuery};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use relais_domain::Permission;
use relais_domain::reference::{country, country_by_alpha2};
use relais_erp::{Erp, ErpError, ErpPartner, PartnerQuery};
use relais_store::entity::third_party;
use relais_store::third_parties::NewThirdParty;
use serde::{Deserialize, Serialize};
use serde_with::{DisplayFromStr, serde_as};
use std::sync::Arc;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use validator::Validate;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_third_parties, create_third_party))
        .routes(routes!(get_erp_third_parties))
        .routes(routes!(import_third_party))
}

// Column widths of `third_parties`, which imported values must fit.
const NAME_MAX: usize = 255;
const ADDRESS_MAX: usize = 512;
const ZIPCODE_MAX: usize = 10;
const CITY_MAX: usize = 128;
const EMAIL_MAX: usize = 254;
const PHONE_MAX: usize = 64;
const VAT_MAX: usize = 64;

/// A third party.
#[derive(Debug, Serialize, ToSchema)]
pub struct ThirdParty {
    pub id: i64,
    pub name: String,
    /// Number and street.
    pub address: String,
    pub zipcode: String,
    pub city: String,
    pub country: CountryRef,
    /// The company's id in the ERP; null for a third party created by hand.
    pub erp_id: Option<i64>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub vat_number: Option<String>,
    pub created_at: DateTime<Utc>,
}

fn country_ref(id: i32) -> CountryRef {
    let known = u16::try_from(id).ok().and_then(country);
    CountryRef {
        id,
        code: known.map(|c| c.alpha2.to_owned()).unwrap_or_default(),
        name: known.map(|c| c.name.to_owned()).unwrap_or_default(),
    }
}

impl From<third_party::Model> for ThirdParty {
    fn from(t: third_party::Model) -> Self {
        ThirdParty {
            id: t.id,
            name: t.name,
            address: t.address,
            zipcode: t.zipcode,
            city: t.city,
            country: country_ref(t.country_id),
            erp_id: t.erp_id,
            email: t.email,
            phone: t.phone,
            vat_number: t.vat_number,
            created_at: t.created_at,
        }
    }
}

/// Info about the third-party.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateThirdPartyRequest {
    /// The third-party's name.
    #[validate(length(min = 1, max = 255))]
    #[schema(min_length = 1, max_length = 255, example = "Métropole de Lyon")]
    pub name: String,
    /// The third-party's address number and street.
    #[validate(length(min = 1, max = 512))]
    #[schema(min_length = 1, max_length = 512, example = "20 rue du Lac")]
    pub address: String,
    /// The third-party's address zip code.
    #[validate(length(min = 1, max = 10))]
    #[schema(min_length = 1, max_length = 10, example = "69003")]
    pub zipcode: String,
    /// The third-party's address city.
    #[validate(length(min = 1, max = 128))]
    #[schema(min_length = 1, max_length = 128, example = "Lyon")]
    pub city: String,
    /// The identifier of the country in which the third party is located (ISO 3166-1 numeric code, France = 250).
    #[validate(range(min = 1), custom(function = "known_country"))]
    #[schema(minimum = 1, example = 250)]
    pub country_id: i32,
}

/// Info about the third-party.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportThirdPartyRequest {
    /// The ERP third-party's identifier.
    #[validate(range(min = 1))]
    #[schema(minimum = 1, example = 1)]
    pub erp_id: i64,
}

/// Which ERP companies to list.
#[serde_as]
#[derive(Debug, Default, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ErpThirdPartiesQuery {
    /// Only the companies whose name contains this text (case-insensitive); blank means all.
    #[serde(default)]
    #[validate(length(max = 255))]
    #[param(max_length = 255)]
    pub search: Option<String>,
    /// The page to return, from 1.
    #[serde_as(as = "Option<DisplayFromStr>")]
    #[serde(default)]
    #[validate(range(min = 1, max = 100000))]
    #[param(minimum = 1, maximum = 100000, default = 1, value_type = Option<i64>)]
    pub page: Option<u32>,
    /// The maximum companies to return.
    #[serde_as(as = "Option<DisplayFromStr>")]
    #[serde(default)]
    #[validate(range(min = 10, max = 500))]
    #[param(minimum = 10, maximum = 500, default = 20, value_type = Option<i64>)]
    pub page_size: Option<u32>,
}

const DEFAULT_ERP_PAGE_SIZE: u32 = 20;

/// A company of the ERP not imported yet, with what a third party would take from it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErpThirdParty {
    /// The company's id in the ERP: the `erp_id` to import it with.
    pub erp_id: i64,
    pub name: String,
    /// Number and street (the ERP's two street lines joined).
    pub address: Option<String>,
    pub zipcode: Option<String>,
    pub city: Option<String>,
    /// The country's ISO 3166-1 numeric code (relais' `country_id`), null when the ERP has none
    /// or one relais does not know.
    pub country_id: Option<i32>,
    /// The country's ISO 3166-1 alpha-2 code as the ERP gives it.
    pub country_code: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub vat_number: Option<String>,
    /// Whether the company has everything a third party needs; importing it otherwise is refused.
    pub importable: bool,
    /// The third-party fields the company lacks (or has too long): `name`, `address`, `zipcode`,
    /// `city`, `country_id`.
    pub missing: Vec<String>,
}

impl From<ErpPartner> for ErpThirdParty {
    fn from(p: ErpPartner) -> Self {
        let missing: Vec<String> = match mapped(&p) {
            Ok(_) => Vec::new(),
            Err(problems) => problems
                .into_iter()
                .map(|(field, _)| field.into())
                .collect(),
        };
        ErpThirdParty {
            erp_id: p.erp_id,
            address: p.address(),
            country_id: p
                .country_code
                .as_deref()
                .and_then(country_by_alpha2)
                .map(|c| i32::from(c.id)),
            name: p.name,
            zipcode: p.zip,
            city: p.city,
            country_code: p.country_code,
            email: p.email,
            phone: p.phone,
            vat_number: p.vat,
            importable: missing.is_empty(),
            missing,
        }
    }
}

/// How a page of ERP companies was cut.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErpPageInfo {
    /// The page returned, from 1.
    pub page: u32,
    /// The page size that was applied.
    pub page_size: u32,
    /// Whether companies follow this page: ask for `page + 1` with the same other parameters.
    pub has_more: bool,
}

/// A page of ERP companies.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErpPaged {
    /// Always 0 on success.
    #[schema(example = 0)]
    pub code: i32,
    pub data: Vec<ErpThirdParty>,
    pub page: ErpPageInfo,
}

impl IntoResponse for ErpPaged {
    fn into_response(self) -> Response {
        Json(self).into_response()
    }
}

/// The configured ERP, or -50 when there is none.
fn erp(state: &AppState) -> ApiResult<&Arc<dyn Erp>> {
    state
        .erp
        .as_ref()
        .ok_or_else(|| ApiError::new(ErrorCode::Unavailable, "no ERP is configured"))
}

/// An ERP failure as the client sees it: the detail is logged, never sent.
fn erp_failure(erp: &dyn Erp, err: ErpError) -> ApiError {
    if let ErpError::NotConfigured = err {
        return ApiError::new(ErrorCode::Unavailable, "no ERP is configured");
    }
    tracing::error!(erp = erp.name(), error = %err, "ERP call failed");
    ApiError::new(
        ErrorCode::Unavailable,
        "the ERP cannot answer now; the detail is in the server log",
    )
}

/// The text of an optional ERP field, trimmed, if not blank.
fn text(value: &Option<String>) -> Option<String> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

/// A required third-party field from the ERP: present and not longer than the column.
fn required(
    field: &'static str,
    what: &str,
    value: Option<String>,
    max: usize,
    problems: &mut Vec<(&'static str, String)>,
) -> String {
    match value {
        None => {
            problems.push((field, format!("the ERP company has no {what}")));
            String::new()
        }
        Some(v) if v.chars().count() > max => {
            problems.push((
                field,
                format!("the ERP company's {what} is longer than {max} characters"),
            ));
            String::new()
        }
        Some(v) => v,
    }
}

/// An optional third-party field from the ERP, left out when it does not fit the column.
fn optional(erp_id: i64, field: &str, value: &Option<String>, max: usize) -> Option<String> {
    let value = text(value)?;
    if value.chars().count() > max {
        tracing::warn!(
            erp_id,
            field,
            "ERP value longer than {max} characters left out"
        );
        return None;
    }
    Some(value)
}

/// The third party an ERP company makes, or each field it lacks with the problem.
fn mapped(p: &ErpPartner) -> Result<NewThirdParty, Vec<(&'static str, String)>> {
    let mut problems = Vec::new();
    let name = required(
        "name",
        "name",
        text(&Some(p.name.clone())),
        NAME_MAX,
        &mut problems,
    );
    let address = required(
        "address",
        "street address",
        text(&p.address()),
        ADDRESS_MAX,
        &mut problems,
    );
    let zipcode = required(
        "zipcode",
        "zip code",
        text(&p.zip),
        ZIPCODE_MAX,
        &mut problems,
    );
    let city = required("city", "city", text(&p.city), CITY_MAX, &mut problems);
    let country_id = match text(&p.country_code) {
        None => {
            problems.push(("country_id", "the ERP company has no country".into()));
            0
        }
        Some(code) => match country_by_alpha2(&code) {
            Some(c) => i32::from(c.id),
            None => {
                problems.push((
                    "country_id",
                    format!("the ERP company's country `{code}` is not an ISO 3166-1 country"),
                ));
                0
            }
        },
    };
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(NewThirdParty {
        name,
        address,
        zipcode,
        city,
        country_id,
        erp_id: Some(p.erp_id),
        email: optional(p.erp_id, "email", &p.email, EMAIL_MAX),
        phone: optional(p.erp_id, "phone", &p.phone, PHONE_MAX),
        vat_number: optional(p.erp_id, "vat_number", &p.vat, VAT_MAX),
    })
}

/// Get third-parties
#[utoipa::path(get, path = "/dashboard/third-parties", tag = "ThirdParties",
    summary = "Get third-parties",
    description = "Get the list of the third-parties already imported. Every third party, created by hand (`erp_id` null) or imported from the ERP, by name. Third parties are operator-wide: any holder of `networks.manage` sees them all.",
    extensions(("x-permission" = json!(read(Permission::NetworksManage)))),
    responses(
        (status = 200, description = "The third parties, by name", body = Envelope<Vec<ThirdParty>>),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30)", body = ErrorBody)))]
pub async fn get_third_parties(
    State(state): State<AppState>,
) -> ApiResult<Json<Envelope<Vec<ThirdParty>>>> {
    let all = relais_store::third_parties::list(&state.db).await?;
    Ok(ok(all.into_iter().map(ThirdParty::from).collect()))
}

/// Create third-party
#[utoipa::path(post, path = "/dashboard/third-parties", tag = "ThirdParties",
    summary = "Create third-party",
    description = "Create a third-party not linked to the ERP. Answers the new third party.",
    request_body(content = CreateThirdPartyRequest, description = "Info about the third-party."),
    extensions(("x-permission" = json!(write(Permission::NetworksManage).global()))),
    responses(
        (status = 200, description = "Created", body = Envelope<ThirdParty>),
        (status = 400, description = "Malformed body (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission, or not held globally with write (-30, -31)", body = ErrorBody),
        (status = 422, description = "Invalid body (-11)", body = ErrorBody)))]
pub async fn create_third_party(
    State(state): State<AppState>,
    ValidJson(body): ValidJson<CreateThirdPartyRequest>,
) -> ApiResult<Json<Envelope<ThirdParty>>> {
    let created = relais_store::third_parties::create(
        &state.db,
        NewThirdParty {
            name: body.name,
            address: body.address,
            zipcode: body.zipcode,
            city: body.city,
            country_id: body.country_id,
            erp_id: None,
            email: None,
            phone: None,
            vat_number: None,
        },
    )
    .await?;
    Ok(ok(ThirdParty::from(created)))
}

/// Get third-parties from the ERP
#[utoipa::path(get, path = "/dashboard/third-parties/erp", tag = "ThirdParties",
    summary = "Get third-parties from the ERP",
    description = "Get the list of not imported third-parties from the ERP: the ERP's active companies whose `erp_id` no third party has, by name then ERP id, a page at a time (`page`, `page_size`). Each tells whether it can be imported and which third-party fields it lacks. Answers -50 (503) when no ERP is configured or the ERP cannot answer.",
    params(ErpThirdPartiesQuery),
    extensions(("x-permission" = json!(read(Permission::NetworksManage).global()))),
    responses(
        (status = 200, description = "A page of companies not imported yet", body = ErpPaged),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission, or not held globally (-30, -31)", body = ErrorBody),
        (status = 422, description = "Invalid query (-11)", body = ErrorBody),
        (status = 503, description = "No ERP is configured, or the ERP cannot answer (-50)", body = ErrorBody)))]
pub async fn get_erp_third_parties(
    State(state): State<AppState>,
    ValidQuery(query): ValidQuery<ErpThirdPartiesQuery>,
) -> ApiResult<ErpPaged> {
    let erp = erp(&state)?;
    let page = query.page.unwrap_or(1);
    let page_size = query.page_size.unwrap_or(DEFAULT_ERP_PAGE_SIZE);
    let exclude = relais_store::third_parties::erp_ids(&state.db).await?;
    let partner_query = PartnerQuery {
        search: query.search,
        exclude,
        limit: Some(page_size + 1),
        offset: (page - 1) * page_size,
    };
    let mut partners = erp
        .partners(&partner_query)
        .await
        .map_err(|err| erp_failure(erp.as_ref(), err))?;
    let has_more = partners.len() > page_size as usize;
    partners.truncate(page_size as usize);
    Ok(ErpPaged {
        code: 0,
        data: partners.into_iter().map(ErpThirdParty::from).collect(),
        page: ErpPageInfo {
            page,
            page_size,
            has_more,
        },
    })
}

/// Import third-party
#[utoipa::path(post, path = "/dashboard/third-parties/import", tag = "ThirdParties",
    summary = "Import third-party",
    description = "Import a third-party from the ERP: creates a third party from the ERP's active company `erp_id` (name, street lines joined as `address`, zip code, city, country; email, phone and VAT number when the ERP has them) and answers it. Refused (-11 naming each field) when the company lacks what a third party needs, (-40) when it is already imported; 404 when the ERP has no such active company; -50 (503) when no ERP is configured or the ERP cannot answer.",
    request_body(content = ImportThirdPartyRequest, description = "Info about the third-party."),
    extensions(("x-permission" = json!(write(Permission::NetworksManage).global()))),
    responses(
        (status = 200, description = "Imported", body = Envelope<ThirdParty>),
        (status = 400, description = "Malformed body (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission, or not held globally with write (-30, -31)", body = ErrorBody),
        (status = 404, description = "No such company in the ERP (-2)", body = ErrorBody),
        (status = 409, description = "Already imported (-40)", body = ErrorBody),
        (status = 422, description = "Invalid body, or the ERP company lacks a field a third party needs (-11)", body = ErrorBody),
        (status = 503, description = "No ERP is configured, or the ERP cannot answer (-50)", body = ErrorBody)))]
pub async fn import_third_party(
    State(state): State<AppState>,
    ValidJson(body): ValidJson<ImportThirdPartyRequest>,
) -> ApiResult<Json<Envelope<ThirdParty>>> {
    let erp = erp(&state)?;
    let erp_id = body.erp_id;
    if let Some(existing) = relais_store::third_parties::by_erp_id(&state.db, erp_id).await? {
        return Err(already_imported(erp_id, Some(existing.id)));
    }
    let partner = erp
        .partner(erp_id)
        .await
        .map_err(|err| erp_failure(erp.as_ref(), err))?
        .ok_or_else(|| {
            ApiError::new(
                ErrorCode::NotFound,
                format!("the ERP has no active company {erp_id}"),
            )
            .with_field("erp_id", "no such company in the ERP")
        })?;
    let new = mapped(&partner).map_err(|problems| {
        let fields: Vec<&str> = problems.iter().map(|(field, _)| *field).collect();
        let mut err = ApiError::new(
            ErrorCode::Validation,
            format!(
                "the ERP company {erp_id} lacks what a third party needs: {}",
                fields.join(", ")
            ),
        );
        for (field, problem) in problems {
            err = err.with_field(field, problem);
        }
        err
    })?;
    match relais_store::third_parties::create(&state.db, new).await {
        Ok(created) => Ok(ok(ThirdParty::from(created))),
        // Imported meanwhile by someone else.
        Err(relais_store::StoreError::Conflict { .. }) => Err(already_imported(erp_id, None)),
        Err(err) => Err(err.into()),
    }
}

fn already_imported(erp_id: i64, third_party_id: Option<i64>) -> ApiError {
    let text = match third_party_id {
        Some(id) => format!("the ERP company {erp_id} is already imported as third party {id}"),
        None => format!("the ERP company {erp_id} is already imported"),
    };
    ApiError::new(ErrorCode::Conflict, text).with_field("erp_id", "already imported")
}

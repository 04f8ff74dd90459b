//! Seed 001: the companies of the requester's address book.

use super::views::{self, Company};
use super::{
    Detail, FIELD_ERRORS, FORBIDDEN, FieldErrors, Fields, LOOKUP_ERROR, LookupQuery, Page,
    PageAsked, PartnerError, PartnerResult, Requester, TAG, UNAUTHENTICATED,
};
use crate::access::surface_token;
use crate::state::AppState;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use chrono::Utc;
use relais_store::entity::partner_company;
use relais_store::partner as store;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_companies, create_company))
        .routes(routes!(read_company, update_company))
}

/// Refusal of the fields only the creator of a company may change.
pub const CREATOR_ONLY: &str =
    "Only updatable by the creator of the company, and if the company hasn't subscribed.";

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CompanyListQuery {
    /// A page number within the paginated result set.
    pub page: Option<String>,
    /// Case insensitive filter on company name (contains).
    pub name: Option<String>,
}

/// The primary address of a company, as written.
#[derive(Serialize, ToSchema)]
pub struct AddressInput {
    #[schema(example = "Transport Bouvet")]
    pub name: Option<String>,
    #[schema(example = "3 rue des champs")]
    pub address: Option<String>,
    #[schema(example = "Nantes")]
    pub city: Option<String>,
    #[schema(example = "44000")]
    pub postcode: Option<String>,
    /// ISO 3166-1 alpha-2.
    #[schema(example = "FR")]
    pub country: Option<String>,
    #[schema(minimum = -90, maximum = 90, example = 47.2184)]
    pub latitude: Option<f64>,
    #[schema(minimum = -180, maximum = 180, example = -1.5536)]
    pub longitude: Option<f64>,
    /// Metres.
    #[schema(minimum = 0, maximum = 100000, example = 500)]
    pub radius: Option<i32>,
    pub coords_validated: Option<bool>,
    pub instructions: Option<String>,
    pub remote_id: Option<String>,
}

/// A company as written by the requester. Unknown and read-only fields are ignored.
#[derive(Serialize, ToSchema)]
pub struct CompanyInput {
    /// Required on creation. Only updatable by the creator of the company, and if the company
    /// hasn't subscribed.
    #[schema(max_length = 255, example = "Transport Bouvet")]
    pub name: Option<String>,
    /// Only updatable by the creator of the company, and if the company hasn't subscribed.
    #[schema(example = "adele.bouvet@gmail.com")]
    pub email: Option<String>,
    /// Only updatable by the creator of the company, and if the company hasn't subscribed.
    pub phone_number: Option<String>,
    /// Only updatable by the creator of the company, and if the company hasn't subscribed.
    pub siren: Option<String>,
    /// Only updatable by the creator of the company, and if the company hasn't subscribed.
    pub trade_number: Option<String>,
    /// Only updatable by the creator of the company, and if the company hasn't subscribed.
    pub vat_number: Option<String>,
    /// Only the 2-character codification is accepted (ISO 3166-1 alpha-2).
    #[schema(example = "FR")]
    pub country: Option<String>,
    /// The ID of the company in your system. It has to be unique among all your companies.
    pub remote_id: Option<String>,
    /// The id of the company in your invoicing system.
    #[schema(example = "COMP_456")]
    pub invoicing_remote_id: Option<String>,
    /// Notes for this company, only visible to your team members.
    pub notes: Option<String>,
    pub primary_address: Option<AddressInput>,
    /// The Dashboard third party this company is (relais extension).
    #[schema(example = json!(null))]
    pub third_party_id: Option<i64>,
}

const CREATOR_FIELDS: [&str; 6] = [
    "name",
    "email",
    "phone_number",
    "siren",
    "trade_number",
    "vat_number",
];

/// Apply the fields of `body` to `company`; `creating` requires the name.
async fn apply(
    state: &AppState,
    body: &mut Fields,
    company: &mut partner_company::Model,
    creating: bool,
    creator: bool,
) -> PartnerResult<()> {
    if creating {
        body.require("name");
    }
    if !creator {
        for field in CREATOR_FIELDS {
            if body.has(field) {
                body.error(field, CREATOR_ONLY);
            }
        }
    }
    if let Some(v) = body.required_text("name", 255) {
        company.name = v;
    }
    if let Some(v) = body.email("email") {
        company.email = v;
    }
    for (field, slot) in [
        ("phone_number", &mut company.phone_number),
        ("siren", &mut company.siren),
        ("trade_number", &mut company.trade_number),
        ("vat_number", &mut company.vat_number),
    ] {
        if let Some(v) = body.text(field, 40) {
            *slot = v;
        }
    }
    if let Some(v) = body.country("country") {
        company.country = v;
    }
    if let Some(v) = body.nullable_text("remote_id", 255) {
        company.remote_id = v;
    }
    if let Some(v) = body.nullable_text("invoicing_remote_id", 255) {
        company.invoicing_remote_id = v;
    }
    if let Some(v) = body.text("notes", 10_000) {
        company.notes = v;
    }
    if let Some(v) = body.integer("third_party_id", 1, i64::MAX) {
        if let Some(id) = v
            && relais_store::third_parties::get(&state.db, id)
                .await?
                .is_none()
        {
            body.error(
                "third_party_id",
                format!("Invalid pk \"{id}\" - object does not exist."),
            );
        }
        company.third_party_id = v;
    }
    if let Some(mut address) = body.object("primary_address") {
        for (field, slot, max) in [
            ("name", &mut company.address_name, 255),
            ("address", &mut company.address, 255),
            ("city", &mut company.city, 100),
            ("postcode", &mut company.postcode, 20),
            ("instructions", &mut company.instructions, 10_000),
        ] {
            if let Some(v) = address.text(field, max) {
                *slot = v;
            }
        }
        if let Some(v) = address.country("country") {
            company.address_country = v;
        }
        if let Some(v) = address.number("latitude", -90.0, 90.0) {
            company.latitude = v;
        }
        if let Some(v) = address.number("longitude", -180.0, 180.0) {
            company.longitude = v;
        }
        if let Some(v) = address.integer("radius", 0, 100_000) {
            company.radius = v.unwrap_or(500) as i32;
        }
        if let Some(v) = address.boolean("coords_validated") {
            company.coords_validated = v;
        }
        if let Some(v) = address.nullable_text("remote_id", 255) {
            company.address_remote_id = v;
        }
        body.absorb(address);
    }
    if creating && company.address_name.is_empty() {
        company.address_name = company.name.clone();
    }
    if creating && company.address_country.is_empty() {
        company.address_country = company.country.clone();
    }
    body.check()
}

/// Whether another company of the book already has this remote id.
fn remote_id_taken(book: &[partner_company::Model], company: &partner_company::Model) -> bool {
    company.remote_id.as_ref().is_some_and(|remote| {
        book.iter()
            .any(|c| c.id != company.id && c.remote_id.as_ref() == Some(remote))
    })
}

/// List companies
#[utoipa::path(
    get,
    path = "/api/v4/companies/",
    tag = TAG,
    summary = "List companies",
    description = "The companies of the requester's address book (its own company included), \
        oldest first, 20 a page. `name` filters case-insensitively on the name (contains).",
    params(CompanyListQuery),
    extensions(("x-permission" = json!(surface_token()))),
    responses(
        (status = 200, description = "Get successful", body = Page<Company>),
        (status = 401, description = UNAUTHENTICATED, body = Detail),
        (status = 403, description = FORBIDDEN, body = Detail),
        (status = 404, description = "Invalid page", body = Detail),
    )
)]
pub async fn list_companies(
    State(state): State<AppState>,
    requester: Requester,
    Query(query): Query<CompanyListQuery>,
    uri: Uri,
    headers: HeaderMap,
) -> PartnerResult<Json<Page<Company>>> {
    let name = query
        .name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty());
    let asked = PageAsked::parse(query.page.as_deref())?;
    let (count, companies) =
        store::company_page(&state.db, requester.company, name, |n| asked.window(n)).await?;
    let results = views::companies(&state.db, requester.company, companies).await?;
    Ok(Json(asked.page(count, results, &uri, &headers)?))
}

/// Create a company
#[utoipa::path(
    post,
    path = "/api/v4/companies/",
    tag = TAG,
    summary = "Create a company",
    description = "Creates a company in your address book. Unicity control is performed on \
        `remote_id`, then `trade_number`, then `name` (case-insensitive), in this order, among \
        the companies of your address book: when one matches, nothing is created and the \
        existing company is answered unchanged with status 200 (201 when created).",
    request_body = CompanyInput,
    extensions(("x-permission" = json!(surface_token()))),
    responses(
        (status = 201, description = "Create successful", body = Company),
        (status = 200, description = "The company already exists in the address book (unicity control): answered unchanged", body = Company),
        (status = 400, description = FIELD_ERRORS, body = FieldErrors),
        (status = 401, description = UNAUTHENTICATED, body = Detail),
        (status = 403, description = FORBIDDEN, body = Detail),
    )
)]
pub async fn create_company(
    State(state): State<AppState>,
    requester: Requester,
    body: Bytes,
) -> PartnerResult<(StatusCode, Json<Company>)> {
    let mut fields = Fields::parse(&body)?;
    let now = Utc::now();
    let mut company = partner_company::Model {
        book_company_id: Some(requester.company),
        created_by_user_id: Some(requester.user.id),
        radius: 500,
        ..store::blank_company(now)
    };
    apply(&state, &mut fields, &mut company, true, true).await?;
    let book = store::companies(&state.db, requester.company).await?;
    let existing = company
        .remote_id
        .as_ref()
        .and_then(|r| book.iter().find(|c| c.remote_id.as_ref() == Some(r)))
        .or_else(|| {
            (!company.trade_number.is_empty())
                .then(|| book.iter().find(|c| c.trade_number == company.trade_number))
                .flatten()
        })
        .or_else(|| {
            let name = company.name.to_lowercase();
            book.iter().find(|c| c.name.to_lowercase() == name)
        });
    if let Some(existing) = existing {
        let view = views::company(&state.db, requester.company, existing.clone()).await?;
        return Ok((StatusCode::OK, Json(view)));
    }
    let created = store::insert_company(&state.db, company).await?;
    let view = views::company(&state.db, requester.company, created).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// Read a company
#[utoipa::path(
    get,
    path = "/api/v4/companies/{pk}/",
    tag = TAG,
    summary = "Read a company",
    description = "A company of the address book, by `pk`, or by `remote_id` with \
        `lookup_field=remote_id` and the remote id in the path.",
    params(("pk" = String, Path, description = "The company's pk, or its remote_id with lookup_field=remote_id"), LookupQuery),
    extensions(("x-permission" = json!(surface_token()))),
    responses(
        (status = 200, description = "Get successful", body = Company),
        (status = 400, description = LOOKUP_ERROR, body = FieldErrors),
        (status = 401, description = UNAUTHENTICATED, body = Detail),
        (status = 403, description = FORBIDDEN, body = Detail),
        (status = 404, description = "Not in the address book", body = Detail),
    )
)]
pub async fn read_company(
    State(state): State<AppState>,
    requester: Requester,
    Path(pk): Path<String>,
    Query(query): Query<LookupQuery>,
) -> PartnerResult<Json<Company>> {
    let company = store::company(&state.db, requester.company, &query.lookup(pk)?).await?;
    Ok(Json(
        views::company(&state.db, requester.company, company).await?,
    ))
}

/// Partially update a company
#[utoipa::path(
    patch,
    path = "/api/v4/companies/{pk}/",
    tag = TAG,
    summary = "Partially update a company",
    description = "Changes the fields given. `name`, `email`, `phone_number`, `siren`, \
        `trade_number` and `vat_number` are only updatable by the creator of the company, and if \
        the company hasn't subscribed (a partner account company): otherwise 400 naming the field.",
    params(("pk" = String, Path, description = "The company's pk, or its remote_id with lookup_field=remote_id"), LookupQuery),
    request_body = CompanyInput,
    extensions(("x-permission" = json!(surface_token()))),
    responses(
        (status = 200, description = "Update successful", body = Company),
        (status = 400, description = FIELD_ERRORS, body = FieldErrors),
        (status = 401, description = UNAUTHENTICATED, body = Detail),
        (status = 403, description = FORBIDDEN, body = Detail),
        (status = 404, description = "Not in the address book", body = Detail),
    )
)]
pub async fn update_company(
    State(state): State<AppState>,
    requester: Requester,
    Path(pk): Path<String>,
    Query(query): Query<LookupQuery>,
    body: Bytes,
) -> PartnerResult<Json<Company>> {
    let mut company = store::company(&state.db, requester.company, &query.lookup(pk)?).await?;
    let mut fields = Fields::parse(&body)?;
    let creator = !company.account && company.book_company_id == Some(requester.company);
    apply(&state, &mut fields, &mut company, false, creator).await?;
    let book = store::companies(&state.db, requester.company).await?;
    if remote_id_taken(&book, &company) {
        return Err(PartnerError::field(
            "remote_id",
            "A company with this remote_id already exists in your address book.",
        ));
    }
    company.updated_at = Utc::now();
    let company = store::update_company(&state.db, company).await?;
    Ok(Json(
        views::company(&state.db, requester.company, company).await?,
    ))
}

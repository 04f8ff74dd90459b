//! Seed 002: the contacts of the requester's address book.

use super::views::{self, Contact};
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
use relais_store::entity::{partner_company, partner_contact};
use relais_store::partner::{self as store, Lookup};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_contacts, create_contact))
        .routes(routes!(read_contact, update_contact, delete_contact))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// A page number within the paginated result set.
    pub page: Option<String>,
}

/// Identification of the company. The company must already exist in the address book.
#[derive(Serialize, ToSchema)]
pub struct CompanyIdentification {
    #[schema(example = 928)]
    pub pk: Option<i64>,
    #[schema(example = json!(null))]
    pub remote_id: Option<String>,
}

/// A contact as written. Unknown and read-only fields (`uid`, `created`) are ignored.
#[derive(Serialize, ToSchema)]
pub struct ContactInput {
    /// Required on creation.
    pub company: Option<CompanyIdentification>,
    #[schema(example = "Adèle")]
    pub first_name: Option<String>,
    /// Required on creation.
    #[schema(example = "Bouvet")]
    pub last_name: Option<String>,
    #[schema(example = "adele.bouvet@gmail.com")]
    pub email: Option<String>,
    #[schema(example = "+33600000000")]
    pub phone_number: Option<String>,
    #[schema(example = "+33240000001")]
    pub fax_number: Option<String>,
    /// The id of the contact in your system; unique in your address book.
    #[schema(example = "CONTACT_123")]
    pub remote_id: Option<String>,
}

/// The company `company` identifies in the book, or the field error.
async fn identify(
    state: &AppState,
    book: i64,
    body: &mut Fields,
) -> PartnerResult<Option<partner_company::Model>> {
    let Some(mut ident) = body.object("company") else {
        return Ok(None);
    };
    let pk = ident.integer("pk", 1, i64::MAX).flatten();
    let remote = ident.nullable_text("remote_id", 255).flatten();
    body.absorb(ident);
    let lookup = match (pk, remote) {
        (Some(pk), _) => Lookup::Pk(pk.to_string()),
        (None, Some(remote)) => Lookup::RemoteId(remote),
        (None, None) => {
            body.error(
                "company",
                "Identify the company by its pk or its remote_id.",
            );
            return Ok(None);
        }
    };
    match store::company(&state.db, book, &lookup).await {
        Ok(company) => Ok(Some(company)),
        Err(relais_store::error::StoreError::NotFound { .. }) => {
            body.error(
                "company",
                "This company does not exist in your address book.",
            );
            Ok(None)
        }
        Err(err) => Err(err.into()),
    }
}

fn apply(body: &mut Fields, contact: &mut partner_contact::Model) {
    if let Some(v) = body.text("first_name", 150) {
        contact.first_name = v;
    }
    if let Some(v) = body.required_text("last_name", 150) {
        contact.last_name = v;
    }
    if let Some(v) = body.email("email") {
        contact.email = v;
    }
    if let Some(v) = body.text("phone_number", 40) {
        contact.phone_number = v;
    }
    if let Some(v) = body.text("fax_number", 40) {
        contact.fax_number = v;
    }
    if let Some(v) = body.nullable_text("remote_id", 255) {
        contact.remote_id = v;
    }
}

async fn remote_id_free(
    state: &AppState,
    book: i64,
    contact: &partner_contact::Model,
) -> PartnerResult<()> {
    if let Some(remote) = &contact.remote_id {
        let taken = store::contacts(&state.db, book, None)
            .await?
            .iter()
            .any(|c| c.id != contact.id && c.remote_id.as_ref() == Some(remote));
        if taken {
            return Err(PartnerError::field(
                "remote_id",
                "A contact with this remote_id already exists in your address book.",
            ));
        }
    }
    Ok(())
}

const LOOKUP_PATH: &str = "The contact's uid, or its remote_id with lookup_field=remote_id";

/// List all contacts
#[utoipa::path(
    get,
    path = "/api/v4/contacts/",
    tag = TAG,
    summary = "List all contacts",
    description = "The contacts of the requester's address book, oldest first, 20 a page.",
    params(PageQuery),
    extensions(("x-permission" = json!(surface_token()))),
    responses(
        (status = 200, description = "Get successful", body = Page<Contact>),
        (status = 401, description = UNAUTHENTICATED, body = Detail),
        (status = 403, description = FORBIDDEN, body = Detail),
        (status = 404, description = "Invalid page", body = Detail),
    )
)]
pub async fn list_contacts(
    State(state): State<AppState>,
    requester: Requester,
    Query(query): Query<PageQuery>,
    uri: Uri,
    headers: HeaderMap,
) -> PartnerResult<Json<Page<Contact>>> {
    let asked = PageAsked::parse(query.page.as_deref())?;
    let (count, contacts) =
        store::contact_page(&state.db, requester.company, |n| asked.window(n)).await?;
    let results = views::contacts(&state.db, contacts).await?;
    Ok(Json(asked.page(count, results, &uri, &headers)?))
}

/// Create a contact
#[utoipa::path(
    post,
    path = "/api/v4/contacts/",
    tag = TAG,
    summary = "Create a contact",
    description = "Add a contact to a specific company in the requester's address book. The \
        company can be identified either by its pk or its remote_id, and must exist in the \
        address book. A contact's remote_id is unique in the address book.",
    request_body = ContactInput,
    extensions(("x-permission" = json!(surface_token()))),
    responses(
        (status = 201, description = "Create successful", body = Contact),
        (status = 400, description = FIELD_ERRORS, body = FieldErrors),
        (status = 401, description = UNAUTHENTICATED, body = Detail),
        (status = 403, description = FORBIDDEN, body = Detail),
    )
)]
pub async fn create_contact(
    State(state): State<AppState>,
    requester: Requester,
    body: Bytes,
) -> PartnerResult<(StatusCode, Json<Contact>)> {
    let mut fields = Fields::parse(&body)?;
    fields.require("company");
    fields.require("last_name");
    let company = identify(&state, requester.company, &mut fields).await?;
    let mut contact = partner_contact::Model {
        id: 0,
        uid: uuid::Uuid::new_v4().to_string(),
        book_company_id: requester.company,
        company_id: 0,
        first_name: String::new(),
        last_name: String::new(),
        email: String::new(),
        phone_number: String::new(),
        fax_number: String::new(),
        remote_id: None,
        created_at: Utc::now(),
    };
    apply(&mut fields, &mut contact);
    fields.check()?;
    let Some(company) = company else {
        return Err(PartnerError::field("company", "This field is required."));
    };
    contact.company_id = company.id;
    remote_id_free(&state, requester.company, &contact).await?;
    let contact = store::insert_contact(&state.db, contact).await?;
    Ok((
        StatusCode::CREATED,
        Json(views::contact(&state.db, contact).await?),
    ))
}

/// Read a contact
#[utoipa::path(
    get,
    path = "/api/v4/contacts/{uid}/",
    tag = TAG,
    summary = "Read a contact",
    description = "A contact of the address book, by `uid`, or by `remote_id` with \
        `lookup_field=remote_id` and the remote id in the path.",
    params(("uid" = String, Path, description = LOOKUP_PATH), LookupQuery),
    extensions(("x-permission" = json!(surface_token()))),
    responses(
        (status = 200, description = "Get successful", body = Contact),
        (status = 400, description = LOOKUP_ERROR, body = FieldErrors),
        (status = 401, description = UNAUTHENTICATED, body = Detail),
        (status = 403, description = FORBIDDEN, body = Detail),
        (status = 404, description = "Not in the address book", body = Detail),
    )
)]
pub async fn read_contact(
    State(state): State<AppState>,
    requester: Requester,
    Path(uid): Path<String>,
    Query(query): Query<LookupQuery>,
) -> PartnerResult<Json<Contact>> {
    let contact = store::contact(&state.db, requester.company, &query.lookup(uid)?).await?;
    Ok(Json(views::contact(&state.db, contact).await?))
}

/// Partially update a contact
#[utoipa::path(
    patch,
    path = "/api/v4/contacts/{uid}/",
    tag = TAG,
    summary = "Partially update a contact",
    description = "Changes the fields given; `company` moves the contact to another company of \
        the address book.",
    params(("uid" = String, Path, description = LOOKUP_PATH), LookupQuery),
    request_body = ContactInput,
    extensions(("x-permission" = json!(surface_token()))),
    responses(
        (status = 200, description = "Update successful", body = Contact),
        (status = 400, description = FIELD_ERRORS, body = FieldErrors),
        (status = 401, description = UNAUTHENTICATED, body = Detail),
        (status = 403, description = FORBIDDEN, body = Detail),
        (status = 404, description = "Not in the address book", body = Detail),
    )
)]
pub async fn update_contact(
    State(state): State<AppState>,
    requester: Requester,
    Path(uid): Path<String>,
    Query(query): Query<LookupQuery>,
    body: Bytes,
) -> PartnerResult<Json<Contact>> {
    let mut contact = store::contact(&state.db, requester.company, &query.lookup(uid)?).await?;
    let mut fields = Fields::parse(&body)?;
    let company = identify(&state, requester.company, &mut fields).await?;
    apply(&mut fields, &mut contact);
    fields.check()?;
    if let Some(company) = company {
        contact.company_id = company.id;
    }
    remote_id_free(&state, requester.company, &contact).await?;
    let contact = store::update_contact(&state.db, contact).await?;
    Ok(Json(views::contact(&state.db, contact).await?))
}

/// Delete a contact
#[utoipa::path(
    delete,
    path = "/api/v4/contacts/{uid}/",
    tag = TAG,
    summary = "Delete a contact",
    description = "Removes the contact from the address book. Empty body (204).",
    params(("uid" = String, Path, description = LOOKUP_PATH), LookupQuery),
    extensions(("x-permission" = json!(surface_token()))),
    responses(
        (status = 204, description = "Empty body"),
        (status = 400, description = LOOKUP_ERROR, body = FieldErrors),
        (status = 401, description = UNAUTHENTICATED, body = Detail),
        (status = 403, description = FORBIDDEN, body = Detail),
        (status = 404, description = "Not in the address book", body = Detail),
    )
)]
pub async fn delete_contact(
    State(state): State<AppState>,
    requester: Requester,
    Path(uid): Path<String>,
    Query(query): Query<LookupQuery>,
) -> PartnerResult<StatusCode> {
    let contact = store::contact(&state.db, requester.company, &query.lookup(uid)?).await?;
    store::delete_contact(&state.db, contact.id).await?;
    Ok(StatusCode::NO_CONTENT)
}

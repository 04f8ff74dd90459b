//! Seed 000 (invite codes) and what it implies: the truckers of the requester's company, and
//! the redemption of an invite code by the driver's app.
//!
//! The seed's path for one trucker, `/api/v4/manager-truckers/{pk}/generate-invite-code/`, puts
//! the collection at `/api/v4/manager-truckers/`; `/api/v4/truckers/`, where relais first served
//! it, stays as a deprecated alias answering the same.

use super::views::Trucker;
use super::{
    Detail, FIELD_ERRORS, FORBIDDEN, FieldErrors, Fields, LOOKUP_ERROR, LookupQuery, Page,
    PageAsked, PartnerError, PartnerResult, Requester, TAG, UNAUTHENTICATED,
};
use crate::access::{public, surface_token};
use crate::state::AppState;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use chrono::Utc;
use relais_store::entity::partner_trucker;
use relais_store::partner as store;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

// The former paths are served on purpose: their handlers are deprecated for the document only.
#[allow(deprecated)]
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_truckers, create_trucker))
        .routes(routes!(read_trucker, update_trucker))
        .routes(routes!(list_truckers_alias, create_trucker_alias))
        .routes(routes!(read_trucker_alias, update_trucker_alias))
        .routes(routes!(generate_invite_code))
        .routes(routes!(redeem_invite_code))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// A page number within the paginated result set.
    pub page: Option<String>,
}

/// A trucker as written (seed 000 field names). Unknown and technical fields are ignored.
#[derive(Serialize, ToSchema)]
pub struct TruckerInput {
    /// Required on creation.
    #[schema(example = "0601020304")]
    pub phone_number: Option<String>,
    /// The ID of the trucker in your system; unique among your truckers.
    pub remote_id: Option<String>,
    pub is_rented: Option<bool>,
    pub phone_number_personal: Option<String>,
    pub address: Option<String>,
    pub postcode: Option<String>,
    pub city: Option<String>,
    /// Only the 2-character codification is accepted (ISO 3166-1 alpha-2).
    #[schema(example = "FR")]
    pub country_code: Option<String>,
    #[schema(example = "99 999 999")]
    pub driving_license_number: Option<String>,
    pub driving_license_deadline: Option<chrono::DateTime<Utc>>,
    pub adr_license_deadline: Option<chrono::DateTime<Utc>>,
    pub carrist_license_deadline: Option<chrono::DateTime<Utc>>,
    pub occupational_health_visit_deadline: Option<chrono::DateTime<Utc>>,
}

fn apply(body: &mut Fields, t: &mut partner_trucker::Model, creating: bool) -> PartnerResult<()> {
    if creating {
        body.require("phone_number");
    }
    if let Some(v) = body.required_text("phone_number", 40) {
        t.phone_number = v;
    }
    if let Some(v) = body.nullable_text("remote_id", 255) {
        t.remote_id = v;
    }
    if let Some(v) = body.boolean("is_rented") {
        t.is_rented = v;
    }
    for (field, slot, max) in [
        ("phone_number_personal", &mut t.phone_number_personal, 40),
        ("address", &mut t.address, 255),
        ("postcode", &mut t.postcode, 20),
        ("city", &mut t.city, 100),
        ("driving_license_number", &mut t.driving_license_number, 40),
    ] {
        if let Some(v) = body.text(field, max) {
            *slot = v;
        }
    }
    if let Some(v) = body.country("country_code") {
        t.country_code = v;
    }
    for (field, slot) in [
        ("driving_license_deadline", &mut t.driving_license_deadline),
        ("adr_license_deadline", &mut t.adr_license_deadline),
        ("carrist_license_deadline", &mut t.carrist_license_deadline),
        (
            "occupational_health_visit_deadline",
            &mut t.occupational_health_visit_deadline,
        ),
    ] {
        if let Some(v) = body.datetime(field) {
            *slot = v;
        }
    }
    body.check()
}

async fn remote_id_free(
    state: &AppState,
    company: i64,
    t: &partner_trucker::Model,
) -> PartnerResult<()> {
    if let Some(remote) = &t.remote_id {
        let taken = store::truckers(&state.db, company)
            .await?
            .iter()
            .any(|o| o.id != t.id && o.remote_id.as_ref() == Some(remote));
        if taken {
            return Err(PartnerError::field(
                "remote_id",
                "A trucker with this remote_id already exists.",
            ));
        }
    }
    Ok(())
}

const LOOKUP_PATH: &str = "The trucker's pk, or its remote_id with lookup_field=remote_id";

/// List truckers
#[utoipa::path(
    get,
    path = "/api/v4/manager-truckers/",
    tag = TAG,
    summary = "List truckers",
    description = "The truckers of the requester's company, oldest first, 20 a page. \
        `invite_code` is always null here: a code is shown once, when generated.",
    params(PageQuery),
    extensions(("x-permission" = json!(surface_token())), ("x-relais-extension" = json!(true))),
    responses(
        (status = 200, description = "Get successful", body = Page<Trucker>),
        (status = 401, description = UNAUTHENTICATED, body = Detail),
        (status = 403, description = FORBIDDEN, body = Detail),
        (status = 404, description = "Invalid page", body = Detail),
    )
)]
pub async fn list_truckers(
    State(state): State<AppState>,
    requester: Requester,
    Query(query): Query<PageQuery>,
    uri: Uri,
    headers: HeaderMap,
) -> PartnerResult<Json<Page<Trucker>>> {
    let asked = PageAsked::parse(query.page.as_deref())?;
    let (count, truckers) =
        store::trucker_page(&state.db, requester.company, |n| asked.window(n)).await?;
    let results = truckers
        .into_iter()
        .map(|t| Trucker::new(t, false))
        .collect();
    Ok(Json(asked.page(count, results, &uri, &headers)?))
}

/// Create a trucker
#[utoipa::path(
    post,
    path = "/api/v4/manager-truckers/",
    tag = TAG,
    summary = "Create a trucker",
    description = "Adds a trucker to the requester's company; `phone_number` is required.",
    request_body = TruckerInput,
    extensions(("x-permission" = json!(surface_token())), ("x-relais-extension" = json!(true))),
    responses(
        (status = 201, description = "Create successful", body = Trucker),
        (status = 400, description = FIELD_ERRORS, body = FieldErrors),
        (status = 401, description = UNAUTHENTICATED, body = Detail),
        (status = 403, description = FORBIDDEN, body = Detail),
    )
)]
pub async fn create_trucker(
    State(state): State<AppState>,
    requester: Requester,
    body: Bytes,
) -> PartnerResult<(StatusCode, Json<Trucker>)> {
    let mut fields = Fields::parse(&body)?;
    let mut trucker = partner_trucker::Model {
        id: 0,
        company_id: requester.company,
        user_id: None,
        remote_id: None,
        phone_number: String::new(),
        is_rented: false,
        phone_number_personal: String::new(),
        address: String::new(),
        postcode: String::new(),
        city: String::new(),
        country_code: String::new(),
        driving_license_number: String::new(),
        driving_license_deadline: None,
        adr_license_deadline: None,
        carrist_license_deadline: None,
        occupational_health_visit_deadline: None,
        invite_code: None,
        invite_code_expires_at: None,
        created_at: Utc::now(),
    };
    apply(&mut fields, &mut trucker, true)?;
    remote_id_free(&state, requester.company, &trucker).await?;
    let trucker = store::insert_trucker(&state.db, trucker).await?;
    Ok((StatusCode::CREATED, Json(Trucker::new(trucker, false))))
}

/// Read a trucker
#[utoipa::path(
    get,
    path = "/api/v4/manager-truckers/{pk}/",
    tag = TAG,
    summary = "Read a trucker",
    description = "A trucker of the requester's company, by pk or by remote_id with lookup_field=remote_id.",
    params(("pk" = String, Path, description = LOOKUP_PATH), LookupQuery),
    extensions(("x-permission" = json!(surface_token())), ("x-relais-extension" = json!(true))),
    responses(
        (status = 200, description = "Get successful", body = Trucker),
        (status = 400, description = LOOKUP_ERROR, body = FieldErrors),
        (status = 401, description = UNAUTHENTICATED, body = Detail),
        (status = 403, description = FORBIDDEN, body = Detail),
        (status = 404, description = "Not a trucker of the company", body = Detail),
    )
)]
pub async fn read_trucker(
    State(state): State<AppState>,
    requester: Requester,
    Path(pk): Path<String>,
    Query(query): Query<LookupQuery>,
) -> PartnerResult<Json<Trucker>> {
    let trucker = store::trucker(&state.db, requester.company, &query.lookup(pk)?).await?;
    Ok(Json(Trucker::new(trucker, false)))
}

/// Partially update a trucker
#[utoipa::path(
    patch,
    path = "/api/v4/manager-truckers/{pk}/",
    tag = TAG,
    summary = "Partially update a trucker",
    description = "Changes the fields given.",
    params(("pk" = String, Path, description = LOOKUP_PATH), LookupQuery),
    request_body = TruckerInput,
    extensions(("x-permission" = json!(surface_token())), ("x-relais-extension" = json!(true))),
    responses(
        (status = 200, description = "Update successful", body = Trucker),
        (status = 400, description = FIELD_ERRORS, body = FieldErrors),
        (status = 401, description = UNAUTHENTICATED, body = Detail),
        (status = 403, description = FORBIDDEN, body = Detail),
        (status = 404, description = "Not a trucker of the company", body = Detail),
    )
)]
pub async fn update_trucker(
    State(state): State<AppState>,
    requester: Requester,
    Path(pk): Path<String>,
    Query(query): Query<LookupQuery>,
    body: Bytes,
) -> PartnerResult<Json<Trucker>> {
    let mut trucker = store::trucker(&state.db, requester.company, &query.lookup(pk)?).await?;
    let mut fields = Fields::parse(&body)?;
    apply(&mut fields, &mut trucker, false)?;
    remote_id_free(&state, requester.company, &trucker).await?;
    let trucker = store::update_trucker(&state.db, trucker).await?;
    Ok(Json(Trucker::new(trucker, false)))
}

const ALIAS: &str = "Deprecated alias of the same operation under `/api/v4/manager-truckers/`, \
    where the seed's invite-code path puts the truckers; it answers the same.";

/// List truckers (former path)
#[utoipa::path(
    get,
    path = "/api/v4/truckers/",
    tag = TAG,
    summary = "List truckers (former path)",
    description = ALIAS,
    params(PageQuery),
    extensions(("x-permission" = json!(surface_token())), ("x-relais-extension" = json!(true))),
    responses(
        (status = 200, description = "Get successful", body = Page<Trucker>),
        (status = 401, description = UNAUTHENTICATED, body = Detail),
        (status = 403, description = FORBIDDEN, body = Detail),
        (status = 404, description = "Invalid page", body = Detail),
    )
)]
#[deprecated = "use /api/v4/manager-truckers/"]
pub async fn list_truckers_alias(
    state: State<AppState>,
    requester: Requester,
    query: Query<PageQuery>,
    uri: Uri,
    headers: HeaderMap,
) -> PartnerResult<Json<Page<Trucker>>> {
    list_truckers(state, requester, query, uri, headers).await
}

/// Create a trucker (former path)
#[utoipa::path(
    post,
    path = "/api/v4/truckers/",
    tag = TAG,
    summary = "Create a trucker (former path)",
    description = ALIAS,
    request_body = TruckerInput,
    extensions(("x-permission" = json!(surface_token())), ("x-relais-extension" = json!(true))),
    responses(
        (status = 201, description = "Create successful", body = Trucker),
        (status = 400, description = FIELD_ERRORS, body = FieldErrors),
        (status = 401, description = UNAUTHENTICATED, body = Detail),
        (status = 403, description = FORBIDDEN, body = Detail),
    )
)]
#[deprecated = "use /api/v4/manager-truckers/"]
pub async fn create_trucker_alias(
    state: State<AppState>,
    requester: Requester,
    body: Bytes,
) -> PartnerResult<(StatusCode, Json<Trucker>)> {
    create_trucker(state, requester, body).await
}

/// Read a trucker (former path)
#[utoipa::path(
    get,
    path = "/api/v4/truckers/{pk}/",
    tag = TAG,
    summary = "Read a trucker (former path)",
    description = ALIAS,
    params(("pk" = String, Path, description = LOOKUP_PATH), LookupQuery),
    extensions(("x-permission" = json!(surface_token())), ("x-relais-extension" = json!(true))),
    responses(
        (status = 200, description = "Get successful", body = Trucker),
        (status = 400, description = LOOKUP_ERROR, body = FieldErrors),
        (status = 401, description = UNAUTHENTICATED, body = Detail),
        (status = 403, description = FORBIDDEN, body = Detail),
        (status = 404, description = "Not a trucker of the company", body = Detail),
    )
)]
#[deprecated = "use /api/v4/manager-truckers/{pk}/"]
pub async fn read_trucker_alias(
    state: State<AppState>,
    requester: Requester,
    pk: Path<String>,
    query: Query<LookupQuery>,
) -> PartnerResult<Json<Trucker>> {
    read_trucker(state, requester, pk, query).await
}

/// Partially update a trucker (former path)
#[utoipa::path(
    patch,
    path = "/api/v4/truckers/{pk}/",
    tag = TAG,
    summary = "Partially update a trucker (former path)",
    description = ALIAS,
    params(("pk" = String, Path, description = LOOKUP_PATH), LookupQuery),
    request_body = TruckerInput,
    extensions(("x-permission" = json!(surface_token())), ("x-relais-extension" = json!(true))),
    responses(
        (status = 200, description = "Update successful", body = Trucker),
        (status = 400, description = FIELD_ERRORS, body = FieldErrors),
        (status = 401, description = UNAUTHENTICATED, body = Detail),
        (status = 403, description = FORBIDDEN, body = Detail),
        (status = 404, description = "Not a trucker of the company", body = Detail),
    )
)]
#[deprecated = "use /api/v4/manager-truckers/{pk}/"]
pub async fn update_trucker_alias(
    state: State<AppState>,
    requester: Requester,
    pk: Path<String>,
    query: Query<LookupQuery>,
    body: Bytes,
) -> PartnerResult<Json<Trucker>> {
    update_trucker(state, requester, pk, query, body).await
}

/// Generate Invite Code
#[utoipa::path(
    post,
    path = "/api/v4/manager-truckers/{pk}/generate-invite-code/",
    tag = TAG,
    summary = "Generate Invite Code",
    description = "Generate an invite code the trucker needs to connect to the mobile app: 20 \
        characters (A-Z without I and O, 2-9), random from the operating system's generator, \
        single use, valid 7 days (`invite_code_expires_at`). Generating a new one invalidates \
        the previous one. The code is only shown in this answer.",
    params(("pk" = String, Path, description = LOOKUP_PATH), LookupQuery),
    extensions(("x-permission" = json!(surface_token()))),
    responses(
        (status = 200, description = "Invite code generated successfully", body = Trucker),
        (status = 400, description = LOOKUP_ERROR, body = FieldErrors),
        (status = 401, description = UNAUTHENTICATED, body = Detail),
        (status = 403, description = FORBIDDEN, body = Detail),
        (status = 404, description = "Not a trucker of the company", body = Detail),
    )
)]
pub async fn generate_invite_code(
    State(state): State<AppState>,
    requester: Requester,
    Path(pk): Path<String>,
    Query(query): Query<LookupQuery>,
) -> PartnerResult<Json<Trucker>> {
    let trucker = store::trucker(&state.db, requester.company, &query.lookup(pk)?).await?;
    let trucker = store::generate_invite_code(&state.db, trucker, Utc::now()).await?;
    Ok(Json(Trucker::new(trucker, true)))
}

/// The code a driver typed in the app.
#[derive(Serialize, ToSchema)]
pub struct RedeemInput {
    pub invite_code: String,
}

/// The driver's credentials.
#[derive(Serialize, ToSchema)]
pub struct Credentials {
    /// An API token for the driver's user, to send as `Authorization: Token <token>`.
    pub token: String,
    pub user_id: i64,
    pub trucker: Trucker,
}

/// Redeem an invite code
#[utoipa::path(
    post,
    path = "/api/v4/invite-codes/redeem/",
    tag = TAG,
    summary = "Redeem an invite code",
    description = "For the driver's mobile app, without a token: exchanges a valid invite code \
        (case-insensitive) for the trucker's credentials. The code is consumed; the trucker is \
        linked to a relais user (created on first redemption) and a new API token is issued for \
        it. An unknown, used or expired code is refused (400 naming `invite_code`).",
    request_body = RedeemInput,
    extensions(("x-permission" = json!(public())), ("x-relais-extension" = json!(true))),
    responses(
        (status = 200, description = "The driver's credentials", body = Credentials),
        (status = 400, description = "Field errors: `{\"invite_code\": [\"message\"]}`", body = FieldErrors),
        (status = 403, description = "The driver's account is blocked (the code is spent)", body = Detail),
    )
)]
pub async fn redeem_invite_code(
    State(state): State<AppState>,
    body: Bytes,
) -> PartnerResult<Json<Credentials>> {
    let mut fields = Fields::parse(&body)?;
    fields.require("invite_code");
    let code = fields.required_text("invite_code", 64);
    fields.check()?;
    let code = code.unwrap_or_default();
    let Some((trucker, user)) = store::redeem_invite_code(&state.db, &code, Utc::now()).await?
    else {
        return Err(PartnerError::field(
            "invite_code",
            "Invalid or expired invite code.",
        ));
    };
    // The code is spent, but a blocked driver gets no credentials.
    if user.blocked {
        return Err(PartnerError::blocked());
    }
    let (_, token) =
        relais_store::tokens::issue(&state.db, user.id, &format!("trucker {}", trucker.id), None)
            .await?;
    Ok(Json(Credentials {
        token,
        user_id: user.id,
        trucker: Trucker::new(trucker, false),
    }))
}

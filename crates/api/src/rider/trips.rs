//! The rider's trips (tag `Rider`): find a vehicle, start, pause, resume, end, and read their
//! trips and transactions (docs/design/ride.md §2).
//!
//! A trip or transaction of another rider is 404 (never -31: a rider learns nothing of
//! others). "Start a trip" answers as soon as the vehicle has answered its unlock, or after
//! `unlock_wait_secs` with the trip `unlocking` (the app then polls "Get my trip"); the trip
//! is cancelled, its guarantee released, if the vehicle does not answer within
//! `unlock_timeout_secs`.

use crate::access::{Authorized, authenticated};
use crate::envelope::{Envelope, Paged, ok};
use crate::error::{ApiError, ApiResult, ErrorBody, ErrorCode};
use crate::extract::{ValidJson, ValidPath, ValidQuery};
use crate::pagination::{KeysetQuery, paged};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use relais_domain::money;
use relais_domain::ride::{EndPlace, EndedBy as DomainEndedBy, PaymentStatus, TripState};
use relais_domain::{Permission, Scope};
use relais_store::entity::trip::{self, EndedBy};
use relais_store::ride::{AdminReach, EndRequest, Ended, StartRequest, VehicleRef};
use serde::{Deserialize, Serialize};
use serde_with::{DisplayFromStr, serde_as};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use validator::Validate;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(find_vehicles_nearby))
        .routes(routes!(start_a_trip, get_my_trips))
        .routes(routes!(get_my_trip))
        .routes(routes!(pause_a_trip))
        .routes(routes!(resume_a_trip))
        .routes(routes!(end_a_trip))
        .routes(routes!(get_my_transactions))
        .routes(routes!(download_my_invoice))
}

/// Where to look for vehicles.
#[serde_as]
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NearbyQuery {
    /// The rider's latitude, in degrees.
    #[serde_as(as = "DisplayFromStr")]
    #[validate(range(min = -90.0, max = 90.0))]
    #[param(minimum = -90, maximum = 90, value_type = f64)]
    pub latitude: f64,
    /// The rider's longitude, in degrees.
    #[serde_as(as = "DisplayFromStr")]
    #[validate(range(min = -180.0, max = 180.0))]
    #[param(minimum = -180, maximum = 180, value_type = f64)]
    pub longitude: f64,
    /// How far to look, in metres (default 500).
    #[serde_as(as = "Option<DisplayFromStr>")]
    #[serde(default)]
    #[validate(range(min = 50, max = 5000))]
    #[param(minimum = 50, maximum = 5000, default = 500, value_type = Option<i64>)]
    pub radius: Option<i64>,
}

/// A vehicle to rent near the rider.
#[derive(Debug, Serialize, ToSchema)]
pub struct NearbyVehicle {
    pub id: i64,
    pub serial: String,
    pub network_id: i64,
    pub model_name: Option<String>,
    /// Percent, when known.
    pub battery: Option<i32>,
    /// `[longitude, latitude]`.
    pub position: [f64; 2],
    /// Metres from the rider.
    pub distance_m: i64,
    /// The station spot it is docked in, if any.
    pub spot_id: Option<i64>,
    pub virtual_parking_id: Option<i64>,
    /// The prices of the rule in force now (decimal strings in `currency`).
    #[schema(value_type = String, example = "1.00")]
    pub unlock_price: String,
    #[schema(value_type = String, example = "0.15")]
    pub use_per_minute_price: String,
    pub currency: String,
}

/// Find vehicles nearby
#[utoipa::path(get, path = "/rider/vehicles/nearby", tag = "Rider",
    summary = "Find vehicles nearby",
    description = "The vehicles the rider may rent within `radius` metres (50 to 5,000, default 500), nearest first, at most 100: in service, available, in no trip, on an open network of the rider's app label, with the prices in force now. Whether the rider may take one is checked when they start (\"Start a trip\").",
    params(NearbyQuery),
    extensions(("x-permission" = json!(authenticated()))),
    responses(
        (status = 200, description = "The vehicles", body = Envelope<Vec<NearbyVehicle>>),
        (status = 400, description = "Malformed query (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Account blocked (-22)", body = ErrorBody),
        (status = 422, description = "Invalid query (-11)", body = ErrorBody)))]
pub async fn find_vehicles_nearby(
    State(state): State<AppState>,
    auth: Authorized,
    ValidQuery(q): ValidQuery<NearbyQuery>,
) -> ApiResult<Json<Envelope<Vec<NearbyVehicle>>>> {
    let found = relais_store::ride::nearby(
        &state.db,
        (q.latitude, q.longitude),
        q.radius.unwrap_or(500) as f64,
        auth.caller.user.app_label_id,
        100,
        Utc::now(),
    )
    .await?;
    Ok(ok(found
        .into_iter()
        .map(|n| NearbyVehicle {
            id: n.vehicle.id,
            serial: n.vehicle.serial,
            network_id: n.vehicle.network_id,
            model_name: n.model_name,
            battery: n.vehicle.battery,
            position: [
                n.vehicle.longitude.unwrap_or_default(),
                n.vehicle.latitude.unwrap_or_default(),
            ],
            distance_m: n.distance_m.round() as i64,
            spot_id: n.vehicle.spot_id,
            virtual_parking_id: n.vehicle.virtual_parking_id,
            unlock_price: n.unlock_price.to_string(),
            use_per_minute_price: n.use_per_minute_price.to_string(),
            currency: n.currency,
        })
        .collect()))
}

/// What the rider asks to rent.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartTripRequest {
    /// The vehicle, by id (from the map); or give `serial`.
    #[validate(range(min = 1))]
    #[schema(minimum = 1, example = 42)]
    pub vehicle_id: Option<i64>,
    /// The vehicle, by serial (its QR code); or give `vehicle_id`.
    #[validate(length(min = 1, max = 64))]
    #[schema(min_length = 1, max_length = 64, example = "RIDE001")]
    pub serial: Option<String>,
    /// The rider's position, to check the distance to a docked vehicle.
    #[validate(range(min = -90.0, max = 90.0))]
    #[schema(minimum = -90, maximum = 90, example = 45.76)]
    pub latitude: Option<f64>,
    #[validate(range(min = -180.0, max = 180.0))]
    #[schema(minimum = -180, maximum = 180, example = 4.84)]
    pub longitude: Option<f64>,
    /// The app's key for this request: the same key again answers the same trip.
    #[validate(length(min = 8, max = 255))]
    #[schema(min_length = 8, max_length = 255, example = "4b1e2c9a-start")]
    pub idempotency_key: String,
}

/// A time on hold.
#[derive(Debug, Serialize, ToSchema)]
pub struct MyPause {
    pub start: DateTime<Utc>,
    pub end: Option<DateTime<Utc>>,
}

/// One of the rider's trips.
#[derive(Debug, Serialize, ToSchema)]
pub struct MyTrip {
    pub id: i64,
    /// `unlocking`, `running`, `on-hold`, `finished` or `cancelled`.
    #[schema(example = "running")]
    pub state: String,
    pub network_id: i64,
    pub vehicle_id: Option<i64>,
    pub requested_at: DateTime<Utc>,
    /// The unlock: billing starts there.
    pub start_date: DateTime<Utc>,
    pub end_date: Option<DateTime<Utc>>,
    /// Seconds billed, once ended.
    pub duration: Option<i64>,
    /// Metres.
    pub distance: i64,
    /// `station`, `virtual_parking` or `free_floating`, once ended.
    pub end_place: Option<String>,
    /// Why the unlock failed, for a cancelled trip (a key of docs/errors.md under -41).
    pub cancel_reason: Option<String>,
    pub currency: String,
    /// The price (decimal string): so far while the trip runs, final once ended.
    #[schema(value_type = Option<String>, example = "2.40")]
    pub price: Option<String>,
    #[schema(value_type = String, example = "0.00")]
    pub amount_paid: String,
    /// `none`, `pending`, `paid`, `debt` or `free`.
    pub payment_status: String,
    pub pauses: Vec<MyPause>,
}

/// The rider's trip `trip` as they see it; a trip in progress priced as of now.
async fn my_trip(state: &AppState, trip: trip::Model) -> ApiResult<MyTrip> {
    Ok(my_trips(state, vec![trip])
        .await?
        .pop()
        .expect("one trip in, one out"))
}

/// The rider's `trips` as they see them: their networks (a rider rides on few) and pauses
/// read once for them all; a trip in progress priced as of now.
async fn my_trips(state: &AppState, trips: Vec<trip::Model>) -> ApiResult<Vec<MyTrip>> {
    let mut networks = std::collections::HashMap::new();
    for id in trips.iter().map(|t| t.network_id) {
        if let std::collections::hash_map::Entry::Vacant(slot) = networks.entry(id) {
            slot.insert(relais_store::networks::existing(&state.db, id).await?);
        }
    }
    let ids: Vec<i64> = trips.iter().map(|t| t.id).collect();
    let mut pauses = relais_store::ride::pauses_of_trips(&state.db, &ids).await?;
    let mut out = Vec::with_capacity(trips.len());
    for trip in trips {
        let net = &networks[&trip.network_id];
        let running = matches!(
            TripState::from(trip.state),
            TripState::Running | TripState::OnHold
        );
        let price = if running {
            let (price, _) =
                relais_store::ride::price_of(&state.db, &trip, net, Utc::now(), true).await?;
            Some(price.total.to_string())
        } else {
            trip.price_total.map(|p| money::from_stored(p).to_string())
        };
        out.push(MyTrip {
            id: trip.id,
            state: TripState::from(trip.state).as_str().to_owned(),
            network_id: trip.network_id,
            vehicle_id: trip.vehicle_id,
            requested_at: trip.requested_at,
            start_date: trip.started_at,
            end_date: trip.ended_at,
            duration: trip.duration,
            distance: trip.distance,
            end_place: trip
                .end_place
                .map(|p| EndPlace::from(p).as_str().to_owned()),
            cancel_reason: trip.cancel_reason,
            currency: net.currency.clone(),
            price,
            amount_paid: money::from_stored(trip.amount_paid).to_string(),
            payment_status: PaymentStatus::from(trip.payment_status).as_str().to_owned(),
            pauses: pauses
                .remove(&trip.id)
                .unwrap_or_default()
                .into_iter()
                .map(|p| MyPause {
                    start: p.started_at,
                    end: p.ended_at,
                })
                .collect(),
        });
    }
    Ok(out)
}

fn admin_reach(auth: &Authorized) -> AdminReach {
    match auth.scope_of(Permission::UnlockAdmin, true) {
        None => AdminReach::None,
        Some(Scope::Global) => AdminReach::All,
        Some(scope) => AdminReach::Networks(
            scope
                .whole_networks()
                .map(|n| n.into_iter().collect())
                .unwrap_or_default(),
        ),
    }
}

/// Start a trip
#[utoipa::path(post, path = "/rider/me/trips", tag = "Rider",
    summary = "Start a trip",
    description = "Rent a vehicle, named by `vehicle_id` or `serial` (exactly one). Every rule of the network is checked first, in this order, the first that fails refusing the start with -41 and its reason's key under `vehicle_id` (or `payment` for the debt, first purchase, payment method and guarantee): `account_unusable`, `unpaid_debt`, `network_closed`, `out_of_order`, `access_denied`, `vehicle_unavailable`, `vehicle_offline`, `battery_too_low`, `too_far`, `too_many_vehicles`, `first_purchase_required`, `no_payment_method`, `guarantee_needs_card`; a refused start is recorded (\"Get user last actions\"). Then the guarantee is held on the rider's card when the network asks for one (`guarantee_declined`, `guarantee_requires_action`), the unlock is sent to the vehicle, and the answer waits up to `unlock_wait_secs` for it: the trip `running` (billing from the unlock), `cancelled` with `cancel_reason` `vehicle_refused`, or still `unlocking` (poll \"Get my trip\"; cancelled with `vehicle_not_responding` after `unlock_timeout_secs`). The same `idempotency_key` again answers the same trip. Staff holding `unlock.admin` over the network skip the access, battery, vehicles-at-once, first-purchase, payment and guarantee rules.",
    request_body = StartTripRequest,
    extensions(("x-permission" = json!(authenticated()))),
    responses(
        (status = 200, description = "The trip", body = Envelope<MyTrip>),
        (status = 400, description = "Malformed request (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Account blocked (-22)", body = ErrorBody),
        (status = 404, description = "No such vehicle (-2)", body = ErrorBody),
        (status = 409, description = "Refused by a rule (-41), its key under the field", body = ErrorBody),
        (status = 422, description = "Invalid field (-11)", body = ErrorBody),
        (status = 503, description = "The payment provider cannot be reached (-50)", body = ErrorBody)))]
pub async fn start_a_trip(
    State(state): State<AppState>,
    auth: Authorized,
    ValidJson(body): ValidJson<StartTripRequest>,
) -> ApiResult<Json<Envelope<MyTrip>>> {
    let vehicle = match (body.vehicle_id, body.serial) {
        (Some(id), None) => VehicleRef::Id(id),
        (None, Some(serial)) => VehicleRef::Serial(serial),
        _ => {
            return Err(ApiError::field(
                "vehicle_id",
                "give exactly one of vehicle_id and serial",
            ));
        }
    };
    let position = match (body.latitude, body.longitude) {
        (Some(lat), Some(lng)) => Some((lat, lng)),
        (None, None) => None,
        _ => {
            return Err(ApiError::field(
                "longitude",
                "give both latitude and longitude, or neither",
            ));
        }
    };
    let request = StartRequest {
        user_id: auth.caller.user.id,
        vehicle,
        position,
        idempotency_key: body.idempotency_key,
        demo: false,
        admin: admin_reach(&auth),
        provider: state.payments.key().as_str().to_owned(),
        unlock_timeout: state.settings.unlock_timeout,
        now: Utc::now(),
    };
    let trip = crate::ride::trips::start(&state, request).await?;
    Ok(ok(my_trip(&state, trip).await?))
}

/// The rider's trip named in the path.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct MyTripPath {
    /// The trip's identifier.
    #[validate(range(min = 1))]
    #[param(minimum = 1)]
    pub id: i64,
}

/// Get my trip
#[utoipa::path(get, path = "/rider/me/trips/{id}", tag = "Rider",
    summary = "Get my trip",
    description = "One of the rider's trips; while it runs, its price so far.",
    params(MyTripPath),
    extensions(("x-permission" = json!(authenticated()))),
    responses(
        (status = 200, description = "The trip", body = Envelope<MyTrip>),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 404, description = "No such trip of the rider's (-2)", body = ErrorBody)))]
pub async fn get_my_trip(
    State(state): State<AppState>,
    auth: Authorized,
    ValidPath(path): ValidPath<MyTripPath>,
) -> ApiResult<Json<Envelope<MyTrip>>> {
    let trip = relais_store::ride::of_rider(&state.db, auth.caller.user.id, path.id).await?;
    Ok(ok(my_trip(&state, trip).await?))
}

/// Get my trips
#[utoipa::path(get, path = "/rider/me/trips", tag = "Rider",
    summary = "Get my trips",
    description = "The rider's trips, newest first, in keyset pages.",
    params(KeysetQuery),
    extensions(("x-permission" = json!(authenticated()))),
    responses(
        (status = 200, description = "A page of trips", body = Paged<MyTrip>),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 422, description = "Invalid paging (-11)", body = ErrorBody)))]
pub async fn get_my_trips(
    State(state): State<AppState>,
    auth: Authorized,
    ValidQuery(page): ValidQuery<KeysetQuery>,
) -> ApiResult<Paged<MyTrip>> {
    let keyset = page.keyset();
    let rows = relais_store::ride::trips_of(&state.db, auth.caller.user.id, &keyset).await?;
    let has_more = rows.has_more;
    let items = my_trips(&state, rows.items).await?;
    Ok(paged(
        &keyset,
        relais_store::PageOf { items, has_more },
        |t| t.id,
        |t| t,
    ))
}

/// Pause a trip
#[utoipa::path(post, path = "/rider/me/trips/{id}/pause", tag = "Rider",
    summary = "Pause a trip",
    description = "Put a running trip on hold, where the network allows it (-41 otherwise): the vehicle is locked and the time on hold is priced at the on-hold price.",
    params(MyTripPath),
    extensions(("x-permission" = json!(authenticated()))),
    responses(
        (status = 200, description = "The trip, on hold", body = Envelope<MyTrip>),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 404, description = "No such trip of the rider's (-2)", body = ErrorBody),
        (status = 409, description = "Not running, or the network allows no pause (-41)", body = ErrorBody)))]
pub async fn pause_a_trip(
    State(state): State<AppState>,
    auth: Authorized,
    ValidPath(path): ValidPath<MyTripPath>,
) -> ApiResult<Json<Envelope<MyTrip>>> {
    let trip =
        relais_store::ride::pause(&state.db, auth.caller.user.id, path.id, Utc::now()).await?;
    Ok(ok(my_trip(&state, trip).await?))
}

/// Resume a trip
#[utoipa::path(post, path = "/rider/me/trips/{id}/resume", tag = "Rider",
    summary = "Resume a trip",
    description = "Take a trip on hold back: the vehicle is unlocked and riding time is priced again.",
    params(MyTripPath),
    extensions(("x-permission" = json!(authenticated()))),
    responses(
        (status = 200, description = "The trip, running", body = Envelope<MyTrip>),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 404, description = "No such trip of the rider's (-2)", body = ErrorBody),
        (status = 409, description = "Not on hold (-41)", body = ErrorBody)))]
pub async fn resume_a_trip(
    State(state): State<AppState>,
    auth: Authorized,
    ValidPath(path): ValidPath<MyTripPath>,
) -> ApiResult<Json<Envelope<MyTrip>>> {
    let trip =
        relais_store::ride::resume(&state.db, auth.caller.user.id, path.id, Utc::now()).await?;
    Ok(ok(my_trip(&state, trip).await?))
}

/// Where the rider is when they end the trip.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EndTripRequest {
    /// The phone's position, used when the vehicle's last one is older than a minute.
    #[validate(range(min = -90.0, max = 90.0))]
    #[schema(minimum = -90, maximum = 90, example = 45.76)]
    pub latitude: Option<f64>,
    #[validate(range(min = -180.0, max = 180.0))]
    #[schema(minimum = -180, maximum = 180, example = 4.84)]
    pub longitude: Option<f64>,
}

/// End a trip
#[utoipa::path(post, path = "/rider/me/trips/{id}/end", tag = "Rider",
    summary = "End a trip",
    description = "End a running or paused trip where the vehicle stands: docked in a station's spot, in a virtual parking, or free floating inside the network's border (a network with virtual parkings needs one: -41 `outside_parking`; outside the border: -41 `outside_border`, both under `position`). The trip is priced by the network's pricing rules (the free-float lock price unless docked) and paid at once: from the wallet first, then on the trip's guarantee or the rider's card; a declined payment leaves a debt that blocks the next trip. The vehicle is asked to lock.",
    params(MyTripPath),
    request_body = EndTripRequest,
    extensions(("x-permission" = json!(authenticated()))),
    responses(
        (status = 200, description = "The trip, finished and priced", body = Envelope<MyTrip>),
        (status = 400, description = "Malformed request (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 404, description = "No such trip of the rider's (-2)", body = ErrorBody),
        (status = 409, description = "Not running, or not where a trip may end (-41)", body = ErrorBody),
        (status = 422, description = "Invalid position (-11)", body = ErrorBody)))]
pub async fn end_a_trip(
    State(state): State<AppState>,
    auth: Authorized,
    ValidPath(path): ValidPath<MyTripPath>,
    ValidJson(body): ValidJson<EndTripRequest>,
) -> ApiResult<Json<Envelope<MyTrip>>> {
    let user_id = auth.caller.user.id;
    let request = EndRequest {
        trip_id: path.id,
        user_id: Some(user_id),
        position: body.latitude.zip(body.longitude),
        ended_by: EndedBy::from(DomainEndedBy::Rider),
        now: Utc::now(),
    };
    match relais_store::ride::end(&state.db, request).await? {
        Ended::Refused(refusal) => {
            return Err(
                ApiError::new(ErrorCode::Refused, refusal.message()).with_field(
                    "position",
                    format!("{}: {}", refusal.key(), refusal.message()),
                ),
            );
        }
        Ended::Done(_) => {}
    }
    // Paid now; should the provider be out of reach, the settlement job tries again.
    if let Err(error) = crate::ride::trips::settle(&state, path.id).await {
        tracing::warn!(trip_id = path.id, error = %error.text, "settlement deferred");
    }
    let trip = relais_store::ride::of_rider(&state.db, user_id, path.id).await?;
    Ok(ok(my_trip(&state, trip).await?))
}

/// One of the rider's transactions.
#[derive(Debug, Serialize, ToSchema)]
pub struct MyTransaction {
    pub id: i64,
    pub date: DateTime<Utc>,
    /// `trip`, `top_up`, `debt` or `penalty`.
    pub kind: String,
    pub trip_id: Option<i64>,
    pub product_title: String,
    pub currency: String,
    #[schema(value_type = String, example = "2.40")]
    pub amount_w_vat: String,
    /// `wallet` or `provider`.
    pub source: String,
    pub payment_method_type: String,
    /// `pending`, `succeeded` or `failed`.
    pub status: String,
    #[schema(value_type = String, example = "0.00")]
    pub refund_amount: String,
}

/// Get my transactions
#[utoipa::path(get, path = "/rider/me/transactions", tag = "Rider",
    summary = "Get my transactions",
    description = "What the rider paid (and was refunded), newest first, in keyset pages.",
    params(KeysetQuery),
    extensions(("x-permission" = json!(authenticated()))),
    responses(
        (status = 200, description = "A page of transactions", body = Paged<MyTransaction>),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 422, description = "Invalid paging (-11)", body = ErrorBody)))]
pub async fn get_my_transactions(
    State(state): State<AppState>,
    auth: Authorized,
    ValidQuery(page): ValidQuery<KeysetQuery>,
) -> ApiResult<Paged<MyTransaction>> {
    let keyset = page.keyset();
    let rows = relais_store::transactions::of_user(&state.db, auth.caller.user.id, &keyset).await?;
    Ok(paged(
        &keyset,
        rows,
        |t| t.id,
        |t| MyTransaction {
            id: t.id,
            date: t.created_at,
            kind: t.kind.as_str().to_owned(),
            trip_id: t.trip_id,
            product_title: t.product_title,
            currency: t.currency,
            amount_w_vat: money::from_stored(t.amount_w_vat).to_string(),
            source: t.source.as_str().to_owned(),
            payment_method_type: t.payment_method_type,
            status: t.status.as_str().to_owned(),
            refund_amount: money::from_stored(t.refund_amount).to_string(),
        },
    ))
}

/// The rider's invoice named in the path.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct MyInvoicePath {
    /// The invoice's reference.
    #[serde(rename = "ref")]
    #[validate(length(min = 1, max = 64))]
    #[param(
        rename = "ref",
        min_length = 1,
        max_length = 64,
        example = "LYON-000000012"
    )]
    pub reference: String,
}

/// Download my invoice
#[utoipa::path(get, path = "/rider/me/invoices/{ref}/pdf", tag = "Rider",
    summary = "Download my invoice",
    description = "One of the rider's invoices or credit notes, in PDF (another rider's is 404).",
    params(MyInvoicePath),
    extensions(("x-permission" = json!(authenticated()))),
    responses(
        (status = 200, description = "The PDF", content_type = "application/pdf", body = Vec<u8>),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 404, description = "No such invoice of the rider's (-2)", body = ErrorBody),
        (status = 409, description = "Being rendered (-41)", body = ErrorBody)))]
pub async fn download_my_invoice(
    State(state): State<AppState>,
    auth: Authorized,
    ValidPath(path): ValidPath<MyInvoicePath>,
) -> ApiResult<axum::response::Response> {
    let mine = relais_store::invoices::by_reference(&state.db, &path.reference)
        .await?
        .is_some_and(|i| i.invoice.user_id == Some(auth.caller.user.id));
    if !mine {
        return Err(ApiError::not_found("invoice").with_field("ref", "no such invoice"));
    }
    crate::dashboard::invoices::pdf_of(&state, &path.reference).await
}

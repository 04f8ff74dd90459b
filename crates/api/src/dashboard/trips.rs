//! Seed group `Trips`: the rides of a network's riders (docs/design/ride.md §1.2).
//!
//! | seed operation | route | permission |
//! |---|---|---|
//! | Get trips | `GET /dashboard/trips?networks=` | `trips`, every network asked for reached whole |
//! | Get trip detail | `GET /dashboard/trips/{id}` | `trips`, the trip's network reached whole |
//! | Stop trip billing | `PUT /dashboard/trips/{id}/billing-stop` | `trips` with write, as above |
//!
//! Decisions: a trip is a rider's data, so a grant restricted to some of a network's clusters
//! does not reach it, whichever clusters it started or ended in (as for the network's riders);
//! times are UTC; amounts are decimal strings in the network's currency. The payments of a trip
//! join its detail with the transactions (docs/design/ride.md, piece 9). The list answers
//! `page` (keyset), not the seed sample's `total`: a count over millions costs more than the
//! page. Sorting by `end_date` or `duration` lists the trips that have one (finished and
//! cancelled): an open trip has none to order by. Text filters match a part, without regard
//! to case; bounds are included; a maximum below its minimum is refused naming the maximum.

use crate::access::{Authorized, read, write};
use crate::envelope::{Done, Envelope, Paged, done, ok};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{CommaSeparated, ValidPath, ValidQuery, in_order, unique_id_list};
use crate::pagination::{Direction, KeysetQuery, paged};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Duration, Utc};
use relais_domain::geometry::route;
use relais_domain::money;
use relais_domain::ride::{EndPlace, EndedBy, PaymentStatus, TripState};
use relais_domain::{Object, Permission};
use relais_store::entity::trip_event::Actor;
use relais_store::trips::{TripDetail as Stored, TripFilter, TripSort};
use serde::{Deserialize, Serialize};
use serde_with::{DisplayFromStr, serde_as};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use validator::Validate;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_trips))
        .routes(routes!(get_trip))
        .routes(routes!(stop_trip_billing))
}

/// Custom sort key of "Get trips".
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TripsSortBy {
    StartDate,
    EndDate,
    Duration,
    Distance,
}

/// The filters of "Get trips".
#[serde_as]
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TripsQuery {
    /// Identifier of networks of which to get trips, comma-separated: `networks=5`,
    /// `networks=1,5,7`. Each at least 1, no repeats.
    #[param(value_type = Vec<i64>, style = Form, explode = false, example = "1,5,7")]
    #[validate(custom(function = "unique_id_list"))]
    pub networks: CommaSeparated<i64>,
    /// Custom sort key; ties are broken by id in the direction of `primary_key_dir`.
    #[serde(default)]
    #[param(inline, value_type = Option<TripsSortBy>)]
    pub sort_by: Option<TripsSortBy>,
    /// Sort direction of the custom sort key: `DESC` (default) or `ASC`.
    #[serde(default)]
    #[param(inline, value_type = Option<Direction>, default = "DESC")]
    pub sort_dir: Option<Direction>,
    /// States of the trip to show, comma-separated: `finished`, `running`, `on-hold`,
    /// `cancelled` (and `unlocking`, a relais extension: waiting for the vehicle).
    #[serde(default)]
    #[param(inline, value_type = Option<Vec<TripState>>, style = Form, explode = false, example = "running,on-hold")]
    pub state: Option<CommaSeparated<TripState>>,
    /// The minimum start date of trips to show (RFC 3339).
    pub start_date_min: Option<DateTime<Utc>>,
    /// The maximum start date of trips to show.
    pub start_date_max: Option<DateTime<Utc>>,
    /// The minimum end date of trips to show.
    pub end_date_min: Option<DateTime<Utc>>,
    /// The maximum end date of trips to show.
    pub end_date_max: Option<DateTime<Utc>>,
    /// The minimum trip id to show.
    #[serde_as(as = "Option<DisplayFromStr>")]
    #[serde(default)]
    #[validate(range(min = 1))]
    #[param(minimum = 1, value_type = Option<i64>)]
    pub trip_id_min: Option<i64>,
    /// The maximum trip id to show.
    #[serde_as(as = "Option<DisplayFromStr>")]
    #[serde(default)]
    #[validate(range(min = 1))]
    #[param(minimum = 1, value_type = Option<i64>)]
    pub trip_id_max: Option<i64>,
    /// Filter by serial number of the rented vehicle: a part of it, without regard to case.
    #[validate(length(min = 1, max = 10))]
    #[param(min_length = 1, max_length = 10)]
    pub serial_number: Option<String>,
    /// Filter by model of the rented vehicle: a part of its name, without regard to case.
    #[validate(length(min = 1, max = 20))]
    #[param(min_length = 1, max_length = 20)]
    pub model_name: Option<String>,
    /// Whether to show only demonstration or non-demonstration trips.
    #[serde_as(as = "Option<DisplayFromStr>")]
    #[serde(default)]
    #[param(value_type = Option<bool>)]
    pub demo: Option<bool>,
    /// What the user email should contain, without regard to case.
    #[validate(length(min = 1, max = 254))]
    #[param(min_length = 1, max_length = 254)]
    pub email: Option<String>,
    /// The identifier of the user to get trips of.
    #[serde_as(as = "Option<DisplayFromStr>")]
    #[serde(default)]
    #[validate(range(min = 1))]
    #[param(minimum = 1, value_type = Option<i64>)]
    pub user_id: Option<i64>,
    /// What the name of the starting cluster should contain, without regard to case.
    #[validate(length(min = 1, max = 50))]
    #[param(min_length = 1, max_length = 50)]
    pub cluster_start_name: Option<String>,
    /// The identifier of the starting cluster of trips to get.
    #[serde_as(as = "Option<DisplayFromStr>")]
    #[serde(default)]
    #[validate(range(min = 1))]
    #[param(minimum = 1, value_type = Option<i64>)]
    pub cluster_start_id: Option<i64>,
    /// What the name of the ending cluster should contain, without regard to case.
    #[validate(length(min = 1, max = 50))]
    #[param(min_length = 1, max_length = 50)]
    pub cluster_end_name: Option<String>,
    /// The identifier of the ending cluster of trips to get.
    #[serde_as(as = "Option<DisplayFromStr>")]
    #[serde(default)]
    #[validate(range(min = 1))]
    #[param(minimum = 1, value_type = Option<i64>)]
    pub cluster_end_id: Option<i64>,
    /// Minimum duration of trips to get (in seconds).
    #[serde_as(as = "Option<DisplayFromStr>")]
    #[serde(default)]
    #[validate(range(min = 0))]
    #[param(minimum = 0, value_type = Option<i64>)]
    pub duration_min: Option<i64>,
    /// Maximum duration of trips to get (in seconds).
    #[serde_as(as = "Option<DisplayFromStr>")]
    #[serde(default)]
    #[validate(range(min = 0))]
    #[param(minimum = 0, value_type = Option<i64>)]
    pub duration_max: Option<i64>,
    /// Minimum traveled distance of trips to get (in meters).
    #[serde_as(as = "Option<DisplayFromStr>")]
    #[serde(default)]
    #[validate(range(min = 0))]
    #[param(minimum = 0, value_type = Option<i64>)]
    pub distance_min: Option<i64>,
    /// Maximum traveled distance of trips to get (in meters).
    #[serde_as(as = "Option<DisplayFromStr>")]
    #[serde(default)]
    #[validate(range(min = 0))]
    #[param(minimum = 0, value_type = Option<i64>)]
    pub distance_max: Option<i64>,
}

/// Each maximum at or above its minimum; a refusal names the maximum.
fn bounds_in_order(q: &TripsQuery) -> ApiResult<()> {
    in_order("trip_id_max", q.trip_id_min, q.trip_id_max)?;
    in_order("start_date_max", q.start_date_min, q.start_date_max)?;
    in_order("end_date_max", q.end_date_min, q.end_date_max)?;
    in_order("duration_max", q.duration_min, q.duration_max)?;
    in_order("distance_max", q.distance_min, q.distance_max)
}

/// A trip in a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct TripListItem {
    pub id: i64,
    pub network_id: i64,
    #[schema(value_type = String, example = "finished")]
    pub state: String,
    pub demo: bool,
    pub user_id: Option<i64>,
    pub email: Option<String>,
    pub vehicle_id: Option<i64>,
    pub serial_number: Option<String>,
    pub model_name: Option<String>,
    pub start_date: DateTime<Utc>,
    pub end_date: Option<DateTime<Utc>>,
    /// Seconds billed; null while the trip is open.
    pub duration: Option<i64>,
    /// Metres.
    pub distance: i64,
    pub cluster_start_id: Option<i64>,
    pub cluster_start_name: Option<String>,
    pub cluster_end_id: Option<i64>,
    pub cluster_end_name: Option<String>,
    #[schema(value_type = Option<String>)]
    pub end_place: Option<String>,
    pub billing_stop_date: Option<DateTime<Utc>>,
    pub currency: String,
    /// Decimal string, null until priced.
    #[schema(value_type = Option<String>, example = "2.40")]
    pub price: Option<String>,
    #[schema(value_type = String)]
    pub payment_status: String,
}

impl From<relais_store::trips::TripItem> for TripListItem {
    fn from(i: relais_store::trips::TripItem) -> Self {
        let t = i.trip;
        TripListItem {
            id: t.id,
            network_id: t.network_id,
            state: TripState::from(t.state).as_str().to_owned(),
            demo: t.demo,
            user_id: t.user_id,
            email: i.email,
            vehicle_id: t.vehicle_id,
            serial_number: i.serial,
            model_name: i.model_name,
            start_date: t.started_at,
            end_date: t.ended_at,
            duration: t.duration,
            distance: t.distance,
            cluster_start_id: t.start_cluster_id,
            cluster_start_name: i.start_cluster_name,
            cluster_end_id: t.end_cluster_id,
            cluster_end_name: i.end_cluster_name,
            end_place: t.end_place.map(|p| EndPlace::from(p).as_str().to_owned()),
            billing_stop_date: t.billing_stopped_at,
            currency: i.currency,
            price: t.price_total.map(|p| money::from_stored(p).to_string()),
            payment_status: PaymentStatus::from(t.payment_status).as_str().to_owned(),
        }
    }
}

/// Get trips
#[utoipa::path(get, path = "/dashboard/trips", tag = "Trips",
    summary = "Get trips",
    description = "Return trips made on specified networks.\n\nPaged by keyset: `primary_key_dir` defaults to `DESC` (newest first). With `sort_by` (`start_date`, `end_date`, `duration`, `distance`) and `sort_dir` (default `DESC`), ties are broken by id in the direction of `primary_key_dir`; sorting by `end_date` or `duration` lists only the trips that have one (finished and cancelled). Text filters (`serial_number`, `model_name`, `email`, cluster names) match a part without regard to case; bounds are included; a maximum below its minimum is refused naming it. Answers `page` (`has_more`, `last_primary_key`) rather than a total. Trips are riders' data: every network asked for must be reached as a whole.",
    params(KeysetQuery, TripsQuery),
    extensions(("x-permission" = json!(read(Permission::Trips).whole_networks_in_query("networks")))),
    responses(
        (status = 200, description = "A page of trips", body = Paged<TripListItem>),
        (status = 400, description = "Malformed query (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or a network not reached whole (-31)", body = ErrorBody),
        (status = 404, description = "No such network (-2)", body = ErrorBody),
        (status = 422, description = "Invalid query (-11)", body = ErrorBody)))]
pub async fn get_trips(
    State(state): State<AppState>,
    _auth: Authorized,
    ValidQuery(page): ValidQuery<KeysetQuery>,
    ValidQuery(q): ValidQuery<TripsQuery>,
) -> ApiResult<Paged<TripListItem>> {
    bounds_in_order(&q)?;
    let filter = TripFilter {
        networks: q.networks.0,
        states: q
            .state
            .map(|s| s.0.into_iter().map(Into::into).collect())
            .unwrap_or_default(),
        started_from: q.start_date_min,
        started_to: q.start_date_max,
        ended_from: q.end_date_min,
        ended_to: q.end_date_max,
        id_min: q.trip_id_min,
        id_max: q.trip_id_max,
        serial: q.serial_number,
        model_name: q.model_name,
        demo: q.demo,
        email: q.email,
        user_id: q.user_id,
        start_cluster_id: q.cluster_start_id,
        end_cluster_id: q.cluster_end_id,
        start_cluster_name: q.cluster_start_name,
        end_cluster_name: q.cluster_end_name,
        duration_min: q.duration_min,
        duration_max: q.duration_max,
        distance_min: q.distance_min,
        distance_max: q.distance_max,
    };
    let sort = q.sort_by.map(|by| {
        let by = match by {
            TripsSortBy::StartDate => TripSort::StartDate,
            TripsSortBy::EndDate => TripSort::EndDate,
            TripsSortBy::Duration => TripSort::Duration,
            TripsSortBy::Distance => TripSort::Distance,
        };
        (by, q.sort_dir.unwrap_or_default().into())
    });
    let keyset = page.keyset();
    let trips = relais_store::trips::list(&state.db, &filter, &keyset, sort).await?;
    Ok(paged(&keyset, trips, |i| i.trip.id, TripListItem::from))
}

/// The trip named in the path.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct TripPath {
    /// Identifier of trip to get the detail of.
    #[validate(range(min = 1))]
    #[param(minimum = 1)]
    pub id: i64,
}

/// A named object a trip refers to.
#[derive(Debug, Serialize, ToSchema)]
pub struct Named {
    pub id: i64,
    pub name: Option<String>,
}

/// A time on hold.
#[derive(Debug, Serialize, ToSchema)]
pub struct TripPause {
    pub start: DateTime<Utc>,
    /// Null while on hold.
    pub end: Option<DateTime<Utc>>,
    /// Paused by the automatic pause, not the rider.
    pub auto: bool,
}

/// Something that happened to the trip.
#[derive(Debug, Serialize, ToSchema)]
pub struct TripEventItem {
    pub at: DateTime<Utc>,
    /// `requested`, `started`, `paused`, `resumed`, `ended`, `cancelled`, or a recorded event
    /// (`too_long_notified`, `auto_locked`, `billing_stopped`, `repriced`, ...).
    pub kind: String,
    /// `rider`, `staff`, `vehicle` or `system`.
    pub actor: String,
    pub actor_id: Option<i64>,
    /// Details of a recorded event.
    #[schema(value_type = Option<Object>)]
    pub detail: Option<serde_json::Value>,
}

/// The route: a GeoJSON `LineString` of `[longitude, latitude]` points and, for each, its
/// time.
#[derive(Debug, Serialize, ToSchema)]
pub struct TripRoute {
    /// Always `LineString`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    #[schema(value_type = Vec<Vec<f64>>)]
    pub coordinates: Vec<[f64; 2]>,
    pub times: Vec<DateTime<Utc>>,
}

/// A trip in full.
#[derive(Debug, Serialize, ToSchema)]
pub struct TripDetail {
    pub id: i64,
    pub network_id: i64,
    #[schema(value_type = String, example = "finished")]
    pub state: String,
    /// Made by staff to show or test the service; it moves no money.
    pub demo: bool,
    pub user_id: Option<i64>,
    /// The rider's address as stored (an erased account shows its anonymous address).
    pub email: Option<String>,
    pub vehicle_id: Option<i64>,
    pub serial_number: Option<String>,
    pub model_name: Option<String>,
    /// When the rider asked to unlock.
    pub requested_at: DateTime<Utc>,
    /// The unlock (billing starts there); the request time while unlocking.
    pub start_date: DateTime<Utc>,
    /// Null while the trip is open.
    pub end_date: Option<DateTime<Utc>>,
    /// Seconds billed; null while the trip is open.
    pub duration: Option<i64>,
    /// Metres ridden, from the vehicle's positions.
    pub distance: i64,
    pub cluster_start: Option<Named>,
    pub cluster_end: Option<Named>,
    pub start_spot_id: Option<i64>,
    pub end_spot_id: Option<i64>,
    pub start_virtual_parking_id: Option<i64>,
    pub end_virtual_parking_id: Option<i64>,
    /// `[longitude, latitude]` where it started, when known.
    pub start_position: Option<[f64; 2]>,
    pub end_position: Option<[f64; 2]>,
    /// `station`, `virtual_parking` or `free_floating`; null while open.
    #[schema(value_type = Option<String>)]
    pub end_place: Option<String>,
    /// What ended it: `rider`, `station`, `auto_lock`, `max_pause`, `credit_depletion`,
    /// `low_battery`, `stolen`, `staff`, `unlock_failed`.
    #[schema(value_type = Option<String>)]
    pub ended_by: Option<String>,
    /// Why the unlock failed (a refusal key of docs/errors.md), for a cancelled trip.
    pub cancel_reason: Option<String>,
    /// "Stop trip billing": the price stops there.
    pub billing_stop_date: Option<DateTime<Utc>>,
    pub pauses: Vec<TripPause>,
    pub events: Vec<TripEventItem>,
    /// Null when no position was recorded.
    pub route: Option<TripRoute>,
    /// The network's currency.
    pub currency: String,
    /// The price (decimal string), null until priced.
    #[schema(value_type = Option<String>, example = "2.40")]
    pub price: Option<String>,
    /// The pricing engine's lines as computed, null until priced.
    #[schema(value_type = Option<Object>)]
    pub price_breakdown: Option<serde_json::Value>,
    /// What was paid so far (decimal string).
    #[schema(value_type = String, example = "0.00")]
    pub amount_paid: String,
    /// `none`, `pending`, `paid`, `debt` or `free`.
    #[schema(value_type = String)]
    pub payment_status: String,
}

fn position(lat: Option<f64>, lng: Option<f64>) -> Option<[f64; 2]> {
    Some([lng?, lat?])
}

fn actor(kind: Actor) -> &'static str {
    match kind {
        Actor::Rider => "rider",
        Actor::Staff => "staff",
        Actor::Vehicle => "vehicle",
        Actor::System => "system",
    }
}

/// The trip's own columns and pauses as events, merged with the recorded ones in time order.
fn events(d: &Stored) -> Vec<TripEventItem> {
    let t = &d.item.trip;
    let own = |at, kind: &str, actor: &str, actor_id| TripEventItem {
        at,
        kind: kind.to_owned(),
        actor: actor.to_owned(),
        actor_id,
        detail: None,
    };
    let state = TripState::from(t.state);
    let mut items = vec![own(t.requested_at, "requested", "rider", t.user_id)];
    if !matches!(state, TripState::Unlocking | TripState::Cancelled) {
        items.push(own(t.started_at, "started", "vehicle", None));
    }
    for p in &d.pauses {
        let by = if p.auto { "system" } else { "rider" };
        items.push(own(p.started_at, "paused", by, None));
        if let Some(end) = p.ended_at {
            items.push(own(end, "resumed", "rider", None));
        }
    }
    if let Some(end) = t.ended_at {
        let kind = if state == TripState::Cancelled {
            "cancelled"
        } else {
            "ended"
        };
        let by = match t.ended_by.map(EndedBy::from) {
            Some(EndedBy::Rider) => "rider",
            Some(EndedBy::Station) => "vehicle",
            Some(EndedBy::Staff) => "staff",
            _ => "system",
        };
        items.push(own(end, kind, by, None));
    }
    items.extend(d.events.iter().map(|e| {
        TripEventItem {
            at: e.at,
            kind: e.kind.clone(),
            actor: actor(e.actor_kind).to_owned(),
            actor_id: e.actor_id,
            detail: e
                .payload
                .as_deref()
                .and_then(|p| serde_json::from_str(p).ok()),
        }
    }));
    // Stable: at one instant, the trip's own steps come before what was recorded then.
    items.sort_by_key(|e| e.at);
    items
}

fn route_of(d: &Stored) -> Option<TripRoute> {
    let stored = d.route.as_ref()?;
    // A route that cannot be read is shown as none rather than failing the whole detail.
    let points = match route::decode(&stored.points) {
        Ok(points) if !points.is_empty() => points,
        Ok(_) => return None,
        Err(error) => {
            tracing::warn!(trip_id = d.item.trip.id, %error, "unreadable stored route");
            return None;
        }
    };
    Some(TripRoute {
        kind: "LineString",
        coordinates: points.iter().map(|p| [p.lng, p.lat]).collect(),
        times: points
            .iter()
            .map(|p| d.item.trip.started_at + Duration::seconds(p.offset_s))
            .collect(),
    })
}

impl From<Stored> for TripDetail {
    fn from(d: Stored) -> Self {
        let events = events(&d);
        let route = route_of(&d);
        let item = d.item;
        let t = item.trip;
        TripDetail {
            id: t.id,
            network_id: t.network_id,
            state: TripState::from(t.state).as_str().to_owned(),
            demo: t.demo,
            user_id: t.user_id,
            email: item.email,
            vehicle_id: t.vehicle_id,
            serial_number: item.serial,
            model_name: item.model_name,
            requested_at: t.requested_at,
            start_date: t.started_at,
            end_date: t.ended_at,
            duration: t.duration,
            distance: t.distance,
            cluster_start: t.start_cluster_id.map(|id| Named {
                id,
                name: item.start_cluster_name,
            }),
            cluster_end: t.end_cluster_id.map(|id| Named {
                id,
                name: item.end_cluster_name,
            }),
            start_spot_id: t.start_spot_id,
            end_spot_id: t.end_spot_id,
            start_virtual_parking_id: t.start_virtual_parking_id,
            end_virtual_parking_id: t.end_virtual_parking_id,
            start_position: position(t.start_latitude, t.start_longitude),
            end_position: position(t.end_latitude, t.end_longitude),
            end_place: t.end_place.map(|p| EndPlace::from(p).as_str().to_owned()),
            ended_by: t.ended_by.map(|b| EndedBy::from(b).as_str().to_owned()),
            cancel_reason: t.cancel_reason,
            billing_stop_date: t.billing_stopped_at,
            pauses: d
                .pauses
                .iter()
                .map(|p| TripPause {
                    start: p.started_at,
                    end: p.ended_at,
                    auto: p.auto,
                })
                .collect(),
            events,
            route,
            currency: item.currency,
            price: t.price_total.map(|p| money::from_stored(p).to_string()),
            price_breakdown: d
                .breakdown
                .as_deref()
                .and_then(|b| serde_json::from_str(b).ok()),
            amount_paid: money::from_stored(t.amount_paid).to_string(),
            payment_status: PaymentStatus::from(t.payment_status).as_str().to_owned(),
        }
    }
}

/// Get trip detail
#[utoipa::path(get, path = "/dashboard/trips/{id}", tag = "Trips",
    summary = "Get trip detail",
    description = "Return the detail of a trip.\n\nThe trip as recorded: its state, rider, vehicle and model, times (UTC), duration billed and distance, where it started and ended (clusters, spots, virtual parkings, positions), what ended it, its pauses, its events in time order (its own steps merged with what was recorded: notifications, automatic locks, billing stops), its route as a GeoJSON `LineString` with a time per point (null when none was recorded), and its price as the pricing engine computed it (decimal strings in the network's currency; null until priced). A trip is a rider's data: it needs `trips` over its network as a whole, which a grant restricted to some of the network's clusters does not give.",
    params(TripPath),
    extensions(("x-permission" = json!(read(Permission::Trips).object_in_path("id", Object::Trip)))),
    responses(
        (status = 200, description = "The trip", body = Envelope<TripDetail>),
        (status = 400, description = "Malformed `id` (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or a trip outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such trip (-2)", body = ErrorBody),
        (status = 422, description = "Invalid `id` (-11)", body = ErrorBody)))]
pub async fn get_trip(
    State(state): State<AppState>,
    _auth: Authorized,
    ValidPath(path): ValidPath<TripPath>,
) -> ApiResult<Json<Envelope<TripDetail>>> {
    let detail = relais_store::trips::detail(&state.db, path.id).await?;
    Ok(ok(TripDetail::from(detail)))
}

/// Date to set.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StopTripBillingRequest {
    /// The date at which to stop the billing (RFC 3339), or null to erase a previous stop
    /// date. Within the trip: between its start and its end (or now while it runs).
    #[serde(deserialize_with = "crate::extract::required_nullable")]
    #[schema(value_type = Option<String>, format = DateTime, example = "2026-12-01T10:15:00Z")]
    pub date: Option<DateTime<Utc>>,
}

/// Stop trip billing
#[utoipa::path(put, path = "/dashboard/trips/{id}/billing-stop", tag = "Trips",
    summary = "Stop trip billing",
    description = "Set the trip billing stop date, do not set a date to erase a previous stop date.\n\n`date` is required and may be null. A trip in progress is priced up to the date when it ends. A finished trip is priced again at once with the network's rules, and only its unpaid part moves: a debt shrinks to what the new price leaves owing (paid off at zero); a price above what was paid (the date erased) is charged as the trip's payment was; a price below what was paid refunds nothing by itself (an issued payment never changes: use \"Refund transaction\"). Recorded in the trip's events. A trip that never started (unlocking, cancelled) is refused (-41); a date outside the trip is -11. Needs `trips` with write over the trip's network as a whole.",
    params(TripPath),
    request_body = StopTripBillingRequest,
    extensions(("x-permission" = json!(write(Permission::Trips).object_in_path("id", Object::Trip)))),
    responses(
        (status = 200, description = "Done", body = Done),
        (status = 400, description = "Malformed request, or `date` missing (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or a trip outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such trip (-2)", body = ErrorBody),
        (status = 409, description = "The trip never started (-41)", body = ErrorBody),
        (status = 422, description = "A date outside the trip (-11)", body = ErrorBody)))]
pub async fn stop_trip_billing(
    State(state): State<AppState>,
    auth: Authorized,
    ValidPath(path): ValidPath<TripPath>,
    crate::extract::ValidJson(body): crate::extract::ValidJson<StopTripBillingRequest>,
) -> ApiResult<Json<Done>> {
    let trip = relais_store::ride::stop_billing(
        &state.db,
        path.id,
        body.date,
        Some(auth.user_id()),
        Utc::now(),
    )
    .await?;
    if trip.payment_status == relais_store::entity::trip::PaymentStatus::Pending {
        // Charged now; should the provider be out of reach, the settlement job tries again.
        if let Err(error) = crate::ride::trips::settle(&state, trip.id).await {
            tracing::warn!(trip_id = trip.id, error = %error.text, "settlement deferred");
        }
    }
    Ok(done())
}

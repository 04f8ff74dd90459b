//! Seed group `Trips`: the rides of a network's riders (docs/design/ride.md §1.2).
//!
//! | seed operation | route | permission |
//! |---|---|---|
//! | Get trip detail | `GET /dashboard/trips/{id}` | `trips`, the trip's network reached whole |
//!
//! Decisions: a trip is a rider's data, so a grant restricted to some of a network's clusters
//! does not reach it, whichever clusters it started or ended in (as for the network's riders);
//! times are UTC; amounts are decimal strings in the network's currency. The payments of a trip
//! join its detail with the transactions (docs/design/ride.md, piece 9).

use crate::access::{Authorized, read};
use crate::envelope::{Envelope, ok};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::ValidPath;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Duration, Utc};
use relais_domain::geometry::route;
use relais_domain::money;
use relais_domain::ride::{EndPlace, EndedBy, PaymentStatus, TripState};
use relais_domain::{Object, Permission};
use relais_store::entity::trip_event::Actor;
use relais_store::trips::TripDetail as Stored;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use validator::Validate;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_trip))
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
    let t = &d.trip;
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
            tracing::warn!(trip_id = d.trip.id, %error, "unreadable stored route");
            return None;
        }
    };
    Some(TripRoute {
        kind: "LineString",
        coordinates: points.iter().map(|p| [p.lng, p.lat]).collect(),
        times: points
            .iter()
            .map(|p| d.trip.started_at + Duration::seconds(p.offset_s))
            .collect(),
    })
}

impl From<Stored> for TripDetail {
    fn from(d: Stored) -> Self {
        let events = events(&d);
        let route = route_of(&d);
        let t = d.trip;
        TripDetail {
            id: t.id,
            network_id: t.network_id,
            state: TripState::from(t.state).as_str().to_owned(),
            demo: t.demo,
            user_id: t.user_id,
            email: d.email,
            vehicle_id: t.vehicle_id,
            serial_number: d.serial,
            model_name: d.model_name,
            requested_at: t.requested_at,
            start_date: t.started_at,
            end_date: t.ended_at,
            duration: t.duration,
            distance: t.distance,
            cluster_start: t.start_cluster_id.map(|id| Named {
                id,
                name: d.start_cluster_name,
            }),
            cluster_end: t.end_cluster_id.map(|id| Named {
                id,
                name: d.end_cluster_name,
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
            currency: d.currency,
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

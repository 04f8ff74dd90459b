//! The trip's transitions (docs/design/ride.md §4): start (rules, the trip, the vehicle, the
//! unlock command), the vehicle's answer, cancellation, pause and resume, end (place and
//! price), and the settlement's database steps. `relais_domain::ride` decides; each function
//! here applies one decision in one write transaction with everything that moves with it
//! (§3.3), guarded by the state it expects, so that a transition raced by another (the
//! rider's end and the station's dock) changes nothing and says so.

use crate::entity::bank_guarantee::{self, GuaranteeStatus};
use crate::entity::debt::{self, DebtStatus};
use crate::entity::transaction::{self, MoneySource, TransactionKind, TransactionStatus};
use crate::entity::trip::{self, EndPlace, EndedBy, PaymentStatus, TripState};
use crate::entity::{
    app_label_payment_method, cluster, network, network_access_rule, network_vehicle_model,
    out_of_order, price_breakdown, trip_pause, unlock_request, user, user_payment_method, vehicle,
    vehicle_command, virtual_parking, wallet,
};
use crate::error::{Result, StoreError};
use crate::network_vehicles::{DELIVERED, FAILED, PENDING};
use chrono::{DateTime, Duration, Utc};
use relais_domain::money;
use relais_domain::pricing::{Period, PricingRule, TimeOfWeek, TripPrice, TripTimes};
use relais_domain::ride::{self as rules, Placement, RentRules, StartFacts, UnlockRefusal};
use rust_decimal::Decimal;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection,
    DatabaseTransaction, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use sha2::{Digest, Sha256};

/// The command that unlocks a vehicle for a trip.
pub const UNLOCK: &str = "unlock";
/// The command that locks it (end, pause).
pub const LOCK: &str = "lock";
/// A command that was not delivered before its `expires_at`: never published.
pub const EXPIRED: &str = "expired";
/// Cancels a trip whose vehicle did not answer its unlock in time; subject: the trip.
pub const UNLOCK_TIMEOUT_JOB: &str = "unlock_timeout";
/// Takes a finished trip's price; subject: the trip.
pub const SETTLE_JOB: &str = "settle_trip";
/// Releases a guarantee no longer needed; subject: the guarantee.
pub const RELEASE_HOLD_JOB: &str = "release_hold";
/// Ends a trip that lasted the network's `trip_auto_lock`; subject: the trip.
pub const AUTO_LOCK_JOB: &str = "auto_lock";
/// Ends a trip on hold for the network's `trip_max_pause`; subject: the trip.
pub const MAX_PAUSE_JOB: &str = "max_pause";
/// The timers of a trip in progress, dropped when it ends.
const TIMERS: [&str; 3] = [UNLOCK_TIMEOUT_JOB, AUTO_LOCK_JOB, MAX_PAUSE_JOB];
/// How long a guarantee is held at the provider before it lapses (cards hold about a week).
const HOLD_LIFETIME: Duration = Duration::days(7);

/// The vehicle a rider asks for: by id (the map) or by serial (its QR code).
#[derive(Debug, Clone)]
pub enum VehicleRef {
    Id(i64),
    Serial(String),
}

/// Where `unlock.admin` reaches for the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdminReach {
    None,
    All,
    Networks(Vec<i64>),
}

impl AdminReach {
    fn reaches(&self, network: i64) -> bool {
        match self {
            AdminReach::None => false,
            AdminReach::All => true,
            AdminReach::Networks(n) => n.contains(&network),
        }
    }
}

/// "Start a trip" as asked.
#[derive(Debug, Clone)]
pub struct StartRequest {
    pub user_id: i64,
    pub vehicle: VehicleRef,
    /// The rider's position `(latitude, longitude)`, when the app sent it.
    pub position: Option<(f64, f64)>,
    pub idempotency_key: String,
    pub demo: bool,
    pub admin: AdminReach,
    /// This server's payment provider: a card saved with another cannot be charged.
    pub provider: String,
    /// How long the vehicle has to answer the unlock.
    pub unlock_timeout: Duration,
    pub now: DateTime<Utc>,
}

/// A guarantee to hold at the provider before the vehicle is unlocked.
#[derive(Debug, Clone)]
pub struct HoldToPlace {
    pub amount: Decimal,
    pub currency: String,
    pub method: user_payment_method::Model,
}

/// What became of a start.
// Returned once and taken apart at once: boxing the large variant would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum Started {
    /// Refused by a rule; the request is recorded.
    Refused {
        refusal: UnlockRefusal,
        request_id: i64,
    },
    /// The trip is `unlocking`; with a hold to place first, or with its unlock command queued.
    Accepted {
        trip: trip::Model,
        hold: Option<HoldToPlace>,
    },
    /// The same request again (its idempotency key): the trip it made.
    Replayed(trip::Model),
}

/// Lock the user's row until commit: serialises a rider's starts, payments and wallet
/// changes on PostgreSQL (SQLite has one writer). Not found when the user does not exist.
async fn lock_user(txn: &impl ConnectionTrait, user_id: i64) -> Result<user::Model> {
    let locked = user::Entity::update_many()
        .col_expr(user::Column::Id, Expr::col(user::Column::Id))
        .filter(user::Column::Id.eq(user_id))
        .exec(txn)
        .await?;
    if locked.rows_affected == 0 {
        return Err(StoreError::NotFound { entity: "user" });
    }
    user::Entity::find_by_id(user_id)
        .one(txn)
        .await?
        .ok_or(StoreError::NotFound { entity: "user" })
}

/// The network's pricing rules, in the domain's form.
pub async fn pricing_rules(
    db: &impl ConnectionTrait,
    network_id: i64,
) -> Result<Vec<(i64, PricingRule)>> {
    crate::pricing::list(db, &[network_id])
        .await?
        .iter()
        .map(|m| Ok((m.id, crate::pricing::to_rule(m)?)))
        .collect()
}

fn tz_of(network: &network::Model) -> chrono_tz::Tz {
    network.timezone.parse().unwrap_or(chrono_tz::UTC)
}

fn minor_units(currency: &str) -> u32 {
    u32::from(relais_domain::reference::minor_units(currency).unwrap_or(2))
}

/// The unlock price of the rule in force at `at` (0 when none is).
fn unlock_price(
    rules: &[(i64, PricingRule)],
    network: &network::Model,
    at: DateTime<Utc>,
) -> Decimal {
    let only: Vec<PricingRule> = rules.iter().map(|(_, r)| r.clone()).collect();
    relais_domain::pricing::rule_at(&only, TimeOfWeek::at(at, tz_of(network)))
        .map_or(Decimal::ZERO, |r| r.unlock_price)
}

/// The rider's ready default card kept by `provider`, when the network's app label offers
/// its kind.
async fn ready_card(
    db: &impl ConnectionTrait,
    user_id: i64,
    provider: &str,
    app_label_id: i64,
) -> Result<Option<user_payment_method::Model>> {
    use crate::entity::user_payment_method::MethodStatus;
    let Some(card) = user_payment_method::Entity::find()
        .filter(user_payment_method::Column::UserId.eq(user_id))
        .filter(user_payment_method::Column::IsDefault.eq(true))
        .filter(user_payment_method::Column::RemovedAt.is_null())
        .filter(user_payment_method::Column::Status.eq(MethodStatus::Ready))
        .filter(user_payment_method::Column::Provider.eq(provider))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let offered = app_label_payment_method::Entity::find()
        .filter(app_label_payment_method::Column::AppLabelId.eq(app_label_id))
        .filter(app_label_payment_method::Column::MethodId.eq(card.payment_method_id))
        .count(db)
        .await?
        > 0;
    Ok(offered.then_some(card))
}

/// Whether an access rule of the network lets `rider` in (every rider when it has none).
async fn access_allowed(
    db: &impl ConnectionTrait,
    network_id: i64,
    rider: &user::Model,
) -> Result<bool> {
    let rules = network_access_rule::Entity::find()
        .filter(network_access_rule::Column::NetworkId.eq(network_id))
        .all(db)
        .await?;
    Ok(rules.is_empty()
        || rules.iter().any(|r| {
            // Organizations enrol nobody yet: a rule of one lets no one in.
            r.organization_id.is_none()
                && r.email_pattern
                    .as_deref()
                    .is_none_or(|p| relais_domain::access::email_matches(p, &rider.email))
                && r.app_label_id.is_none_or(|l| rider.app_label_id == Some(l))
        }))
}

/// Where the vehicle stands, and its cluster.
async fn placement(
    db: &impl ConnectionTrait,
    v: &vehicle::Model,
) -> Result<(Placement, Option<i64>)> {
    if v.spot_id.is_some() {
        let place = crate::iot::place_of_spot(db, v.spot_id).await?;
        return Ok((Placement::Docked, place.cluster_id));
    }
    if let Some(parking) = v.virtual_parking_id {
        let cluster = virtual_parking::Entity::find_by_id(parking)
            .one(db)
            .await?
            .and_then(|p| p.cluster_id);
        return Ok((Placement::InParking, cluster));
    }
    let (Some(lat), Some(lng)) = (v.latitude, v.longitude) else {
        return Ok((Placement::Outside, None));
    };
    let zones = crate::geofencing::zones(db, v.network_id).await?;
    let inside = zones
        .border
        .as_ref()
        .is_none_or(|b| b.contains(geo::Point::new(lng, lat)));
    Ok((
        if inside {
            Placement::FreeFloatingInside
        } else {
            Placement::Outside
        },
        None,
    ))
}

/// Open states of a trip.
const OPEN: [TripState; 3] = [TripState::Unlocking, TripState::Running, TripState::OnHold];

/// "Start a trip": the rules checked on what the database holds now, then the trip written
/// `unlocking` with its vehicle taken, its unlock timeout armed and, when no guarantee is to
/// be held first, its unlock command queued, all in one write transaction. A refusal is
/// recorded as an unlock request.
pub async fn start(db: &DatabaseConnection, req: StartRequest) -> Result<Started> {
    let txn = crate::db::begin_write(db).await?;
    let rider = lock_user(&txn, req.user_id).await?;
    if let Some(trip) = trip::Entity::find()
        .filter(trip::Column::UserId.eq(req.user_id))
        .filter(trip::Column::IdempotencyKey.eq(req.idempotency_key.as_str()))
        .one(&txn)
        .await?
    {
        return Ok(Started::Replayed(trip));
    }
    let (field, found) = match &req.vehicle {
        VehicleRef::Id(id) => (
            "vehicle_id",
            vehicle::Entity::find_by_id(*id).one(&txn).await?,
        ),
        VehicleRef::Serial(serial) => (
            "serial",
            vehicle::Entity::find()
                .filter(vehicle::Column::Serial.eq(serial.as_str()))
                .one(&txn)
                .await?,
        ),
    };
    let v = found.ok_or(StoreError::Missing {
        entity: "vehicle",
        field,
    })?;
    let net = network::Entity::find_by_id(v.network_id)
        .one(&txn)
        .await?
        .ok_or(StoreError::NotFound { entity: "network" })?;
    let now = req.now;
    let debt: Option<i64> = debt::Entity::find()
        .select_only()
        .column_as(Expr::cust("CAST(SUM(\"remaining\") AS BIGINT)"), "total")
        .filter(debt::Column::UserId.eq(req.user_id))
        .filter(debt::Column::Status.eq(DebtStatus::Open))
        .into_tuple::<Option<i64>>()
        .one(&txn)
        .await?
        .flatten();
    let network_out_of_order = out_of_order::Entity::find()
        .filter(out_of_order::Column::NetworkId.eq(net.id))
        .filter(out_of_order::Column::StartDate.lte(now))
        .filter(
            Condition::any()
                .add(out_of_order::Column::EndDate.is_null())
                .add(out_of_order::Column::EndDate.gt(now)),
        )
        .count(&txn)
        .await?
        > 0;
    let (place, cluster_id) = placement(&txn, &v).await?;
    let cluster = match cluster_id {
        Some(id) => cluster::Entity::find_by_id(id).one(&txn).await?,
        None => None,
    };
    let open_trips = trip::Entity::find()
        .filter(trip::Column::UserId.eq(req.user_id))
        .filter(trip::Column::State.is_in(OPEN))
        .filter(trip::Column::NetworkId.eq(net.id))
        .count(&txn)
        .await?;
    let card = ready_card(&txn, req.user_id, &req.provider, net.app_label_id).await?;
    let balance = wallet::Entity::find()
        .filter(wallet::Column::UserId.eq(req.user_id))
        .filter(wallet::Column::Currency.eq(net.currency.as_str()))
        .filter(wallet::Column::DeletedAt.is_null())
        .one(&txn)
        .await?
        .map(|w| money::from_stored(w.balance));
    let rules_in_force = pricing_rules(&txn, net.id).await?;
    let model_pre_auth = network_vehicle_model::Entity::find()
        .filter(network_vehicle_model::Column::NetworkId.eq(net.id))
        .filter(network_vehicle_model::Column::ModelId.eq(v.model_id))
        .one(&txn)
        .await?
        .and_then(|m| m.pre_auth)
        .map(money::from_stored);
    let distance = match (req.position, v.latitude, v.longitude) {
        (Some((lat, lng)), Some(vlat), Some(vlng)) => Some(relais_domain::geometry::haversine_m(
            geo::Point::new(lng, lat),
            geo::Point::new(vlng, vlat),
        )),
        _ => None,
    };
    let facts = StartFacts {
        rider_blocked: rider.blocked,
        rider_erased: rider.deleted_at.is_some(),
        open_debt: debt.filter(|d| *d > 0).map(money::from_stored),
        network_closed: net.closed_at.is_some(),
        network_out_of_order,
        cluster_out_of_order: false,
        cluster_forced_down: cluster.as_ref().is_some_and(|c| c.forced_down),
        access_allowed: access_allowed(&txn, net.id, &rider).await?,
        vehicle_in_service: v.decommissioned_at.is_none(),
        vehicle_available: v.status == crate::maintenances::VEHICLE_AVAILABLE,
        vehicle_has_trip: v.trip_id.is_some(),
        vehicle_in_stock: v.stock_id.is_some(),
        placement: place,
        last_seen_at: v.last_seen_at,
        battery: v.battery,
        distance_to_rider_m: distance,
        max_unlock_distance_m: (place == Placement::Docked)
            .then(|| {
                cluster
                    .as_ref()
                    .map(|c| std::cmp::max(c.max_unlock_distance, 0) as u32)
            })
            .flatten(),
        open_trips: open_trips as u32,
        first_purchase_done: rider.first_purchase_at.is_some(),
        ready_card: card.is_some(),
        wallet_balance: balance,
        unlock_price: unlock_price(&rules_in_force, &net, now),
        pre_auth_disabled: rider.pre_auth_disabled,
        trip_count: rider.trip_count,
        model_pre_auth,
        admin_unlock: req.admin.reaches(net.id),
    };
    let rent = RentRules {
        min_battery_to_rent: net.min_battery_to_rent,
        max_simultaneous_rented_vehicle: net.max_simultaneous_rented_vehicle,
        first_purchase_required: net.first_purchase_required,
        trip_to_skip_pre_auth_guarantee: net.trip_to_skip_pre_auth_guarantee,
        default_vehicle_guarantee: money::from_stored(net.default_vehicle_guarantee),
    };
    let plan = match rules::check_start(&facts, &rent, now) {
        Ok(plan) => plan,
        Err(refusal) => {
            let request = record_refusal(&txn, &req, Some(&v), refusal).await?;
            txn.commit().await?;
            return Ok(Started::Refused {
                refusal,
                request_id: request,
            });
        }
    };
    let trip = trip::ActiveModel {
        network_id: Set(net.id),
        vehicle_id: Set(Some(v.id)),
        user_id: Set(Some(req.user_id)),
        start_cluster_id: Set(cluster_id),
        end_cluster_id: Set(None),
        started_at: Set(now),
        ended_at: Set(None),
        state: Set(TripState::Unlocking),
        requested_at: Set(now),
        duration: Set(None),
        distance: Set(0),
        vehicle_model_id: Set(Some(v.model_id)),
        demo: Set(req.demo),
        idempotency_key: Set(Some(req.idempotency_key.clone())),
        start_latitude: Set(v.latitude),
        start_longitude: Set(v.longitude),
        start_spot_id: Set(v.spot_id),
        start_virtual_parking_id: Set(v.virtual_parking_id),
        amount_paid: Set(0),
        payment_status: Set(PaymentStatus::None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    // The vehicle is the trip's only while nobody else took it meanwhile.
    let taken = vehicle::Entity::update_many()
        .col_expr(vehicle::Column::TripId, Expr::value(trip.id))
        .col_expr(vehicle::Column::Status, Expr::value(IN_USE))
        .filter(vehicle::Column::Id.eq(v.id))
        .filter(vehicle::Column::TripId.is_null())
        .filter(vehicle::Column::Status.eq(crate::maintenances::VEHICLE_AVAILABLE))
        .exec(&txn)
        .await?;
    if taken.rows_affected == 0 {
        drop(txn);
        let refusal = UnlockRefusal::VehicleUnavailable {
            why: rules::Unavailability::InTrip,
        };
        let txn = crate::db::begin_write(db).await?;
        let request = record_refusal(&txn, &req, Some(&v), refusal).await?;
        txn.commit().await?;
        return Ok(Started::Refused {
            refusal,
            request_id: request,
        });
    }
    crate::users::join_network(&txn, req.user_id, net.id, now).await?;
    user::Entity::update_many()
        .col_expr(user::Column::LastActivityAt, Expr::value(now))
        .filter(user::Column::Id.eq(req.user_id))
        .exec(&txn)
        .await?;
    let hold = match plan.guarantee {
        Some(amount) if !req.demo => card.map(|method| HoldToPlace {
            amount,
            currency: net.currency.clone(),
            method,
        }),
        _ => None,
    };
    let expires = now + req.unlock_timeout;
    crate::jobs::schedule(&txn, UNLOCK_TIMEOUT_JOB, trip.id, expires, None, now).await?;
    if hold.is_none() {
        queue_unlock(&txn, &trip, expires, now).await?;
    }
    // Hot rows last (§3.3).
    crate::network_counters::add(&txn, net.id, crate::network_counters::Counts::trips(1)).await?;
    txn.commit().await?;
    Ok(Started::Accepted { trip, hold })
}

/// The status of a vehicle in a trip.
pub const IN_USE: &str = "in_use";

async fn record_refusal(
    txn: &impl ConnectionTrait,
    req: &StartRequest,
    v: Option<&vehicle::Model>,
    refusal: UnlockRefusal,
) -> Result<i64> {
    Ok(unlock_request::ActiveModel {
        user_id: Set(Some(req.user_id)),
        network_id: Set(v.map(|v| v.network_id)),
        vehicle_id: Set(v.map(|v| v.id)),
        serial: Set(match &req.vehicle {
            VehicleRef::Serial(s) => Some(s.chars().take(64).collect()),
            VehicleRef::Id(_) => v.map(|v| v.serial.clone()),
        }),
        at: Set(req.now),
        reason: Set(refusal.key().to_owned()),
        latitude: Set(req.position.map(|p| p.0)),
        longitude: Set(req.position.map(|p| p.1)),
        ..Default::default()
    }
    .insert(txn)
    .await?
    .id)
}

/// Queue the trip's `unlock`, not to be delivered after `expires`.
async fn queue_unlock(
    txn: &impl ConnectionTrait,
    trip: &trip::Model,
    expires: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<i64> {
    let vehicle_id = trip
        .vehicle_id
        .ok_or(StoreError::Rule("the trip has no vehicle".into()))?;
    Ok(vehicle_command::ActiveModel {
        vehicle_id: Set(vehicle_id),
        command: Set(UNLOCK.to_owned()),
        payload: Set(serde_json::json!({"trip_id": trip.id}).to_string()),
        state: Set(PENDING.to_owned()),
        attempts: Set(0),
        last_error: Set(None),
        created_at: Set(now),
        delivered_at: Set(None),
        locked_until: Set(None),
        trip_id: Set(Some(trip.id)),
        expires_at: Set(Some(expires)),
        ..Default::default()
    }
    .insert(txn)
    .await?
    .id)
}

/// Queue a command for the vehicle outside the trip's unlock (a lock), through the outbox.
async fn queue(
    txn: &impl ConnectionTrait,
    vehicle_id: i64,
    kind: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    crate::network_vehicles::enqueue(
        txn,
        kind,
        &[LOCK, UNLOCK],
        vec![(vehicle_id, "{}".to_owned())],
        now,
    )
    .await?;
    Ok(())
}

/// A hold placed at the provider for a trip.
#[derive(Debug, Clone)]
pub struct PlacedHold {
    pub provider: String,
    pub hold_id: String,
    pub amount: Decimal,
    pub currency: String,
    pub method_id: i64,
}

/// Record the trip's guarantee and queue its unlock; `None` when the trip no longer waits
/// (its unlock timed out meanwhile): the caller releases the hold.
pub async fn hold_placed(
    db: &DatabaseConnection,
    trip_id: i64,
    user_id: i64,
    hold: PlacedHold,
    now: DateTime<Utc>,
) -> Result<Option<bank_guarantee::Model>> {
    let txn = crate::db::begin_write(db).await?;
    let Some(trip) = trip::Entity::find_by_id(trip_id).one(&txn).await? else {
        return Ok(None);
    };
    if trip.state != TripState::Unlocking {
        return Ok(None);
    }
    let guarantee = bank_guarantee::ActiveModel {
        user_id: Set(user_id),
        user_payment_method_id: Set(hold.method_id),
        network_id: Set(Some(trip.network_id)),
        provider: Set(hold.provider),
        provider_hold_id: Set(Some(hold.hold_id)),
        amount: Set(money::to_stored(hold.amount).unwrap_or(0)),
        currency: Set(hold.currency),
        captured_amount: Set(0),
        status: Set(GuaranteeStatus::InUse),
        created_at: Set(now),
        closed_at: Set(None),
        trip_id: Set(Some(trip_id)),
        expires_at: Set(Some(now + HOLD_LIFETIME)),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    trip::Entity::update_many()
        .col_expr(trip::Column::BankGuaranteeId, Expr::value(guarantee.id))
        .filter(trip::Column::Id.eq(trip_id))
        .exec(&txn)
        .await?;
    let expires = crate::jobs::find(&txn, UNLOCK_TIMEOUT_JOB, trip_id)
        .await?
        .map_or(now + Duration::seconds(30), |j| j.run_at);
    queue_unlock(&txn, &trip, expires, now).await?;
    txn.commit().await?;
    Ok(Some(guarantee))
}

/// Cancel an unlocking trip for `refusal` (the hold declined, the vehicle refused or did not
/// answer): the trip `cancelled`, its vehicle free again, its unlock command expired, its
/// timeout dropped, and its guarantee's release armed. `None` when the trip no longer waits.
pub async fn cancel(
    db: &impl ConnectionTrait,
    trip_id: i64,
    refusal: UnlockRefusal,
    now: DateTime<Utc>,
) -> Result<Option<trip::Model>> {
    let moved = trip::Entity::update_many()
        .col_expr(trip::Column::State, Expr::value(TripState::Cancelled))
        .col_expr(trip::Column::EndedAt, Expr::value(now))
        .col_expr(trip::Column::Duration, Expr::value(0i64))
        .col_expr(trip::Column::EndedBy, Expr::value(EndedBy::UnlockFailed))
        .col_expr(trip::Column::CancelReason, Expr::value(refusal.key()))
        .col_expr(
            trip::Column::PaymentStatus,
            Expr::value(PaymentStatus::Free),
        )
        .filter(trip::Column::Id.eq(trip_id))
        .filter(trip::Column::State.eq(TripState::Unlocking))
        .exec(db)
        .await?;
    if moved.rows_affected == 0 {
        return Ok(None);
    }
    let trip = trip::Entity::find_by_id(trip_id)
        .one(db)
        .await?
        .ok_or(StoreError::NotFound { entity: "trip" })?;
    free_vehicle(db, &trip).await?;
    vehicle_command::Entity::update_many()
        .col_expr(vehicle_command::Column::State, Expr::value(EXPIRED))
        .filter(vehicle_command::Column::TripId.eq(trip_id))
        .filter(vehicle_command::Column::State.eq(PENDING))
        .exec(db)
        .await?;
    crate::jobs::cancel(db, &[UNLOCK_TIMEOUT_JOB], trip_id).await?;
    if let Some(g) = trip.bank_guarantee_id {
        crate::jobs::schedule(db, RELEASE_HOLD_JOB, g, now, None, now).await?;
    }
    Ok(Some(trip))
}

/// The vehicle of `trip` free again, if the trip still holds it.
async fn free_vehicle(db: &impl ConnectionTrait, trip: &trip::Model) -> Result<()> {
    if let Some(vehicle_id) = trip.vehicle_id {
        vehicle::Entity::update_many()
            .col_expr(vehicle::Column::TripId, Expr::value(Option::<i64>::None))
            .col_expr(
                vehicle::Column::Status,
                Expr::value(crate::maintenances::VEHICLE_AVAILABLE),
            )
            .filter(vehicle::Column::Id.eq(vehicle_id))
            .filter(vehicle::Column::TripId.eq(trip.id))
            .exec(db)
            .await?;
    }
    Ok(())
}

/// The vehicle answered the trip's unlock (from the ingest, in its transaction): `ok` makes
/// the trip `running` from `at` (billing starts there); an error cancels it. An answer that
/// comes after the trip was cancelled locks the vehicle again and is recorded on the trip.
pub async fn unlock_answered(
    db: &impl ConnectionTrait,
    command: &vehicle_command::Model,
    ok: bool,
    at: DateTime<Utc>,
) -> Result<()> {
    let Some(trip_id) = command.trip_id else {
        return Ok(());
    };
    if !ok {
        vehicle_command::Entity::update_many()
            .col_expr(vehicle_command::Column::State, Expr::value(FAILED))
            .filter(vehicle_command::Column::Id.eq(command.id))
            .exec(db)
            .await?;
        cancel(db, trip_id, UnlockRefusal::VehicleRefused, at).await?;
        return Ok(());
    }
    let moved = trip::Entity::update_many()
        .col_expr(trip::Column::State, Expr::value(TripState::Running))
        .col_expr(trip::Column::StartedAt, Expr::value(at))
        .filter(trip::Column::Id.eq(trip_id))
        .filter(trip::Column::State.eq(TripState::Unlocking))
        .exec(db)
        .await?;
    if moved.rows_affected == 1 {
        crate::jobs::cancel(db, &[UNLOCK_TIMEOUT_JOB], trip_id).await?;
        let network_id = trip::Entity::find_by_id(trip_id)
            .one(db)
            .await?
            .map(|t| t.network_id);
        if let Some(network_id) = network_id
            && let Some(net) = network::Entity::find_by_id(network_id).one(db).await?
            && net.trip_auto_lock > 0
        {
            let due = at + Duration::seconds(i64::from(net.trip_auto_lock));
            crate::jobs::schedule(db, AUTO_LOCK_JOB, trip_id, due, None, at).await?;
        }
        return Ok(());
    }
    let trip = trip::Entity::find_by_id(trip_id).one(db).await?;
    if trip.is_some_and(|t| t.state == TripState::Cancelled) {
        crate::entity::trip_event::ActiveModel {
            trip_id: Set(trip_id),
            kind: Set("late_unlock_ack".into()),
            at: Set(at),
            actor_kind: Set(crate::entity::trip_event::Actor::Vehicle),
            actor_id: Set(None),
            payload: Set(None),
            ..Default::default()
        }
        .insert(db)
        .await?;
        queue(db, command.vehicle_id, LOCK, at).await?;
    }
    Ok(())
}

/// A rider's trip, or `NotFound` (another rider's trip is not theirs to know of).
pub async fn of_rider(
    db: &impl ConnectionTrait,
    user_id: i64,
    trip_id: i64,
) -> Result<trip::Model> {
    trip::Entity::find_by_id(trip_id)
        .filter(trip::Column::UserId.eq(user_id))
        .one(db)
        .await?
        .ok_or(StoreError::NotFound { entity: "trip" })
}

/// Pause a running trip (the network must allow it): on hold from `now`, the vehicle locked.
pub async fn pause(
    db: &DatabaseConnection,
    user_id: i64,
    trip_id: i64,
    now: DateTime<Utc>,
) -> Result<trip::Model> {
    let txn = crate::db::begin_write(db).await?;
    let trip = of_rider(&txn, user_id, trip_id).await?;
    let net = network::Entity::find_by_id(trip.network_id)
        .one(&txn)
        .await?
        .ok_or(StoreError::NotFound { entity: "network" })?;
    if !net.trip_on_hold {
        return Err(StoreError::Rule(
            "this network does not allow pausing a trip".into(),
        ));
    }
    rules::next(trip.state.into(), &rules::TripEvent::Pause { auto: false })
        .map_err(|e| StoreError::Rule(e.to_string()))?;
    let moved = trip::Entity::update_many()
        .col_expr(trip::Column::State, Expr::value(TripState::OnHold))
        .filter(trip::Column::Id.eq(trip_id))
        .filter(trip::Column::State.eq(TripState::Running))
        .exec(&txn)
        .await?;
    if moved.rows_affected == 0 {
        return Err(StoreError::Rule("the trip is no longer running".into()));
    }
    trip_pause::ActiveModel {
        trip_id: Set(trip_id),
        started_at: Set(now),
        ended_at: Set(None),
        auto: Set(false),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    if let Some(v) = trip.vehicle_id {
        queue(&txn, v, LOCK, now).await?;
    }
    if net.trip_max_pause > 0 {
        let due = now + Duration::seconds(i64::from(net.trip_max_pause));
        crate::jobs::schedule(&txn, MAX_PAUSE_JOB, trip_id, due, None, now).await?;
    }
    let trip = of_rider(&txn, user_id, trip_id).await?;
    txn.commit().await?;
    Ok(trip)
}

/// Resume a trip on hold: running again, the pause closed, the vehicle unlocked.
pub async fn resume(
    db: &DatabaseConnection,
    user_id: i64,
    trip_id: i64,
    now: DateTime<Utc>,
) -> Result<trip::Model> {
    let txn = crate::db::begin_write(db).await?;
    let trip = of_rider(&txn, user_id, trip_id).await?;
    rules::next(trip.state.into(), &rules::TripEvent::Resume)
        .map_err(|e| StoreError::Rule(e.to_string()))?;
    let moved = trip::Entity::update_many()
        .col_expr(trip::Column::State, Expr::value(TripState::Running))
        .filter(trip::Column::Id.eq(trip_id))
        .filter(trip::Column::State.eq(TripState::OnHold))
        .exec(&txn)
        .await?;
    if moved.rows_affected == 0 {
        return Err(StoreError::Rule("the trip is no longer on hold".into()));
    }
    close_pauses(&txn, trip_id, now).await?;
    crate::jobs::cancel(&txn, &[MAX_PAUSE_JOB], trip_id).await?;
    if let Some(v) = trip.vehicle_id {
        crate::network_vehicles::enqueue(
            &txn,
            UNLOCK,
            &[LOCK, UNLOCK],
            vec![(v, serde_json::json!({"trip_id": trip_id}).to_string())],
            now,
        )
        .await?;
    }
    let trip = of_rider(&txn, user_id, trip_id).await?;
    txn.commit().await?;
    Ok(trip)
}

async fn close_pauses(db: &impl ConnectionTrait, trip_id: i64, now: DateTime<Utc>) -> Result<()> {
    trip_pause::Entity::update_many()
        .col_expr(trip_pause::Column::EndedAt, Expr::value(now))
        .filter(trip_pause::Column::TripId.eq(trip_id))
        .filter(trip_pause::Column::EndedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// Why a rider cannot end a trip where the vehicle stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndRefusal {
    /// Outside the network's border.
    OutsideBorder,
    /// The network has virtual parkings and the vehicle is in none.
    OutsideParking,
    /// No position is known for the vehicle, and the app sent none.
    NoPosition,
}

impl EndRefusal {
    pub fn key(self) -> &'static str {
        match self {
            EndRefusal::OutsideBorder => "outside_border",
            EndRefusal::OutsideParking => "outside_parking",
            EndRefusal::NoPosition => "no_position",
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            EndRefusal::OutsideBorder => "the vehicle is outside the network's area",
            EndRefusal::OutsideParking => "the vehicle must be left in a virtual parking",
            EndRefusal::NoPosition => "the vehicle's position is unknown: send the phone's",
        }
    }
}

/// How a trip ends.
#[derive(Debug, Clone)]
pub struct EndRequest {
    pub trip_id: i64,
    /// The rider ending it (`None`: the system or a station).
    pub user_id: Option<i64>,
    /// The app's position `(latitude, longitude)`, used when the vehicle's is older than a
    /// minute.
    pub position: Option<(f64, f64)>,
    pub ended_by: EndedBy,
    pub now: DateTime<Utc>,
}

/// A trip ended, or why it could not be.
// Returned once and taken apart at once: boxing the large variant would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum Ended {
    Done(trip::Model),
    Refused(EndRefusal),
}

/// A virtual parking is found within this distance of its shape (GPS drift).
const PARKING_TOLERANCE_M: f64 = 15.0;
/// A vehicle's fix older than this is not trusted for where a trip ends.
const FIX_FRESH: Duration = Duration::seconds(60);

/// Stored once per distinct content: the digest of its lines.
async fn store_breakdown(
    db: &impl ConnectionTrait,
    price: &TripPrice,
    rule_ids: &[i64],
    start: DateTime<Utc>,
) -> Result<i64> {
    let lines: Vec<serde_json::Value> = price
        .lines
        .iter()
        .map(|l| {
            serde_json::json!({
                "kind": l.kind,
                "rule_id": l.rule.and_then(|i| rule_ids.get(i).copied()),
                "from": (l.from - start).num_seconds(),
                "to": (l.to - start).num_seconds(),
                "seconds": l.seconds,
                "minutes": l.minutes,
                "unit_price": l.unit_price.to_string(),
                "amount": l.amount.to_string(),
            })
        })
        .collect();
    let text = serde_json::to_string(&lines).unwrap_or_else(|_| "[]".into());
    let digest = hex::encode(Sha256::digest(text.as_bytes()));
    if let Some(found) = price_breakdown::Entity::find()
        .filter(price_breakdown::Column::Digest.eq(digest.as_str()))
        .one(db)
        .await?
    {
        return Ok(found.id);
    }
    price_breakdown::Entity::insert(price_breakdown::ActiveModel {
        digest: Set(digest.clone()),
        lines: Set(text),
        ..Default::default()
    })
    .on_conflict(
        sea_orm::sea_query::OnConflict::column(price_breakdown::Column::Digest)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(price_breakdown::Entity::find()
        .filter(price_breakdown::Column::Digest.eq(digest.as_str()))
        .one(db)
        .await?
        .ok_or(StoreError::NotFound {
            entity: "price breakdown",
        })?
        .id)
}

/// Where billing stops for a trip ending at `end`: its billing stop when earlier, never
/// before its start.
pub fn billed_until(trip: &trip::Model, end: DateTime<Utc>) -> DateTime<Utc> {
    let end = trip
        .billing_stopped_at
        .map_or(end, |b| std::cmp::min(b, end));
    std::cmp::max(end, trip.started_at)
}

/// The price of `trip` ending at `end`, with the network's rules.
pub async fn price_of(
    db: &impl ConnectionTrait,
    trip: &trip::Model,
    net: &network::Model,
    end: DateTime<Utc>,
    ends_in_freefloat: bool,
) -> Result<(TripPrice, Vec<i64>)> {
    let rules = pricing_rules(db, net.id).await?;
    let ids: Vec<i64> = rules.iter().map(|(id, _)| *id).collect();
    let only: Vec<PricingRule> = rules.into_iter().map(|(_, r)| r).collect();
    let pauses = trip_pause::Entity::find()
        .filter(trip_pause::Column::TripId.eq(trip.id))
        .all(db)
        .await?;
    let end = billed_until(trip, end);
    let times = TripTimes {
        start: trip.started_at,
        end,
        on_hold: pauses
            .iter()
            .map(|p| Period {
                start: std::cmp::max(p.started_at, trip.started_at),
                end: std::cmp::max(
                    std::cmp::min(p.ended_at.unwrap_or(end), end),
                    trip.started_at,
                ),
            })
            .filter(|p| p.end > p.start)
            .collect(),
        ends_in_freefloat,
    };
    let price =
        relais_domain::pricing::price_trip(&only, tz_of(net), &times, minor_units(&net.currency))
            .map_err(|e| StoreError::Rule(e.to_string()))?;
    Ok((rules::adjust(price, None), ids))
}

/// End a running or paused trip: where the vehicle stands decides the end place (a station's
/// spot, a virtual parking, or free floating inside the border; a rider may not leave it
/// outside the border, nor outside the virtual parkings of a network that has some), the
/// pricing engine prices it, and in one write transaction the trip is `finished` and priced,
/// its pauses closed, its vehicle free and asked to lock, the rider's trip count moved, its
/// timers dropped and its settlement armed.
pub async fn end(db: &DatabaseConnection, req: EndRequest) -> Result<Ended> {
    let txn = crate::db::begin_write(db).await?;
    let ended = end_in(&txn, req).await?;
    if matches!(ended, Ended::Done(_)) {
        txn.commit().await?;
    }
    Ok(ended)
}

/// The trips of `vehicles` in progress, ended where a station reports them docked, at `at`
/// (in the ingest's transaction); their settlement runs as a job at once.
pub async fn end_docked(
    db: &impl ConnectionTrait,
    vehicles: &[i64],
    at: DateTime<Utc>,
) -> Result<()> {
    if vehicles.is_empty() {
        return Ok(());
    }
    let trips: Vec<i64> = trip::Entity::find()
        .select_only()
        .column(trip::Column::Id)
        .filter(trip::Column::VehicleId.is_in(vehicles.iter().copied()))
        .filter(trip::Column::State.is_in([TripState::Running, TripState::OnHold]))
        .into_tuple()
        .all(db)
        .await?;
    for trip_id in trips {
        end_in(
            db,
            EndRequest {
                trip_id,
                user_id: None,
                position: None,
                ended_by: EndedBy::Station,
                now: at,
            },
        )
        .await?;
        crate::jobs::schedule(db, SETTLE_JOB, trip_id, at, None, at).await?;
    }
    Ok(())
}

/// [`end`] within the caller's transaction.
pub async fn end_in(txn: &impl ConnectionTrait, req: EndRequest) -> Result<Ended> {
    let trip = match req.user_id {
        Some(user) => of_rider(txn, user, req.trip_id).await?,
        None => trip::Entity::find_by_id(req.trip_id)
            .one(txn)
            .await?
            .ok_or(StoreError::NotFound { entity: "trip" })?,
    };
    rules::next(
        trip.state.into(),
        &rules::TripEvent::End {
            by: req.ended_by.into(),
        },
    )
    .map_err(|e| StoreError::Rule(e.to_string()))?;
    let net = network::Entity::find_by_id(trip.network_id)
        .one(txn)
        .await?
        .ok_or(StoreError::NotFound { entity: "network" })?;
    let v = match trip.vehicle_id {
        Some(id) => vehicle::Entity::find_by_id(id).one(txn).await?,
        None => None,
    };
    let now = req.now;
    let (place, position, spot, parking, cluster) = match &v {
        Some(v) if v.spot_id.is_some() => {
            let at = crate::iot::place_of_spot(txn, v.spot_id).await?;
            (
                EndPlace::Station,
                v.latitude.zip(v.longitude),
                v.spot_id,
                None,
                at.cluster_id,
            )
        }
        _ => {
            let fresh = v
                .as_ref()
                .filter(|v| v.last_seen_at.is_some_and(|s| now - s <= FIX_FRESH))
                .and_then(|v| v.latitude.zip(v.longitude));
            let stale = v.as_ref().and_then(|v| v.latitude.zip(v.longitude));
            let rider_ends = req.ended_by == EndedBy::Rider;
            match fresh.or(req.position).or(stale) {
                None if rider_ends => return Ok(Ended::Refused(EndRefusal::NoPosition)),
                // The system ends a trip wherever the vehicle is, known or not.
                None => (EndPlace::FreeFloating, None, None, None, None),
                Some((lat, lng)) => {
                    let zones = crate::geofencing::zones(txn, net.id).await?;
                    let point = geo::Point::new(lng, lat);
                    if rider_ends && zones.border.as_ref().is_some_and(|b| !b.contains(point)) {
                        return Ok(Ended::Refused(EndRefusal::OutsideBorder));
                    }
                    match zones.parking_at(point, PARKING_TOLERANCE_M) {
                        Some(found) => {
                            let parking = virtual_parking::Entity::find_by_id(found.parking.id)
                                .one(txn)
                                .await?;
                            (
                                EndPlace::VirtualParking,
                                Some((lat, lng)),
                                None,
                                Some(found.parking.id),
                                parking.and_then(|p| p.cluster_id),
                            )
                        }
                        None if rider_ends && !zones.parkings.is_empty() => {
                            return Ok(Ended::Refused(EndRefusal::OutsideParking));
                        }
                        None => (EndPlace::FreeFloating, Some((lat, lng)), None, None, None),
                    }
                }
            }
        }
    };
    let (price, rule_ids) = price_of(txn, &trip, &net, now, place != EndPlace::Station).await?;
    let breakdown = store_breakdown(txn, &price, &rule_ids, trip.started_at).await?;
    let total = money::to_stored(price.total).unwrap_or(0);
    let billed_end = billed_until(&trip, now);
    let moved = trip::Entity::update_many()
        .col_expr(trip::Column::State, Expr::value(TripState::Finished))
        .col_expr(trip::Column::EndedAt, Expr::value(now))
        .col_expr(
            trip::Column::Duration,
            Expr::value((billed_end - trip.started_at).num_seconds()),
        )
        .col_expr(trip::Column::EndedBy, Expr::value(req.ended_by))
        .col_expr(trip::Column::EndPlace, Expr::value(place))
        .col_expr(
            trip::Column::EndLatitude,
            Expr::value(position.map(|p| p.0)),
        )
        .col_expr(
            trip::Column::EndLongitude,
            Expr::value(position.map(|p| p.1)),
        )
        .col_expr(trip::Column::EndSpotId, Expr::value(spot))
        .col_expr(trip::Column::EndVirtualParkingId, Expr::value(parking))
        .col_expr(trip::Column::EndClusterId, Expr::value(cluster))
        .col_expr(trip::Column::PriceTotal, Expr::value(total))
        .col_expr(trip::Column::PriceBreakdownId, Expr::value(breakdown))
        .col_expr(
            trip::Column::PaymentStatus,
            Expr::value(if trip.demo || total == 0 {
                PaymentStatus::Free
            } else {
                PaymentStatus::Pending
            }),
        )
        .filter(trip::Column::Id.eq(trip.id))
        .filter(trip::Column::State.is_in([TripState::Running, TripState::OnHold]))
        .exec(txn)
        .await?;
    if moved.rows_affected == 0 {
        return Err(StoreError::Rule("the trip has already ended".into()));
    }
    close_pauses(txn, trip.id, now).await?;
    if let Some(v) = &v {
        vehicle::Entity::update_many()
            .col_expr(vehicle::Column::TripId, Expr::value(Option::<i64>::None))
            .col_expr(
                vehicle::Column::Status,
                Expr::value(crate::maintenances::VEHICLE_AVAILABLE),
            )
            .col_expr(vehicle::Column::VirtualParkingId, Expr::value(parking))
            .filter(vehicle::Column::Id.eq(v.id))
            .filter(vehicle::Column::TripId.eq(trip.id))
            .exec(txn)
            .await?;
        if place != EndPlace::Station {
            queue(txn, v.id, LOCK, now).await?;
        }
    }
    if let Some(user_id) = trip.user_id {
        user::Entity::update_many()
            .col_expr(
                user::Column::TripCount,
                Expr::col(user::Column::TripCount).add(1),
            )
            .col_expr(user::Column::LastActivityAt, Expr::value(now))
            .filter(user::Column::Id.eq(user_id))
            .exec(txn)
            .await?;
    }
    crate::jobs::cancel(txn, &TIMERS, trip.id).await?;
    // Settled by the request at once; this runs only if it does not get to it.
    crate::jobs::schedule(
        txn,
        SETTLE_JOB,
        trip.id,
        now + Duration::minutes(1),
        None,
        now,
    )
    .await?;
    let trip = trip::Entity::find_by_id(trip.id)
        .one(txn)
        .await?
        .ok_or(StoreError::NotFound { entity: "trip" })?;
    Ok(Ended::Done(trip))
}

/// What the provider must do next for a trip's settlement.
// Returned once and taken apart at once: boxing the large variant would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum SettleStep {
    /// Nothing more: paid, free, or left as a debt.
    Done,
    /// Release this guarantee (the trip needs nothing of it).
    Release(bank_guarantee::Model),
    /// Take `transaction` (pending) through the provider: capture on `guarantee` when it
    /// holds enough, else charge `method` (releasing the guarantee first).
    Charge {
        transaction: transaction::Model,
        guarantee: Option<bank_guarantee::Model>,
        method: Option<user_payment_method::Model>,
    },
}

/// The first step of a finished trip's settlement, in one write transaction: the wallet part
/// taken at once, the rest written as a pending provider transaction (taken up again when one
/// is already pending: a retry). A trip with nothing left to pay is `paid` (or `free`).
pub async fn settle_begin(
    db: &DatabaseConnection,
    trip_id: i64,
    provider: &str,
    now: DateTime<Utc>,
) -> Result<SettleStep> {
    let txn = crate::db::begin_write(db).await?;
    let trip = trip::Entity::find_by_id(trip_id)
        .one(&txn)
        .await?
        .ok_or(StoreError::NotFound { entity: "trip" })?;
    if trip.state != TripState::Finished {
        return Ok(SettleStep::Done);
    }
    if let Some(user) = trip.user_id {
        lock_user(&txn, user).await?;
    }
    let guarantee = match trip.bank_guarantee_id {
        Some(id) => bank_guarantee::Entity::find_by_id(id)
            .one(&txn)
            .await?
            .filter(|g| g.status == GuaranteeStatus::InUse),
        None => None,
    };
    if let Some(pending) = transaction::Entity::find()
        .filter(transaction::Column::TripId.eq(trip_id))
        .filter(transaction::Column::Status.eq(TransactionStatus::Pending))
        .one(&txn)
        .await?
    {
        let method = match pending.user_payment_method_id {
            Some(m) => user_payment_method::Entity::find_by_id(m).one(&txn).await?,
            None => None,
        };
        txn.commit().await?;
        return Ok(SettleStep::Charge {
            transaction: pending,
            guarantee,
            method,
        });
    }
    let due = trip.price_total.unwrap_or(0) - trip.amount_paid;
    let open_debt = debt::Entity::find()
        .filter(debt::Column::TripId.eq(trip_id))
        .filter(debt::Column::Status.eq(DebtStatus::Open))
        .count(&txn)
        .await?
        > 0;
    if trip.demo || due <= 0 || open_debt {
        if !open_debt {
            trip::Entity::update_many()
                .col_expr(
                    trip::Column::PaymentStatus,
                    Expr::value(if trip.demo || trip.price_total.unwrap_or(0) == 0 {
                        PaymentStatus::Free
                    } else {
                        PaymentStatus::Paid
                    }),
                )
                .filter(trip::Column::Id.eq(trip_id))
                .exec(&txn)
                .await?;
        }
        crate::jobs::cancel(&txn, &[SETTLE_JOB], trip_id).await?;
        txn.commit().await?;
        return Ok(guarantee.map_or(SettleStep::Done, SettleStep::Release));
    }
    let net = network::Entity::find_by_id(trip.network_id)
        .one(&txn)
        .await?
        .ok_or(StoreError::NotFound { entity: "network" })?;
    let user_id = trip
        .user_id
        .ok_or(StoreError::Rule("the trip has no rider".into()))?;
    let balance = wallet::Entity::find()
        .filter(wallet::Column::UserId.eq(user_id))
        .filter(wallet::Column::Currency.eq(net.currency.as_str()))
        .filter(wallet::Column::DeletedAt.is_null())
        .one(&txn)
        .await?
        .map_or(0, |w| std::cmp::max(w.balance, 0));
    let minutes = trip.duration.unwrap_or(0).div_euclid(60);
    let title = format!("Trip {minutes} min");
    let plan = rules::plan_settlement(
        money::from_stored(due),
        money::from_stored(balance),
        guarantee
            .as_ref()
            .map(|g| money::from_stored(g.amount - g.captured_amount)),
    );
    let new = |source, status, amount: Decimal, method: Option<&user_payment_method::Model>| {
        crate::transactions::NewTransaction {
            network_id: trip.network_id,
            user_id: Some(user_id),
            trip_id: Some(trip_id),
            kind: TransactionKind::Trip,
            source,
            status,
            amount_w_vat: amount,
            product_title: title.clone(),
            payment_provider: if source == MoneySource::Wallet {
                crate::transactions::WALLET.to_owned()
            } else {
                provider.to_owned()
            },
            payment_method_type: match method {
                Some(_) => "card".to_owned(),
                None => crate::transactions::WALLET.to_owned(),
            },
            user_payment_method_id: method.map(|m| m.id),
            bank_guarantee_id: None,
            debt_id: None,
            provider_reference: None,
            payment_provider_fee: Decimal::ZERO,
            auto_payment: true,
            at: now,
        }
    };
    if plan.wallet_part > Decimal::ZERO {
        crate::transactions::record_in(
            &txn,
            new(
                MoneySource::Wallet,
                TransactionStatus::Succeeded,
                plan.wallet_part,
                None,
            ),
        )
        .await?;
    }
    if plan.rest <= Decimal::ZERO {
        crate::jobs::cancel(&txn, &[SETTLE_JOB], trip_id).await?;
        txn.commit().await?;
        return Ok(guarantee.map_or(SettleStep::Done, SettleStep::Release));
    }
    let method = match guarantee.as_ref() {
        Some(g) => {
            user_payment_method::Entity::find_by_id(g.user_payment_method_id)
                .one(&txn)
                .await?
        }
        None => ready_card(&txn, user_id, provider, net.app_label_id).await?,
    };
    let Some(method) = method else {
        // No card to take it from: the rest is owed.
        open_debt_for(
            &txn,
            &trip,
            &net.currency,
            money::to_stored(plan.rest).unwrap_or(0),
            now,
        )
        .await?;
        crate::jobs::cancel(&txn, &[SETTLE_JOB], trip_id).await?;
        txn.commit().await?;
        return Ok(guarantee.map_or(SettleStep::Done, SettleStep::Release));
    };
    let mut pending = new(
        MoneySource::Provider,
        TransactionStatus::Pending,
        plan.rest,
        Some(&method),
    );
    pending.payment_method_type = payment_kind(&txn, method.payment_method_id).await?;
    pending.bank_guarantee_id = guarantee.as_ref().map(|g| g.id);
    let transaction = crate::transactions::record_in(&txn, pending).await?;
    txn.commit().await?;
    Ok(SettleStep::Charge {
        transaction,
        guarantee,
        method: Some(method),
    })
}

async fn payment_kind(db: &impl ConnectionTrait, method_id: i64) -> Result<String> {
    Ok(crate::entity::payment_method::Entity::find_by_id(method_id)
        .one(db)
        .await?
        .map_or_else(|| "card".to_owned(), |m| m.kind))
}

async fn open_debt_for(
    db: &impl ConnectionTrait,
    trip: &trip::Model,
    currency: &str,
    amount: i64,
    now: DateTime<Utc>,
) -> Result<debt::Model> {
    let debt = debt::ActiveModel {
        user_id: Set(trip.user_id),
        network_id: Set(trip.network_id),
        trip_id: Set(Some(trip.id)),
        currency: Set(currency.to_owned()),
        amount: Set(amount),
        remaining: Set(amount),
        status: Set(DebtStatus::Open),
        attempts: Set(0),
        created_at: Set(now),
        settled_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    trip::Entity::update_many()
        .col_expr(
            trip::Column::PaymentStatus,
            Expr::value(PaymentStatus::Debt),
        )
        .filter(trip::Column::Id.eq(trip.id))
        .exec(db)
        .await?;
    Ok(debt)
}

/// How the provider took (or did not take) a pending transaction.
#[derive(Debug, Clone)]
pub enum ChargeOutcome {
    /// Taken: the hold captured (`captured_guarantee` when it was the trip's guarantee).
    Taken {
        provider_reference: String,
        fee: Decimal,
        captured_guarantee: Option<i64>,
    },
    /// Declined: the amount becomes a debt that blocks the next trip.
    Declined,
}

/// The second step: the provider's answer recorded with what it moves (the trip's amount
/// paid and status, the guarantee, the rider's first purchase; or the debt), and the
/// settlement's fallback job dropped.
pub async fn settle_finish(
    db: &DatabaseConnection,
    transaction_id: i64,
    outcome: ChargeOutcome,
    now: DateTime<Utc>,
) -> Result<transaction::Model> {
    let txn = crate::db::begin_write(db).await?;
    let found = transaction::Entity::find_by_id(transaction_id)
        .one(&txn)
        .await?
        .ok_or(StoreError::NotFound {
            entity: "transaction",
        })?;
    if found.status != TransactionStatus::Pending {
        return Ok(found);
    }
    match outcome {
        ChargeOutcome::Taken {
            provider_reference,
            fee,
            captured_guarantee,
        } => {
            crate::transactions::succeed_in(&txn, &found, &provider_reference, fee, now).await?;
            if let Some(g) = captured_guarantee {
                bank_guarantee::Entity::update_many()
                    .col_expr(
                        bank_guarantee::Column::Status,
                        Expr::value(GuaranteeStatus::Captured),
                    )
                    .col_expr(
                        bank_guarantee::Column::CapturedAmount,
                        Expr::col(bank_guarantee::Column::CapturedAmount).add(found.amount_w_vat),
                    )
                    .col_expr(bank_guarantee::Column::ClosedAt, Expr::value(now))
                    .filter(bank_guarantee::Column::Id.eq(g))
                    .exec(&txn)
                    .await?;
            }
        }
        ChargeOutcome::Declined => {
            transaction::Entity::update_many()
                .col_expr(
                    transaction::Column::Status,
                    Expr::value(TransactionStatus::Failed),
                )
                .filter(transaction::Column::Id.eq(found.id))
                .exec(&txn)
                .await?;
            if let Some(trip_id) = found.trip_id
                && let Some(trip) = trip::Entity::find_by_id(trip_id).one(&txn).await?
            {
                let debt =
                    open_debt_for(&txn, &trip, &found.currency, found.amount_w_vat, now).await?;
                transaction::Entity::update_many()
                    .col_expr(transaction::Column::DebtId, Expr::value(debt.id))
                    .filter(transaction::Column::Id.eq(found.id))
                    .exec(&txn)
                    .await?;
            }
        }
    }
    if let Some(trip_id) = found.trip_id {
        crate::jobs::cancel(&txn, &[SETTLE_JOB], trip_id).await?;
    }
    let done = transaction::Entity::find_by_id(found.id)
        .one(&txn)
        .await?
        .ok_or(StoreError::NotFound {
            entity: "transaction",
        })?;
    txn.commit().await?;
    Ok(done)
}

/// A guarantee released at the provider (or lapsed): closed.
pub async fn guarantee_released(
    db: &impl ConnectionTrait,
    guarantee_id: i64,
    now: DateTime<Utc>,
) -> Result<()> {
    bank_guarantee::Entity::update_many()
        .col_expr(
            bank_guarantee::Column::Status,
            Expr::value(GuaranteeStatus::Released),
        )
        .col_expr(bank_guarantee::Column::ClosedAt, Expr::value(now))
        .filter(bank_guarantee::Column::Id.eq(guarantee_id))
        .filter(
            bank_guarantee::Column::Status.is_in([GuaranteeStatus::Held, GuaranteeStatus::InUse]),
        )
        .exec(db)
        .await?;
    crate::jobs::cancel(db, &[RELEASE_HOLD_JOB], guarantee_id).await?;
    Ok(())
}

/// A guarantee by id.
pub async fn guarantee(
    db: &impl ConnectionTrait,
    id: i64,
) -> Result<Option<bank_guarantee::Model>> {
    Ok(bank_guarantee::Entity::find_by_id(id).one(db).await?)
}

/// Cancel an unlocking trip in a write transaction of its own (the timeout, a declined hold).
pub async fn cancel_now(
    db: &DatabaseConnection,
    trip_id: i64,
    refusal: UnlockRefusal,
    now: DateTime<Utc>,
) -> Result<Option<trip::Model>> {
    let txn: DatabaseTransaction = crate::db::begin_write(db).await?;
    let cancelled = cancel(&txn, trip_id, refusal, now).await?;
    txn.commit().await?;
    Ok(cancelled)
}

/// A page of a rider's trips, newest first by default ("Get my trips").
pub async fn trips_of(
    db: &DatabaseConnection,
    user_id: i64,
    keyset: &crate::pagination::Keyset,
) -> Result<crate::pagination::PageOf<trip::Model>> {
    Ok(keyset
        .fetch(
            db,
            trip::Entity::find().filter(trip::Column::UserId.eq(user_id)),
            trip::Column::Id,
            None,
        )
        .await?)
}

/// The pauses of `trips`, oldest first, by trip: one query for a page.
pub async fn pauses_of_trips(
    db: &impl ConnectionTrait,
    trips: &[i64],
) -> Result<std::collections::HashMap<i64, Vec<trip_pause::Model>>> {
    let mut by_trip: std::collections::HashMap<i64, Vec<trip_pause::Model>> = Default::default();
    for p in trip_pause::Entity::find()
        .filter(trip_pause::Column::TripId.is_in(trips.iter().copied()))
        .order_by_asc(trip_pause::Column::Id)
        .all(db)
        .await?
    {
        by_trip.entry(p.trip_id).or_default().push(p);
    }
    Ok(by_trip)
}

/// Delivered commands are final; this says whether an `unlock` command is one of a trip.
pub fn is_trip_unlock(command: &vehicle_command::Model) -> bool {
    command.command == UNLOCK && command.trip_id.is_some() && command.state != DELIVERED
}

/// A vehicle a rider may rent near them.
#[derive(Debug, Clone)]
pub struct Nearby {
    pub vehicle: vehicle::Model,
    pub distance_m: f64,
    pub model_name: Option<String>,
    pub currency: String,
    /// The rule in force now, when one is.
    pub unlock_price: Decimal,
    pub use_per_minute_price: Decimal,
}

/// The nearest vehicles to rent within `radius_m` of `(lat, lng)`, nearest first, at most
/// `limit`: in service, available, in no trip and no stock, on an open network (of the
/// rider's app label when they have one). Read by a box of latitude and longitude on
/// `idx_vehicles_position`, then by exact distance; other rules are checked at the start.
pub async fn nearby(
    db: &DatabaseConnection,
    (lat, lng): (f64, f64),
    radius_m: f64,
    app_label_id: Option<i64>,
    limit: usize,
    now: DateTime<Utc>,
) -> Result<Vec<Nearby>> {
    const METRES_PER_DEGREE: f64 = 111_320.0;
    let dlat = radius_m / METRES_PER_DEGREE;
    let dlng = radius_m / (METRES_PER_DEGREE * lat.to_radians().cos().abs().max(0.01));
    let candidates = vehicle::Entity::find()
        .filter(vehicle::Column::Latitude.between(lat - dlat, lat + dlat))
        .filter(vehicle::Column::Longitude.between(lng - dlng, lng + dlng))
        .filter(vehicle::Column::DecommissionedAt.is_null())
        .filter(vehicle::Column::Status.eq(crate::maintenances::VEHICLE_AVAILABLE))
        .filter(vehicle::Column::TripId.is_null())
        .filter(vehicle::Column::StockId.is_null())
        // A dense city holds a few thousand vehicles in a few kilometres: bounded.
        .limit(5_000)
        .all(db)
        .await?;
    let here = geo::Point::new(lng, lat);
    let mut found: Vec<(f64, vehicle::Model)> = candidates
        .into_iter()
        .filter_map(|v| {
            let d = relais_domain::geometry::haversine_m(
                here,
                geo::Point::new(v.longitude?, v.latitude?),
            );
            (d <= radius_m).then_some((d, v))
        })
        .collect();
    found.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.id.cmp(&b.1.id)));
    let networks = crate::map_by_ids::<network::Entity>(
        db,
        network::Column::Id,
        found.iter().map(|(_, v)| v.network_id),
        |n| n.id,
    )
    .await?;
    let models = crate::map_by_ids::<crate::entity::vehicle_model::Entity>(
        db,
        crate::entity::vehicle_model::Column::Id,
        found.iter().map(|(_, v)| v.model_id),
        |m| m.id,
    )
    .await?;
    let mut prices: std::collections::HashMap<i64, (Decimal, Decimal)> = Default::default();
    for net in networks.values() {
        let rules = pricing_rules(db, net.id).await?;
        let only: Vec<PricingRule> = rules.into_iter().map(|(_, r)| r).collect();
        let rule = relais_domain::pricing::rule_at(&only, TimeOfWeek::at(now, tz_of(net)));
        prices.insert(
            net.id,
            rule.map_or((Decimal::ZERO, Decimal::ZERO), |r| {
                (r.unlock_price, r.use_per_minute_price)
            }),
        );
    }
    Ok(found
        .into_iter()
        .filter_map(|(distance_m, v)| {
            let net = networks.get(&v.network_id)?;
            if net.closed_at.is_some() || app_label_id.is_some_and(|l| l != net.app_label_id) {
                return None;
            }
            let (unlock_price, use_per_minute_price) =
                prices.get(&net.id).copied().unwrap_or_default();
            Some(Nearby {
                model_name: models.get(&v.model_id).map(|m| m.name.clone()),
                currency: net.currency.clone(),
                unlock_price,
                use_per_minute_price,
                distance_m,
                vehicle: v,
            })
        })
        .take(limit)
        .collect())
}

/// "Stop trip billing": set (or, with `None`, clear) the instant a trip's price stops. A trip
/// in progress is priced up to it when it ends; a finished one is priced again at once, and
/// only what is unpaid moves: a debt shrinks to what the new price leaves owing (paid off at
/// zero), a price above what was paid is to be settled again (the caller runs the
/// settlement), a price below it refunds nothing by itself (staff refund the transaction).
/// `date` must lie within the trip (or between its start and now while it runs).
pub async fn stop_billing(
    db: &DatabaseConnection,
    trip_id: i64,
    date: Option<DateTime<Utc>>,
    actor_id: Option<i64>,
    now: DateTime<Utc>,
) -> Result<trip::Model> {
    use crate::entity::trip_event::{self, Actor};
    let txn = crate::db::begin_write(db).await?;
    let mut trip = trip::Entity::find_by_id(trip_id)
        .one(&txn)
        .await?
        .ok_or(StoreError::NotFound { entity: "trip" })?;
    let state = trip.state;
    if matches!(state, TripState::Unlocking | TripState::Cancelled) {
        return Err(StoreError::Rule(
            "the trip never started: it has no billing to stop".into(),
        ));
    }
    if let Some(at) = date {
        let until = trip.ended_at.unwrap_or(now);
        if at < trip.started_at || at > until {
            return Err(StoreError::Invalid {
                field: "date",
                problem: format!(
                    "must lie within the trip, between {} and {}",
                    trip.started_at.to_rfc3339(),
                    until.to_rfc3339()
                ),
            });
        }
    }
    trip::Entity::update_many()
        .col_expr(trip::Column::BillingStoppedAt, Expr::value(date))
        .filter(trip::Column::Id.eq(trip_id))
        .exec(&txn)
        .await?;
    let event = |kind: &str, payload: serde_json::Value| trip_event::ActiveModel {
        trip_id: Set(trip_id),
        kind: Set(kind.to_owned()),
        at: Set(now),
        actor_kind: Set(Actor::Staff),
        actor_id: Set(actor_id),
        payload: Set(Some(payload.to_string())),
        ..Default::default()
    };
    event(
        if date.is_some() {
            "billing_stopped"
        } else {
            "billing_stop_cleared"
        },
        serde_json::json!({ "date": date }),
    )
    .insert(&txn)
    .await?;
    trip.billing_stopped_at = date;
    if let (TripState::Finished, Some(ended)) = (state, trip.ended_at) {
        let net = network::Entity::find_by_id(trip.network_id)
            .one(&txn)
            .await?
            .ok_or(StoreError::NotFound { entity: "network" })?;
        let freefloat = trip.end_place != Some(EndPlace::Station);
        let (price, rule_ids) = price_of(&txn, &trip, &net, ended, freefloat).await?;
        let breakdown = store_breakdown(&txn, &price, &rule_ids, trip.started_at).await?;
        let total = money::to_stored(price.total).unwrap_or(0);
        let owed = total - trip.amount_paid;
        let debt = debt::Entity::find()
            .filter(debt::Column::TripId.eq(trip_id))
            .filter(debt::Column::Status.eq(DebtStatus::Open))
            .one(&txn)
            .await?;
        let status = if trip.demo || total == 0 {
            PaymentStatus::Free
        } else if owed <= 0 {
            PaymentStatus::Paid
        } else if debt.is_some() {
            PaymentStatus::Debt
        } else {
            PaymentStatus::Pending
        };
        if let Some(debt) = debt {
            let remaining = std::cmp::max(owed, 0);
            let mut change = debt::Entity::update_many()
                .col_expr(debt::Column::Remaining, Expr::value(remaining))
                .filter(debt::Column::Id.eq(debt.id));
            if remaining == 0 {
                change = change
                    .col_expr(debt::Column::Status, Expr::value(DebtStatus::Paid))
                    .col_expr(debt::Column::SettledAt, Expr::value(now));
            }
            change.exec(&txn).await?;
        } else if owed > 0 && !trip.demo {
            crate::jobs::schedule(&txn, SETTLE_JOB, trip_id, now, None, now).await?;
        }
        event(
            "repriced",
            serde_json::json!({
                "from": trip.price_total.map(|p| money::from_stored(p).to_string()),
                "to": price.total.to_string(),
            }),
        )
        .insert(&txn)
        .await?;
        trip::Entity::update_many()
            .col_expr(trip::Column::PriceTotal, Expr::value(total))
            .col_expr(trip::Column::PriceBreakdownId, Expr::value(breakdown))
            .col_expr(
                trip::Column::Duration,
                Expr::value((billed_until(&trip, ended) - trip.started_at).num_seconds()),
            )
            .col_expr(trip::Column::PaymentStatus, Expr::value(status))
            .filter(trip::Column::Id.eq(trip_id))
            .exec(&txn)
            .await?;
    }
    let trip = trip::Entity::find_by_id(trip_id)
        .one(&txn)
        .await?
        .ok_or(StoreError::NotFound { entity: "trip" })?;
    txn.commit().await?;
    Ok(trip)
}

/// End a trip for a timer (`auto_lock`, `max_pause`) if it is still in a state the timer
/// applies to; the trip, when it ended.
pub async fn end_by_timer(
    db: &DatabaseConnection,
    trip_id: i64,
    ended_by: EndedBy,
    now: DateTime<Utc>,
) -> Result<Option<trip::Model>> {
    let Some(trip) = trip::Entity::find_by_id(trip_id).one(db).await? else {
        return Ok(None);
    };
    let applies = match ended_by {
        EndedBy::MaxPause => trip.state == TripState::OnHold,
        _ => matches!(trip.state, TripState::Running | TripState::OnHold),
    };
    if !applies {
        return Ok(None);
    }
    let req = EndRequest {
        trip_id,
        user_id: None,
        position: None,
        ended_by,
        now,
    };
    match end(db, req).await {
        Ok(Ended::Done(trip)) => Ok(Some(trip)),
        Ok(Ended::Refused(_)) => Ok(None),
        // Ended meanwhile by the rider or a station.
        Err(StoreError::Rule(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

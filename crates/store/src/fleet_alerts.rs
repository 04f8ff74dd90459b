//! Fleet alerts: raised by the IoT link (and other fleet work) on a network, open until an
//! operator resolves them.
//!
//! - [`raise`] never opens the same alert twice: while an alert of a type is open for a vehicle
//!   (or, without vehicle, for a spot, else a station), raising it again answers the open one.
//! - [`current`] lists the open alerts of networks, newest first; [`history`] pages through the
//!   resolved ones with filters and a sort. Severity sorts by seriousness (`low` < `high` <
//!   `critical`), which is exactly the reverse of the alphabetical order of the stored strings:
//!   sorting by severity ascending is sorting the column descending, so the shared keyset helper
//!   pages it with no extra column nor expression.
//! - [`resolve`] marks alerts resolved (by whom, when); an alert already resolved is refused.

use crate::entity::{cluster, fleet_alert, spot, station, user, vehicle};
use crate::error::{Result, StoreError};
use crate::networks;
use crate::pagination::{Keyset, PageOf, SortDir};
use crate::within::Within;
use chrono::{DateTime, Utc};
use relais_domain::alerts::{AlertSeverity, AlertType};
use sea_orm::sea_query::{Expr, ExprTrait, Func, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set,
};
use std::collections::{BTreeSet, HashMap};

/// An alert to raise.
#[derive(Debug, Clone)]
pub struct NewAlert {
    pub network_id: i64,
    pub alert_type: AlertType,
    pub severity: AlertSeverity,
    pub cluster_id: Option<i64>,
    pub station_id: Option<i64>,
    pub spot_id: Option<i64>,
    pub vehicle_id: Option<i64>,
    pub user_id: Option<i64>,
    pub details: String,
    pub created_at: DateTime<Utc>,
}

/// Raise an alert unless the same one is open: same network and type, and same vehicle (or,
/// for alerts without vehicle, same spot, else same station). Answers the alert and whether it
/// is new.
pub async fn raise(
    db: &impl ConnectionTrait,
    alert: NewAlert,
) -> Result<(fleet_alert::Model, bool)> {
    use fleet_alert::Column as C;
    let mut same = fleet_alert::Entity::find()
        .filter(C::NetworkId.eq(alert.network_id))
        .filter(C::AlertType.eq(alert.alert_type.as_str()))
        .filter(C::ResolvedAt.is_null());
    same = match (alert.vehicle_id, alert.spot_id, alert.station_id) {
        (Some(v), _, _) => same.filter(C::VehicleId.eq(v)),
        (None, Some(s), _) => same.filter(C::SpotId.eq(s)).filter(C::VehicleId.is_null()),
        (None, None, Some(s)) => same
            .filter(C::StationId.eq(s))
            .filter(C::SpotId.is_null())
            .filter(C::VehicleId.is_null()),
        (None, None, None) => same
            .filter(C::StationId.is_null())
            .filter(C::SpotId.is_null())
            .filter(C::VehicleId.is_null()),
    };
    if let Some(open) = same.order_by_asc(C::Id).one(db).await? {
        return Ok((open, false));
    }
    let created = fleet_alert::ActiveModel {
        network_id: Set(alert.network_id),
        alert_type: Set(alert.alert_type.as_str().to_owned()),
        severity: Set(alert.severity.as_str().to_owned()),
        cluster_id: Set(alert.cluster_id),
        station_id: Set(alert.station_id),
        spot_id: Set(alert.spot_id),
        vehicle_id: Set(alert.vehicle_id),
        user_id: Set(alert.user_id),
        details: Set(alert.details),
        created_at: Set(alert.created_at),
        resolved_at: Set(None),
        resolved_by: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok((created, true))
}

/// An alert with what it concerns, named.
#[derive(Debug, Clone)]
pub struct AlertView {
    pub alert: fleet_alert::Model,
    pub cluster_name: Option<String>,
    pub station_name: Option<String>,
    pub spot_number: Option<i32>,
    pub vehicle_serial: Option<String>,
    pub user_email: Option<String>,
    pub resolved_by_email: Option<String>,
}

/// A page of the open alerts `within` the caller's reach.
pub async fn current(
    db: &DatabaseConnection,
    within: &Within,
    keyset: &Keyset,
) -> Result<PageOf<AlertView>> {
    use fleet_alert::Column as C;
    let page = keyset
        .fetch(
            db,
            fleet_alert::Entity::find()
                .filter(within.condition(C::NetworkId, C::ClusterId))
                .filter(C::ResolvedAt.is_null()),
            C::Id,
            None,
        )
        .await?;
    let has_more = page.has_more;
    Ok(PageOf {
        items: named(db, page.items).await?,
        has_more,
    })
}

/// What to sort the history by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HistorySort {
    CreationDate,
    /// By seriousness: `low` < `high` < `critical`.
    Severity,
    ResolvedAt,
}

/// Filters of the history; every one optional. Dates are whole days in UTC, both bounds
/// included.
#[derive(Debug, Clone, Default)]
pub struct HistoryFilter {
    pub within: Within,
    pub alert_type: Option<AlertType>,
    pub severity: Option<AlertSeverity>,
    pub created_from: Option<DateTime<Utc>>,
    /// Exclusive.
    pub created_before: Option<DateTime<Utc>>,
    pub resolved_from: Option<DateTime<Utc>>,
    /// Exclusive.
    pub resolved_before: Option<DateTime<Utc>>,
    pub user_id: Option<i64>,
    /// Part of the email of the user concerned, without regard to case.
    pub email: Option<String>,
    /// Part of the name of the cluster concerned, without regard to case.
    pub cluster_name: Option<String>,
    pub cluster_id: Option<i64>,
    pub vehicle_id: Option<i64>,
    /// Exact serial of the vehicle concerned.
    pub serial_number: Option<String>,
}

/// A page of resolved alerts.
pub async fn history(
    db: &DatabaseConnection,
    filter: &HistoryFilter,
    keyset: &Keyset,
    sort: Option<(HistorySort, SortDir)>,
) -> Result<PageOf<AlertView>> {
    use fleet_alert::Column as C;
    let mut query = fleet_alert::Entity::find()
        .filter(filter.within.condition(C::NetworkId, C::ClusterId))
        .filter(C::ResolvedAt.is_not_null());
    if let Some(t) = filter.alert_type {
        query = query.filter(C::AlertType.eq(t.as_str()));
    }
    if let Some(s) = filter.severity {
        query = query.filter(C::Severity.eq(s.as_str()));
    }
    if let Some(v) = filter.created_from {
        query = query.filter(C::CreatedAt.gte(v));
    }
    if let Some(v) = filter.created_before {
        query = query.filter(C::CreatedAt.lt(v));
    }
    if let Some(v) = filter.resolved_from {
        query = query.filter(C::ResolvedAt.gte(v));
    }
    if let Some(v) = filter.resolved_before {
        query = query.filter(C::ResolvedAt.lt(v));
    }
    if let Some(v) = filter.user_id {
        query = query.filter(C::UserId.eq(v));
    }
    if let Some(v) = &filter.email {
        query = query.filter(
            C::UserId.in_subquery(
                Query::select()
                    .column(user::Column::Id)
                    .from(user::Entity)
                    .and_where(
                        Expr::expr(Func::lower(Expr::col(user::Column::Email)))
                            .like(crate::text::contains(&v.to_lowercase())),
                    )
                    .to_owned(),
            ),
        );
    }
    if let Some(v) = &filter.cluster_name {
        query = query.filter(
            C::ClusterId.in_subquery(
                Query::select()
                    .column(cluster::Column::Id)
                    .from(cluster::Entity)
                    .and_where(
                        Expr::expr(Func::lower(Expr::col(cluster::Column::Name)))
                            .like(crate::text::contains(&v.to_lowercase())),
                    )
                    .to_owned(),
            ),
        );
    }
    if let Some(v) = filter.cluster_id {
        query = query.filter(C::ClusterId.eq(v));
    }
    if let Some(v) = filter.vehicle_id {
        query = query.filter(C::VehicleId.eq(v));
    }
    if let Some(v) = &filter.serial_number {
        query = query.filter(
            C::VehicleId.in_subquery(
                Query::select()
                    .column(vehicle::Column::Id)
                    .from(vehicle::Entity)
                    .and_where(Expr::col(vehicle::Column::Serial).eq(v.as_str()))
                    .to_owned(),
            ),
        );
    }
    let sort = sort.map(|(by, dir)| match by {
        HistorySort::CreationDate => (C::CreatedAt, dir),
        HistorySort::ResolvedAt => (C::ResolvedAt, dir),
        // Stored strings sort alphabetically critical < high < low: the reverse of seriousness.
        HistorySort::Severity => (
            C::Severity,
            match dir {
                SortDir::Asc => SortDir::Desc,
                SortDir::Desc => SortDir::Asc,
            },
        ),
    });
    let page = keyset.fetch(db, query, C::Id, sort).await?;
    let items = named(db, page.items).await?;
    Ok(PageOf {
        items,
        has_more: page.has_more,
    })
}

/// Mark alerts `ids` resolved by `user_id`, now. Every alert must exist (404 naming
/// `alert_ids`) and be open (-41 naming the resolved ones); the networks must be open.
/// The caller's scope over the alerts is checked before (declared objects).
pub async fn resolve(
    db: &DatabaseConnection,
    ids: &[i64],
    user_id: i64,
) -> std::result::Result<Vec<fleet_alert::Model>, ResolveError> {
    use fleet_alert::Column as C;
    let txn = crate::db::begin_write(db).await.map_err(StoreError::from)?;
    let alerts = fleet_alert::Entity::find()
        .filter(C::Id.is_in(ids.iter().copied()))
        .order_by_asc(C::Id)
        .all(&txn)
        .await
        .map_err(StoreError::from)?;
    let found: BTreeSet<i64> = alerts.iter().map(|a| a.id).collect();
    let missing: Vec<i64> = ids
        .iter()
        .copied()
        .filter(|id| !found.contains(id))
        .collect();
    if !missing.is_empty() {
        return Err(ResolveError::Missing(missing));
    }
    let resolved: Vec<i64> = alerts
        .iter()
        .filter(|a| a.resolved_at.is_some())
        .map(|a| a.id)
        .collect();
    if !resolved.is_empty() {
        return Err(ResolveError::AlreadyResolved(resolved));
    }
    let network_ids: BTreeSet<i64> = alerts.iter().map(|a| a.network_id).collect();
    for network_id in network_ids {
        networks::open(&txn, network_id).await?;
    }
    let now = Utc::now();
    fleet_alert::Entity::update_many()
        .col_expr(C::ResolvedAt, Expr::value(now))
        .col_expr(C::ResolvedBy, Expr::value(user_id))
        .filter(C::Id.is_in(ids.iter().copied()))
        .filter(C::ResolvedAt.is_null())
        .exec(&txn)
        .await
        .map_err(StoreError::from)?;
    let alerts = fleet_alert::Entity::find()
        .filter(C::Id.is_in(ids.iter().copied()))
        .order_by_asc(C::Id)
        .all(&txn)
        .await
        .map_err(StoreError::from)?;
    txn.commit().await.map_err(StoreError::from)?;
    Ok(alerts)
}

/// Why alerts could not be resolved.
#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    #[error("no such fleet alert: {0:?}")]
    Missing(Vec<i64>),
    #[error("fleet alerts already resolved: {0:?}")]
    AlreadyResolved(Vec<i64>),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Name what each alert concerns (cluster, station, spot, vehicle, users), in a few queries.
async fn named(
    db: &impl ConnectionTrait,
    alerts: Vec<fleet_alert::Model>,
) -> Result<Vec<AlertView>> {
    fn ids(
        alerts: &[fleet_alert::Model],
        f: impl Fn(&fleet_alert::Model) -> Option<i64>,
    ) -> Vec<i64> {
        alerts
            .iter()
            .filter_map(f)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect()
    }
    let clusters: HashMap<i64, String> =
        crate::by_ids::<cluster::Entity>(db, cluster::Column::Id, ids(&alerts, |a| a.cluster_id))
            .await?
            .into_iter()
            .map(|c| (c.id, c.name))
            .collect();
    let stations: HashMap<i64, Option<String>> =
        crate::by_ids::<station::Entity>(db, station::Column::Id, ids(&alerts, |a| a.station_id))
            .await?
            .into_iter()
            .map(|s| (s.id, s.name))
            .collect();
    let spots: HashMap<i64, i32> =
        crate::by_ids::<spot::Entity>(db, spot::Column::Id, ids(&alerts, |a| a.spot_id))
            .await?
            .into_iter()
            .map(|s| (s.id, s.number))
            .collect();
    let vehicles: HashMap<i64, String> =
        crate::by_ids::<vehicle::Entity>(db, vehicle::Column::Id, ids(&alerts, |a| a.vehicle_id))
            .await?
            .into_iter()
            .map(|v| (v.id, v.serial))
            .collect();
    let mut user_ids = ids(&alerts, |a| a.user_id);
    user_ids.extend(ids(&alerts, |a| a.resolved_by));
    let users: HashMap<i64, String> = crate::by_ids::<user::Entity>(db, user::Column::Id, user_ids)
        .await?
        .into_iter()
        .map(|u| (u.id, u.email))
        .collect();
    Ok(alerts
        .into_iter()
        .map(|alert| AlertView {
            cluster_name: alert.cluster_id.and_then(|id| clusters.get(&id).cloned()),
            station_name: alert
                .station_id
                .and_then(|id| stations.get(&id).cloned())
                .flatten(),
            spot_number: alert.spot_id.and_then(|id| spots.get(&id).copied()),
            vehicle_serial: alert.vehicle_id.and_then(|id| vehicles.get(&id).cloned()),
            user_email: alert.user_id.and_then(|id| users.get(&id).cloned()),
            resolved_by_email: alert.resolved_by.and_then(|id| users.get(&id).cloned()),
            alert,
        })
        .collect())
}

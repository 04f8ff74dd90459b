//! Stocks: the addresses where vehicles are stored, with an optional "auto stock" shape.
//!
//! A stock of no network is operator-wide. A vehicle is in a stock when its `stock_id` says so,
//! or, failing that, when its last known position is inside the stock's shape.

use crate::entity::{stock, vehicle};
use crate::error::{Result, StoreError};
use chrono::{DateTime, Utc};
use relais_domain::geometry::Shape;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter,
    QueryOrder, Set,
};
use std::collections::BTreeSet;

/// What a new stock is made of.
#[derive(Debug, Clone)]
pub struct NewStock {
    pub network_id: Option<i64>,
    pub name: String,
    pub country_id: i32,
    pub city: String,
    pub zipcode: String,
    pub street: String,
}

/// A stock with its shape read back.
#[derive(Debug, Clone)]
pub struct Stock {
    pub model: stock::Model,
    pub shape: Option<Shape>,
}

fn read(model: stock::Model) -> Result<Stock> {
    let shape = model
        .shape
        .as_deref()
        .map(|text| {
            Shape::from_storage(text).map_err(|err| {
                StoreError::Db(DbErr::Custom(format!(
                    "stored shape of stock {}: {err}",
                    model.id
                )))
            })
        })
        .transpose()?;
    Ok(Stock { model, shape })
}

/// Create a stock; its network, when it has one, must exist and be open.
pub async fn create(db: &impl ConnectionTrait, new: NewStock) -> Result<Stock> {
    if let Some(network_id) = new.network_id {
        if crate::networks::get(db, network_id).await?.is_none() {
            return Err(StoreError::Missing {
                entity: "network",
                field: "network_id",
            });
        }
        crate::networks::open(db, network_id).await?;
    }
    let model = stock::ActiveModel {
        network_id: Set(new.network_id),
        name: Set(new.name),
        country_id: Set(new.country_id),
        city: Set(new.city),
        zipcode: Set(new.zipcode),
        street: Set(new.street),
        shape: Set(None),
        created_at: Set(Utc::now()),
        deleted_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    read(model)
}

/// The stocks (not deleted) of `networks` and the operator-wide ones, oldest first.
pub async fn list(db: &impl ConnectionTrait, networks: &[i64]) -> Result<Vec<Stock>> {
    stock::Entity::find()
        .filter(stock::Column::DeletedAt.is_null())
        .filter(
            Condition::any()
                .add(stock::Column::NetworkId.is_null())
                .add(stock::Column::NetworkId.is_in(networks.iter().copied())),
        )
        .order_by_asc(stock::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(read)
        .collect()
}

/// The stock `id`, not deleted.
pub async fn get(db: &impl ConnectionTrait, id: i64) -> Result<Stock> {
    let model = stock::Entity::find_by_id(id)
        .filter(stock::Column::DeletedAt.is_null())
        .one(db)
        .await?
        .ok_or(StoreError::NotFound { entity: "stock" })?;
    read(model)
}

/// The stocks `ids`, not deleted; the first missing one is reported naming `field`.
pub async fn get_many(
    db: &impl ConnectionTrait,
    ids: &[i64],
    field: &'static str,
) -> Result<Vec<Stock>> {
    let found = stock::Entity::find()
        .filter(stock::Column::Id.is_in(ids.iter().copied()))
        .filter(stock::Column::DeletedAt.is_null())
        .all(db)
        .await?;
    let mut stocks = Vec::with_capacity(ids.len());
    for id in ids {
        let model = found
            .iter()
            .find(|s| s.id == *id)
            .cloned()
            .ok_or(StoreError::Missing {
                entity: "stock",
                field,
            })?;
        stocks.push(read(model)?);
    }
    Ok(stocks)
}

async fn open_network(db: &impl ConnectionTrait, stock: &stock::Model) -> Result<()> {
    if let Some(network_id) = stock.network_id {
        crate::networks::open(db, network_id).await?;
    }
    Ok(())
}

/// Delete stock `id` (sets its deletion date). Refused while vehicles are stocked there
/// (`vehicles.stock_id`): they must be taken out first.
pub async fn delete(db: &impl ConnectionTrait, id: i64, at: DateTime<Utc>) -> Result<()> {
    let stock = get(db, id).await?.model;
    open_network(db, &stock).await?;
    let stocked = vehicle::Entity::find()
        .filter(vehicle::Column::StockId.eq(id))
        .filter(vehicle::Column::DecommissionedAt.is_null())
        .all(db)
        .await?;
    if !stocked.is_empty() {
        return Err(StoreError::Rule(format!(
            "stock {id} still holds {} vehicle(s): take them out of the stock first",
            stocked.len()
        )));
    }
    stock::Entity::update_many()
        .col_expr(stock::Column::DeletedAt, Expr::value(at))
        .filter(stock::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Replace the auto-stock shape of stock `id` (not deleted; its network open).
pub async fn set_shape(db: &impl ConnectionTrait, id: i64, shape: &Shape) -> Result<()> {
    let stock = get(db, id).await?.model;
    open_network(db, &stock).await?;
    stock::Entity::update_many()
        .col_expr(stock::Column::Shape, Expr::value(shape.to_storage()))
        .filter(stock::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// How a vehicle is in a stock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stocked {
    /// Its `stock_id` is the stock.
    Assigned,
    /// It has no stock and its position is inside the stock's shape.
    InsideShape,
}

/// The vehicles (not decommissioned) in `stocks`, each once: by `stock_id`, or with no
/// `stock_id` by position inside the shape of the first of `stocks` (in the order given)
/// containing it. A stock of a network only holds vehicles of that network; vehicles of
/// networks outside `networks` (`None`: all) are left out.
pub async fn vehicles(
    db: &impl ConnectionTrait,
    stocks: &[Stock],
    networks: Option<&BTreeSet<i64>>,
) -> Result<Vec<(i64, Stocked, vehicle::Model)>> {
    let reached = |v: &vehicle::Model| networks.is_none_or(|n| n.contains(&v.network_id));
    let fits = |s: &Stock, v: &vehicle::Model| s.model.network_id.is_none_or(|n| n == v.network_id);
    let ids: Vec<i64> = stocks.iter().map(|s| s.model.id).collect();
    let mut out = Vec::new();
    for v in vehicle::Entity::find()
        .filter(vehicle::Column::StockId.is_in(ids))
        .filter(vehicle::Column::DecommissionedAt.is_null())
        .order_by_asc(vehicle::Column::Id)
        .all(db)
        .await?
    {
        if reached(&v) {
            out.push((v.stock_id.unwrap_or_default(), Stocked::Assigned, v));
        }
    }
    if stocks.iter().any(|s| s.shape.is_some()) {
        let mut query = vehicle::Entity::find().filter(vehicle::Column::StockId.is_null());
        // Only the networks of the stocks can hold vehicles, unless one is operator-wide.
        let shaped: Vec<&Stock> = stocks.iter().filter(|s| s.shape.is_some()).collect();
        if shaped.iter().all(|s| s.model.network_id.is_some()) {
            query = query.filter(
                vehicle::Column::NetworkId.is_in(shaped.iter().filter_map(|s| s.model.network_id)),
            );
        } else if let Some(networks) = networks {
            query = query.filter(vehicle::Column::NetworkId.is_in(networks.iter().copied()));
        }
        let candidates = query
            .filter(vehicle::Column::DecommissionedAt.is_null())
            .filter(vehicle::Column::Latitude.is_not_null())
            .filter(vehicle::Column::Longitude.is_not_null())
            .order_by_asc(vehicle::Column::Id)
            .all(db)
            .await?;
        for v in candidates.into_iter().filter(|v| reached(v)) {
            let (Some(lat), Some(lng)) = (v.latitude, v.longitude) else {
                continue;
            };
            let holder = stocks.iter().find(|s| {
                fits(s, &v)
                    && s.shape
                        .as_ref()
                        .is_some_and(|shape| shape.contains((lng, lat).into()))
            });
            if let Some(stock) = holder {
                out.push((stock.model.id, Stocked::InsideShape, v));
            }
        }
    }
    out.sort_by_key(|(stock, _, v)| (*stock, v.id));
    Ok(out)
}

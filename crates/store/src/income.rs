//! Income: what the payment providers took and gave back, kept summed in `income_rollups`
//! (per network, quarter-hour in UTC, provider, kind and currency) by the transaction that
//! moves the money, and read back for the income statistics. Wallet payments are not income
//! (the top-up that filled the wallet was).

use crate::entity::income_rollup;
use crate::error::Result;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set,
};

/// The quarter-hour `at` falls in: its start.
pub fn bucket_of(at: DateTime<Utc>) -> DateTime<Utc> {
    let seconds = at.timestamp();
    DateTime::from_timestamp(seconds - seconds.rem_euclid(900), 0).unwrap_or(at)
}

/// What one movement adds to its rollup row.
#[derive(Debug, Clone, Default)]
pub struct Moved {
    pub count: i64,
    pub amount_w_vat: i64,
    pub amount: i64,
    pub fee: i64,
    pub refund_count: i64,
    pub refund_w_vat: i64,
    pub refund_amount: i64,
}

/// Add `moved` to the row of `(network, bucket of at, provider, kind, currency)`, made when
/// missing, within the caller's transaction. A hot row: written last in its transaction.
pub(crate) async fn add(
    txn: &impl ConnectionTrait,
    network_id: i64,
    at: DateTime<Utc>,
    provider: &str,
    kind: &str,
    currency: &str,
    moved: Moved,
) -> Result<()> {
    use income_rollup::Column as C;
    let sum = |c: &str| Expr::cust(format!("income_rollups.{c} + excluded.{c}"));
    income_rollup::Entity::insert(income_rollup::ActiveModel {
        network_id: Set(network_id),
        bucket: Set(bucket_of(at)),
        provider: Set(provider.to_owned()),
        kind: Set(kind.to_owned()),
        currency: Set(currency.to_owned()),
        count: Set(moved.count),
        amount_w_vat: Set(moved.amount_w_vat),
        amount: Set(moved.amount),
        fee: Set(moved.fee),
        refund_count: Set(moved.refund_count),
        refund_w_vat: Set(moved.refund_w_vat),
        refund_amount: Set(moved.refund_amount),
    })
    .on_conflict(
        OnConflict::columns([C::NetworkId, C::Bucket, C::Provider, C::Kind, C::Currency])
            .value(C::Count, sum("count"))
            .value(C::AmountWVat, sum("amount_w_vat"))
            .value(C::Amount, sum("amount"))
            .value(C::Fee, sum("fee"))
            .value(C::RefundCount, sum("refund_count"))
            .value(C::RefundWVat, sum("refund_w_vat"))
            .value(C::RefundAmount, sum("refund_amount"))
            .to_owned(),
    )
    .exec_without_returning(txn)
    .await?;
    Ok(())
}

/// The rollup rows of `networks` whose quarter-hour starts in `[from, to)`, of `provider`
/// when given: one range of the primary key per network.
pub async fn rollups(
    db: &DatabaseConnection,
    networks: &[i64],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    provider: Option<&str>,
) -> Result<Vec<income_rollup::Model>> {
    let mut select = income_rollup::Entity::find()
        .filter(income_rollup::Column::NetworkId.is_in(networks.iter().copied()))
        .filter(income_rollup::Column::Bucket.gte(from))
        .filter(income_rollup::Column::Bucket.lt(to));
    if let Some(p) = provider {
        select = select.filter(income_rollup::Column::Provider.eq(p));
    }
    Ok(select
        .order_by_asc(income_rollup::Column::NetworkId)
        .order_by_asc(income_rollup::Column::Bucket)
        .all(db)
        .await?)
}

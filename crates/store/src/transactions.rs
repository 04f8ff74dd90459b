//! Transactions: every movement of a rider's money is a row, written with what it moves in
//! the same database transaction (the wallet's movement and balance, the trip's amount paid,
//! the product title's dictionary), and refunds given back against one
//! (docs/design/ride.md §3.3).

use crate::entity::refund::{self, RefundStatus};
use crate::entity::transaction::{self, MoneySource, TransactionKind, TransactionStatus};
use crate::entity::trip::PaymentStatus;
use crate::entity::wallet_movement::MovementKind;
use crate::entity::{network, payment_method, product_title, trip, user, user_payment_method};
use crate::error::{Result, StoreError};
use crate::pagination::{Keyset, PageOf, SortDir};
use crate::text::contains_ignoring_case;
use chrono::{DateTime, Days, NaiveDate, Utc};
use relais_domain::money;
use rust_decimal::Decimal;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query, SimpleExpr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbBackend,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};

/// The job that asks the provider for a refund when the request that made it could not (the
/// server stopped between the two): its subject is the refund.
pub const REFUND_JOB: &str = "refund";

/// A transaction to write. Its currency and VAT rate are its network's at `at`; the part
/// without VAT is computed from them.
#[derive(Debug, Clone)]
pub struct NewTransaction {
    pub network_id: i64,
    pub user_id: Option<i64>,
    pub trip_id: Option<i64>,
    pub kind: TransactionKind,
    pub source: MoneySource,
    pub status: TransactionStatus,
    /// VAT included, in the network's currency; positive, with no more decimals than it has.
    pub amount_w_vat: Decimal,
    pub product_title: String,
    /// `ProviderKey::as_str()`, or `wallet`.
    pub payment_provider: String,
    /// The payment method's kind, or `wallet`.
    pub payment_method_type: String,
    pub user_payment_method_id: Option<i64>,
    pub bank_guarantee_id: Option<i64>,
    pub debt_id: Option<i64>,
    pub provider_reference: Option<String>,
    pub payment_provider_fee: Decimal,
    pub auto_payment: bool,
    pub at: DateTime<Utc>,
}

/// The stored amount of `value` in `currency`, refused naming `field` when it is not positive
/// or has more decimals than the currency.
fn positive_amount(field: &'static str, value: Decimal, currency: &str) -> Result<i64> {
    let minor = relais_domain::reference::minor_units(currency).unwrap_or(2);
    if value <= Decimal::ZERO {
        return Err(StoreError::Invalid {
            field,
            problem: "must be greater than 0".into(),
        });
    }
    if value.normalize().scale() > u32::from(minor) {
        return Err(StoreError::Invalid {
            field,
            problem: format!("{currency} has {minor} decimals"),
        });
    }
    money::to_stored(value).ok_or(StoreError::Invalid {
        field,
        problem: "too large".into(),
    })
}

/// Write `new` within the caller's transaction. A succeeded wallet transaction debits the
/// rider's wallet in the network's currency (refused naming `amount` beyond its balance); a
/// succeeded one of a trip adds to the trip's amount paid.
pub async fn record_in(
    txn: &impl ConnectionTrait,
    new: NewTransaction,
) -> Result<transaction::Model> {
    let network = network::Entity::find_by_id(new.network_id)
        .one(txn)
        .await?
        .ok_or(StoreError::Missing {
            entity: "network",
            field: "network_id",
        })?;
    let amount_w_vat = positive_amount("amount", new.amount_w_vat, &network.currency)?;
    let minor = relais_domain::reference::minor_units(&network.currency).unwrap_or(2);
    let (amount, _) = money::split_vat(
        new.amount_w_vat,
        money::from_stored(network.default_vat),
        u32::from(minor),
    );
    let fee = money::to_stored(new.payment_provider_fee).ok_or(StoreError::Invalid {
        field: "payment_provider_fee",
        problem: "more than four decimals or too large".into(),
    })?;
    let title: String = new.product_title.chars().take(100).collect();
    let succeeded = new.status == TransactionStatus::Succeeded;
    let row = transaction::ActiveModel {
        network_id: Set(new.network_id),
        user_id: Set(new.user_id),
        trip_id: Set(new.trip_id),
        kind: Set(new.kind),
        source: Set(new.source),
        status: Set(new.status),
        currency: Set(network.currency.clone()),
        amount_w_vat: Set(amount_w_vat),
        amount: Set(money::to_stored(amount).unwrap_or(amount_w_vat)),
        vat_rate: Set(network.default_vat),
        product_title: Set(title.clone()),
        payment_provider: Set(new.payment_provider),
        payment_method_type: Set(new.payment_method_type),
        user_payment_method_id: Set(new.user_payment_method_id),
        bank_guarantee_id: Set(new.bank_guarantee_id),
        wallet_movement_id: Set(None),
        debt_id: Set(new.debt_id),
        provider_reference: Set(new.provider_reference),
        payment_provider_fee: Set(fee),
        auto_payment: Set(new.auto_payment),
        refund_amount: Set(0),
        refunded_at: Set(None),
        invoice_id: Set(None),
        created_at: Set(new.at),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    let mut row = row;
    if succeeded && new.source == MoneySource::Wallet {
        let user_id = new.user_id.ok_or(StoreError::Invalid {
            field: "user_id",
            problem: "a wallet payment needs its rider".into(),
        })?;
        let (_, movement) = crate::wallets::apply_in(
            txn,
            user_id,
            &network.currency,
            crate::wallets::Movement {
                amount: -amount_w_vat,
                kind: MovementKind::Trip,
                reason: title.clone(),
                actor_id: None,
                at: new.at,
                transaction_id: Some(row.id),
            },
        )
        .await?;
        transaction::Entity::update_many()
            .col_expr(
                transaction::Column::WalletMovementId,
                Expr::value(movement.id),
            )
            .filter(transaction::Column::Id.eq(row.id))
            .exec(txn)
            .await?;
        row.wallet_movement_id = Some(movement.id);
    }
    if succeeded && let Some(trip_id) = new.trip_id {
        count_paid(txn, trip_id, amount_w_vat).await?;
    }
    product_title::Entity::insert(product_title::ActiveModel {
        network_id: Set(new.network_id),
        title: Set(title),
    })
    .on_conflict(
        OnConflict::columns([
            product_title::Column::NetworkId,
            product_title::Column::Title,
        ])
        .do_nothing()
        .to_owned(),
    )
    .exec_without_returning(txn)
    .await?;
    if succeeded && row.source == MoneySource::Provider {
        count_income(txn, &row).await?;
    }
    Ok(row)
}

/// Add `amount` to what the trip was paid: `paid` once it reaches the price (a trip not
/// priced yet stays as it is).
async fn count_paid(txn: &impl ConnectionTrait, trip_id: i64, amount: i64) -> Result<()> {
    let reaches_price = Expr::col(trip::Column::PriceTotal).is_not_null().and(
        Expr::col(trip::Column::AmountPaid)
            .add(amount)
            .gte(Expr::col(trip::Column::PriceTotal)),
    );
    trip::Entity::update_many()
        .col_expr(
            trip::Column::AmountPaid,
            Expr::col(trip::Column::AmountPaid).add(amount),
        )
        .col_expr(
            trip::Column::PaymentStatus,
            Expr::case(reaches_price, Expr::value(PaymentStatus::Paid))
                .finally(Expr::col(trip::Column::PaymentStatus))
                .into(),
        )
        .filter(trip::Column::Id.eq(trip_id))
        .exec(txn)
        .await?;
    Ok(())
}

/// A provider's payment counted in its network's income, at its date (a hot row: last), and
/// its invoice to issue.
async fn count_income(txn: &impl ConnectionTrait, t: &transaction::Model) -> Result<()> {
    crate::jobs::schedule(
        txn,
        crate::invoices::ISSUE_INVOICE_JOB,
        t.id,
        t.created_at,
        None,
        t.created_at,
    )
    .await?;
    crate::income::add(
        txn,
        t.network_id,
        t.created_at,
        &t.payment_provider,
        t.kind.as_str(),
        &t.currency,
        crate::income::Moved {
            count: 1,
            amount_w_vat: t.amount_w_vat,
            amount: t.amount,
            fee: t.payment_provider_fee,
            ..Default::default()
        },
    )
    .await
}

/// A pending provider transaction taken: `succeeded` with the provider's reference and fee,
/// counted in its trip's amount paid, and the rider's first purchase dated when it is one.
pub async fn succeed_in(
    txn: &impl ConnectionTrait,
    pending: &transaction::Model,
    provider_reference: &str,
    fee: Decimal,
    at: DateTime<Utc>,
) -> Result<()> {
    let changed = transaction::Entity::update_many()
        .col_expr(
            transaction::Column::Status,
            Expr::value(TransactionStatus::Succeeded),
        )
        .col_expr(
            transaction::Column::ProviderReference,
            Expr::value(provider_reference),
        )
        .col_expr(
            transaction::Column::PaymentProviderFee,
            Expr::value(money::to_stored(fee).unwrap_or(0)),
        )
        .filter(transaction::Column::Id.eq(pending.id))
        .filter(transaction::Column::Status.eq(TransactionStatus::Pending))
        .exec(txn)
        .await?;
    if changed.rows_affected == 0 {
        return Ok(());
    }
    if let Some(trip_id) = pending.trip_id {
        count_paid(txn, trip_id, pending.amount_w_vat).await?;
    }
    let mut taken = pending.clone();
    taken.payment_provider_fee = money::to_stored(fee).unwrap_or(0);
    count_income(txn, &taken).await?;
    if let Some(user_id) = pending.user_id {
        user::Entity::update_many()
            .col_expr(user::Column::FirstPurchaseAt, Expr::value(at))
            .filter(user::Column::Id.eq(user_id))
            .filter(user::Column::FirstPurchaseAt.is_null())
            .exec(txn)
            .await?;
    }
    Ok(())
}

/// [`record_in`] in a write transaction of its own (the demo, imports and tests).
pub async fn record(db: &DatabaseConnection, new: NewTransaction) -> Result<transaction::Model> {
    let txn = crate::db::begin_write(db).await?;
    let row = record_in(&txn, new).await?;
    txn.commit().await?;
    Ok(row)
}

/// A refund to make.
#[derive(Debug, Clone)]
pub struct NewRefund {
    pub transaction_id: i64,
    pub amount: Decimal,
    pub reason: String,
    pub actor_id: Option<i64>,
    pub at: DateTime<Utc>,
}

/// Start a refund: in one write transaction, the transaction's refunded amount grows by
/// `amount` (guarded: never beyond what it took, whatever runs at once) and the refund is
/// written. A wallet transaction's refund is credited to the wallet at once and `succeeded`;
/// a provider's is `pending`, with a [`REFUND_JOB`] that asks the provider should the caller
/// not get to it (the caller asks at once, then calls [`settle_refund`]).
pub async fn begin_refund(
    db: &DatabaseConnection,
    new: NewRefund,
) -> Result<(refund::Model, transaction::Model)> {
    let txn = crate::db::begin_write(db).await?;
    let found = transaction::Entity::find_by_id(new.transaction_id)
        .one(&txn)
        .await?
        .ok_or(StoreError::NotFound {
            entity: "transaction",
        })?;
    if found.status != TransactionStatus::Succeeded {
        return Err(StoreError::Rule(format!(
            "only a succeeded transaction can be refunded; this one is {}",
            found.status.as_str()
        )));
    }
    let amount = positive_amount("amount", new.amount, &found.currency)?;
    let grown = transaction::Entity::update_many()
        .col_expr(
            transaction::Column::RefundAmount,
            Expr::col(transaction::Column::RefundAmount).add(amount),
        )
        .col_expr(transaction::Column::RefundedAt, Expr::value(new.at))
        .filter(transaction::Column::Id.eq(found.id))
        .filter(
            Expr::col(transaction::Column::RefundAmount)
                .add(amount)
                .lte(Expr::col(transaction::Column::AmountWVat)),
        )
        .exec(&txn)
        .await?;
    if grown.rows_affected == 0 {
        // Read again: a refund made meanwhile may have left less than `found` says.
        let now = transaction::Entity::find_by_id(found.id)
            .one(&txn)
            .await?
            .unwrap_or(found);
        return Err(StoreError::Invalid {
            field: "amount",
            problem: format!(
                "at most {} {} remains refundable",
                money::from_stored(now.amount_w_vat - now.refund_amount),
                now.currency
            ),
        });
    }
    let wallet = found.source == MoneySource::Wallet;
    let refund = refund::ActiveModel {
        transaction_id: Set(found.id),
        amount: Set(amount),
        reason: Set(new.reason.clone()),
        status: Set(if wallet {
            RefundStatus::Succeeded
        } else {
            RefundStatus::Pending
        }),
        provider_refund_id: Set(None),
        actor_id: Set(new.actor_id),
        created_at: Set(new.at),
        settled_at: Set(wallet.then_some(new.at)),
        invoice_id: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    if wallet {
        let user_id = found.user_id.ok_or(StoreError::Rule(
            "the rider of this wallet payment no longer exists".into(),
        ))?;
        crate::wallets::apply_in(
            &txn,
            user_id,
            &found.currency,
            crate::wallets::Movement {
                amount,
                kind: MovementKind::Refund,
                reason: new.reason,
                actor_id: new.actor_id,
                at: new.at,
                transaction_id: Some(found.id),
            },
        )
        .await?;
    } else {
        // Asked by the caller at once; this runs only if it never gets to it.
        let fallback = new.at + chrono::Duration::minutes(2);
        crate::jobs::schedule(&txn, REFUND_JOB, refund.id, fallback, None, new.at).await?;
    }
    let transaction = transaction::Entity::find_by_id(found.id)
        .one(&txn)
        .await?
        .ok_or(StoreError::NotFound {
            entity: "transaction",
        })?;
    txn.commit().await?;
    Ok((refund, transaction))
}

/// How the provider answered a refund.
#[derive(Debug, Clone)]
pub enum RefundOutcome {
    Succeeded {
        provider_refund_id: String,
    },
    /// Accepted, not final yet: the refund stays `pending`.
    Pending {
        provider_refund_id: String,
    },
    /// Refused: the amount is refundable again.
    Failed,
}

/// Record the provider's answer to a pending refund, and drop its fallback job, in one write
/// transaction; a refund no longer pending is left as it is (answered twice). A failed refund
/// gives its amount back to what remains refundable.
pub async fn settle_refund(
    db: &DatabaseConnection,
    refund_id: i64,
    outcome: RefundOutcome,
    at: DateTime<Utc>,
) -> Result<refund::Model> {
    let txn = crate::db::begin_write(db).await?;
    let refund = settle_refund_in(&txn, refund_id, outcome, at).await?;
    txn.commit().await?;
    Ok(refund)
}

async fn settle_refund_in(
    db: &impl ConnectionTrait,
    refund_id: i64,
    outcome: RefundOutcome,
    at: DateTime<Utc>,
) -> Result<refund::Model> {
    let (status, provider_id) = match &outcome {
        RefundOutcome::Succeeded { provider_refund_id } => {
            (RefundStatus::Succeeded, Some(provider_refund_id.clone()))
        }
        RefundOutcome::Pending { provider_refund_id } => {
            (RefundStatus::Pending, Some(provider_refund_id.clone()))
        }
        RefundOutcome::Failed => (RefundStatus::Failed, None),
    };
    let mut update = refund::Entity::update_many()
        .col_expr(refund::Column::Status, Expr::value(status))
        .col_expr(refund::Column::ProviderRefundId, Expr::value(provider_id))
        .filter(refund::Column::Id.eq(refund_id))
        .filter(refund::Column::Status.eq(RefundStatus::Pending));
    if status != RefundStatus::Pending {
        update = update.col_expr(refund::Column::SettledAt, Expr::value(at));
    }
    let changed = update.exec(db).await?.rows_affected == 1;
    let refund = refund::Entity::find_by_id(refund_id)
        .one(db)
        .await?
        .ok_or(StoreError::NotFound { entity: "refund" })?;
    if changed && status == RefundStatus::Failed {
        transaction::Entity::update_many()
            .col_expr(
                transaction::Column::RefundAmount,
                Expr::col(transaction::Column::RefundAmount).sub(refund.amount),
            )
            .filter(transaction::Column::Id.eq(refund.transaction_id))
            .exec(db)
            .await?;
        // The last refund still standing dates the transaction's refund, if any does.
        let last: Option<DateTime<Utc>> = refund::Entity::find()
            .select_only()
            .column(refund::Column::CreatedAt)
            .filter(refund::Column::TransactionId.eq(refund.transaction_id))
            .filter(refund::Column::Status.ne(RefundStatus::Failed))
            .order_by_desc(refund::Column::Id)
            .into_tuple()
            .one(db)
            .await?;
        transaction::Entity::update_many()
            .col_expr(transaction::Column::RefundedAt, Expr::value(last))
            .filter(transaction::Column::Id.eq(refund.transaction_id))
            .exec(db)
            .await?;
    }
    if changed && status == RefundStatus::Succeeded {
        crate::jobs::schedule(
            db,
            crate::invoices::ISSUE_CREDIT_NOTE_JOB,
            refund_id,
            at,
            None,
            at,
        )
        .await?;
        // Income given back, at the refund's own date; its part without VAT at the
        // transaction's rate.
        let t = transaction::Entity::find_by_id(refund.transaction_id)
            .one(db)
            .await?
            .ok_or(StoreError::NotFound {
                entity: "transaction",
            })?;
        let minor = relais_domain::reference::minor_units(&t.currency).unwrap_or(2);
        let (without, _) = money::split_vat(
            money::from_stored(refund.amount),
            money::from_stored(t.vat_rate),
            u32::from(minor),
        );
        crate::income::add(
            db,
            t.network_id,
            refund.created_at,
            &t.payment_provider,
            t.kind.as_str(),
            &t.currency,
            crate::income::Moved {
                refund_count: 1,
                refund_w_vat: refund.amount,
                refund_amount: money::to_stored(without).unwrap_or(refund.amount),
                ..Default::default()
            },
        )
        .await?;
    }
    if status != RefundStatus::Pending {
        crate::jobs::cancel(db, &[REFUND_JOB], refund_id).await?;
    }
    Ok(refund)
}

/// A refund and the transaction it gives back from.
pub async fn refund_with_transaction(
    db: &impl ConnectionTrait,
    refund_id: i64,
) -> Result<(refund::Model, transaction::Model)> {
    let refund = refund::Entity::find_by_id(refund_id)
        .one(db)
        .await?
        .ok_or(StoreError::NotFound { entity: "refund" })?;
    let transaction = transaction::Entity::find_by_id(refund.transaction_id)
        .one(db)
        .await?
        .ok_or(StoreError::NotFound {
            entity: "transaction",
        })?;
    Ok((refund, transaction))
}

/// The sorts of "Get transactions".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransactionSort {
    Date,
    AmountWVat,
    Amount,
    ProductTitle,
    RefundAmount,
    AutoPayment,
    PaymentProviderFee,
    NetworkId,
}

/// The filters of "Get transactions"; every one optional but the networks. Bounds are
/// included; dates are whole UTC days.
#[derive(Debug, Clone, Default)]
pub struct TransactionFilter {
    pub networks: Vec<i64>,
    pub id_min: Option<i64>,
    pub id_max: Option<i64>,
    pub date_min: Option<NaiveDate>,
    pub date_max: Option<NaiveDate>,
    /// Ten-thousandths.
    pub amount_w_vat_min: Option<i64>,
    pub amount_w_vat_max: Option<i64>,
    pub amount_min: Option<i64>,
    pub amount_max: Option<i64>,
    pub user_id: Option<i64>,
    /// A part of the rider's email, without regard to case.
    pub email: Option<String>,
    /// A part of the product title, without regard to case.
    pub product_title: Option<String>,
    pub refunded: Option<bool>,
    pub refund_date_min: Option<NaiveDate>,
    pub refund_date_max: Option<NaiveDate>,
    pub auto_payment: Option<bool>,
    /// Ten-thousandths.
    pub fee_min: Option<i64>,
    pub fee_max: Option<i64>,
    /// A part of the provider's key, without regard to case.
    pub payment_provider: Option<String>,
    /// A part of the payment method's kind, without regard to case.
    pub payment_method_type: Option<String>,
    pub status: Option<TransactionStatus>,
}

/// The first instant of `day`, UTC.
fn day_start(day: NaiveDate) -> DateTime<Utc> {
    day.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc()
}

/// The first instant after `day`, UTC (the last day of the calendar has none: no bound).
fn day_after(day: NaiveDate) -> Option<DateTime<Utc>> {
    day.checked_add_days(Days::new(1)).map(day_start)
}

impl TransactionFilter {
    /// As `TripFilter::conditions`: what the list's order serves, and apart from it what an
    /// index of its own serves (`Keyset::fetch_narrowed`).
    fn conditions(
        &self,
        backend: DbBackend,
        sorted: transaction::Column,
        method_types: &[String],
    ) -> (Condition, Option<Condition>) {
        use transaction::Column as C;
        let mut base = Condition::all().add(C::NetworkId.is_in(self.networks.iter().copied()));
        if let Some(min) = self.id_min {
            base = base.add(C::Id.gte(min));
        }
        if let Some(max) = self.id_max {
            base = base.add(C::Id.lte(max));
        }
        let mut narrowing: Vec<Condition> = Vec::new();
        let before_end = |day: NaiveDate, column: C| day_after(day).map(|end| column.lt(end));
        let bounds = [
            (
                C::CreatedAt,
                self.date_min.map(|d| C::CreatedAt.gte(day_start(d))),
            ),
            (
                C::CreatedAt,
                self.date_max.and_then(|d| before_end(d, C::CreatedAt)),
            ),
            (
                C::AmountWVat,
                self.amount_w_vat_min.map(|v| C::AmountWVat.gte(v)),
            ),
            (
                C::AmountWVat,
                self.amount_w_vat_max.map(|v| C::AmountWVat.lte(v)),
            ),
            (C::Amount, self.amount_min.map(|v| C::Amount.gte(v))),
            (C::Amount, self.amount_max.map(|v| C::Amount.lte(v))),
            (
                C::PaymentProviderFee,
                self.fee_min.map(|v| C::PaymentProviderFee.gte(v)),
            ),
            (
                C::PaymentProviderFee,
                self.fee_max.map(|v| C::PaymentProviderFee.lte(v)),
            ),
        ];
        base = crate::pagination::place_bounds(sorted, bounds, base, &mut narrowing);
        let mut narrow = |c: SimpleExpr| narrowing.push(Condition::all().add(c));
        match (self.refunded, self.refund_date_min, self.refund_date_max) {
            (Some(false), _, _) => narrow(C::RefundedAt.is_null()),
            (Some(true), None, None) => narrow(C::RefundedAt.is_not_null()),
            _ => {}
        }
        if let Some(day) = self.refund_date_min {
            narrow(C::RefundedAt.gte(day_start(day)));
        }
        if let Some(end) = self
            .refund_date_max
            .and_then(|d| before_end(d, C::RefundedAt))
        {
            narrow(end);
        }
        if let Some(auto) = self.auto_payment {
            narrow(C::AutoPayment.eq(auto));
        }
        if let Some(status) = self.status {
            narrow(C::Status.eq(status));
        }
        if let Some(id) = self.user_id {
            narrow(C::UserId.eq(id));
        }
        if let Some(email) = &self.email {
            narrow(
                C::UserId.in_subquery(
                    Query::select()
                        .column(user::Column::Id)
                        .from(user::Entity)
                        .cond_where(crate::users::emails_containing(backend, email))
                        .to_owned(),
                ),
            );
        }
        if let Some(title) = &self.product_title {
            narrow(
                C::ProductTitle.in_subquery(
                    Query::select()
                        .column(product_title::Column::Title)
                        .from(product_title::Entity)
                        .and_where(
                            product_title::Column::NetworkId.is_in(self.networks.iter().copied()),
                        )
                        .and_where(contains_ignoring_case(product_title::Column::Title, title))
                        .to_owned(),
                ),
            );
        }
        // The known values holding the part asked for: a handful, read on the method index.
        if let Some(part) = &self.payment_provider {
            narrow(C::PaymentProvider.is_in(containing(provider_keys(), part)));
        }
        if let Some(part) = &self.payment_method_type {
            narrow(C::PaymentMethodType.is_in(containing(method_types.iter().cloned(), part)));
        }
        let narrowed = (!narrowing.is_empty())
            .then(|| narrowing.into_iter().fold(Condition::all(), Condition::add));
        (base, narrowed)
    }
}

/// The values a transaction's provider can have.
fn provider_keys() -> impl Iterator<Item = String> {
    relais_payments::ProviderKey::ALL
        .iter()
        .map(|k| k.as_str().to_owned())
        .chain(std::iter::once(WALLET.to_owned()))
}

/// The provider and method type of a wallet transaction.
pub const WALLET: &str = "wallet";

fn containing(values: impl Iterator<Item = String>, part: &str) -> Vec<String> {
    let part = part.to_lowercase();
    values
        .filter(|v| v.to_lowercase().contains(&part))
        .collect()
}

/// A transaction in a list, with its rider named.
#[derive(Debug, Clone)]
pub struct TransactionItem {
    pub transaction: transaction::Model,
    pub email: Option<String>,
}

/// A page of transactions under `filter`, by id or by `sort` then id.
pub async fn list(
    db: &DatabaseConnection,
    filter: &TransactionFilter,
    keyset: &Keyset,
    sort: Option<(TransactionSort, SortDir)>,
) -> Result<PageOf<TransactionItem>> {
    use transaction::Column as C;
    let sort = sort.map(|(by, dir)| {
        let column = match by {
            TransactionSort::Date => C::CreatedAt,
            TransactionSort::AmountWVat => C::AmountWVat,
            TransactionSort::Amount => C::Amount,
            TransactionSort::ProductTitle => C::ProductTitle,
            TransactionSort::RefundAmount => C::RefundAmount,
            TransactionSort::AutoPayment => C::AutoPayment,
            TransactionSort::PaymentProviderFee => C::PaymentProviderFee,
            TransactionSort::NetworkId => C::NetworkId,
        };
        (column, dir)
    });
    let sorted = sort.map_or(C::Id, |(column, _)| column);
    let method_types = if filter.payment_method_type.is_some() {
        payment_method::Entity::find()
            .select_only()
            .column(payment_method::Column::Kind)
            .distinct()
            .into_tuple::<String>()
            .all(db)
            .await?
            .into_iter()
            .chain(std::iter::once(WALLET.to_owned()))
            .collect()
    } else {
        Vec::new()
    };
    let (base, narrowing) = filter.conditions(db.get_database_backend(), sorted, &method_types);
    let page = keyset
        .fetch_narrowed(
            db,
            transaction::Entity::find().filter(base),
            narrowing,
            C::Id,
            sort,
        )
        .await?;
    let has_more = page.has_more;
    Ok(PageOf {
        items: named(db, page.items).await?,
        has_more,
    })
}

/// `transactions` with their riders' emails: one query for them all.
async fn named(
    db: &impl ConnectionTrait,
    transactions: Vec<transaction::Model>,
) -> Result<Vec<TransactionItem>> {
    let users = crate::map_by_ids::<user::Entity>(
        db,
        user::Column::Id,
        transactions.iter().filter_map(|t| t.user_id),
        |u| u.id,
    )
    .await?;
    Ok(transactions
        .into_iter()
        .map(|transaction| TransactionItem {
            email: transaction
                .user_id
                .and_then(|id| users.get(&id))
                .map(|u| u.email.clone()),
            transaction,
        })
        .collect())
}

/// A refund with who asked for it.
#[derive(Debug, Clone)]
pub struct RefundItem {
    pub refund: refund::Model,
    pub actor_email: Option<String>,
}

/// A transaction in full: "Get transaction detail".
#[derive(Debug, Clone)]
pub struct TransactionDetail {
    pub item: TransactionItem,
    pub payment_method: Option<user_payment_method::Model>,
    pub refunds: Vec<RefundItem>,
}

/// The transaction `id`, or `NotFound`.
pub async fn get(db: &impl ConnectionTrait, id: i64) -> Result<transaction::Model> {
    transaction::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(StoreError::NotFound {
            entity: "transaction",
        })
}

/// The transaction `id` and what hangs off it, or `NotFound`.
pub async fn detail(db: &DatabaseConnection, id: i64) -> Result<TransactionDetail> {
    let found = transaction::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(StoreError::NotFound {
            entity: "transaction",
        })?;
    let payment_method = match found.user_payment_method_id {
        Some(m) => user_payment_method::Entity::find_by_id(m).one(db).await?,
        None => None,
    };
    let item = named(db, vec![found]).await?.pop().expect("one named");
    let refunds = refunds_of(db, id).await?;
    Ok(TransactionDetail {
        item,
        payment_method,
        refunds,
    })
}

/// The refunds of a transaction, oldest first, with who asked for each.
pub async fn refunds_of(db: &impl ConnectionTrait, transaction_id: i64) -> Result<Vec<RefundItem>> {
    let refunds = refund::Entity::find()
        .filter(refund::Column::TransactionId.eq(transaction_id))
        .order_by_asc(refund::Column::Id)
        .all(db)
        .await?;
    let actors = crate::map_by_ids::<user::Entity>(
        db,
        user::Column::Id,
        refunds.iter().filter_map(|r| r.actor_id),
        |u| u.id,
    )
    .await?;
    Ok(refunds
        .into_iter()
        .map(|refund| RefundItem {
            actor_email: refund
                .actor_id
                .and_then(|id| actors.get(&id))
                .map(|u| u.email.clone()),
            refund,
        })
        .collect())
}

/// The transactions of a trip, oldest first.
pub async fn of_trip(db: &impl ConnectionTrait, trip_id: i64) -> Result<Vec<transaction::Model>> {
    Ok(transaction::Entity::find()
        .filter(transaction::Column::TripId.eq(trip_id))
        .order_by_asc(transaction::Column::Id)
        .all(db)
        .await?)
}

/// A page of one rider's transactions, newest first by default ("Get my transactions").
pub async fn of_user(
    db: &DatabaseConnection,
    user_id: i64,
    keyset: &Keyset,
) -> Result<PageOf<transaction::Model>> {
    Ok(keyset
        .fetch(
            db,
            transaction::Entity::find().filter(transaction::Column::UserId.eq(user_id)),
            transaction::Column::Id,
            None,
        )
        .await?)
}

/// The statements of [`check`]: each lists rows whose money does not add up, at most 100,
/// as `(id, kept, summed)`. They read the whole tables once each, through their indexes.
const CHECKS: &[(&str, &str)] = &[
    (
        "paid from the wallet, but its wallet movement is missing or of another amount",
        "SELECT t.id, t.amount_w_vat, CAST(COALESCE(-m.amount, 0) AS BIGINT) \
         FROM transactions t LEFT JOIN wallet_movements m \
         ON m.transaction_id = t.id AND m.kind = 'trip' \
         WHERE t.source = 'wallet' AND t.status = 'succeeded' \
         AND (m.id IS NULL OR m.amount <> -t.amount_w_vat \
         OR t.wallet_movement_id IS NULL OR t.wallet_movement_id <> m.id) LIMIT 100",
    ),
    (
        "trip's amount paid differs from its succeeded transactions",
        "SELECT t.id, t.amount_paid, CAST(COALESCE(p.total, 0) AS BIGINT) FROM trips t \
         LEFT JOIN (SELECT trip_id, SUM(amount_w_vat) AS total FROM transactions \
         WHERE status = 'succeeded' AND trip_id IS NOT NULL GROUP BY trip_id) p \
         ON p.trip_id = t.id WHERE t.amount_paid <> COALESCE(p.total, 0) LIMIT 100",
    ),
    (
        "transaction's refunded amount differs from its refunds, or exceeds what it took",
        "SELECT t.id, t.refund_amount, CAST(COALESCE(r.total, 0) AS BIGINT) \
         FROM transactions t LEFT JOIN (SELECT transaction_id, SUM(amount) AS total \
         FROM refunds WHERE status <> 'failed' GROUP BY transaction_id) r \
         ON r.transaction_id = t.id \
         WHERE t.refund_amount <> COALESCE(r.total, 0) OR t.refund_amount > t.amount_w_vat \
         LIMIT 100",
    ),
    (
        "wallet transaction's refunds differ from what they credited to the wallet",
        "SELECT t.id, t.refund_amount, CAST(COALESCE(m.total, 0) AS BIGINT) \
         FROM transactions t LEFT JOIN (SELECT transaction_id, SUM(amount) AS total \
         FROM wallet_movements WHERE kind = 'refund' AND transaction_id IS NOT NULL \
         GROUP BY transaction_id) m ON m.transaction_id = t.id \
         WHERE t.source = 'wallet' AND t.refund_amount <> COALESCE(m.total, 0) LIMIT 100",
    ),
];

/// Where the money does not add up, for `relais check`: each a sentence naming the row. The
/// check never repairs money: a difference is for a person to look at.
pub async fn check(db: &DatabaseConnection) -> Result<Vec<String>> {
    let backend = db.get_database_backend();
    let mut problems = Vec::new();
    for (what, sql) in CHECKS {
        for row in db
            .query_all_raw(sea_orm::Statement::from_string(backend, *sql))
            .await?
        {
            let id: i64 = row.try_get_by_index(0)?;
            let kept: i64 = row.try_get_by_index(1)?;
            let summed: i64 = row.try_get_by_index(2)?;
            problems.push(format!("{what}: {id} ({kept} kept, {summed} summed)"));
        }
    }
    Ok(problems)
}

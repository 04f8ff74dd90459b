//! Outbound messages: each mail, push notification and SMS is a row before it is sent, so it
//! survives a restart, is retried on failure and is visible to staff afterwards.

use crate::entity::outbound_message::{self, Channel, MessageStatus};
use crate::error::Result;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};

/// A message to send.
#[derive(Debug, Clone)]
pub struct NewMessage {
    pub user_id: Option<i64>,
    pub channel: Channel,
    pub template: String,
    pub language: String,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    pub sent_by: Option<i64>,
}

/// Queue `message`, due now.
pub async fn queue(
    db: &impl ConnectionTrait,
    message: NewMessage,
    now: DateTime<Utc>,
) -> Result<outbound_message::Model> {
    Ok(outbound_message::ActiveModel {
        user_id: Set(message.user_id),
        channel: Set(message.channel),
        template: Set(message.template),
        language: Set(message.language),
        recipient: Set(message.recipient),
        subject: Set(message.subject),
        body: Set(message.body),
        status: Set(MessageStatus::Queued),
        attempts: Set(0),
        next_attempt_at: Set(Some(now)),
        sent_by: Set(message.sent_by),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

/// Claim the queued messages due at `now`, oldest first, at most `limit`: each is put off by
/// `lease` (the time to try it), so another dispatcher on the same database skips it, and a
/// dispatcher that stops while sending leaves it due again once the lease is over.
/// [`settle`] then records the attempt's real outcome.
pub async fn claim(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    lease: chrono::Duration,
    limit: u64,
) -> Result<Vec<outbound_message::Model>> {
    use sea_orm::sea_query::{LockBehavior, LockType, Query};
    let due = Query::select()
        .column(outbound_message::Column::Id)
        .from(outbound_message::Entity)
        .and_where(outbound_message::Column::Status.eq(MessageStatus::Queued))
        .and_where(outbound_message::Column::NextAttemptAt.lte(now))
        .order_by(outbound_message::Column::NextAttemptAt, sea_orm::Order::Asc)
        .order_by(outbound_message::Column::Id, sea_orm::Order::Asc)
        .limit(limit)
        .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
        .to_owned();
    let mut claimed = outbound_message::Entity::update_many()
        .col_expr(
            outbound_message::Column::NextAttemptAt,
            Expr::value(Some(now + lease)),
        )
        .filter(outbound_message::Column::Id.in_subquery(due))
        .exec_with_returning(db)
        .await?;
    // Oldest first (RETURNING promises no order).
    claimed.sort_by_key(|m| m.id);
    Ok(claimed)
}

/// How an attempt ended.
#[derive(Debug, Clone)]
pub enum Outcome {
    Sent {
        provider_id: Option<String>,
    },
    Recorded,
    /// Try again at `at`.
    Retry {
        error: String,
        at: DateTime<Utc>,
    },
    Failed {
        error: String,
    },
}

/// Record the outcome of one attempt at sending message `id`.
pub async fn settle(
    db: &DatabaseConnection,
    id: i64,
    outcome: Outcome,
    now: DateTime<Utc>,
) -> Result<()> {
    let mut update = outbound_message::Entity::update_many()
        .col_expr(
            outbound_message::Column::Attempts,
            Expr::col(outbound_message::Column::Attempts).add(Expr::val(1)),
        )
        .filter(outbound_message::Column::Id.eq(id));
    let (status, next, error, provider, sent) = match outcome {
        Outcome::Sent { provider_id } => (MessageStatus::Sent, None, None, provider_id, Some(now)),
        Outcome::Recorded => (MessageStatus::Recorded, None, None, None, None),
        Outcome::Retry { error, at } => (MessageStatus::Queued, Some(at), Some(error), None, None),
        Outcome::Failed { error } => (MessageStatus::Failed, None, Some(error), None, None),
    };
    update = update
        .col_expr(outbound_message::Column::Status, Expr::value(status))
        .col_expr(outbound_message::Column::NextAttemptAt, Expr::value(next))
        .col_expr(
            outbound_message::Column::LastError,
            Expr::value(error.map(|e| e.chars().take(1000).collect::<String>())),
        );
    if provider.is_some() {
        update = update.col_expr(outbound_message::Column::ProviderId, Expr::value(provider));
    }
    if sent.is_some() {
        update = update.col_expr(outbound_message::Column::SentAt, Expr::value(sent));
    }
    update.exec(db).await?;
    Ok(())
}

/// The last `limit` messages of `channel` to the user, created before `before` when given,
/// newest first.
pub async fn of_user(
    db: &DatabaseConnection,
    user_id: i64,
    channel: Channel,
    before: Option<DateTime<Utc>>,
    limit: u64,
) -> Result<Vec<outbound_message::Model>> {
    let mut select = outbound_message::Entity::find()
        .filter(outbound_message::Column::UserId.eq(user_id))
        .filter(outbound_message::Column::Channel.eq(channel));
    if let Some(before) = before {
        select = select.filter(outbound_message::Column::CreatedAt.lt(before));
    }
    Ok(select
        .order_by_desc(outbound_message::Column::CreatedAt)
        .order_by_desc(outbound_message::Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}

/// The message with this id.
pub async fn find(db: &DatabaseConnection, id: i64) -> Result<Option<outbound_message::Model>> {
    Ok(outbound_message::Entity::find_by_id(id).one(db).await?)
}

/// The SMS providers, by id.
pub async fn sms_providers(
    db: &DatabaseConnection,
) -> Result<Vec<crate::entity::phone_sms_provider::Model>> {
    use crate::entity::phone_sms_provider;
    Ok(phone_sms_provider::Entity::find()
        .order_by_asc(phone_sms_provider::Column::Id)
        .all(db)
        .await?)
}

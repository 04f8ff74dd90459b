//! API tokens: issued once, stored as a digest, checked on every request.

use crate::entity::{api_token, user};
use crate::error::Result;
use chrono::{DateTime, Duration, Utc};
use relais_domain::credentials::{generate_token, parse_token, secret_matches};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set,
};
use std::collections::HashMap;

/// How stale `last_used_at` may get before a request refreshes it: one write a minute per
/// token at most, not one per request.
const LAST_USED_GRANULARITY: Duration = Duration::seconds(60);

/// Issue a token for `user_id`; the plain token is returned once and never stored.
pub async fn issue(
    db: &DatabaseConnection,
    user_id: i64,
    label: &str,
    expires_at: Option<DateTime<Utc>>,
) -> Result<(api_token::Model, String)> {
    let token = generate_token();
    let model = api_token::ActiveModel {
        token_id: Set(token.id.clone()),
        secret_hash: Set(token.secret_hash.clone()),
        user_id: Set(user_id),
        label: Set(label.to_owned()),
        created_at: Set(Utc::now()),
        last_used_at: Set(None),
        expires_at: Set(expires_at),
        revoked_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok((model, token.plain))
}

/// The token and its user if `plain` is a live token (right secret, not revoked, not expired).
pub async fn authenticate(
    db: &DatabaseConnection,
    plain: &str,
    now: DateTime<Utc>,
) -> Result<Option<(api_token::Model, user::Model)>> {
    let Some((id, secret)) = parse_token(plain) else {
        return Ok(None);
    };
    let Some(token) = api_token::Entity::find()
        .filter(api_token::Column::TokenId.eq(id))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let live = token.revoked_at.is_none() && token.expires_at.is_none_or(|at| now < at);
    if !live || !secret_matches(secret, &token.secret_hash) {
        return Ok(None);
    }
    let Some(user) = user::Entity::find_by_id(token.user_id).one(db).await? else {
        return Ok(None);
    };
    if needs_touch(token.last_used_at, now) {
        touch(db, token.id, user.id, now).await?;
    }
    Ok(Some((token, user)))
}

/// Whether a token last used at `last_used` should have its use recorded again at `now`.
pub fn needs_touch(last_used: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    last_used.is_none_or(|at| now - at > LAST_USED_GRANULARITY)
}

/// Record that token `token_pk` of `user_id` was used at `now`.
pub async fn touch(
    db: &DatabaseConnection,
    token_pk: i64,
    user_id: i64,
    now: DateTime<Utc>,
) -> Result<()> {
    api_token::ActiveModel {
        id: Set(token_pk),
        last_used_at: Set(Some(now)),
        ..Default::default()
    }
    .update(db)
    .await?;
    crate::users::touch(db, user_id, now).await
}

/// Revoke a token at `now`.
pub async fn revoke(db: &DatabaseConnection, token_pk: i64, now: DateTime<Utc>) -> Result<()> {
    let txn = crate::db::begin_write(db).await?;
    api_token::ActiveModel {
        id: Set(token_pk),
        revoked_at: Set(Some(now)),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    crate::security_epoch::commit(txn).await?;
    Ok(())
}

/// Revoke every live token of the user at `now` (a new password, a deleted account).
pub async fn revoke_all(db: &DatabaseConnection, user_id: i64, now: DateTime<Utc>) -> Result<()> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let txn = crate::db::begin_write(db).await?;
    api_token::Entity::update_many()
        .col_expr(
            api_token::Column::RevokedAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .filter(api_token::Column::UserId.eq(user_id))
        .filter(api_token::Column::RevokedAt.is_null())
        .exec(&txn)
        .await?;
    crate::security_epoch::commit(txn).await?;
    Ok(())
}

/// A token as an operator sees it: its row (whose digest is never shown) and its user's email.
#[derive(Debug, Clone)]
pub struct Listed {
    pub token: api_token::Model,
    pub user_email: String,
}

/// Every token, or those of `user_id`, oldest first, revoked and expired ones included.
pub async fn list(db: &DatabaseConnection, user_id: Option<i64>) -> Result<Vec<Listed>> {
    let mut query = api_token::Entity::find().order_by_asc(api_token::Column::Id);
    if let Some(user_id) = user_id {
        query = query.filter(api_token::Column::UserId.eq(user_id));
    }
    let tokens = query.all(db).await?;
    let mut user_ids: Vec<i64> = tokens.iter().map(|t| t.user_id).collect();
    user_ids.sort_unstable();
    user_ids.dedup();
    let emails: HashMap<i64, String> = user::Entity::find()
        .filter(user::Column::Id.is_in(user_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.email))
        .collect();
    Ok(tokens
        .into_iter()
        .map(|token| Listed {
            user_email: emails.get(&token.user_id).cloned().unwrap_or_default(),
            token,
        })
        .collect())
}

/// The token whose public half is `token_id`.
pub async fn find_by_token_id(
    db: &DatabaseConnection,
    token_id: &str,
) -> Result<Option<api_token::Model>> {
    Ok(api_token::Entity::find()
        .filter(api_token::Column::TokenId.eq(token_id))
        .one(db)
        .await?)
}

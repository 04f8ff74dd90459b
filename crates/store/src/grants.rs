//! Grants: a permission or a role given to a user, globally or within one organizational unit.

use crate::entity::{role, user, user_grant};
use crate::error::{Result, StoreError};
use crate::{roles, units};
use chrono::{DateTime, Utc};
use relais_domain::{Grant, Permission};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set,
};
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

/// What is granted: a permission or a role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Granted {
    Permission(Permission),
    Role(i64),
}

/// A grant as stored, with the role it names, if any.
#[derive(Debug, Clone)]
pub struct GrantRecord {
    pub id: i64,
    pub user_id: i64,
    pub permission: Option<Permission>,
    pub role: Option<roles::Role>,
    pub unit_id: Option<i64>,
    pub write: bool,
    pub start_date: DateTime<Utc>,
    pub end_date: Option<DateTime<Utc>>,
    pub granted_by: Option<i64>,
    pub created_at: DateTime<Utc>,
}

/// The terms of a grant.
#[derive(Debug, Clone)]
pub struct GrantTerms {
    pub unit_id: Option<i64>,
    pub write: bool,
    pub start_date: DateTime<Utc>,
    pub end_date: Option<DateTime<Utc>>,
    pub granted_by: Option<i64>,
}

/// Every grant of `user_id`, role grants expanded into one grant per permission of the role,
/// with the contents of their units: what access checks are made against.
pub async fn effective(db: &DatabaseConnection, user_id: i64) -> Result<Vec<Grant>> {
    let rows = user_grant::Entity::find()
        .filter(user_grant::Column::UserId.eq(user_id))
        .all(db)
        .await?;
    expand(db, rows).await
}

async fn expand(db: &DatabaseConnection, rows: Vec<user_grant::Model>) -> Result<Vec<Grant>> {
    let role_ids: Vec<i64> = rows.iter().filter_map(|r| r.role_id).collect();
    let role_perms = if role_ids.is_empty() {
        HashMap::new()
    } else {
        roles::permissions_of(db, Some(&role_ids)).await?
    };
    let unit_ids: Vec<i64> = rows.iter().filter_map(|r| r.unit_id).collect();
    let units: HashMap<i64, Arc<_>> = units::get_many(db, &unit_ids)
        .await?
        .into_iter()
        .map(|(id, u)| (id, Arc::new(u.scope())))
        .collect();
    let mut out = Vec::new();
    for row in rows {
        let permissions: Vec<Permission> = match (&row.permission, row.role_id) {
            (Some(p), _) => p.parse().into_iter().collect(),
            (None, Some(role)) => role_perms
                .get(&role)
                .map(|s| s.iter().copied().collect())
                .unwrap_or_default(),
            (None, None) => Vec::new(),
        };
        let unit = match row.unit_id {
            None => None,
            // A grant whose unit cannot be read gives nothing rather than everything.
            Some(id) => match units.get(&id) {
                Some(u) => Some(u.clone()),
                None => continue,
            },
        };
        out.extend(permissions.into_iter().map(|permission| Grant {
            permission,
            write: row.write,
            unit: unit.clone(),
            start_date: row.start_date,
            end_date: row.end_date,
        }));
    }
    Ok(out)
}

/// The grants of `user_id` as stored, newest first.
pub async fn of_user(db: &DatabaseConnection, user_id: i64) -> Result<Vec<GrantRecord>> {
    let rows = user_grant::Entity::find()
        .filter(user_grant::Column::UserId.eq(user_id))
        .order_by_desc(user_grant::Column::Id)
        .all(db)
        .await?;
    records(db, rows).await
}

/// The grants made within unit `unit_id`, with their users, grouped by user (by user id).
pub async fn in_unit(
    db: &DatabaseConnection,
    unit_id: i64,
) -> Result<Vec<(user::Model, Vec<GrantRecord>)>> {
    let rows = user_grant::Entity::find()
        .filter(user_grant::Column::UnitId.eq(unit_id))
        .order_by_asc(user_grant::Column::UserId)
        .order_by_asc(user_grant::Column::Id)
        .all(db)
        .await?;
    let user_ids: BTreeSet<i64> = rows.iter().map(|r| r.user_id).collect();
    let users: HashMap<i64, user::Model> = user::Entity::find()
        .filter(user::Column::Id.is_in(user_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u))
        .collect();
    let mut grouped: Vec<(user::Model, Vec<GrantRecord>)> = Vec::new();
    for record in records(db, rows).await? {
        match grouped.last_mut() {
            Some((u, list)) if u.id == record.user_id => list.push(record),
            _ => {
                if let Some(u) = users.get(&record.user_id) {
                    grouped.push((u.clone(), vec![record]));
                }
            }
        }
    }
    Ok(grouped)
}

async fn records(
    db: &DatabaseConnection,
    rows: Vec<user_grant::Model>,
) -> Result<Vec<GrantRecord>> {
    let role_ids: BTreeSet<i64> = rows.iter().filter_map(|r| r.role_id).collect();
    let mut role_map: HashMap<i64, roles::Role> = HashMap::new();
    if !role_ids.is_empty() {
        let ids: Vec<i64> = role_ids.into_iter().collect();
        let mut perms = roles::permissions_of(db, Some(&ids)).await?;
        for r in role::Entity::find()
            .filter(role::Column::Id.is_in(ids))
            .all(db)
            .await?
        {
            role_map.insert(
                r.id,
                roles::Role {
                    permissions: perms.remove(&r.id).unwrap_or_default(),
                    id: r.id,
                    key: r.key,
                    created_at: r.created_at,
                },
            );
        }
    }
    Ok(rows
        .into_iter()
        .map(|r| GrantRecord {
            id: r.id,
            user_id: r.user_id,
            permission: r.permission.as_deref().and_then(|p| p.parse().ok()),
            role: r.role_id.and_then(|id| role_map.get(&id).cloned()),
            unit_id: r.unit_id,
            write: r.write,
            start_date: r.start_date,
            end_date: r.end_date,
            granted_by: r.granted_by,
            created_at: r.created_at,
        })
        .collect())
}

fn same_grant(user_id: i64, what: Granted, unit_id: Option<i64>) -> Condition {
    let what = match what {
        Granted::Permission(p) => user_grant::Column::Permission.eq(p.key()),
        Granted::Role(id) => user_grant::Column::RoleId.eq(id),
    };
    let unit = match unit_id {
        Some(id) => user_grant::Column::UnitId.eq(id),
        None => user_grant::Column::UnitId.is_null(),
    };
    Condition::all()
        .add(user_grant::Column::UserId.eq(user_id))
        .add(what)
        .add(unit)
}

/// Give `what` to `user_id` on `terms`. A user holds a given permission or role at most once
/// per unit (or globally): granting it again overwrites the terms of the existing grant.
pub async fn put(
    db: &DatabaseConnection,
    user_id: i64,
    what: Granted,
    terms: GrantTerms,
) -> Result<user_grant::Model> {
    let txn = crate::db::begin_write(db).await?;
    if let Some(unit_id) = terms.unit_id
        && units::get(&txn, unit_id).await?.is_none()
    {
        return Err(StoreError::NotFound {
            entity: "organizational unit",
        });
    }
    let existing = user_grant::Entity::find()
        .filter(same_grant(user_id, what, terms.unit_id))
        .one(&txn)
        .await?;
    let (permission, role_id) = match what {
        Granted::Permission(p) => (Some(p.key().to_owned()), None),
        Granted::Role(id) => (None, Some(id)),
    };
    let mut model = user_grant::ActiveModel {
        user_id: Set(user_id),
        permission: Set(permission),
        role_id: Set(role_id),
        unit_id: Set(terms.unit_id),
        write: Set(terms.write),
        start_date: Set(terms.start_date),
        end_date: Set(terms.end_date),
        granted_by: Set(terms.granted_by),
        created_at: Set(Utc::now()),
        ..Default::default()
    };
    let saved = match existing {
        Some(row) => {
            model.id = Set(row.id);
            model.created_at = Set(row.created_at);
            model.update(&txn).await?
        }
        None => model.insert(&txn).await?,
    };
    crate::security_epoch::commit(txn).await?;
    Ok(saved)
}

/// Take `what` back from `user_id` in `unit_id` (globally when `None`); false if not held.
pub async fn remove(
    db: &DatabaseConnection,
    user_id: i64,
    what: Granted,
    unit_id: Option<i64>,
) -> Result<bool> {
    let txn = crate::db::begin_write(db).await?;
    let result = user_grant::Entity::delete_many()
        .filter(same_grant(user_id, what, unit_id))
        .exec(&txn)
        .await?;
    crate::security_epoch::commit(txn).await?;
    Ok(result.rows_affected > 0)
}

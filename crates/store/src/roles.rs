//! Roles: named sets of permissions.

use crate::entity::{role, role_permission};
use crate::error::{Result, StoreError, conflict_on};
use chrono::{DateTime, Utc};
use relais_domain::Permission;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set,
};
use std::collections::{BTreeSet, HashMap};

/// A role and the permissions it gives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Role {
    pub id: i64,
    pub key: String,
    pub permissions: BTreeSet<Permission>,
    pub created_at: DateTime<Utc>,
}

/// Every role, by key.
pub async fn list(db: &DatabaseConnection) -> Result<Vec<Role>> {
    let roles = role::Entity::find()
        .order_by_asc(role::Column::Key)
        .all(db)
        .await?;
    let mut perms = permissions_of(db, None).await?;
    Ok(roles
        .into_iter()
        .map(|r| assemble(r.clone(), perms.remove(&r.id).unwrap_or_default()))
        .collect())
}

pub async fn find_by_key(db: &DatabaseConnection, key: &str) -> Result<Option<Role>> {
    let Some(model) = role::Entity::find()
        .filter(role::Column::Key.eq(key))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let mut perms = permissions_of(db, Some(&[model.id])).await?;
    let own = perms.remove(&model.id).unwrap_or_default();
    Ok(Some(assemble(model, own)))
}

/// The permissions of the given roles (all roles when `None`).
pub(crate) async fn permissions_of(
    db: &impl sea_orm::ConnectionTrait,
    roles: Option<&[i64]>,
) -> Result<HashMap<i64, BTreeSet<Permission>>> {
    let mut query = role_permission::Entity::find();
    if let Some(ids) = roles {
        query = query.filter(role_permission::Column::RoleId.is_in(ids.iter().copied()));
    }
    let mut out: HashMap<i64, BTreeSet<Permission>> = HashMap::new();
    for row in query.all(db).await? {
        match row.permission.parse::<Permission>() {
            Ok(p) => {
                out.entry(row.role_id).or_default().insert(p);
            }
            Err(e) => tracing::warn!(role_id = row.role_id, "ignoring stored {e}"),
        }
    }
    Ok(out)
}

pub async fn create(
    db: &DatabaseConnection,
    key: &str,
    permissions: &BTreeSet<Permission>,
) -> Result<Role> {
    let txn = crate::db::begin_write(db).await?;
    let model = role::ActiveModel {
        key: Set(key.to_owned()),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(conflict_on("key"))?;
    insert_permissions(&txn, model.id, permissions).await?;
    txn.commit().await?;
    Ok(assemble(model, permissions.clone()))
}

/// Add then remove permissions of the role `key`.
pub async fn update(
    db: &DatabaseConnection,
    key: &str,
    to_add: &BTreeSet<Permission>,
    to_remove: &BTreeSet<Permission>,
) -> Result<Role> {
    let txn = crate::db::begin_write(db).await?;
    let model = role::Entity::find()
        .filter(role::Column::Key.eq(key))
        .one(&txn)
        .await?
        .ok_or(StoreError::NotFound { entity: "role" })?;
    let current = permissions_of(&txn, Some(&[model.id]))
        .await?
        .remove(&model.id)
        .unwrap_or_default();
    let missing: BTreeSet<_> = to_add.difference(&current).copied().collect();
    insert_permissions(&txn, model.id, &missing).await?;
    if !to_remove.is_empty() {
        role_permission::Entity::delete_many()
            .filter(role_permission::Column::RoleId.eq(model.id))
            .filter(role_permission::Column::Permission.is_in(to_remove.iter().map(|p| p.key())))
            .exec(&txn)
            .await?;
    }
    // Everyone holding the role holds the change at once.
    crate::security_epoch::commit(txn).await?;
    let permissions = current
        .union(to_add)
        .filter(|p| !to_remove.contains(p))
        .copied()
        .collect();
    Ok(assemble(model, permissions))
}

async fn insert_permissions(
    txn: &impl sea_orm::ConnectionTrait,
    role_id: i64,
    permissions: &BTreeSet<Permission>,
) -> Result<()> {
    if permissions.is_empty() {
        return Ok(());
    }
    let rows = permissions.iter().map(|p| role_permission::ActiveModel {
        role_id: Set(role_id),
        permission: Set(p.key().to_owned()),
    });
    role_permission::Entity::insert_many(rows).exec(txn).await?;
    Ok(())
}

fn assemble(model: role::Model, permissions: BTreeSet<Permission>) -> Role {
    Role {
        id: model.id,
        key: model.key,
        permissions,
        created_at: model.created_at,
    }
}

//! Setting up who runs the server: the administrator role and administrators.

use crate::entity::user;
use crate::error::Result;
use crate::grants::{self, GrantTerms, Granted};
use crate::{roles, users};
use chrono::Utc;
use relais_domain::Permission;
use sea_orm::DatabaseConnection;
use std::collections::BTreeSet;

/// The key of the role that holds every permission.
pub const ADMIN_ROLE: &str = "administrator";

/// The administrator role, created if missing and brought up to every permission.
pub async fn admin_role(db: &DatabaseConnection) -> Result<roles::Role> {
    let all: BTreeSet<Permission> = Permission::ALL.iter().copied().collect();
    match roles::find_by_key(db, ADMIN_ROLE).await? {
        None => roles::create(db, ADMIN_ROLE, &all).await,
        Some(role) if role.permissions == all => Ok(role),
        Some(_) => roles::update(db, ADMIN_ROLE, &all, &BTreeSet::new()).await,
    }
}

/// Create a user holding the administrator role globally, with write, forever.
pub async fn create_admin(db: &DatabaseConnection, new: users::NewUser) -> Result<user::Model> {
    let role = admin_role(db).await?;
    let user = users::create(db, new).await?;
    grants::put(
        db,
        user.id,
        Granted::Role(role.id),
        GrantTerms {
            unit_id: None,
            write: true,
            start_date: Utc::now(),
            end_date: None,
            granted_by: None,
        },
    )
    .await?;
    Ok(user)
}

/// Whether no user exists yet.
pub async fn is_empty(db: &DatabaseConnection) -> Result<bool> {
    use sea_orm::{EntityTrait, PaginatorTrait};
    Ok(user::Entity::find().count(db).await? == 0)
}

//! The partner address book (seeds 000, 001, 002).
//!
//! A requester acts for its *account* company (a `partner_companies` row with `account` set),
//! as one of its managers. Its address book is the companies whose `book_company_id` is its
//! account company, plus the account company itself; its contacts are the `partner_contacts`
//! of that book; its truckers are the `partner_truckers` of the account company.

use crate::entity::{partner_company, partner_contact, partner_manager, partner_trucker, user};
use crate::error::{Result, StoreError, conflict_on};
use crate::users::NewUser;
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Condition;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, NotSet, QueryFilter, QueryOrder, Set,
};

/// How long an invite code stays redeemable.
pub const INVITE_CODE_LIFETIME: Duration = Duration::days(7);

/// How an object is identified in a path: by its own id or by the requester's `remote_id`.
#[derive(Debug, Clone)]
pub enum Lookup {
    Pk(String),
    RemoteId(String),
}

/// The account company a user manages, if any.
pub async fn account_of(db: &impl ConnectionTrait, user_id: i64) -> Result<Option<i64>> {
    Ok(partner_manager::Entity::find()
        .filter(partner_manager::Column::UserId.eq(user_id))
        .one(db)
        .await?
        .map(|m| m.company_id))
}

/// A new account company named `company` with a new manager user `email`. An email that
/// already belongs to a user is refused (`Conflict` on `email`): whoever sets up a partner
/// account gets its token, so the manager must be a new user, never an existing one (staff,
/// rider or another partner) whose credential this would hand out.
pub async fn create_account(
    db: &DatabaseConnection,
    company: &str,
    email: &str,
) -> Result<(partner_company::Model, user::Model)> {
    let email = relais_domain::credentials::normalize_email(email);
    let txn = crate::db::begin_write(db).await?;
    if user::Entity::find()
        .filter(user::Column::Email.eq(email.clone()))
        .one(&txn)
        .await?
        .is_some()
    {
        return Err(StoreError::Conflict { field: "email" });
    }
    let user = crate::users::create(
        &txn,
        NewUser {
            email: email.clone(),
            ..Default::default()
        },
    )
    .await?;
    let now = Utc::now();
    let company = insert_company(
        &txn,
        partner_company::Model {
            account: true,
            created_by_user_id: Some(user.id),
            name: company.trim().to_owned(),
            email,
            ..blank_company(now)
        },
    )
    .await?;
    partner_manager::ActiveModel {
        company_id: Set(company.id),
        user_id: Set(user.id),
        role: Set("admin".into()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok((company, user))
}

/// A company with every column empty (id 0 until inserted).
pub fn blank_company(now: DateTime<Utc>) -> partner_company::Model {
    partner_company::Model {
        id: 0,
        account: false,
        book_company_id: None,
        created_by_user_id: None,
        third_party_id: None,
        remote_id: None,
        invoicing_remote_id: None,
        name: String::new(),
        email: String::new(),
        phone_number: String::new(),
        siren: String::new(),
        trade_number: String::new(),
        vat_number: String::new(),
        country: String::new(),
        notes: String::new(),
        address_name: String::new(),
        address: String::new(),
        city: String::new(),
        postcode: String::new(),
        address_country: String::new(),
        latitude: None,
        longitude: None,
        radius: 500,
        coords_validated: false,
        instructions: String::new(),
        address_remote_id: None,
        created_at: now,
        updated_at: now,
    }
}

fn book_condition(book: i64) -> Condition {
    Condition::any()
        .add(partner_company::Column::BookCompanyId.eq(book))
        .add(partner_company::Column::Id.eq(book))
}

/// A window of a list (the partner surface pages by page number).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub offset: u64,
    pub limit: u64,
}

/// How many rows `query` has, and the rows of `window` of it by id (oldest first).
async fn windowed<E: EntityTrait>(
    db: &DatabaseConnection,
    query: sea_orm::Select<E>,
    id: E::Column,
    window: impl FnOnce(u64) -> Option<Window>,
) -> Result<(u64, Vec<E::Model>)>
where
    E::Model: Sync,
{
    use sea_orm::{PaginatorTrait, QuerySelect};
    let count = query.clone().count(db).await?;
    let Some(window) = window(count) else {
        return Ok((count, Vec::new()));
    };
    let rows = query
        .order_by_asc(id)
        .offset(window.offset)
        .limit(window.limit)
        .all(db)
        .await?;
    Ok((count, rows))
}

/// The companies of the address book of `book` whose name contains `name` (without regard
/// to case) when given: how many, and those of the window `window` picks from that count.
pub async fn company_page(
    db: &DatabaseConnection,
    book: i64,
    name: Option<&str>,
    window: impl FnOnce(u64) -> Option<Window>,
) -> Result<(u64, Vec<partner_company::Model>)> {
    let mut query = partner_company::Entity::find().filter(book_condition(book));
    if let Some(name) = name {
        query = query.filter(crate::text::contains_ignoring_case(
            sea_orm::sea_query::Expr::col(partner_company::Column::Name),
            name,
        ));
    }
    windowed(db, query, partner_company::Column::Id, window).await
}

/// The contacts of the address book of `book`: how many, and those of the window.
pub async fn contact_page(
    db: &DatabaseConnection,
    book: i64,
    window: impl FnOnce(u64) -> Option<Window>,
) -> Result<(u64, Vec<partner_contact::Model>)> {
    let query =
        partner_contact::Entity::find().filter(partner_contact::Column::BookCompanyId.eq(book));
    windowed(db, query, partner_contact::Column::Id, window).await
}

/// The truckers of a company: how many, and those of the window.
pub async fn trucker_page(
    db: &DatabaseConnection,
    company: i64,
    window: impl FnOnce(u64) -> Option<Window>,
) -> Result<(u64, Vec<partner_trucker::Model>)> {
    let query =
        partner_trucker::Entity::find().filter(partner_trucker::Column::CompanyId.eq(company));
    windowed(db, query, partner_trucker::Column::Id, window).await
}

/// The contacts of the address book of `book` that belong to one of `companies`, oldest
/// first, in one query.
pub async fn contacts_of(
    db: &impl ConnectionTrait,
    book: i64,
    companies: Vec<i64>,
) -> Result<Vec<partner_contact::Model>> {
    if companies.is_empty() {
        return Ok(Vec::new());
    }
    Ok(partner_contact::Entity::find()
        .filter(partner_contact::Column::BookCompanyId.eq(book))
        .filter(partner_contact::Column::CompanyId.is_in(companies))
        .order_by_asc(partner_contact::Column::Id)
        .all(db)
        .await?)
}

/// Every company of the address book of `book`, oldest first.
pub async fn companies(
    db: &impl ConnectionTrait,
    book: i64,
) -> Result<Vec<partner_company::Model>> {
    Ok(partner_company::Entity::find()
        .filter(book_condition(book))
        .order_by_asc(partner_company::Column::Id)
        .all(db)
        .await?)
}

/// A company of the address book of `book`.
pub async fn company(
    db: &impl ConnectionTrait,
    book: i64,
    lookup: &Lookup,
) -> Result<partner_company::Model> {
    let mut query = partner_company::Entity::find().filter(book_condition(book));
    query = match lookup {
        Lookup::Pk(pk) => match pk.parse::<i64>() {
            Ok(id) => query.filter(partner_company::Column::Id.eq(id)),
            Err(_) => return Err(StoreError::NotFound { entity: "company" }),
        },
        Lookup::RemoteId(remote) => {
            query.filter(partner_company::Column::RemoteId.eq(remote.clone()))
        }
    };
    query
        .one(db)
        .await?
        .ok_or(StoreError::NotFound { entity: "company" })
}

/// Companies by id (for nesting in contacts).
pub async fn companies_by_id(
    db: &impl ConnectionTrait,
    ids: Vec<i64>,
) -> Result<Vec<partner_company::Model>> {
    Ok(partner_company::Entity::find()
        .filter(partner_company::Column::Id.is_in(ids))
        .all(db)
        .await?)
}

pub async fn insert_company(
    db: &impl ConnectionTrait,
    model: partner_company::Model,
) -> Result<partner_company::Model> {
    let mut model = partner_company::ActiveModel::from(model).reset_all();
    model.id = NotSet;
    model.insert(db).await.map_err(conflict_on("remote_id"))
}

pub async fn update_company(
    db: &impl ConnectionTrait,
    model: partner_company::Model,
) -> Result<partner_company::Model> {
    let model = partner_company::ActiveModel::from(model).reset_all();
    model.update(db).await.map_err(conflict_on("remote_id"))
}

/// The managers of these companies, with their users.
pub async fn managers(
    db: &impl ConnectionTrait,
    company_ids: Vec<i64>,
) -> Result<Vec<(partner_manager::Model, user::Model)>> {
    let managers = partner_manager::Entity::find()
        .filter(partner_manager::Column::CompanyId.is_in(company_ids))
        .order_by_asc(partner_manager::Column::Id)
        .all(db)
        .await?;
    let users = user::Entity::find()
        .filter(user::Column::Id.is_in(managers.iter().map(|m| m.user_id).collect::<Vec<_>>()))
        .all(db)
        .await?;
    Ok(managers
        .into_iter()
        .filter_map(|m| {
            let user = users.iter().find(|u| u.id == m.user_id)?.clone();
            Some((m, user))
        })
        .collect())
}

/// Users by id.
pub async fn users(db: &impl ConnectionTrait, ids: Vec<i64>) -> Result<Vec<user::Model>> {
    Ok(user::Entity::find()
        .filter(user::Column::Id.is_in(ids))
        .all(db)
        .await?)
}

/// The contacts of the address book of `book`, oldest first, optionally of one company.
pub async fn contacts(
    db: &impl ConnectionTrait,
    book: i64,
    company_id: Option<i64>,
) -> Result<Vec<partner_contact::Model>> {
    let mut query =
        partner_contact::Entity::find().filter(partner_contact::Column::BookCompanyId.eq(book));
    if let Some(id) = company_id {
        query = query.filter(partner_contact::Column::CompanyId.eq(id));
    }
    Ok(query
        .order_by_asc(partner_contact::Column::Id)
        .all(db)
        .await?)
}

/// A contact of the address book of `book`.
pub async fn contact(
    db: &impl ConnectionTrait,
    book: i64,
    lookup: &Lookup,
) -> Result<partner_contact::Model> {
    let query =
        partner_contact::Entity::find().filter(partner_contact::Column::BookCompanyId.eq(book));
    let query = match lookup {
        Lookup::Pk(uid) => query.filter(partner_contact::Column::Uid.eq(uid.to_lowercase())),
        Lookup::RemoteId(remote) => {
            query.filter(partner_contact::Column::RemoteId.eq(remote.clone()))
        }
    };
    query
        .one(db)
        .await?
        .ok_or(StoreError::NotFound { entity: "contact" })
}

pub async fn insert_contact(
    db: &impl ConnectionTrait,
    model: partner_contact::Model,
) -> Result<partner_contact::Model> {
    let mut model = partner_contact::ActiveModel::from(model).reset_all();
    model.id = NotSet;
    model.insert(db).await.map_err(conflict_on("remote_id"))
}

pub async fn update_contact(
    db: &impl ConnectionTrait,
    model: partner_contact::Model,
) -> Result<partner_contact::Model> {
    let model = partner_contact::ActiveModel::from(model).reset_all();
    model.update(db).await.map_err(conflict_on("remote_id"))
}

pub async fn delete_contact(db: &impl ConnectionTrait, id: i64) -> Result<()> {
    partner_contact::Entity::delete_by_id(id).exec(db).await?;
    Ok(())
}

/// The truckers of a company, oldest first.
pub async fn truckers(
    db: &impl ConnectionTrait,
    company: i64,
) -> Result<Vec<partner_trucker::Model>> {
    Ok(partner_trucker::Entity::find()
        .filter(partner_trucker::Column::CompanyId.eq(company))
        .order_by_asc(partner_trucker::Column::Id)
        .all(db)
        .await?)
}

/// A trucker of a company.
pub async fn trucker(
    db: &impl ConnectionTrait,
    company: i64,
    lookup: &Lookup,
) -> Result<partner_trucker::Model> {
    let query =
        partner_trucker::Entity::find().filter(partner_trucker::Column::CompanyId.eq(company));
    let query = match lookup {
        Lookup::Pk(pk) => match pk.parse::<i64>() {
            Ok(id) => query.filter(partner_trucker::Column::Id.eq(id)),
            Err(_) => return Err(StoreError::NotFound { entity: "trucker" }),
        },
        Lookup::RemoteId(remote) => {
            query.filter(partner_trucker::Column::RemoteId.eq(remote.clone()))
        }
    };
    query
        .one(db)
        .await?
        .ok_or(StoreError::NotFound { entity: "trucker" })
}

pub async fn insert_trucker(
    db: &impl ConnectionTrait,
    model: partner_trucker::Model,
) -> Result<partner_trucker::Model> {
    let mut model = partner_trucker::ActiveModel::from(model).reset_all();
    model.id = NotSet;
    model.insert(db).await.map_err(conflict_on("remote_id"))
}

pub async fn update_trucker(
    db: &impl ConnectionTrait,
    model: partner_trucker::Model,
) -> Result<partner_trucker::Model> {
    let model = partner_trucker::ActiveModel::from(model).reset_all();
    model.update(db).await.map_err(conflict_on("remote_id"))
}

/// A new invite code for a trucker, replacing (and so invalidating) the previous one. The code
/// is 20 characters of an unambiguous 32-letter alphabet drawn from the OS generator (about 95 bits).
pub async fn generate_invite_code(
    db: &impl ConnectionTrait,
    trucker: partner_trucker::Model,
    now: DateTime<Utc>,
) -> Result<partner_trucker::Model> {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    // A v4 UUID is 122 bits from the operating system's generator; 16 bytes, 5 bits used each.
    let bytes = *uuid::Uuid::new_v4().as_bytes();
    let more = *uuid::Uuid::new_v4().as_bytes();
    let code: String = bytes
        .iter()
        .chain(more.iter().take(4))
        .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
        .collect();
    let mut model = trucker.into_active_model();
    model.invite_code = Set(Some(code));
    model.invite_code_expires_at = Set(Some(now + INVITE_CODE_LIFETIME));
    Ok(model.update(db).await?)
}

/// Redeem an invite code: the trucker it was issued for (its code is consumed), linked to a user
/// (created for it if it had none). `None` if the code is unknown, used or expired.
pub async fn redeem_invite_code(
    db: &DatabaseConnection,
    code: &str,
    now: DateTime<Utc>,
) -> Result<Option<(partner_trucker::Model, user::Model)>> {
    let code = code.trim().to_uppercase();
    if code.is_empty() {
        return Ok(None);
    }
    let Some(trucker) = partner_trucker::Entity::find()
        .filter(partner_trucker::Column::InviteCode.eq(code))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    // Consume first, conditionally on the code still being there: two concurrent redemptions
    // cannot both succeed.
    let consumed = partner_trucker::Entity::update_many()
        .col_expr(
            partner_trucker::Column::InviteCode,
            sea_orm::sea_query::Expr::value(Option::<String>::None),
        )
        .col_expr(
            partner_trucker::Column::InviteCodeExpiresAt,
            sea_orm::sea_query::Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(partner_trucker::Column::Id.eq(trucker.id))
        .filter(partner_trucker::Column::InviteCode.eq(trucker.invite_code.clone()))
        .exec(db)
        .await?;
    if consumed.rows_affected != 1 || trucker.invite_code_expires_at.is_none_or(|at| at <= now) {
        return Ok(None);
    }
    let user = match trucker.user_id {
        Some(id) => user::Entity::find_by_id(id).one(db).await?,
        None => None,
    };
    let user = match user {
        Some(user) => user,
        None => {
            let user = crate::users::create(
                db,
                NewUser {
                    email: format!("trucker-{}@drivers.relais.invalid", trucker.id),
                    phone: (!trucker.phone_number.is_empty()).then(|| trucker.phone_number.clone()),
                    ..Default::default()
                },
            )
            .await?;
            let mut model = partner_trucker::ActiveModel {
                id: Set(trucker.id),
                ..Default::default()
            };
            model.user_id = Set(Some(user.id));
            model.update(db).await?;
            user
        }
    };
    let trucker = partner_trucker::Entity::find_by_id(trucker.id)
        .one(db)
        .await?
        .ok_or(StoreError::NotFound { entity: "trucker" })?;
    Ok(Some((trucker, user)))
}

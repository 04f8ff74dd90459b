//! Users: people with an account, riders and staff alike; the networks they have interacted
//! with; the staff's lists and searches of them; blocking.

use crate::entity::{app_label, user, user_network};
use crate::error::{Result, StoreError, conflict_on};
use crate::pagination::{Keyset, PageOf, SortDir};
use crate::text::contains_ignoring_case;
use chrono::{DateTime, Utc};
use relais_domain::credentials::normalize_email;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query, SimpleExpr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbBackend,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use std::collections::{BTreeSet, HashMap};

/// What it takes to create a user.
#[derive(Debug, Clone, Default)]
pub struct NewUser {
    pub email: String,
    /// An argon2id hash, never a password.
    pub password_hash: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub phone: Option<String>,
    pub language: Option<String>,
    pub app_label_id: Option<i64>,
    pub terms_accepted_at: Option<DateTime<Utc>>,
}

pub async fn create(db: &impl ConnectionTrait, new: NewUser) -> Result<user::Model> {
    let now = Utc::now();
    user::ActiveModel {
        email: Set(normalize_email(&new.email)),
        password_hash: Set(new.password_hash),
        first_name: Set(new.first_name),
        last_name: Set(new.last_name),
        phone: Set(new.phone),
        language: Set(new.language.unwrap_or_else(|| "en".into())),
        app_label_id: Set(new.app_label_id),
        blocked: Set(false),
        blocked_at: Set(None),
        created_at: Set(now),
        // Signing up is the first activity: the lists sort on it, never on a null.
        last_activity_at: Set(Some(now)),
        trip_count: Set(0),
        pre_auth_disabled: Set(false),
        terms_accepted_at: Set(new.terms_accepted_at),
        ..Default::default()
    }
    .insert(db)
    .await
    .map_err(conflict_on("email"))
}

pub async fn find(db: &DatabaseConnection, id: i64) -> Result<Option<user::Model>> {
    Ok(user::Entity::find_by_id(id).one(db).await?)
}

pub async fn find_by_email(db: &DatabaseConnection, email: &str) -> Result<Option<user::Model>> {
    Ok(user::Entity::find()
        .filter(user::Column::Email.eq(normalize_email(email)))
        .one(db)
        .await?)
}

/// Replace the password hash of a user.
pub async fn set_password_hash(db: &DatabaseConnection, id: i64, hash: String) -> Result<()> {
    user::ActiveModel {
        id: Set(id),
        password_hash: Set(Some(hash)),
        ..Default::default()
    }
    .update(db)
    .await?;
    Ok(())
}

/// Who blocked a user, when and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    pub at: DateTime<Utc>,
    pub by: Option<i64>,
    pub reason: Option<String>,
}

/// Block (`Some`) or unblock (`None`) the user: a blocked user's tokens are refused from
/// the next request on, in every server (it is a security change: see `security_epoch`).
pub async fn set_blocked(db: &DatabaseConnection, id: i64, block: Option<Block>) -> Result<()> {
    let txn = crate::db::begin_write(db).await?;
    user::ActiveModel {
        id: Set(id),
        blocked: Set(block.is_some()),
        blocked_at: Set(block.as_ref().map(|b| b.at)),
        blocked_by: Set(block.as_ref().and_then(|b| b.by)),
        blocked_reason: Set(block.and_then(|b| b.reason)),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    crate::security_epoch::commit(txn).await?;
    Ok(())
}

/// Record that the user did something at `now`.
pub async fn touch(db: &DatabaseConnection, id: i64, now: DateTime<Utc>) -> Result<()> {
    user::ActiveModel {
        id: Set(id),
        last_activity_at: Set(Some(now)),
        ..Default::default()
    }
    .update(db)
    .await?;
    Ok(())
}

/// The user with this id, or `NotFound`.
pub async fn get(db: &impl ConnectionTrait, id: i64) -> Result<user::Model> {
    user::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(StoreError::NotFound { entity: "user" })
}

/// Record that the user interacted with the network at `now` (the seed's rule for belonging
/// to a network): the first time makes them a member, later times move their last activity.
pub async fn join_network(
    db: &impl ConnectionTrait,
    user_id: i64,
    network_id: i64,
    now: DateTime<Utc>,
) -> Result<()> {
    user_network::Entity::insert(user_network::ActiveModel {
        user_id: Set(user_id),
        network_id: Set(network_id),
        first_at: Set(now),
        last_at: Set(now),
    })
    .on_conflict(
        OnConflict::columns([
            user_network::Column::UserId,
            user_network::Column::NetworkId,
        ])
        .update_column(user_network::Column::LastAt)
        .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    user::Entity::update_many()
        .col_expr(user::Column::LastActivityAt, Expr::value(now))
        .filter(user::Column::Id.eq(user_id))
        .exec(db)
        .await?;
    Ok(())
}

/// The networks each of `users` belongs to, by user.
pub async fn networks_of(
    db: &impl ConnectionTrait,
    users: &[i64],
) -> Result<HashMap<i64, Vec<user_network::Model>>> {
    let mut by_user: HashMap<i64, Vec<user_network::Model>> = HashMap::new();
    if users.is_empty() {
        return Ok(by_user);
    }
    let ids: BTreeSet<i64> = users.iter().copied().collect();
    for row in user_network::Entity::find()
        .filter(user_network::Column::UserId.is_in(ids))
        .order_by_asc(user_network::Column::NetworkId)
        .all(db)
        .await?
    {
        by_user.entry(row.user_id).or_default().push(row);
    }
    Ok(by_user)
}

/// Where a user belongs as far as scope is concerned: a staff member reaches a user through
/// one of the user's networks or the user's app label.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reach {
    pub networks: Vec<i64>,
    pub app_label: Option<i64>,
}

/// The reach of each of `ids` that exists (deleted accounts included: their records stay).
pub async fn reach(db: &impl ConnectionTrait, ids: &[i64]) -> Result<HashMap<i64, Reach>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(i64, Option<i64>)> = user::Entity::find()
        .select_only()
        .column(user::Column::Id)
        .column(user::Column::AppLabelId)
        .filter(user::Column::Id.is_in(ids.iter().copied()))
        .into_tuple()
        .all(db)
        .await?;
    let networks = networks_of(db, ids).await?;
    Ok(rows
        .into_iter()
        .map(|(id, app_label)| {
            let networks = networks
                .get(&id)
                .map(|rows| rows.iter().map(|r| r.network_id).collect())
                .unwrap_or_default();
            (
                id,
                Reach {
                    networks,
                    app_label,
                },
            )
        })
        .collect())
}

/// What "Get users" filters on. Text filters match a part of the value, without regard to
/// case; dates bound inclusively.
#[derive(Debug, Clone, Default)]
pub struct UserFilter {
    /// Members of any of these networks...
    pub networks: Vec<i64>,
    /// ...or, when set, users of no network at all.
    pub without_network: bool,
    pub id_min: Option<i64>,
    pub id_max: Option<i64>,
    pub email: Option<String>,
    pub last_name: Option<String>,
    pub first_name: Option<String>,
    pub registered_from: Option<DateTime<Utc>>,
    pub registered_to: Option<DateTime<Utc>>,
    pub active_from: Option<DateTime<Utc>>,
    pub active_to: Option<DateTime<Utc>>,
    pub blocked: Option<bool>,
    pub trip_count_min: Option<i64>,
    pub trip_count_max: Option<i64>,
    /// The app label's name, exactly.
    pub label_name: Option<String>,
    /// A part of the phone number.
    pub phone: Option<String>,
    /// The name of the user's organization. Organizations come with their own issue: until
    /// then no user has one, and this filter matches nobody.
    pub organization_name: Option<String>,
}

/// The text columns the user lists match a part of.
#[derive(Debug, Clone, Copy)]
enum TextField {
    Email,
    FirstName,
    LastName,
    Phone,
}

/// The users whose email contains `text` without regard to case (another list's email filter).
pub(crate) fn emails_containing(backend: DbBackend, text: &str) -> Condition {
    text_contains(backend, TextField::Email, text)
}

/// The users whose `field` contains `text` without regard to case, through the text index of
/// each backend: PostgreSQL's `pg_trgm` indexes, SQLite's FTS5 trigram table (`users_search`).
/// Trigrams need three characters: a shorter text is looked for by scanning, on both.
fn text_contains(backend: DbBackend, field: TextField, text: &str) -> Condition {
    let (column, fts) = match field {
        TextField::Email => (user::Column::Email, "email"),
        TextField::FirstName => (user::Column::FirstName, "first_name"),
        TextField::LastName => (user::Column::LastName, "last_name"),
        TextField::Phone => (user::Column::Phone, "phone"),
    };
    if backend == DbBackend::Sqlite && text.chars().count() >= 3 {
        use sea_orm::sea_query::Alias;
        use sea_orm::sea_query::extension::sqlite::SqliteExpr;
        // An FTS5 column filter and phrase: the text between double quotes, its quotes doubled.
        let query = format!("{fts} : \"{}\"", text.replace('"', "\"\""));
        return Condition::all().add(
            user::Column::Id.in_subquery(
                Query::select()
                    .column(Alias::new("rowid"))
                    .from(Alias::new("users_search"))
                    .and_where(Expr::col(Alias::new("users_search")).matches(query))
                    .to_owned(),
            ),
        );
    }
    Condition::all().add(match field {
        // Stored lowercase (emails) or digits (phones): matched as stored, as indexed.
        TextField::Email => column.like(crate::text::contains(&text.to_lowercase())),
        TextField::Phone => column.like(crate::text::contains(text)),
        _ => contains_ignoring_case(column, text),
    })
}

/// The sorts of "Get users".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserSort {
    RegisterAt,
    LastActivity,
    TripCount,
}

impl UserFilter {
    /// The filters that an index serves in the list's order (membership, scope, ids, equal
    /// values), and apart from them those whose own index does not keep it: the parts of texts
    /// and the ranges of columns other than `sorted` (see `Keyset::fetch_narrowed`).
    fn conditions(
        &self,
        backend: DbBackend,
        sorted: user::Column,
    ) -> (Condition, Option<Condition>) {
        let mut belongs = Condition::any().add(member_of(Some(&self.networks)));
        if self.without_network {
            belongs = belongs.add(member_of(None).not());
        }
        let mut base = Condition::all()
            .add(belongs)
            .add(user::Column::DeletedAt.is_null());
        let mut narrowing: Vec<Condition> = Vec::new();
        use user::Column::{CreatedAt, Id, LastActivityAt, TripCount};
        let bounds = [
            (Id, self.id_min.map(|v| Id.gte(v))),
            (Id, self.id_max.map(|v| Id.lte(v))),
            (CreatedAt, self.registered_from.map(|v| CreatedAt.gte(v))),
            (CreatedAt, self.registered_to.map(|v| CreatedAt.lte(v))),
            (
                LastActivityAt,
                self.active_from.map(|v| LastActivityAt.gte(v)),
            ),
            (
                LastActivityAt,
                self.active_to.map(|v| LastActivityAt.lte(v)),
            ),
            (TripCount, self.trip_count_min.map(|v| TripCount.gte(v))),
            (TripCount, self.trip_count_max.map(|v| TripCount.lte(v))),
        ];
        base = crate::pagination::place_bounds(sorted, bounds, base, &mut narrowing);
        for (field, text) in [
            (TextField::Email, &self.email),
            (TextField::FirstName, &self.first_name),
            (TextField::LastName, &self.last_name),
            (TextField::Phone, &self.phone),
        ] {
            if let Some(text) = text {
                let contains = text_contains(backend, field, text);
                if backend == DbBackend::Sqlite {
                    // SQLite reads the FTS5 sub-query whole for each step of a narrowed page
                    // (the 40,000 rowids of `martin` in a million: 35 ms a page, against 9 ms
                    // for its own plan, which walks the ids and stops at the page).
                    base = base.add(contains);
                } else {
                    narrowing.push(contains);
                }
            }
        }
        if let Some(blocked) = self.blocked {
            base = base.add(user::Column::Blocked.eq(blocked));
        }
        if let Some(name) = self.label_name.as_deref() {
            base = base.add(
                user::Column::AppLabelId.in_subquery(
                    Query::select()
                        .column(app_label::Column::Id)
                        .from(app_label::Entity)
                        .and_where(app_label::Column::Name.eq(name))
                        .to_owned(),
                ),
            );
        }
        let narrowed = (!narrowing.is_empty())
            .then(|| narrowing.into_iter().fold(Condition::all(), Condition::add));
        (base, narrowed)
    }
}

/// A page of users under `filter`, by id or by `sort` then id.
pub async fn list(
    db: &DatabaseConnection,
    filter: &UserFilter,
    keyset: &Keyset,
    sort: Option<(UserSort, SortDir)>,
) -> Result<PageOf<user::Model>> {
    if filter.organization_name.is_some() {
        // No user belongs to an organization before organizations exist: nothing to read.
        return Ok(PageOf {
            items: Vec::new(),
            has_more: false,
        });
    }
    let sort = sort.map(|(by, dir)| {
        let column = match by {
            UserSort::RegisterAt => user::Column::CreatedAt,
            UserSort::LastActivity => user::Column::LastActivityAt,
            UserSort::TripCount => user::Column::TripCount,
        };
        (column, dir)
    });
    // Without a sort the list's order is the id's.
    let sorted = sort.map_or(user::Column::Id, |(column, _)| column);
    let (base, narrowing) = filter.conditions(db.get_database_backend(), sorted);
    let select = user::Entity::find().filter(base);
    Ok(keyset
        .fetch_narrowed(db, select, narrowing, user::Column::Id, sort)
        .await?)
}

/// Users whose email contains `term` (without regard to case), the closest first (an exact
/// address, then those starting with it), at most `limit`; among `reach` when given (the
/// caller's networks and app labels).
pub async fn search_by_email(
    db: &DatabaseConnection,
    term: &str,
    within: Option<&Reachable>,
    limit: u64,
) -> Result<Vec<user::Model>> {
    let term = normalize_email(term);
    let mut select = user::Entity::find()
        .filter(text_contains(
            db.get_database_backend(),
            TextField::Email,
            &term,
        ))
        .filter(user::Column::DeletedAt.is_null());
    if let Some(within) = within {
        select = select.filter(within.condition());
    }
    let mut found = select
        .order_by_asc(user::Column::Email)
        .limit(Ord::max(limit.saturating_mul(4), limit))
        .all(db)
        .await?;
    found.sort_by_key(|u| {
        (
            u.email != term,
            !u.email.starts_with(&term),
            u.email.clone(),
        )
    });
    found.truncate(limit as usize);
    Ok(found)
}

/// The users a scope reaches: members of these networks, or of these app labels.
#[derive(Debug, Clone, Default)]
pub struct Reachable {
    pub networks: BTreeSet<i64>,
    pub app_labels: BTreeSet<i64>,
}

impl Reachable {
    pub(crate) fn condition(&self) -> Condition {
        scope_condition(&self.networks, &self.app_labels)
    }
}

/// Users reached by a scope holding `networks` and `app_labels`.
fn scope_condition(networks: &BTreeSet<i64>, app_labels: &BTreeSet<i64>) -> Condition {
    let networks: Vec<i64> = networks.iter().copied().collect();
    Condition::any()
        .add(member_of(Some(&networks)))
        .add(user::Column::AppLabelId.is_in(app_labels.iter().copied()))
}

/// The user is a member of one of `networks`, or of any network for `None`: an EXISTS on the
/// membership's primary key.
fn member_of(networks: Option<&[i64]>) -> SimpleExpr {
    let mut query = Query::select()
        .expr(Expr::val(1))
        .from(user_network::Entity)
        .and_where(
            Expr::col((user_network::Entity, user_network::Column::UserId))
                .equals((user::Entity, user::Column::Id)),
        )
        .to_owned();
    if let Some(networks) = networks {
        query.and_where(
            Expr::col((user_network::Entity, user_network::Column::NetworkId))
                .is_in(networks.iter().copied()),
        );
    }
    Expr::exists(query)
}

/// The users among `ids` that `scope` reaches (all of them without a scope), by id.
pub(crate) async fn within(
    db: &DatabaseConnection,
    ids: impl IntoIterator<Item = i64>,
    scope: Option<&Reachable>,
) -> Result<HashMap<i64, user::Model>> {
    let mut select = user::Entity::find().filter(user::Column::Id.is_in(ids));
    if let Some(scope) = scope {
        select = select.filter(scope.condition());
    }
    Ok(select
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u))
        .collect())
}

/// The users among `ids`, by id.
pub async fn by_ids(db: &impl ConnectionTrait, ids: &[i64]) -> Result<HashMap<i64, user::Model>> {
    Ok(
        crate::map_by_ids::<user::Entity>(db, user::Column::Id, ids.iter().copied(), |u| u.id)
            .await?,
    )
}

/// Turn staff's bank guarantee (pre-authorisation) off or back on for this rider.
pub async fn set_pre_auth_disabled(db: &DatabaseConnection, id: i64, disabled: bool) -> Result<()> {
    user::Entity::update_many()
        .col_expr(user::Column::PreAuthDisabled, Expr::value(disabled))
        .filter(user::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Mark the user's email (`phone: false`) or phone (`phone: true`) confirmed at `now`.
pub async fn confirm(
    db: &DatabaseConnection,
    id: i64,
    phone: bool,
    now: DateTime<Utc>,
) -> Result<()> {
    let column = if phone {
        user::Column::PhoneConfirmedAt
    } else {
        user::Column::EmailConfirmedAt
    };
    user::Entity::update_many()
        .col_expr(column, Expr::value(now))
        .filter(user::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// What a rider may change of their profile; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct ProfileChange {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub language: Option<String>,
    /// A new phone number, which then needs confirming again.
    pub phone: Option<String>,
}

/// Change the user's profile.
pub async fn update_profile(
    db: &DatabaseConnection,
    id: i64,
    change: ProfileChange,
) -> Result<user::Model> {
    let current = get(db, id).await?;
    let mut active: user::ActiveModel = current.clone().into();
    if let Some(v) = change.first_name {
        active.first_name = Set(Some(v));
    }
    if let Some(v) = change.last_name {
        active.last_name = Set(Some(v));
    }
    if let Some(v) = change.language {
        active.language = Set(v);
    }
    if let Some(v) = change.phone
        && current.phone.as_deref() != Some(v.as_str())
    {
        active.phone = Set(Some(v));
        active.phone_confirmed_at = Set(None);
    }
    Ok(active.update(db).await?)
}

/// Erase the user's personal data at their request (what the GDPR's right to erasure asks):
/// the address, names, phone and password go, the devices forget their push tokens and the
/// account can no longer sign in; the money records (wallets, movements, payments) stay, tied
/// to an anonymous account, as accounting law requires.
pub async fn anonymise(db: &DatabaseConnection, id: i64, now: DateTime<Utc>) -> Result<()> {
    let txn = crate::db::begin_write(db).await?;
    user::Entity::update_many()
        .col_expr(
            user::Column::Email,
            Expr::value(format!("deleted-{id}@deleted.invalid")),
        )
        .col_expr(
            user::Column::PasswordHash,
            Expr::value(Option::<String>::None),
        )
        .col_expr(user::Column::FirstName, Expr::value(Option::<String>::None))
        .col_expr(user::Column::LastName, Expr::value(Option::<String>::None))
        .col_expr(user::Column::Phone, Expr::value(Option::<String>::None))
        .col_expr(user::Column::DeletedAt, Expr::value(now))
        .filter(user::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    crate::entity::user_device::Entity::update_many()
        .col_expr(
            crate::entity::user_device::Column::PushToken,
            Expr::value(Option::<String>::None),
        )
        .filter(crate::entity::user_device::Column::UserId.eq(id))
        .exec(&txn)
        .await?;
    crate::entity::api_token::Entity::update_many()
        .col_expr(
            crate::entity::api_token::Column::RevokedAt,
            Expr::value(now),
        )
        .filter(crate::entity::api_token::Column::UserId.eq(id))
        .filter(crate::entity::api_token::Column::RevokedAt.is_null())
        .exec(&txn)
        .await?;
    crate::security_epoch::commit(txn).await?;
    Ok(())
}

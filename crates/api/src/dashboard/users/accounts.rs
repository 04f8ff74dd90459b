//! Users' accounts as staff see them: the lists and searches, a profile, devices and badges,
//! blocking.
//!
//! | Operation | Route | Permission |
//! |---|---|---|
//! | Get users | `GET /dashboard/users?networks=` | `users.list`, networks in scope |
//! | Search user | `GET /dashboard/users/search?email=` | `users.list` |
//! | Get user profile | `GET /dashboard/users/{id}` | `users.list`, user in scope |
//! | Get user badges | `GET /dashboard/users/{id}/badges` | `users.badges`, user in scope |
//! | Get user devices | `GET /dashboard/users/{id}/devices` | `users.list`, user in scope |
//! | Get blocked information | `GET /dashboard/users/{id}/block` | `users.block`, user in scope |
//! | Block user | `POST /dashboard/users/{id}/block` | `users.block` with write, user in scope |
//! | Unblock user | `DELETE /dashboard/users/{id}/block` | `users.block` with write, user in scope |

use crate::access::{Authorized, read, write};
use crate::envelope::{Done, Envelope, Paged, done, ok};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{CommaSeparated, ValidJson, ValidPath, ValidQuery, unique_id_list};
use crate::pagination::{Direction, KeysetQuery, paged};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use chrono::{DateTime, FixedOffset, Utc};
use relais_domain::reference::{CurrencyCode, TimeZone};
use relais_domain::{Object, Permission, Scope};
use relais_store::entity::{user, user_badge, user_device};
use relais_store::users::{Block, Reachable, UserFilter, UserSort};
use serde::{Deserialize, Serialize};
use serde_with::{DisplayFromStr, serde_as};
use std::collections::BTreeSet;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use validator::Validate;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_users))
        .routes(routes!(search_user))
        .routes(routes!(get_user_profile))
        .routes(routes!(get_user_badges))
        .routes(routes!(get_user_devices))
        .routes(routes!(get_blocked_information, block_user, unblock_user))
        .routes(routes!(invite_staff_member))
}

/// Whom to invite.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InviteStaffRequest {
    #[validate(email, length(max = 254))]
    #[schema(example = "grace@operator.example", max_length = 254)]
    pub email: String,
    #[validate(length(min = 1, max = 100))]
    #[schema(example = "Grace")]
    pub first_name: String,
    #[validate(length(min = 1, max = 100))]
    #[schema(example = "Hopper")]
    pub last_name: String,
    /// ISO 639-1: the invitation is written in it, and so is the staff member's dashboard.
    #[validate(custom(function = "crate::extract::language"))]
    #[schema(example = "en")]
    pub language: String,
}

/// The account made for an invitation.
#[derive(Debug, Serialize, ToSchema)]
pub struct Invitation {
    pub user: super::UserSummary,
    /// When the code mailed stops working.
    pub expires_at: DateTime<Utc>,
}

/// Invite a staff member (relais extension).
#[utoipa::path(post, path = "/dashboard/users/invitations", tag = "Users",
    summary = "Invite a staff member",
    description = "Create a staff member's account and mail them a single-use code (valid 7 days) to choose their password with \"Reset password\" (`POST /rider/password/reset`, which serves every account). The account holds no permission: grant roles and permissions with \"Add user role\" and \"Add user permission\" (`dashboard.access` first). An address that already has an account is refused (-40 naming `email`). Needs `users.permissions` with write.",
    request_body = InviteStaffRequest,
    extensions(("x-permission" = json!(write(Permission::UsersPermissions))), ("x-relais-extension" = json!(true))),
    responses(
        (status = 200, description = "Invited", body = Envelope<Invitation>),
        (status = 400, description = "Malformed request (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30)", body = ErrorBody),
        (status = 409, description = "Email taken (-40)", body = ErrorBody),
        (status = 422, description = "Invalid field (-11)", body = ErrorBody)))]
pub async fn invite_staff_member(
    State(state): State<AppState>,
    auth: Authorized,
    ValidJson(body): ValidJson<InviteStaffRequest>,
) -> ApiResult<Json<Envelope<Invitation>>> {
    let user = relais_store::users::create(
        &state.db,
        relais_store::users::NewUser {
            email: body.email,
            password_hash: None,
            first_name: Some(body.first_name),
            last_name: Some(body.last_name),
            language: Some(body.language),
            ..Default::default()
        },
    )
    .await?;
    let now = Utc::now();
    let ttl = chrono::Duration::days(7);
    let code = relais_store::codes::issue(
        &state.db,
        user.id,
        relais_store::entity::user_code::Purpose::StaffInvite,
        "mail",
        ttl,
        now,
    )
    .await?;
    let inviter = &auth.caller.user;
    let name = match (&inviter.first_name, &inviter.last_name) {
        (Some(f), Some(l)) => format!("{f} {l}"),
        _ => inviter.email.clone(),
    };
    crate::outbox::mail(
        &state,
        &user,
        "staff_invite",
        crate::outbox::texts::staff_invite(&user.language, &name, &code),
        Some(inviter.id),
    )
    .await?;
    tracing::info!(
        user_id = user.id,
        invited_by = inviter.id,
        "staff member invited"
    );
    Ok(ok(Invitation {
        user: user.into(),
        expires_at: now + ttl,
    }))
}

/// The user named in the path.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct UserPath {
    /// Identifier of the user.
    #[validate(range(min = 1))]
    #[param(minimum = 1)]
    pub id: i64,
}

/// A time shown in the requested time zone.
pub fn local(at: DateTime<Utc>, zone: TimeZone) -> DateTime<FixedOffset> {
    at.with_timezone(&zone.tz()).fixed_offset()
}

/// The sorts of "Get users".
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum UsersSortBy {
    RegisterAt,
    LastActivity,
    TripCount,
}

/// The filters of "Get users".
#[serde_as]
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UsersQuery {
    /// Identifier of networks of which to get users, comma-separated. Each at least 1, no
    /// repeats.
    #[param(value_type = Vec<i64>, style = Form, explode = false, example = "1,5,7")]
    #[validate(custom(function = "unique_id_list"))]
    pub networks: CommaSeparated<i64>,
    /// Custom sort key; ties are broken by id in the direction of `primary_key_dir`.
    #[serde(default)]
    #[param(inline, value_type = Option<UsersSortBy>)]
    pub sort_by: Option<UsersSortBy>,
    /// Sort direction of the custom sort key: `DESC` (default) or `ASC`.
    #[serde(default)]
    #[param(inline, value_type = Option<Direction>, default = "DESC")]
    pub sort_dir: Option<Direction>,
    /// Filter the minimum user's identifier.
    #[serde_as(as = "Option<DisplayFromStr>")]
    #[serde(default)]
    #[validate(range(min = 1))]
    #[param(minimum = 1, value_type = Option<i64>)]
    pub user_id_min: Option<i64>,
    /// Filter the maximum user's identifier.
    #[serde_as(as = "Option<DisplayFromStr>")]
    #[serde(default)]
    #[validate(range(min = 1))]
    #[param(minimum = 1, value_type = Option<i64>)]
    pub user_id_max: Option<i64>,
    /// Filter by email: a part of the address, without regard to case.
    #[validate(length(min = 1, max = 254))]
    #[param(min_length = 1, max_length = 254)]
    pub email: Option<String>,
    /// Filter by last name: a part of it, without regard to case.
    #[validate(length(min = 1, max = 50))]
    #[param(min_length = 1, max_length = 50)]
    pub lastname: Option<String>,
    /// Filter by first name: a part of it, without regard to case.
    #[validate(length(min = 1, max = 50))]
    #[param(min_length = 1, max_length = 50)]
    pub firstname: Option<String>,
    /// Filter the minimum register date (included).
    pub register_at_min: Option<DateTime<Utc>>,
    /// Filter the maximum register date (included).
    pub register_at_max: Option<DateTime<Utc>>,
    /// Filter the minimum last activity date (included).
    pub last_activity_min: Option<DateTime<Utc>>,
    /// Filter the maximum last activity date (included).
    pub last_activity_max: Option<DateTime<Utc>>,
    /// Filter by organization name. No organization exists before the organizations are
    /// built: until then it matches no user.
    #[validate(length(min = 1, max = 255))]
    #[param(min_length = 1, max_length = 255)]
    pub organization_name: Option<String>,
    /// Filter by user's blocked.
    #[serde_as(as = "Option<DisplayFromStr>")]
    #[serde(default)]
    #[param(value_type = Option<bool>)]
    pub blocked: Option<bool>,
    /// Filter the minimum trip count.
    #[serde_as(as = "Option<DisplayFromStr>")]
    #[serde(default)]
    #[validate(range(min = 0))]
    #[param(minimum = 0, value_type = Option<i64>)]
    pub trip_count_min: Option<i64>,
    /// Filter the maximum trip count.
    #[serde_as(as = "Option<DisplayFromStr>")]
    #[serde(default)]
    #[validate(range(min = 0))]
    #[param(minimum = 0, value_type = Option<i64>)]
    pub trip_count_max: Option<i64>,
    /// Filter by app label name, exactly.
    #[validate(length(min = 1, max = 20))]
    #[param(min_length = 1, max_length = 20)]
    pub label_name: Option<String>,
    /// Filter by phone number: a part of it.
    #[validate(length(min = 1, max = 20))]
    #[param(min_length = 1, max_length = 20)]
    pub phone_number: Option<String>,
    /// The currency in which to convert the amounts (the wallets' total).
    #[param(value_type = String, example = "EUR")]
    pub currency: CurrencyCode,
    /// The timezone of the user making the request: dates are shown in it.
    #[param(value_type = String, example = "Europe/Paris")]
    pub timezone: TimeZone,
    /// Also show users that have not interacted with any network yet (needs a global grant).
    #[serde_as(as = "DisplayFromStr")]
    #[param(value_type = bool)]
    pub without_network: bool,
}

fn bounds_in_order(q: &UsersQuery) -> ApiResult<()> {
    use crate::extract::in_order;
    in_order("user_id_max", q.user_id_min, q.user_id_max)?;
    in_order("trip_count_max", q.trip_count_min, q.trip_count_max)?;
    in_order("register_at_max", q.register_at_min, q.register_at_max)?;
    in_order(
        "last_activity_max",
        q.last_activity_min,
        q.last_activity_max,
    )
}

/// A user in a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserListItem {
    pub id: i64,
    pub email: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub phone: Option<String>,
    pub language: String,
    /// The app label the user signed up with.
    pub app_label: Option<i64>,
    pub blocked: bool,
    /// When the account was made, in the requested time zone.
    #[schema(value_type = String, format = DateTime)]
    pub register_at: DateTime<FixedOffset>,
    /// The last time the user did something, in the requested time zone.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_activity: Option<DateTime<FixedOffset>>,
    pub trip_count: i64,
    /// The networks the user has interacted with (among those the caller reaches).
    pub networks: Vec<i64>,
    /// What the user's wallets hold, converted to the requested currency.
    pub wallets_total: super::money::ConvertedSum,
}

/// Get users.
#[utoipa::path(get, path = "/dashboard/users", tag = "Users",
    summary = "Get users",
    description = "Return users of specified networks. A user belongs to a network from the moment he interacts with (consult offers, make a trip).\n\nMembers of any of `networks` (and, with `without_network=true`, the users of no network at all, which needs `users.list` granted globally), paged by keyset: `primary_key_dir` defaults to `DESC` (newest first). With `sort_by` (`register_at`, `last_activity`, `trip_count`) and `sort_dir` (default `DESC`), ties are broken by id in the direction of `primary_key_dir`. Text filters match a part of the value without regard to case (`label_name` matches exactly); bounds are included. Dates are shown in `timezone`; the wallets' total in `currency` at the European Central Bank's reference rate of the day (or the last one published). Needs `users.list` over every network asked for, each reached as a whole.",
    params(KeysetQuery, UsersQuery),
    extensions(("x-permission" = json!(read(Permission::UsersList).whole_networks_in_query("networks")))),
    responses(
        (status = 200, description = "A page of users", body = Paged<UserListItem>),
        (status = 400, description = "Malformed query (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or a network outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such network (-2)", body = ErrorBody),
        (status = 422, description = "Invalid query (-11)", body = ErrorBody)))]
pub async fn get_users(
    State(state): State<AppState>,
    auth: Authorized,
    ValidQuery(page): ValidQuery<KeysetQuery>,
    ValidQuery(q): ValidQuery<UsersQuery>,
) -> ApiResult<Paged<UserListItem>> {
    bounds_in_order(&q)?;
    if q.without_network && !auth.scope.is_global() {
        return Err(ApiError::new(
            crate::error::ErrorCode::OutOfScope,
            "users of no network need `users.list` granted globally",
        )
        .with_field("without_network", "needs a global grant"));
    }
    let filter = UserFilter {
        networks: q.networks.as_slice().to_vec(),
        without_network: q.without_network,
        id_min: q.user_id_min,
        id_max: q.user_id_max,
        email: q.email,
        last_name: q.lastname,
        first_name: q.firstname,
        registered_from: q.register_at_min,
        registered_to: q.register_at_max,
        active_from: q.last_activity_min,
        active_to: q.last_activity_max,
        blocked: q.blocked,
        trip_count_min: q.trip_count_min,
        trip_count_max: q.trip_count_max,
        label_name: q.label_name,
        phone: q.phone_number,
        organization_name: q.organization_name,
    };
    let keyset = page.keyset();
    let sort = q.sort_by.map(|by| {
        let by = match by {
            UsersSortBy::RegisterAt => UserSort::RegisterAt,
            UsersSortBy::LastActivity => UserSort::LastActivity,
            UsersSortBy::TripCount => UserSort::TripCount,
        };
        (by, q.sort_dir.unwrap_or_default().into())
    });
    let rows = relais_store::users::list(&state.db, &filter, &keyset, sort).await?;
    let ids: Vec<i64> = rows.items.iter().map(|u| u.id).collect();
    let networks = relais_store::users::networks_of(&state.db, &ids).await?;
    let totals = super::money::totals(&state, &ids, q.currency).await?;
    let reached = auth.scope.networks();
    let zone = q.timezone;
    Ok(paged(
        &keyset,
        rows,
        |u| u.id,
        |u| UserListItem {
            networks: networks
                .get(&u.id)
                .into_iter()
                .flatten()
                .map(|m| m.network_id)
                .filter(|n| reached.as_ref().is_none_or(|r| r.contains(n)))
                .collect(),
            wallets_total: totals.get(&u.id).cloned().unwrap_or_else(|| {
                super::money::ConvertedSum::zero(q.currency, chrono::Utc::now().date_naive())
            }),
            id: u.id,
            email: u.email,
            first_name: u.first_name,
            last_name: u.last_name,
            phone: u.phone,
            language: u.language,
            app_label: u.app_label_id,
            blocked: u.blocked,
            register_at: local(u.created_at, zone),
            last_activity: u.last_activity_at.map(|at| local(at, zone)),
            trip_count: u.trip_count,
        },
    ))
}

/// The email to search for.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchUserQuery {
    /// Search value: a part of the email address, without regard to case.
    #[validate(length(min = 3, max = 200))]
    #[param(min_length = 3, max_length = 200)]
    pub email: String,
}

/// A user found by a search.
#[derive(Debug, Serialize, ToSchema)]
pub struct FoundUser {
    pub id: i64,
    pub email: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub blocked: bool,
}

impl From<user::Model> for FoundUser {
    fn from(u: user::Model) -> Self {
        FoundUser {
            id: u.id,
            email: u.email,
            first_name: u.first_name,
            last_name: u.last_name,
            blocked: u.blocked,
        }
    }
}

/// The most users a search answers.
const SEARCH_LIMIT: u64 = 20;

/// The users' condition for a scope: `None` for a global one.
pub fn users_in(scope: &Scope) -> Option<Reachable> {
    if scope.is_global() {
        return None;
    }
    let networks: BTreeSet<i64> = scope
        .networks()
        .unwrap_or_default()
        .into_iter()
        .filter(|n| scope.reaches_network(*n))
        .collect();
    Some(Reachable {
        networks,
        app_labels: scope.app_labels().unwrap_or_default(),
    })
}

/// Search user.
#[utoipa::path(get, path = "/dashboard/users/search", tag = "Users",
    summary = "Search user",
    description = "Search for user with a given email.\n\nUsers whose address contains `email` (without regard to case), the exact address first, then those starting with it; at most 20, among the users the caller's scope reaches (through a network reached as a whole, or an app label). Needs `users.list`.",
    params(SearchUserQuery),
    extensions(("x-permission" = json!(read(Permission::UsersList)))),
    responses(
        (status = 200, description = "The users found", body = Envelope<Vec<FoundUser>>),
        (status = 400, description = "Malformed query (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30)", body = ErrorBody),
        (status = 422, description = "Invalid query (-11)", body = ErrorBody)))]
pub async fn search_user(
    State(state): State<AppState>,
    auth: Authorized,
    ValidQuery(q): ValidQuery<SearchUserQuery>,
) -> ApiResult<Json<Envelope<Vec<FoundUser>>>> {
    let found = relais_store::users::search_by_email(
        &state.db,
        &q.email,
        users_in(&auth.scope).as_ref(),
        SEARCH_LIMIT,
    )
    .await?;
    Ok(ok(found.into_iter().map(FoundUser::from).collect()))
}

/// A user's profile.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserProfileDetail {
    pub id: i64,
    pub email: String,
    pub email_confirmed: bool,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub phone: Option<String>,
    pub phone_confirmed: bool,
    pub language: String,
    pub app_label: Option<i64>,
    pub register_at: DateTime<Utc>,
    pub last_activity: Option<DateTime<Utc>>,
    pub terms_accepted_at: Option<DateTime<Utc>>,
    pub trip_count: i64,
    pub blocked: bool,
    /// Staff turned off the bank guarantee before this rider's trips.
    pub pre_auth_disabled: bool,
    /// The networks the user has interacted with (among those the caller reaches), since when.
    pub networks: Vec<UserNetwork>,
    /// The account was deleted at the user's request (personal data erased then).
    pub deleted_at: Option<DateTime<Utc>>,
}

/// A network a user has interacted with.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserNetwork {
    pub network_id: i64,
    pub first_at: DateTime<Utc>,
    pub last_at: DateTime<Utc>,
}

/// Get user profile.
#[utoipa::path(get, path = "/dashboard/users/{id}", tag = "Users",
    summary = "Get user profile",
    description = "Get the profile of the specified user\n\nNeeds `users.list` over one of the user's networks (as a whole) or the user's app label.",
    params(UserPath),
    extensions(("x-permission" = json!(read(Permission::UsersList).object_in_path("id", Object::User)))),
    responses(
        (status = 200, description = "The user's profile", body = Envelope<UserProfileDetail>),
        (status = 400, description = "Malformed path (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or a user outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such user (-2)", body = ErrorBody)))]
pub async fn get_user_profile(
    State(state): State<AppState>,
    auth: Authorized,
    ValidPath(path): ValidPath<UserPath>,
) -> ApiResult<Json<Envelope<UserProfileDetail>>> {
    let u = relais_store::users::get(&state.db, path.id).await?;
    let networks = relais_store::users::networks_of(&state.db, &[u.id]).await?;
    let reached = auth.scope.networks();
    Ok(ok(UserProfileDetail {
        networks: networks
            .get(&u.id)
            .into_iter()
            .flatten()
            .filter(|m| reached.as_ref().is_none_or(|r| r.contains(&m.network_id)))
            .map(|m| UserNetwork {
                network_id: m.network_id,
                first_at: m.first_at,
                last_at: m.last_at,
            })
            .collect(),
        id: u.id,
        email: u.email,
        email_confirmed: u.email_confirmed_at.is_some(),
        first_name: u.first_name,
        last_name: u.last_name,
        phone: u.phone,
        phone_confirmed: u.phone_confirmed_at.is_some(),
        language: u.language,
        app_label: u.app_label_id,
        register_at: u.created_at,
        last_activity: u.last_activity_at,
        terms_accepted_at: u.terms_accepted_at,
        trip_count: u.trip_count,
        blocked: u.blocked,
        pre_auth_disabled: u.pre_auth_disabled,
        deleted_at: u.deleted_at,
    }))
}

/// A contactless card of a rider.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserBadge {
    pub id: i64,
    /// The card's number (UID).
    pub number: String,
    /// `rfid`, `nfc` or `transit_card`.
    pub kind: String,
    pub label: Option<String>,
    pub created_at: DateTime<Utc>,
    pub active: bool,
}

impl From<user_badge::Model> for UserBadge {
    fn from(b: user_badge::Model) -> Self {
        UserBadge {
            id: b.id,
            number: b.number,
            kind: b.kind,
            label: b.label,
            created_at: b.created_at,
            active: b.disabled_at.is_none(),
        }
    }
}

/// Get user badges.
#[utoipa::path(get, path = "/dashboard/users/{id}/badges", tag = "Users",
    summary = "Get user badges",
    description = "Get the badges of the specified user.\n\nThe contactless cards (RFID, NFC, transit cards) the rider uses at stations, the newest first. Needs `users.badges` over the user.",
    params(UserPath),
    extensions(("x-permission" = json!(read(Permission::UsersBadges).object_in_path("id", Object::User)))),
    responses(
        (status = 200, description = "The user's badges", body = Envelope<Vec<UserBadge>>),
        (status = 400, description = "Malformed path (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or a user outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such user (-2)", body = ErrorBody)))]
pub async fn get_user_badges(
    State(state): State<AppState>,
    ValidPath(path): ValidPath<UserPath>,
) -> ApiResult<Json<Envelope<Vec<UserBadge>>>> {
    let badges = relais_store::devices::badges_of(&state.db, path.id).await?;
    Ok(ok(badges.into_iter().map(UserBadge::from).collect()))
}

/// A device a user signed in with.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserDevice {
    pub id: i64,
    /// The app's identifier of the device.
    pub device_id: String,
    /// `android`, `ios` or `web`.
    pub platform: String,
    pub model: Option<String>,
    pub app_version: Option<String>,
    /// Whether push notifications can reach it (the token itself is not shown).
    pub push_enabled: bool,
    pub first_seen_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
}

pub fn platform_name(p: user_device::Platform) -> &'static str {
    match p {
        user_device::Platform::Android => "android",
        user_device::Platform::Ios => "ios",
        user_device::Platform::Web => "web",
    }
}

impl From<user_device::Model> for UserDevice {
    fn from(d: user_device::Model) -> Self {
        UserDevice {
            id: d.id,
            device_id: d.device_id,
            platform: platform_name(d.platform).to_owned(),
            model: d.model,
            app_version: d.app_version,
            push_enabled: d.push_token.is_some(),
            first_seen_at: d.created_at,
            last_seen_at: d.last_seen_at,
        }
    }
}

/// Get user devices.
#[utoipa::path(get, path = "/dashboard/users/{id}/devices", tag = "Users",
    summary = "Get user devices",
    description = "Get the devices of the specified user.\n\nThe most recently seen first. Push tokens are never shown, only whether the device has one. Needs `users.list` over the user.",
    params(UserPath),
    extensions(("x-permission" = json!(read(Permission::UsersList).object_in_path("id", Object::User)))),
    responses(
        (status = 200, description = "The user's devices", body = Envelope<Vec<UserDevice>>),
        (status = 400, description = "Malformed path (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or a user outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such user (-2)", body = ErrorBody)))]
pub async fn get_user_devices(
    State(state): State<AppState>,
    ValidPath(path): ValidPath<UserPath>,
) -> ApiResult<Json<Envelope<Vec<UserDevice>>>> {
    let devices = relais_store::devices::of_user(&state.db, path.id).await?;
    Ok(ok(devices.into_iter().map(UserDevice::from).collect()))
}

/// Whether a user is blocked, since when, by whom and why.
#[derive(Debug, Serialize, ToSchema)]
pub struct BlockedInformation {
    pub blocked: bool,
    /// Since when; null when not blocked.
    pub blocked_at: Option<DateTime<Utc>>,
    /// The staff member who blocked the user; null when not blocked, or blocked by the system.
    pub blocked_by: Option<super::UserSummary>,
    pub reason: Option<String>,
}

/// Get blocked information.
#[utoipa::path(get, path = "/dashboard/users/{id}/block", tag = "Users",
    summary = "Get blocked information",
    description = "Return the user who has block given user and since when he is blocked.\n\nNeeds `users.block` over the user.",
    params(UserPath),
    extensions(("x-permission" = json!(read(Permission::UsersBlock).object_in_path("id", Object::User)))),
    responses(
        (status = 200, description = "The user's block", body = Envelope<BlockedInformation>),
        (status = 400, description = "Malformed path (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or a user outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such user (-2)", body = ErrorBody)))]
pub async fn get_blocked_information(
    State(state): State<AppState>,
    ValidPath(path): ValidPath<UserPath>,
) -> ApiResult<Json<Envelope<BlockedInformation>>> {
    let u = relais_store::users::get(&state.db, path.id).await?;
    let by = match u.blocked_by {
        Some(id) if u.blocked => relais_store::users::find(&state.db, id)
            .await?
            .map(super::UserSummary::from),
        _ => None,
    };
    Ok(ok(BlockedInformation {
        blocked: u.blocked,
        blocked_at: u.blocked_at.filter(|_| u.blocked),
        blocked_by: by,
        reason: u.blocked_reason.filter(|_| u.blocked),
    }))
}

/// Block user parameters.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BlockUserRequest {
    /// Reason to block the user.
    #[validate(length(min = 3, max = 1000))]
    #[schema(
        min_length = 3,
        max_length = 1000,
        example = "Repeated vandalism reported by the police"
    )]
    pub reason: String,
}

/// Block user.
#[utoipa::path(post, path = "/dashboard/users/{id}/block", tag = "Users",
    summary = "Block user",
    description = "Block the specified user with the given reason.\n\nFrom the next request on, every token of the user is refused (-22) on every surface, on every server. A user cannot block themselves; blocking a blocked user is refused (-41). Needs `users.block` with write over the user.",
    params(UserPath),
    request_body = BlockUserRequest,
    extensions(("x-permission" = json!(write(Permission::UsersBlock).object_in_path("id", Object::User)))),
    responses(
        (status = 200, description = "Blocked", body = Done),
        (status = 400, description = "Malformed request (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or a user outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such user (-2)", body = ErrorBody),
        (status = 409, description = "Already blocked, or oneself (-41)", body = ErrorBody),
        (status = 422, description = "Invalid reason (-11)", body = ErrorBody)))]
pub async fn block_user(
    State(state): State<AppState>,
    auth: Authorized,
    ValidPath(path): ValidPath<UserPath>,
    ValidJson(body): ValidJson<BlockUserRequest>,
) -> ApiResult<Json<Done>> {
    if path.id == auth.caller.user.id {
        return Err(ApiError::new(
            crate::error::ErrorCode::Refused,
            "you cannot block yourself",
        ));
    }
    let u = relais_store::users::get(&state.db, path.id).await?;
    if u.blocked {
        return Err(ApiError::new(
            crate::error::ErrorCode::Refused,
            "this user is already blocked",
        ));
    }
    relais_store::users::set_blocked(
        &state.db,
        path.id,
        Some(Block {
            at: Utc::now(),
            by: Some(auth.caller.user.id),
            reason: Some(body.reason),
        }),
    )
    .await?;
    Ok(done())
}

/// Unblock user.
#[utoipa::path(delete, path = "/dashboard/users/{id}/block", tag = "Users",
    summary = "Unblock user",
    description = "Unblock the specified user.\n\nThe user's tokens that have not expired work again. Unblocking a user who is not blocked is refused (-41). Needs `users.block` with write over the user.",
    params(UserPath),
    extensions(("x-permission" = json!(write(Permission::UsersBlock).object_in_path("id", Object::User)))),
    responses(
        (status = 200, description = "Unblocked", body = Done),
        (status = 400, description = "Malformed path (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or a user outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such user (-2)", body = ErrorBody),
        (status = 409, description = "Not blocked (-41)", body = ErrorBody)))]
pub async fn unblock_user(
    State(state): State<AppState>,
    ValidPath(path): ValidPath<UserPath>,
) -> ApiResult<Json<Done>> {
    let u = relais_store::users::get(&state.db, path.id).await?;
    if !u.blocked {
        return Err(ApiError::new(
            crate::error::ErrorCode::Refused,
            "this user is not blocked",
        ));
    }
    relais_store::users::set_blocked(&state.db, path.id, None).await?;
    Ok(done())
}

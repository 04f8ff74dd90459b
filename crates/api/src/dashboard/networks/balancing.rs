//! Networks: clusters balancing, balancing discounts, estimate.
//!
//! Balancing moves vehicles from the clusters that have too many (donors) to those that lack
//! some (receivers) by giving riders a discount on a trip from a donor to a receiver. Everything
//! here needs `networks.manage` over the network of the path; a caller whose units restrict
//! clusters only sees and changes the clusters they reach (-31 for others). Changes go through
//! `relais_store::networks::open`, so a closed network refuses them (-41).
//!
//! Routes, under `/dashboard/networks/{network_id}/balancing`:
//! - `GET|POST|DELETE /clusters` (the seed names the cluster of "Delete cluster balancing" in
//!   the query) and `PATCH /clusters/{cluster_id}` (the body repeats `cluster_id`);
//! - `GET /discounts` and `PUT /discounts/{donor_cluster_id}/{receiver_cluster_id}` (the body
//!   repeats both), which creates the route or changes its discount;
//! - `GET /estimate`.
//!
//! Decisions:
//! - `cluster_id` in bodies keeps the seed's `>= 0`; 0 is never a cluster, so it answers 404
//!   like any cluster that is not one of the network's. A decommissioned cluster cannot be
//!   added, changed or used in a route (-11 naming the field) but can be removed.
//! - `target_count` is a number of vehicles: `>= 0` although the seed gives no minimum.
//! - `discount_amount` is money (a decimal, string or number) `>= 0` with at most four
//!   decimal places: the seed's `number` has no minimum, but a negative discount would be a
//!   surcharge on the trip balancing is meant to reward. 0 keeps the route with no discount.
//! - Removing a cluster from balancing removes the discount routes it was on.
//! - The estimate of a route without finished trips is not an error: `trip_count` 0 and
//!   `average_duration` null.

use super::NetworkPath;
use crate::access::{Authorized, read, write};
use crate::envelope::{Done, Envelope, done, ok};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ValidJson, ValidPath, ValidQuery, non_negative_amount};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use relais_domain::{Object, Permission};
use relais_store::balancing::{BalancedCluster, Checked, DONOR, Discount, RECEIVER, Refusal};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use validator::Validate;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(
            get_clusters_balancing,
            create_cluster_balancing,
            delete_cluster_balancing
        ))
        .routes(routes!(update_cluster_balancing))
        .routes(routes!(get_clusters_balancing_discounts))
        .routes(routes!(update_cluster_balancing_discount))
        .routes(routes!(get_estimate))
}

/// The role of a cluster in balancing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum BalancingType {
    /// Has too many vehicles: trips starting here are rewarded.
    Donor,
    /// Lacks vehicles: trips ending here are rewarded.
    Receiver,
}

impl BalancingType {
    fn stored(self) -> &'static str {
        match self {
            BalancingType::Donor => DONOR,
            BalancingType::Receiver => RECEIVER,
        }
    }

    fn of(stored: &str) -> Self {
        if stored == DONOR {
            BalancingType::Donor
        } else {
            BalancingType::Receiver
        }
    }
}

/// A cluster taking part in balancing.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClusterBalancingItem {
    pub cluster_id: i64,
    pub cluster_name: String,
    /// The number of vehicles aimed at: at most this many for a donor, at least for a receiver.
    pub target_count: i32,
    pub balancing_type: BalancingType,
}

impl From<BalancedCluster> for ClusterBalancingItem {
    fn from(c: BalancedCluster) -> Self {
        ClusterBalancingItem {
            balancing_type: BalancingType::of(&c.balancing_type),
            cluster_id: c.cluster_id,
            cluster_name: c.cluster_name,
            target_count: c.target_count,
        }
    }
}

/// The discount of a trip from a donor cluster to a receiver cluster.
#[derive(Debug, Serialize, ToSchema)]
pub struct BalancingDiscountItem {
    pub donor_cluster_id: i64,
    pub donor_cluster_name: String,
    pub receiver_cluster_id: i64,
    pub receiver_cluster_name: String,
    /// In the network's currency.
    #[schema(value_type = String, example = "0.50")]
    pub discount_amount: Decimal,
}

impl From<Discount> for BalancingDiscountItem {
    fn from(d: Discount) -> Self {
        BalancingDiscountItem {
            donor_cluster_id: d.donor_cluster_id,
            donor_cluster_name: d.donor_cluster_name,
            receiver_cluster_id: d.receiver_cluster_id,
            receiver_cluster_name: d.receiver_cluster_name,
            discount_amount: d.discount_amount,
        }
    }
}

/// The average duration of the fastest trips of a route.
#[derive(Debug, Serialize, ToSchema)]
pub struct EstimateItem {
    pub donor_cluster_id: i64,
    pub receiver_cluster_id: i64,
    pub fastest_trip_percentage: u8,
    /// Finished trips from the donor to the receiver.
    pub trip_count: u64,
    /// How many of the fastest trips the average is taken over: `fastest_trip_percentage` % of
    /// `trip_count`, rounded up (at least one when there are trips).
    pub sample_size: u64,
    /// In seconds; null when the route has no finished trip.
    pub average_duration: Option<f64>,
}

/// Info on the cluster balancing to create.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateClusterBalancingRequest {
    /// The identifier of the cluster.
    #[validate(range(min = 0))]
    #[schema(minimum = 0, example = 3)]
    pub cluster_id: i64,
    /// The number of vehicle that we target (to be less than for donor clusters and greater than for receiver clusters).
    #[validate(range(min = 0))]
    #[schema(minimum = 0, example = 5)]
    pub target_count: i32,
    /// The type of the station for the balancing discounts. Renting a vehicle from a donor station to a receiver station will grant the user a discount on its trip.
    pub balancing_type: BalancingType,
}

/// Info on the cluster balancing to update.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateClusterBalancingRequest {
    /// The identifier of the cluster (the one of the path).
    #[validate(range(min = 0))]
    #[schema(minimum = 0, example = 1)]
    pub cluster_id: i64,
    /// The number of vehicle that we target (to be less than for donor clusters and greater than for receiver clusters).
    #[validate(range(min = 0))]
    #[schema(minimum = 0, example = 4)]
    pub target_count: i32,
}

/// Info on the balancing discount to update.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateBalancingDiscountRequest {
    /// The identifier of the cluster on which the trip need to start (the one of the path).
    #[validate(range(min = 1))]
    #[schema(minimum = 1, example = 1)]
    pub donor_cluster_id: i64,
    /// The identifier of the cluster on which the trip need to finish (the one of the path).
    #[validate(range(min = 1))]
    #[schema(minimum = 1, example = 2)]
    pub receiver_cluster_id: i64,
    /// The amount of the discount applied to the trip.
    #[validate(custom(function = "non_negative_amount"))]
    #[schema(value_type = f64, minimum = 0, example = 0.5)]
    pub discount_amount: Decimal,
}

/// The cluster balancing named in the path.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct ClusterBalancingPath {
    /// The network's identifier.
    #[validate(range(min = 1))]
    #[param(minimum = 1)]
    pub network_id: i64,
    /// The identifier of the cluster.
    #[validate(range(min = 1))]
    #[param(minimum = 1)]
    pub cluster_id: i64,
}

/// The discount route named in the path.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct BalancingRoutePath {
    /// The network's identifier.
    #[validate(range(min = 1))]
    #[param(minimum = 1)]
    pub network_id: i64,
    /// The identifier of the cluster on which the trip need to start.
    #[validate(range(min = 1))]
    #[param(minimum = 1)]
    pub donor_cluster_id: i64,
    /// The identifier of the cluster on which the trip need to finish.
    #[validate(range(min = 1))]
    #[param(minimum = 1)]
    pub receiver_cluster_id: i64,
}

/// The cluster to remove from balancing.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeleteClusterBalancingQuery {
    /// The cluster's identifier.
    #[validate(range(min = 1))]
    #[param(minimum = 1)]
    pub cluster_id: i64,
}

/// The route to estimate.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EstimateQuery {
    /// The cluster id on which the trip start.
    #[validate(range(min = 1))]
    #[param(minimum = 1)]
    pub donor_cluster_id: i64,
    /// The cluster id on which the trip finish.
    #[validate(range(min = 1))]
    #[param(minimum = 1)]
    pub receiver_cluster_id: i64,
    /// The size of the sample of trips to use.
    #[validate(range(min = 1, max = 50))]
    #[param(minimum = 1, maximum = 50)]
    pub fastest_trip_percentage: i64,
}

/// A refusal of the store on a field is a validation error on that field.
fn checked<T>(outcome: Checked<T>) -> ApiResult<T> {
    outcome.map_err(|Refusal { field, problem }| ApiError::field(field, problem))
}

/// The identifier in the body must repeat the one of the path.
fn same(field: &str, in_body: i64, in_path: i64) -> ApiResult<()> {
    if in_body == in_path {
        Ok(())
    } else {
        Err(ApiError::field(
            field,
            format!("must be the one of the path ({in_path})"),
        ))
    }
}

/// Get clusters balancing
#[utoipa::path(get, path = "/dashboard/networks/{network_id}/balancing/clusters", tag = "Networks",
    summary = "Get clusters balancing",
    description = "Get the list of cluster that beneficiate from balancing, by cluster id, with their target count and balancing type. Only the clusters the caller reaches are listed.",
    params(NetworkPath),
    extensions(("x-permission" = json!(read(Permission::NetworksManage).object_in_path("network_id", Object::NetworkPart)))),
    responses(
        (status = 200, description = "The clusters taking part in balancing", body = Envelope<Vec<ClusterBalancingItem>>),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or network outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such network (-2)", body = ErrorBody)))]
pub async fn get_clusters_balancing(
    State(state): State<AppState>,
    auth: Authorized,
    ValidPath(path): ValidPath<NetworkPath>,
) -> ApiResult<Json<Envelope<Vec<ClusterBalancingItem>>>> {
    let clusters = relais_store::balancing::list(&state.db, path.network_id).await?;
    Ok(ok(clusters
        .into_iter()
        .filter(|c| auth.scope.allows_cluster(path.network_id, c.cluster_id))
        .map(Into::into)
        .collect()))
}

/// Create cluster balancing
#[utoipa::path(post, path = "/dashboard/networks/{network_id}/balancing/clusters", tag = "Networks",
    summary = "Create cluster balancing",
    description = "Add a cluster to the list of clusters that beneficiate from balancing. The cluster must be one of the network's, in service, and not already in the list.",
    params(NetworkPath),
    request_body(content = CreateClusterBalancingRequest, description = "Info on the cluster balancing to create."),
    extensions(("x-permission" = json!(write(Permission::NetworksManage).object_in_path("network_id", Object::NetworkPart).object_in_body("cluster_id", Object::Cluster)))),
    responses(
        (status = 200, description = "The cluster as it takes part in balancing", body = Envelope<ClusterBalancingItem>),
        (status = 400, description = "Malformed body, unknown balancing type (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30), network or cluster outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such network, or no such cluster in it (-2)", body = ErrorBody),
        (status = 409, description = "The cluster already takes part (-40) or closed network (-41)", body = ErrorBody),
        (status = 422, description = "Invalid body, decommissioned cluster (-11)", body = ErrorBody)))]
pub async fn create_cluster_balancing(
    State(state): State<AppState>,
    ValidPath(path): ValidPath<NetworkPath>,
    ValidJson(body): ValidJson<CreateClusterBalancingRequest>,
) -> ApiResult<Json<Envelope<ClusterBalancingItem>>> {
    let created = relais_store::balancing::create(
        &state.db,
        path.network_id,
        body.cluster_id,
        body.target_count,
        body.balancing_type.stored(),
    )
    .await?;
    Ok(ok(checked(created)?.into()))
}

/// Update cluster balancing
#[utoipa::path(patch, path = "/dashboard/networks/{network_id}/balancing/clusters/{cluster_id}", tag = "Networks",
    summary = "Update cluster balancing",
    description = "Update the target count of a cluster balancing. The body repeats the `cluster_id` of the path.",
    params(ClusterBalancingPath),
    request_body(content = UpdateClusterBalancingRequest, description = "Info on the cluster balancing to update."),
    extensions(("x-permission" = json!(write(Permission::NetworksManage).object_in_path("network_id", Object::NetworkPart).object_in_path("cluster_id", Object::Cluster)))),
    responses(
        (status = 200, description = "The cluster as it takes part in balancing", body = Envelope<ClusterBalancingItem>),
        (status = 400, description = "Malformed body (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30), network or cluster outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such network, no such cluster in it, or the cluster takes no part in balancing (-2)", body = ErrorBody),
        (status = 409, description = "Closed network (-41)", body = ErrorBody),
        (status = 422, description = "Invalid body, `cluster_id` not the path's, decommissioned cluster (-11)", body = ErrorBody)))]
pub async fn update_cluster_balancing(
    State(state): State<AppState>,
    ValidPath(path): ValidPath<ClusterBalancingPath>,
    ValidJson(body): ValidJson<UpdateClusterBalancingRequest>,
) -> ApiResult<Json<Envelope<ClusterBalancingItem>>> {
    same("cluster_id", body.cluster_id, path.cluster_id)?;
    let updated = relais_store::balancing::update(
        &state.db,
        path.network_id,
        path.cluster_id,
        body.target_count,
    )
    .await?;
    Ok(ok(checked(updated)?.into()))
}

/// Delete cluster balancing
#[utoipa::path(delete, path = "/dashboard/networks/{network_id}/balancing/clusters", tag = "Networks",
    summary = "Delete cluster balancing",
    description = "Remove a cluster from the list of clusters that beneficiate from balancing, with the discount routes it is on.",
    params(NetworkPath, DeleteClusterBalancingQuery),
    extensions(("x-permission" = json!(write(Permission::NetworksManage).object_in_path("network_id", Object::NetworkPart).object_in_query("cluster_id", Object::Cluster)))),
    responses(
        (status = 200, description = "Removed", body = Done),
        (status = 400, description = "Malformed query (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30), network or cluster outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such network, or the cluster takes no part in its balancing (-2)", body = ErrorBody),
        (status = 409, description = "Closed network (-41)", body = ErrorBody),
        (status = 422, description = "Invalid query (-11)", body = ErrorBody)))]
pub async fn delete_cluster_balancing(
    State(state): State<AppState>,
    ValidPath(path): ValidPath<NetworkPath>,
    ValidQuery(query): ValidQuery<DeleteClusterBalancingQuery>,
) -> ApiResult<Json<Done>> {
    relais_store::balancing::delete(&state.db, path.network_id, query.cluster_id).await?;
    Ok(done())
}

/// Get clusters balancing discounts
#[utoipa::path(get, path = "/dashboard/networks/{network_id}/balancing/discounts", tag = "Networks",
    summary = "Get clusters balancing discounts",
    description = "Get the discount amount of a clusters balancing discount: every route of the network, by donor then receiver. Only the routes whose two clusters the caller reaches are listed.",
    params(NetworkPath),
    extensions(("x-permission" = json!(read(Permission::NetworksManage).object_in_path("network_id", Object::NetworkPart)))),
    responses(
        (status = 200, description = "The discount routes", body = Envelope<Vec<BalancingDiscountItem>>),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30) or network outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such network (-2)", body = ErrorBody)))]
pub async fn get_clusters_balancing_discounts(
    State(state): State<AppState>,
    auth: Authorized,
    ValidPath(path): ValidPath<NetworkPath>,
) -> ApiResult<Json<Envelope<Vec<BalancingDiscountItem>>>> {
    let routes = relais_store::balancing::discounts(&state.db, path.network_id).await?;
    Ok(ok(routes
        .into_iter()
        .filter(|d| {
            auth.scope
                .allows_cluster(path.network_id, d.donor_cluster_id)
                && auth
                    .scope
                    .allows_cluster(path.network_id, d.receiver_cluster_id)
        })
        .map(Into::into)
        .collect()))
}

/// Update cluster balancing discount
#[utoipa::path(put, path = "/dashboard/networks/{network_id}/balancing/discounts/{donor_cluster_id}/{receiver_cluster_id}", tag = "Networks",
    summary = "Update cluster balancing discount",
    description = "Update the discount of a cluster balancing route, creating the route if needed. The donor must be a donor cluster and the receiver a receiver cluster of the network's balancing, both in service. The body repeats the two clusters of the path. The amount is in the network's currency, `>= 0`, at most four decimal places.",
    params(BalancingRoutePath),
    request_body(content = UpdateBalancingDiscountRequest, description = "Info on the balancing discount to update."),
    extensions(("x-permission" = json!(write(Permission::NetworksManage).object_in_path("network_id", Object::NetworkPart).object_in_path("donor_cluster_id", Object::Cluster).object_in_path("receiver_cluster_id", Object::Cluster)))),
    responses(
        (status = 200, description = "The route with its discount", body = Envelope<BalancingDiscountItem>),
        (status = 400, description = "Malformed body (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30), network or cluster outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such network, or no such cluster in it (-2)", body = ErrorBody),
        (status = 409, description = "Closed network (-41)", body = ErrorBody),
        (status = 422, description = "Invalid body, clusters not the path's, not a donor / receiver of the balancing, decommissioned cluster (-11)", body = ErrorBody)))]
pub async fn update_cluster_balancing_discount(
    State(state): State<AppState>,
    ValidPath(path): ValidPath<BalancingRoutePath>,
    ValidJson(body): ValidJson<UpdateBalancingDiscountRequest>,
) -> ApiResult<Json<Envelope<BalancingDiscountItem>>> {
    same(
        "donor_cluster_id",
        body.donor_cluster_id,
        path.donor_cluster_id,
    )?;
    same(
        "receiver_cluster_id",
        body.receiver_cluster_id,
        path.receiver_cluster_id,
    )?;
    let route = relais_store::balancing::set_discount(
        &state.db,
        path.network_id,
        path.donor_cluster_id,
        path.receiver_cluster_id,
        body.discount_amount,
    )
    .await?;
    Ok(ok(checked(route)?.into()))
}

/// Get estimate
#[utoipa::path(get, path = "/dashboard/networks/{network_id}/balancing/estimate", tag = "Networks",
    summary = "Get estimate",
    description = "Get the average duration of the x percent of the fastest trips between two clusters: over the finished trips of the network from the donor cluster to the receiver cluster, the fastest `fastest_trip_percentage` % (rounded up, so at least one) are averaged, in seconds. A route without finished trips answers `trip_count` 0 and a null `average_duration`.",
    params(NetworkPath, EstimateQuery),
    extensions(("x-permission" = json!(read(Permission::NetworksManage).object_in_path("network_id", Object::NetworkPart).object_in_query("donor_cluster_id", Object::Cluster).object_in_query("receiver_cluster_id", Object::Cluster)))),
    responses(
        (status = 200, description = "The estimate", body = Envelope<EstimateItem>),
        (status = 400, description = "Malformed query (-10)", body = ErrorBody),
        (status = 401, description = "No valid token (-20)", body = ErrorBody),
        (status = 403, description = "Missing permission (-30), network or cluster outside the caller's scope (-31)", body = ErrorBody),
        (status = 404, description = "No such network, or no such cluster in it (-2)", body = ErrorBody),
        (status = 422, description = "Invalid query (-11)", body = ErrorBody)))]
pub async fn get_estimate(
    State(state): State<AppState>,
    ValidPath(path): ValidPath<NetworkPath>,
    ValidQuery(query): ValidQuery<EstimateQuery>,
) -> ApiResult<Json<Envelope<EstimateItem>>> {
    // Validated to 1..=50.
    let percentage = u8::try_from(query.fastest_trip_percentage).unwrap_or(50);
    let estimate = relais_store::balancing::estimate(
        &state.db,
        path.network_id,
        query.donor_cluster_id,
        query.receiver_cluster_id,
        percentage,
    )
    .await?;
    Ok(ok(EstimateItem {
        donor_cluster_id: query.donor_cluster_id,
        receiver_cluster_id: query.receiver_cluster_id,
        fastest_trip_percentage: percentage,
        trip_count: estimate.trip_count,
        sample_size: estimate.sample_size,
        average_duration: estimate.average_duration,
    }))
}

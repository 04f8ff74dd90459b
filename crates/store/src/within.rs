//! Narrowing a list to the caller's scope in its query, never after loading.

use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, Condition};
use std::collections::BTreeSet;

/// The part of each network a list may show: all of it (`None`), or only the rows of some of
/// its clusters (rows of no cluster are then hidden: they belong to the whole network).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Within(pub Vec<(i64, Option<BTreeSet<i64>>)>);

impl Within {
    /// Every row of `networks`.
    pub fn networks(networks: impl IntoIterator<Item = i64>) -> Self {
        Within(networks.into_iter().map(|n| (n, None)).collect())
    }

    /// The rows whose `network` and `cluster` columns lie within.
    pub fn condition(&self, network: impl ColumnTrait, cluster: impl ColumnTrait) -> Condition {
        self.condition_with(network, |clusters| {
            Condition::all().add(cluster.is_in(clusters.iter().copied()))
        })
    }

    /// The rows within, where a row's cluster is found by `cluster_of` (a sub-query giving the
    /// ids of rows in some clusters).
    pub fn condition_with(
        &self,
        network: impl ColumnTrait,
        in_clusters: impl Fn(&BTreeSet<i64>) -> Condition,
    ) -> Condition {
        let mut any = Condition::any();
        let whole: Vec<i64> = self
            .0
            .iter()
            .filter(|(_, c)| c.is_none())
            .map(|(n, _)| *n)
            .collect();
        if !whole.is_empty() {
            any = any.add(network.is_in(whole));
        }
        for (n, clusters) in &self.0 {
            if let Some(clusters) = clusters {
                any = any.add(
                    Condition::all()
                        .add(network.eq(*n))
                        .add(in_clusters(clusters)),
                );
            }
        }
        // No network at all: nothing matches (an empty `any` would match everything).
        if self.0.is_empty() {
            any = any.add(Expr::val(1).eq(0));
        }
        any
    }
}

/// Sub-queries giving the ids of what stands in some clusters, for [`Within::condition_with`].
pub mod in_clusters {
    use crate::entity::{spot, station, vehicle, virtual_parking};
    use sea_orm::sea_query::{Condition, Expr, ExprTrait, Query, SelectStatement};
    use std::collections::BTreeSet;

    fn ids(clusters: &BTreeSet<i64>) -> Vec<i64> {
        clusters.iter().copied().collect()
    }

    /// The stations of `clusters`.
    pub fn stations(clusters: &BTreeSet<i64>) -> SelectStatement {
        Query::select()
            .column(station::Column::Id)
            .from(station::Entity)
            .and_where(Expr::col(station::Column::ClusterId).is_in(ids(clusters)))
            .to_owned()
    }

    /// The spots of the stations of `clusters`.
    pub fn spots(clusters: &BTreeSet<i64>) -> SelectStatement {
        Query::select()
            .column(spot::Column::Id)
            .from(spot::Entity)
            .and_where(Expr::col(spot::Column::StationId).in_subquery(stations(clusters)))
            .to_owned()
    }

    /// The vehicles docked in `clusters` or standing in one of their virtual parkings.
    pub fn vehicles(clusters: &BTreeSet<i64>) -> SelectStatement {
        Query::select()
            .column(vehicle::Column::Id)
            .from(vehicle::Entity)
            .cond_where(
                Condition::any()
                    .add(Expr::col(vehicle::Column::SpotId).in_subquery(spots(clusters)))
                    .add(
                        Expr::col(vehicle::Column::VirtualParkingId).in_subquery(
                            Query::select()
                                .column(virtual_parking::Column::Id)
                                .from(virtual_parking::Entity)
                                .and_where(
                                    Expr::col(virtual_parking::Column::ClusterId)
                                        .is_in(ids(clusters)),
                                )
                                .to_owned(),
                        ),
                    ),
            )
            .to_owned()
    }
}

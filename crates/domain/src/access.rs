//! Who may do what, where: grants resolved into the scope of one permission.
//!
//! A grant gives a user a permission (directly or through a role) globally or within one
//! organizational unit, optionally with the write modifier, from a start date to an optional
//! end date. Reading needs the permission; changing needs it with write. The scope of a
//! permission is global as soon as one live global grant gives it, otherwise the union of the
//! units of the live grants that give it.

use crate::Permission;
use chrono::{DateTime, Utc};
use std::collections::BTreeSet;
use std::sync::Arc;

/// The contents of one organizational unit, as far as scoping is concerned.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UnitScope {
    pub unit_id: i64,
    pub app_labels: BTreeSet<i64>,
    pub organizations: BTreeSet<i64>,
    pub networks: BTreeSet<i64>,
    /// Empty means every cluster of the unit's networks.
    pub clusters: BTreeSet<i64>,
}

/// One permission given to a user (role grants are expanded into one per permission).
#[derive(Debug, Clone)]
pub struct Grant {
    pub permission: Permission,
    pub write: bool,
    /// `None` for a global grant.
    pub unit: Option<Arc<UnitScope>>,
    pub start_date: DateTime<Utc>,
    pub end_date: Option<DateTime<Utc>>,
}

impl Grant {
    /// Whether the grant is in force at `now` (start inclusive, end exclusive).
    pub fn is_live(&self, now: DateTime<Utc>) -> bool {
        self.start_date <= now && self.end_date.is_none_or(|end| now < end)
    }
}

/// Where a permission holds for one user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    Global,
    /// The units where the permission holds; never empty.
    Units(Vec<Arc<UnitScope>>),
}

impl Scope {
    /// The scope of `permission` (with `write` if asked) among `grants`, or `None` when no live
    /// grant gives it.
    pub fn resolve(
        grants: &[Grant],
        permission: Permission,
        write: bool,
        now: DateTime<Utc>,
    ) -> Option<Scope> {
        let mut units: Vec<Arc<UnitScope>> = Vec::new();
        for grant in grants {
            if grant.permission != permission || (write && !grant.write) || !grant.is_live(now) {
                continue;
            }
            match &grant.unit {
                None => return Some(Scope::Global),
                Some(unit) if !units.iter().any(|u| u.unit_id == unit.unit_id) => {
                    units.push(unit.clone())
                }
                Some(_) => {}
            }
        }
        (!units.is_empty()).then_some(Scope::Units(units))
    }

    /// Where any permission other than `dashboard.access` holds: what a user is "authorized
    /// on" as a whole (the dashboard's network selector), or `None` when they hold nothing.
    pub fn any(grants: &[Grant], now: DateTime<Utc>) -> Option<Scope> {
        Permission::ALL
            .iter()
            .filter(|p| **p != Permission::DashboardAccess)
            .filter_map(|p| Scope::resolve(grants, *p, false, now))
            .reduce(|a, b| match (a, b) {
                (Scope::Units(mut mine), Scope::Units(theirs)) => {
                    for unit in theirs {
                        if !mine.iter().any(|u| u.unit_id == unit.unit_id) {
                            mine.push(unit);
                        }
                    }
                    Scope::Units(mine)
                }
                _ => Scope::Global,
            })
    }

    pub fn is_global(&self) -> bool {
        matches!(self, Scope::Global)
    }

    /// The networks this scope reaches; `None` means all of them.
    pub fn networks(&self) -> Option<BTreeSet<i64>> {
        self.collect(|u| &u.networks)
    }

    /// The app labels this scope reaches; `None` means all of them.
    pub fn app_labels(&self) -> Option<BTreeSet<i64>> {
        self.collect(|u| &u.app_labels)
    }

    /// The organizations this scope reaches; `None` means all of them.
    pub fn organizations(&self) -> Option<BTreeSet<i64>> {
        self.collect(|u| &u.organizations)
    }

    /// The organizational units this scope is made of; `None` for a global scope.
    pub fn unit_ids(&self) -> Option<BTreeSet<i64>> {
        match self {
            Scope::Global => None,
            Scope::Units(units) => Some(units.iter().map(|u| u.unit_id).collect()),
        }
    }

    pub fn allows_network(&self, network: i64) -> bool {
        self.networks().is_none_or(|n| n.contains(&network))
    }

    /// The ids among `networks` that this scope does not reach (empty when all are allowed).
    pub fn refused_networks(&self, networks: &[i64]) -> Vec<i64> {
        match self.networks() {
            None => Vec::new(),
            Some(allowed) => networks
                .iter()
                .copied()
                .filter(|n| !allowed.contains(n))
                .collect(),
        }
    }

    /// Whether a cluster of `network` is reached. A unit restricted to some clusters reaches only
    /// those; a unit without restriction reaches every cluster of its networks.
    pub fn allows_cluster(&self, network: i64, cluster: i64) -> bool {
        match self {
            Scope::Global => true,
            Scope::Units(units) => units.iter().any(|u| {
                u.networks.contains(&network)
                    && (u.clusters.is_empty() || u.clusters.contains(&cluster))
            }),
        }
    }

    /// Whether everything `unit` contains is within this scope: what a caller must satisfy to
    /// see, create, change or delete that unit, or to grant within it.
    pub fn covers(&self, unit: &UnitScope) -> bool {
        let Scope::Units(units) = self else {
            return true;
        };
        let within = |mine: Option<BTreeSet<i64>>, theirs: &BTreeSet<i64>| {
            mine.is_none_or(|m| theirs.is_subset(&m))
        };
        let clusters_within = unit.clusters.is_empty()
            || units.iter().any(|u| u.clusters.is_empty())
            || unit
                .clusters
                .iter()
                .all(|c| units.iter().any(|u| u.clusters.contains(c)));
        within(self.networks(), &unit.networks)
            && within(self.app_labels(), &unit.app_labels)
            && within(self.organizations(), &unit.organizations)
            && clusters_within
    }

    /// Whether this scope reaches a grant's place: a unit it covers, or, for a global grant
    /// (`None`), everywhere, which only a global scope does.
    pub fn reaches(&self, unit: Option<&UnitScope>) -> bool {
        match unit {
            None => self.is_global(),
            Some(unit) => self.covers(unit),
        }
    }

    fn collect(&self, field: impl Fn(&UnitScope) -> &BTreeSet<i64>) -> Option<BTreeSet<i64>> {
        match self {
            Scope::Global => None,
            Scope::Units(units) => Some(
                units
                    .iter()
                    .flat_map(|u| field(u).iter().copied())
                    .collect(),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn unit(id: i64, networks: &[i64]) -> Arc<UnitScope> {
        Arc::new(UnitScope {
            unit_id: id,
            networks: networks.iter().copied().collect(),
            ..Default::default()
        })
    }

    fn grant(permission: Permission, write: bool, unit: Option<Arc<UnitScope>>) -> Grant {
        Grant {
            permission,
            write,
            unit,
            start_date: Utc::now() - Duration::days(1),
            end_date: None,
        }
    }

    #[test]
    fn a_global_grant_wins_over_units() {
        let grants = [
            grant(Permission::Trips, false, Some(unit(1, &[1]))),
            grant(Permission::Trips, false, None),
        ];
        assert_eq!(
            Scope::resolve(&grants, Permission::Trips, false, Utc::now()),
            Some(Scope::Global)
        );
    }

    #[test]
    fn write_needs_the_write_modifier() {
        let grants = [grant(Permission::Trips, false, None)];
        assert!(Scope::resolve(&grants, Permission::Trips, true, Utc::now()).is_none());
        assert!(Scope::resolve(&grants, Permission::Trips, false, Utc::now()).is_some());
        assert!(Scope::resolve(&grants, Permission::Offers, false, Utc::now()).is_none());
    }

    #[test]
    fn grants_outside_their_dates_do_not_count() {
        let now = Utc::now();
        let mut expired = grant(Permission::Trips, true, None);
        expired.end_date = Some(now - Duration::seconds(1));
        let mut future = grant(Permission::Trips, true, None);
        future.start_date = now + Duration::hours(1);
        assert!(Scope::resolve(&[expired, future], Permission::Trips, false, now).is_none());
    }

    #[test]
    fn unit_scopes_union_their_networks() {
        let grants = [
            grant(Permission::Trips, false, Some(unit(1, &[1, 2]))),
            grant(Permission::Trips, false, Some(unit(2, &[5]))),
            grant(Permission::Offers, false, Some(unit(3, &[9]))),
        ];
        let scope = Scope::resolve(&grants, Permission::Trips, false, Utc::now()).unwrap();
        assert_eq!(scope.networks().unwrap(), [1, 2, 5].into());
        assert!(scope.allows_network(5));
        assert!(!scope.allows_network(9));
        assert_eq!(scope.refused_networks(&[1, 9, 5, 7]), vec![9, 7]);
        assert_eq!(scope.unit_ids().unwrap(), [1, 2].into());
    }

    #[test]
    fn cluster_restrictions_narrow_a_unit() {
        let restricted = Arc::new(UnitScope {
            unit_id: 1,
            networks: [1].into(),
            clusters: [10, 11].into(),
            ..Default::default()
        });
        let scope = Scope::Units(vec![restricted]);
        assert!(scope.allows_cluster(1, 10));
        assert!(!scope.allows_cluster(1, 12));
        assert!(!scope.allows_cluster(2, 10));
        assert!(Scope::Units(vec![unit(2, &[1])]).allows_cluster(1, 12));
    }

    #[test]
    fn covering_a_unit_means_holding_all_it_contains() {
        let scope = Scope::Units(vec![unit(1, &[1, 2])]);
        assert!(scope.covers(&UnitScope {
            unit_id: 7,
            networks: [2].into(),
            ..Default::default()
        }));
        assert!(!scope.covers(&UnitScope {
            unit_id: 7,
            networks: [2, 3].into(),
            ..Default::default()
        }));
        assert!(!scope.covers(&UnitScope {
            unit_id: 7,
            app_labels: [1].into(),
            ..Default::default()
        }));
        assert!(Scope::Global.covers(&UnitScope {
            unit_id: 7,
            networks: [3].into(),
            ..Default::default()
        }));
    }
}

//! Who may do what, where: grants resolved into the scope of one permission.
//!
//! A grant gives a user a permission (directly or through a role) globally or within one
//! organizational unit, optionally with the write modifier, from a start date to an optional
//! end date. Reading needs the permission; changing needs it with write. The scope of a
//! permission is global as soon as one live global grant gives it, otherwise the union of the
//! units of the live grants that give it.

use crate::Permission;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// The kinds of object an operation may touch, each resolved to where it belongs ([`Owner`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Object {
    /// A network as a whole: its settings and what belongs to no cluster.
    Network,
    /// The part of a network the caller reaches (a unit restricted to some of its clusters
    /// reaches part of it): operations on a network's per-cluster data, which narrow to it.
    NetworkPart,
    Cluster,
    Station,
    Spot,
    Vehicle,
    Stock,
    Maintenance,
    SpeedZone,
    VirtualParking,
    PricingRule,
    FleetAlert,
    OutOfOrder,
    HaulerConnection,
    OrganizationalUnit,
    /// An app label: reached by a scope holding it (units list app labels apart from networks).
    AppLabel,
    /// A user (rider or staff): reached by a scope that reaches one of the networks they have
    /// interacted with as a whole, or holds their app label. A user of no network and no app
    /// label needs a global scope.
    User,
    /// A trip: a rider's data, reached by a scope that reaches its network as a whole (riders
    /// belong to networks, not to clusters).
    Trip,
    /// A transaction: a rider's money, reached as a trip is (its network as a whole).
    Transaction,
    /// An invoice or credit note, named by its reference (text): reached as its network whole.
    Invoice,
}

impl Object {
    /// The object's name in messages ("no such vehicle").
    pub fn name(self) -> &'static str {
        match self {
            Object::Network | Object::NetworkPart => "network",
            Object::Cluster => "cluster",
            Object::Station => "station",
            Object::Spot => "spot",
            Object::Vehicle => "vehicle",
            Object::Stock => "stock",
            Object::Maintenance => "maintenance",
            Object::SpeedZone => "speed zone",
            Object::VirtualParking => "virtual parking",
            Object::PricingRule => "pricing rule",
            Object::FleetAlert => "fleet alert",
            Object::OutOfOrder => "out-of-order declaration",
            Object::HaulerConnection => "hauler connection",
            Object::OrganizationalUnit => "organizational unit",
            Object::AppLabel => "app label",
            Object::User => "user",
            Object::Trip => "trip",
            Object::Transaction => "transaction",
            Object::Invoice => "invoice",
        }
    }
}

/// Where an object belongs, as far as scope is concerned.
///
/// The rule, decided once: an object with a cluster (a cluster, its stations and spots, what
/// stands in them, a virtual parking of a cluster, their maintenances and alerts) needs a scope
/// that reaches that cluster; an object of the whole network (its settings, pricing, border,
/// speed zones, stocks, hauler connections, a free-floating vehicle) needs a scope that reaches
/// the whole network, which a unit restricted to some clusters does not; an object of no network
/// (an operator-wide stock or parking) needs a global scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Owner {
    pub network: Option<i64>,
    pub cluster: Option<i64>,
}

impl Owner {
    pub fn network(network: i64) -> Self {
        Owner {
            network: Some(network),
            cluster: None,
        }
    }

    pub fn cluster(network: i64, cluster: i64) -> Self {
        Owner {
            network: Some(network),
            cluster: Some(cluster),
        }
    }

    /// Belongs to no network: the operator's.
    pub fn operator() -> Self {
        Owner {
            network: None,
            cluster: None,
        }
    }
}

/// The contents of one organizational unit, as far as scoping is concerned.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UnitScope {
    pub unit_id: i64,
    pub app_labels: BTreeSet<i64>,
    pub organizations: BTreeSet<i64>,
    pub networks: BTreeSet<i64>,
    /// Empty means every cluster of the unit's networks.
    pub clusters: BTreeSet<i64>,
    /// The network of each cluster of `clusters`, as stored.
    pub cluster_networks: BTreeMap<i64, i64>,
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

    /// The networks this scope reaches as a whole (no cluster restriction); `None` means all
    /// of them. Where riders' data may be read.
    pub fn whole_networks(&self) -> Option<BTreeSet<i64>> {
        match self {
            Scope::Global => None,
            Scope::Units(units) => Some(
                units
                    .iter()
                    .filter(|u| u.clusters.is_empty())
                    .flat_map(|u| u.networks.iter().copied())
                    .collect(),
            ),
        }
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

    /// Whether the scope reaches anything in `network` (a unit restricted to some of its clusters
    /// does): what a list filtered on networks needs; the list then narrows its rows.
    pub fn touches_network(&self, network: i64) -> bool {
        self.networks().is_none_or(|n| n.contains(&network))
    }

    /// Whether the scope reaches the whole of `network`: a global scope, or a unit holding the
    /// network without cluster restriction. What changing a network-wide object needs.
    pub fn reaches_network(&self, network: i64) -> bool {
        match self {
            Scope::Global => true,
            Scope::Units(units) => units
                .iter()
                .any(|u| u.networks.contains(&network) && u.clusters.is_empty()),
        }
    }

    /// Whether the scope reaches an object belonging to `owner` (see [`Owner`] for the rule).
    pub fn reaches_owner(&self, owner: Owner) -> bool {
        match (owner.network, owner.cluster) {
            (None, _) => self.is_global(),
            (Some(network), None) => self.reaches_network(network),
            (Some(network), Some(cluster)) => self.allows_cluster(network, cluster),
        }
    }

    /// The clusters a list must narrow its rows to within `network`: `None` when the scope
    /// reaches the whole network, else the clusters it reaches there (possibly none).
    pub fn clusters_in(&self, network: i64) -> Option<BTreeSet<i64>> {
        if self.reaches_network(network) {
            return None;
        }
        let Scope::Units(units) = self else {
            return None;
        };
        Some(
            units
                .iter()
                .filter(|u| u.networks.contains(&network))
                .flat_map(|u| u.clusters.iter().copied())
                .collect(),
        )
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

    /// For each of `networks`, the clusters a list may show there: `None` for all of them.
    /// Networks the scope does not touch are left out.
    pub fn within(&self, networks: &[i64]) -> Vec<(i64, Option<BTreeSet<i64>>)> {
        networks
            .iter()
            .filter(|n| self.touches_network(**n))
            .map(|n| (*n, self.clusters_in(*n)))
            .collect()
    }

    /// Whether everything `unit` contains is within this scope: what a caller must satisfy to
    /// see, create, change or delete that unit, or to grant within it. A unit without cluster
    /// restriction holds its networks whole, so the scope must reach them whole; a restricted
    /// unit holds its clusters, each of which the scope must reach in the cluster's network.
    pub fn covers(&self, unit: &UnitScope) -> bool {
        if self.is_global() {
            return true;
        }
        let within = |mine: Option<BTreeSet<i64>>, theirs: &BTreeSet<i64>| {
            mine.is_none_or(|m| theirs.is_subset(&m))
        };
        let places = if unit.clusters.is_empty() {
            unit.networks.iter().all(|n| self.reaches_network(*n))
        } else {
            within(self.networks(), &unit.networks)
                && unit.clusters.iter().all(|c| {
                    unit.cluster_networks
                        .get(c)
                        .is_some_and(|n| self.allows_cluster(*n, *c))
                })
        };
        places
            && within(self.app_labels(), &unit.app_labels)
            && within(self.organizations(), &unit.organizations)
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

/// Whether an email matches an access rule's `email_pattern`, as PostgreSQL's `ILIKE` would:
/// `%` is any run of characters (none included), `_` exactly one character, `\` makes the next
/// character literal (a trailing `\` is itself), anything else is literal, without regard to
/// case. The pattern must cover the whole email; an empty pattern matches only an empty email.
///
/// Greedy two-pointer matching (backtracking only to the last `%`): O(pattern × email) at worst,
/// never exponential, whatever a rule contains.
pub fn email_matches(pattern: &str, email: &str) -> bool {
    let pattern = like_tokens(&pattern.to_lowercase());
    let email: Vec<char> = email.to_lowercase().chars().collect();
    let (mut p, mut e) = (0, 0);
    // After a `%`: the pattern position following it and the email position it was tried at.
    let mut star: Option<(usize, usize)> = None;
    while e < email.len() {
        match pattern.get(p) {
            Some(LikeToken::Any) => {
                star = Some((p + 1, e));
                p += 1;
            }
            Some(LikeToken::One) => (p, e) = (p + 1, e + 1),
            Some(LikeToken::Char(c)) if *c == email[e] => (p, e) = (p + 1, e + 1),
            _ => match star {
                // Let the last `%` take one more character and try again from there.
                Some((after, tried)) => {
                    star = Some((after, tried + 1));
                    (p, e) = (after, tried + 1);
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|t| *t == LikeToken::Any)
}

/// One element of a LIKE pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LikeToken {
    /// `%`: any run of characters.
    Any,
    /// `_`: one character.
    One,
    /// A literal character.
    Char(char),
}

/// The tokens of a LIKE pattern, consecutive `%` merged (they match the same).
fn like_tokens(pattern: &str) -> Vec<LikeToken> {
    let mut tokens = Vec::with_capacity(pattern.len());
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        let token = match c {
            '%' => LikeToken::Any,
            '_' => LikeToken::One,
            '\\' => LikeToken::Char(chars.next().unwrap_or('\\')),
            other => LikeToken::Char(other),
        };
        if !(token == LikeToken::Any && tokens.last() == Some(&LikeToken::Any)) {
            tokens.push(token);
        }
    }
    tokens
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
        assert!(scope.touches_network(5));
        assert!(!scope.touches_network(9));
        assert_eq!(scope.refused_networks(&[1, 9, 5, 7]), vec![9, 7]);
        assert_eq!(scope.unit_ids().unwrap(), [1, 2].into());
    }

    #[test]
    fn cluster_restrictions_narrow_a_unit() {
        let restricted = Arc::new(UnitScope {
            unit_id: 1,
            networks: [1].into(),
            clusters: [10, 11].into(),
            cluster_networks: [(10, 1), (11, 1)].into(),
            ..Default::default()
        });
        let scope = Scope::Units(vec![restricted]);
        assert!(scope.allows_cluster(1, 10));
        assert!(!scope.allows_cluster(1, 12));
        assert!(!scope.allows_cluster(2, 10));
        assert!(Scope::Units(vec![unit(2, &[1])]).allows_cluster(1, 12));
        // A restricted unit touches its network but does not reach it whole.
        assert!(scope.touches_network(1));
        assert!(!scope.reaches_network(1));
        assert!(scope.reaches_owner(Owner::cluster(1, 10)));
        assert!(!scope.reaches_owner(Owner::cluster(1, 12)));
        assert!(!scope.reaches_owner(Owner::network(1)));
        assert!(!scope.reaches_owner(Owner::operator()));
        assert_eq!(scope.clusters_in(1), Some([10, 11].into()));
        assert_eq!(scope.clusters_in(2), Some(BTreeSet::new()));
        assert_eq!(Scope::Units(vec![unit(2, &[1])]).clusters_in(1), None);
    }

    #[test]
    fn a_restricted_scope_covers_only_units_as_narrow() {
        let restricted = Scope::Units(vec![Arc::new(UnitScope {
            unit_id: 1,
            networks: [1].into(),
            clusters: [10].into(),
            cluster_networks: [(10, 1)].into(),
            ..Default::default()
        })]);
        let whole = UnitScope {
            unit_id: 7,
            networks: [1].into(),
            ..Default::default()
        };
        assert!(!restricted.covers(&whole), "widening to the whole network");
        let same = UnitScope {
            clusters: [10].into(),
            cluster_networks: [(10, 1)].into(),
            ..whole.clone()
        };
        assert!(restricted.covers(&same));
        let other = UnitScope {
            clusters: [11].into(),
            cluster_networks: [(11, 1)].into(),
            ..whole.clone()
        };
        assert!(!restricted.covers(&other));
        // A cluster of another network is not covered by a scope of network 1.
        let network_wide = Scope::Units(vec![unit(2, &[1])]);
        let foreign = UnitScope {
            clusters: [5].into(),
            cluster_networks: [(5, 2)].into(),
            ..whole.clone()
        };
        assert!(!network_wide.covers(&foreign));
        assert!(network_wide.covers(&same));
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

    #[test]
    fn email_patterns_follow_like() {
        for (pattern, email, expected) in [
            ("%@relais.org", "ana@relais.org", true),
            ("%@relais.org", "ana@relais.org.evil.com", false),
            ("%@relais.org", "@relais.org", true),
            ("ana@relais.org", "ana@relais.org", true),
            ("ana@relais.org", "anna@relais.org", false),
            ("an_@relais.org", "ana@relais.org", true),
            ("an_@relais.org", "an@relais.org", false),
            ("an_@relais.org", "anna@relais.org", false),
            ("%", "", true),
            ("%", "anything@at.all", true),
            ("_", "", false),
            ("", "", true),
            ("", "a@b.c", false),
            ("%%%", "a@b.c", true),
            ("a%b%c", "abc", true),
            ("a%b%c", "aXbYc", true),
            ("a%b%c", "aXbY", false),
            ("%student%", "jo.student.42@univ.fr", true),
            ("%.edu", "x@y.edu", true),
            ("%.edu", "x@yedu", false),
            // Literal regular-expression characters and escapes.
            ("a+b@x.org", "a+b@x.org", true),
            ("a+b@x.org", "aab@x.org", false),
            ("(a)|[b]*?{c}#@x.org", "(a)|[b]*?{c}#@x.org", true),
            (r"100\%@x.org", "100%@x.org", true),
            (r"100\%@x.org", "1000@x.org", false),
            (r"a\_b@x.org", "a_b@x.org", true),
            (r"a\_b@x.org", "axb@x.org", false),
            (r"a\\b@x.org", r"a\b@x.org", true),
            (r"trailing\", r"trailing\", true),
        ] {
            assert_eq!(
                email_matches(pattern, email),
                expected,
                "{pattern:?} ~ {email:?}"
            );
        }
    }

    #[test]
    fn email_patterns_ignore_case_and_count_characters() {
        assert!(email_matches("%@RELAIS.org", "Ana@Relais.ORG"));
        assert!(email_matches("ÉLODIE@%", "élodie@relais.org"));
        // `_` is one character, not one byte.
        assert!(email_matches("_lodie@relais.org", "élodie@relais.org"));
        assert!(!email_matches("__lodie@relais.org", "élodie@relais.org"));
    }

    #[test]
    fn pathological_patterns_stay_fast() {
        // Exponential for a naive backtracking matcher; quadratic at worst here.
        let pattern = format!("{}b", "%a".repeat(40));
        let email = "a".repeat(20_000);
        let started = std::time::Instant::now();
        assert!(!email_matches(&pattern, &email));
        assert!(email_matches(&pattern, &format!("{email}b")));
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
        let underscores = "_".repeat(5_000);
        assert!(email_matches(&format!("%{underscores}%"), &email));
        assert!(!email_matches(&underscores, &email));
    }
}

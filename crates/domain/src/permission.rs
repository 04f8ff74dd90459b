//! The 36 permission keys of the Dashboard API (seed 004) and their localized labels.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use utoipa::ToSchema;

macro_rules! permissions {
    ($($variant:ident = $key:literal, $en:literal, $fr:literal;)*) => {
        /// A Dashboard permission key, as the seed spells it.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
        pub enum Permission {
            $(#[serde(rename = $key)] #[schema(rename = $key)] $variant,)*
        }

        impl Permission {
            /// Every permission, in the seed's order.
            pub const ALL: &'static [Permission] = &[$(Permission::$variant,)*];

            /// The key as the seed spells it (`networks.manage`).
            pub fn key(self) -> &'static str {
                match self { $(Permission::$variant => $key,)* }
            }

            /// A human label in `lang` (ISO 639-1); English when the language is not translated.
            pub fn label(self, lang: &str) -> &'static str {
                match (self, lang) {
                    $((Permission::$variant, "fr") => $fr,)*
                    $((Permission::$variant, _) => $en,)*
                }
            }
        }

        impl FromStr for Permission {
            type Err = UnknownPermission;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($key => Ok(Permission::$variant),)*
                    _ => Err(UnknownPermission(s.to_owned())),
                }
            }
        }
    };
}

permissions! {
    NetworksManage = "networks.manage", "Manage networks", "Gérer les réseaux";
    VehiclesRegister = "vehicles.register", "Register vehicles", "Enregistrer des véhicules";
    Maintenances = "maintenances", "Maintenances", "Maintenances";
    UnlockAdmin = "unlock.admin", "Unlock as administrator", "Déverrouiller en administrateur";
    NetworksShowPrivate = "networks.show.private", "Show private networks", "Voir les réseaux privés";
    DashboardAccess = "dashboard.access", "Access the dashboard", "Accéder au tableau de bord";
    UsersList = "users.list", "List users", "Lister les utilisateurs";
    Demonstration = "demonstration", "Demonstration mode", "Mode démonstration";
    Stations = "stations", "Stations", "Stations";
    StationsAdvanced = "stations.advanced", "Advanced station operations", "Opérations avancées sur les stations";
    UsersPermissions = "users.permissions", "Manage user permissions", "Gérer les permissions des utilisateurs";
    UsersBlock = "users.block", "Block users", "Bloquer des utilisateurs";
    UsersCredits = "users.credits", "Manage user credits", "Gérer les crédits des utilisateurs";
    Transactions = "transactions", "Transactions", "Transactions";
    Developer = "developer", "Developer tools", "Outils de développement";
    EmailsNewsletters = "emails.newsletters", "Newsletters", "Lettres d'information";
    EmailsTransactional = "emails.transactional", "Transactional emails", "E-mails transactionnels";
    EmailsTemplates = "emails.templates", "Email templates", "Modèles d'e-mails";
    UsersSupport = "users.support", "User support", "Support utilisateurs";
    Trips = "trips", "Trips", "Trajets";
    StocksVehicles = "stocks.vehicles", "Vehicles in stocks", "Véhicules en stock";
    StocksManage = "stocks.manage", "Manage stocks", "Gérer les stocks";
    VehiclesManage = "vehicles.manage", "Manage vehicles", "Gérer les véhicules";
    Notifications = "notifications", "Notifications", "Notifications";
    Offers = "offers", "Offers", "Offres";
    LongTermRentals = "long.term.rentals", "Long-term rentals", "Locations longue durée";
    VehiclesAlerts = "vehicles.alerts", "Vehicle alerts", "Alertes véhicules";
    TermsOfUse = "terms.of.use", "Terms of use", "Conditions d'utilisation";
    Organizations = "organizations", "Organizations", "Organisations";
    UsersBadges = "users.badges", "User badges", "Badges utilisateurs";
    VirtualParking = "virtual.parking", "Virtual parkings", "Parkings virtuels";
    AppDebug = "app.debug", "App debugging", "Débogage de l'application";
    Roles = "roles", "Roles", "Rôles";
    FeatureBeta = "feature.beta", "Beta features", "Fonctionnalités bêta";
    Faq = "faq", "FAQ", "FAQ";
    AppLabel = "app.label", "App labels", "Marques blanches";
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// A permission key that the seed does not define.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown permission `{0}`")]
pub struct UnknownPermission(pub String);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seed_defines_36_distinct_keys_that_round_trip() {
        assert_eq!(Permission::ALL.len(), 36);
        let mut keys: Vec<_> = Permission::ALL.iter().map(|p| p.key()).collect();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), 36);
        for p in Permission::ALL {
            assert_eq!(p.key().parse::<Permission>().unwrap(), *p);
            assert_eq!(p.to_string(), p.key());
        }
        assert!("networks".parse::<Permission>().is_err());
    }

    #[test]
    fn labels_fall_back_to_english() {
        assert_eq!(Permission::Trips.label("fr"), "Trajets");
        assert_eq!(Permission::Trips.label("de"), "Trips");
    }
}

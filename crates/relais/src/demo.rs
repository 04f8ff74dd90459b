//! The demonstration dataset: a small, realistic operator with its staff, three networks and
//! their fleet. Later issues add riders and trips to it.

mod fleet;
mod haulers;
mod operator;
mod riders;

use chrono::{Duration, Utc};
use rand::distributions::{Alphanumeric, DistString};
use relais_domain::Permission;
use relais_domain::credentials::hash_password;
use relais_store::grants::{self, GrantTerms, Granted};
use relais_store::units::UnitContents;
use relais_store::users::NewUser;
use relais_store::{Db, roles, setup, units, users};
use std::collections::BTreeSet;

pub const DEMO_ADMIN: &str = "admin@demo.relais.example";

/// What `relais demo` tells the person who ran it.
pub struct Loaded {
    pub admin_email: String,
    pub admin_password: String,
    /// Other accounts to sign in as, printed once: (who, email, password).
    pub others: Vec<(&'static str, String, String)>,
}

/// A random password of 20 letters and digits.
fn new_password() -> String {
    Alphanumeric.sample_string(&mut rand::thread_rng(), 20)
}

/// Whether the dataset is loaded (its administrator exists).
pub async fn is_loaded(db: &Db) -> anyhow::Result<bool> {
    Ok(users::find_by_email(db, DEMO_ADMIN).await?.is_some())
}

/// Give the dataset's administrator a new random password, to print: the one printed at
/// loading is not kept anywhere.
pub async fn reset_password(db: &Db) -> anyhow::Result<Loaded> {
    let Some(admin) = users::find_by_email(db, DEMO_ADMIN).await? else {
        anyhow::bail!("the demonstration dataset is not loaded (run `relais demo` first)");
    };
    let password = new_password();
    users::set_password_hash(db, admin.id, hash_password(&password)).await?;
    Ok(Loaded {
        others: Vec::new(),
        admin_email: admin.email,
        admin_password: password,
    })
}

/// Load the dataset; `None` when it is already there.
pub async fn load(db: &Db) -> anyhow::Result<Option<Loaded>> {
    if is_loaded(db).await? {
        return Ok(None);
    }
    let password = new_password();
    let admin = setup::create_admin(
        db,
        NewUser {
            email: DEMO_ADMIN.into(),
            password_hash: Some(hash_password(&password)),
            first_name: Some("Camille".into()),
            last_name: Some("Durand".into()),
            language: Some("en".into()),
            ..Default::default()
        },
    )
    .await?;

    use Permission as P;
    let role_specs: [(&str, &[Permission]); 3] = [
        (
            "fleet-technician",
            &[
                P::DashboardAccess,
                P::Maintenances,
                P::Stations,
                P::VehiclesManage,
                P::StocksVehicles,
                P::VehiclesAlerts,
            ],
        ),
        (
            "support-agent",
            &[
                P::DashboardAccess,
                P::UsersList,
                P::UsersSupport,
                P::Trips,
                P::UsersCredits,
            ],
        ),
        (
            "network-manager",
            &[
                P::DashboardAccess,
                P::NetworksManage,
                P::Stations,
                P::StationsAdvanced,
                P::VirtualParking,
                P::Notifications,
                P::Offers,
                P::UsersPermissions,
            ],
        ),
    ];
    let mut demo_roles = Vec::new();
    for (key, perms) in role_specs {
        let perms: BTreeSet<Permission> = perms.iter().copied().collect();
        demo_roles.push(match roles::find_by_key(db, key).await? {
            Some(role) => role,
            None => roles::create(db, key, &perms).await?,
        });
    }

    let operator = operator::load(db).await?;
    haulers::load(db, operator.lyon).await?;
    fleet::load(
        db,
        &[
            fleet::FleetNetwork {
                id: operator.lyon,
                prefix: "LY",
                centre: [4.8357, 45.7578],
                clusters: ["Bellecour", "Part-Dieu", "Terreaux", "Perrache"],
            },
            fleet::FleetNetwork {
                id: operator.toronto,
                prefix: "TO",
                centre: [-79.3832, 43.6532],
                clusters: [
                    "Union Station",
                    "Queen & Spadina",
                    "Distillery",
                    "Yorkville",
                ],
            },
            fleet::FleetNetwork {
                id: operator.tashkent,
                prefix: "TA",
                centre: [69.2797, 41.3111],
                clusters: ["Amir Temur", "Chorsu", "Mustaqillik", "Yunusobod"],
            },
        ],
        admin.id,
    )
    .await?;
    let lyon = units::create(
        db,
        "Lyon operations",
        &UnitContents {
            networks: [operator.lyon].into(),
            app_labels: [operator.app_label].into(),
            ..Default::default()
        },
    )
    .await?;
    let paris = units::create(
        db,
        "International operations",
        &UnitContents {
            networks: [operator.toronto, operator.tashkent].into(),
            app_labels: [operator.app_label].into(),
            ..Default::default()
        },
    )
    .await?;

    let staff = [
        (
            "lea.martin@demo.relais.example",
            "Léa",
            "Martin",
            0,
            lyon.id,
            true,
        ),
        (
            "hugo.bernard@demo.relais.example",
            "Hugo",
            "Bernard",
            1,
            paris.id,
            false,
        ),
        (
            "ines.petit@demo.relais.example",
            "Inès",
            "Petit",
            2,
            lyon.id,
            true,
        ),
    ];
    let mut others = Vec::new();
    for (email, first, last, role, unit, write) in staff {
        let staff_password = new_password();
        others.push((role_specs[role].0, email.to_owned(), staff_password.clone()));
        let user = users::create(
            db,
            NewUser {
                email: email.into(),
                password_hash: Some(hash_password(&staff_password)),
                first_name: Some(first.into()),
                last_name: Some(last.into()),
                language: Some("fr".into()),
                ..Default::default()
            },
        )
        .await?;
        grants::put(
            db,
            user.id,
            Granted::Role(demo_roles[role].id),
            GrantTerms {
                unit_id: Some(unit),
                write,
                start_date: Utc::now() - Duration::days(30),
                end_date: Some(Utc::now() + Duration::days(335)),
                granted_by: None,
            },
        )
        .await?;
    }
    let (rider_email, rider_password) = riders::load(
        db,
        operator.app_label,
        &[
            (operator.lyon, "EUR"),
            (operator.toronto, "CAD"),
            (operator.tashkent, "UZS"),
        ],
        300,
        admin.id,
    )
    .await?;
    others.push(("rider", rider_email, rider_password));
    Ok(Some(Loaded {
        admin_email: DEMO_ADMIN.into(),
        admin_password: password,
        others,
    }))
}

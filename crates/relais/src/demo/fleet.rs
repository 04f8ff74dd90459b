//! The fleet in the demonstration: clusters with stations and spots on each network, vehicles
//! docked or free-floating, the usual maintenance types, one open maintenance and one alert.

use chrono::Utc;
use relais_domain::alerts::{AlertSeverity, AlertType};
use relais_domain::maintenance::{MaintenanceSeverity, MaintenanceTargetType};
use relais_store::Db;
use relais_store::clusters::{self, NewCluster, NewStation};
use relais_store::entity::{spot, vehicle};
use relais_store::fleet_alerts::{self, NewAlert};
use relais_store::maintenances::{self, NewMaintenance};
use relais_store::vehicles::{self, NewVehicle};
use sea_orm::{ActiveModelTrait, Set};

/// A network of the demonstration and where its clusters stand.
pub struct FleetNetwork {
    pub id: i64,
    /// Serial prefix of its vehicles and stations (two letters).
    pub prefix: &'static str,
    pub centre: [f64; 2],
    /// Cluster names, in the local language.
    pub clusters: [&'static str; 4],
}

pub async fn load(db: &Db, networks: &[FleetNetwork], admin_id: i64) -> anyhow::Result<()> {
    for (key, target, severity) in [
        (
            "flat-tyre",
            MaintenanceTargetType::Vehicle,
            MaintenanceSeverity::Low,
        ),
        (
            "brake",
            MaintenanceTargetType::Vehicle,
            MaintenanceSeverity::High,
        ),
        (
            "light",
            MaintenanceTargetType::Vehicle,
            MaintenanceSeverity::Low,
        ),
        (
            "lock",
            MaintenanceTargetType::Spot,
            MaintenanceSeverity::High,
        ),
        (
            "screen",
            MaintenanceTargetType::Station,
            MaintenanceSeverity::Info,
        ),
        (
            "power",
            MaintenanceTargetType::Station,
            MaintenanceSeverity::High,
        ),
    ] {
        maintenances::create_type(db, key, target, severity).await?;
    }
    let brake = maintenances::type_by_key(db, "brake")
        .await?
        .ok_or_else(|| anyhow::anyhow!("maintenance type brake"))?;

    for network in networks {
        let [lng, lat] = network.centre;
        let mut created = Vec::new();
        for (index, name) in network.clusters.iter().enumerate() {
            let offset = index as f64 * 0.004;
            let cluster = clusters::create(
                db,
                NewCluster {
                    network_id: network.id,
                    name: (*name).into(),
                    latitude: lat + offset - 0.006,
                    longitude: lng - offset + 0.006,
                    location: format!("{name} (centre)"),
                    badge_reader: index == 0,
                    stations: (0..(1 + index % 2))
                        .map(|s| NewStation {
                            serial: format!("{}ST{:02}{}", network.prefix, index + 1, s + 1),
                            name: format!("{name} {}", s + 1),
                            spot_count: 8,
                        })
                        .collect(),
                },
            )
            .await?;
            created.push(cluster.id);
        }
        let mut fleet = Vec::new();
        for n in 1..=16 {
            fleet.push(
                vehicles::register(
                    db,
                    NewVehicle {
                        serial: format!("{}{:04}", network.prefix, n),
                        network_id: network.id,
                        model_id: 1 + (n % 4),
                    },
                )
                .await?,
            );
        }
        // Half the fleet docked in free spots, the other half free-floating around the centre.
        let mut free_spots = Vec::new();
        for cluster in &created {
            for station in clusters::stations(db, *cluster).await? {
                free_spots.extend(station.spots.into_iter().map(|(spot, _)| spot));
            }
        }
        let mut free_spots = free_spots.into_iter();
        for (n, v) in fleet.iter().enumerate() {
            let mut change = vehicle::ActiveModel {
                id: Set(v.id),
                battery: Set(Some(35 + (n as i32 * 7) % 65)),
                last_seen_at: Set(Some(Utc::now())),
                ..Default::default()
            };
            if n % 2 == 0
                && let Some(free) = free_spots.next()
            {
                spot::ActiveModel {
                    id: Set(free.id),
                    vehicle_id: Set(Some(v.id)),
                    occupied: Set(true),
                    ..Default::default()
                }
                .update(db)
                .await?;
                change.spot_id = Set(Some(free.id));
            } else {
                change.latitude = Set(Some(lat + (n as f64 - 8.0) * 0.0007));
                change.longitude = Set(Some(lng + (n as f64 - 8.0) * 0.0009));
            }
            change.update(db).await?;
        }
        maintenances::open(
            db,
            NewMaintenance {
                type_id: brake.id,
                kind: MaintenanceTargetType::Vehicle,
                target_id: fleet[3].id,
                comment: Some("Rear brake squeaks, reported by a rider".into()),
                opened_by: admin_id,
            },
        )
        .await?;
        fleet_alerts::raise(
            db,
            NewAlert {
                network_id: network.id,
                alert_type: AlertType::VehicleFallen,
                severity: AlertSeverity::Low,
                cluster_id: None,
                station_id: None,
                spot_id: None,
                vehicle_id: Some(fleet[5].id),
                user_id: None,
                details: "Tilt sensor reported the vehicle lying on its side".into(),
                created_at: Utc::now(),
            },
        )
        .await?;
    }
    Ok(())
}

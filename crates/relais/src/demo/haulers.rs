//! A third-party hauler (seed 003) that has asked to work for the Lyon network.

use relais_store::{Db, haulers};

pub const DEMO_HAULER_EMAIL: &str = "dispatch@rhone-hauling.demo.relais.example";

/// Create the hauler, its dispatcher and a pending connection to `network_id`.
pub async fn load(db: &Db, network_id: i64) -> anyhow::Result<()> {
    let (hauler, user) =
        crate::hauler_cli::create_hauler(db, "Rhône Hauling", DEMO_HAULER_EMAIL).await?;
    haulers::request(db, hauler.id, network_id, user.id, chrono::Utc::now()).await?;
    Ok(())
}

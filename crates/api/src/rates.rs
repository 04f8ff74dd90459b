//! The reference rates the server converts money with: the snapshot shipped in the binary
//! (`relais_domain::rates`), extended by the European Central Bank's daily file fetched from a
//! configurable address, so that conversion works offline and is current when online.

use relais_domain::rates::RateTable;
use std::sync::{Arc, RwLock};
use std::time::Duration;

/// How often the daily file is fetched again (the ECB publishes around 16:00 CET).
const REFRESH: Duration = Duration::from_secs(6 * 3600);

/// The rates in use, shared by every request; cheap to clone.
#[derive(Clone)]
pub struct Rates(Arc<RwLock<Arc<RateTable>>>);

impl Default for Rates {
    fn default() -> Self {
        Rates(Arc::new(RwLock::new(Arc::new(
            RateTable::shipped().clone(),
        ))))
    }
}

impl Rates {
    /// The table in use now.
    pub fn current(&self) -> Arc<RateTable> {
        self.0.read().expect("rates lock").clone()
    }

    /// Add the days of `fetched` (a fetched day replaces the same day).
    pub fn merge(&self, fetched: RateTable) {
        let mut table = (*self.current()).clone();
        table.merge(fetched);
        *self.0.write().expect("rates lock") = Arc::new(table);
    }

    /// Fetch the file at `url` and merge it, once.
    pub async fn fetch(&self, client: &reqwest::Client, url: &str) -> Result<(), String> {
        let text = client
            .get(url)
            .timeout(Duration::from_secs(30))
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|e| e.without_url().to_string())?
            .text()
            .await
            .map_err(|e| e.without_url().to_string())?;
        let table = RateTable::parse(&text).map_err(|e| e.to_string())?;
        self.merge(table);
        Ok(())
    }

    /// Fetch `url` now and every few hours, for as long as the server runs.
    pub fn follow(&self, url: String) {
        let rates = self.clone();
        tokio::spawn(async move {
            let client = reqwest::Client::new();
            loop {
                match rates.fetch(&client, &url).await {
                    Ok(()) => tracing::info!(
                        last_day = ?rates.current().last_day(),
                        "reference rates refreshed"
                    ),
                    Err(error) => tracing::warn!(
                        %error,
                        "could not refresh the reference rates; converting with those already held"
                    ),
                }
                tokio::time::sleep(REFRESH).await;
            }
        });
    }
}

//! Configuration, layered: defaults < TOML file < `RELAIS_*` environment < command-line flags.

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use relais_api::storage::StorageConfig;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// Every setting of the server. `relais.example.toml` lists them all.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Config {
    /// Address and port to listen on.
    pub listen: SocketAddr,
    /// Folder for everything the server keeps by default: SQLite database, files.
    pub data_dir: PathBuf,
    /// `postgres://...` or `sqlite://...`; default: SQLite at `<data_dir>/relais.db`.
    pub database_url: Option<String>,
    /// A file holding the database URL (for secrets mounted as files).
    pub database_url_file: Option<PathBuf>,
    /// Largest number of pooled database connections.
    pub database_max_connections: u32,
    /// `text` or `json`.
    pub log_format: LogFormat,
    /// A `tracing` filter, such as `info` or `relais=debug,info`.
    pub log_level: String,
    /// Longest time a request may take, in seconds.
    pub request_timeout_secs: u64,
    /// Largest request body, in bytes.
    pub body_limit_bytes: usize,
    /// Lifetime of the tokens given by `POST /auth/login`, in hours.
    pub login_token_ttl_hours: i64,
    /// Take the client address from `X-Forwarded-For` (only behind a trusted proxy).
    pub trust_forwarded_for: bool,
    /// Where files go; default: the folder `<data_dir>/files`.
    pub storage: Option<StorageConfig>,
    /// The Odoo ERP third parties are imported from; none by default.
    pub erp: Option<ErpConfig>,
    /// The MQTT broker of the IoT link (`mqtt://host:port`); none: the link is disabled.
    pub mqtt_url: Option<String>,
    /// The MQTT client id relais connects with.
    pub mqtt_client_id: String,
    /// The first segment(s) of every IoT topic (`<prefix>/vehicles/<serial>/telemetry`...).
    pub mqtt_topic_prefix: String,
    /// The sender of mails without an app label's own sender settings.
    pub mail_from: String,
    /// Where mails are written as `.eml` files when no `[smtp]` is configured; default
    /// `<data_dir>/outbox`.
    pub outbox_dir: Option<PathBuf>,
    /// `[smtp]`: host, port, security (`tls`, `starttls`, `none`), username, password or
    /// password_file, root_certificate (a PEM file of the private CA(s) that signed the relay's
    /// certificate). Mail goes out by SMTP instead of the outbox folder.
    pub smtp: Option<figment::value::Value>,
    /// `[fcm]`: service_account_file. Push notifications to Android through FCM HTTP v1.
    pub fcm: Option<figment::value::Value>,
    /// `[apns]`: team_id, key_id, private_key or private_key_file (.p8), topic, base_url.
    pub apns: Option<figment::value::Value>,
    /// `[twilio]`: account_sid, secret or secret_file, from. SMS through Twilio.
    pub twilio: Option<figment::value::Value>,
    /// `[payments]`: provider (`sandbox`, `stripe`), `[payments.stripe]` secret_key or
    /// secret_key_file, webhook_secret; `[payments.sandbox]` secret. Default: the sandbox.
    pub payments: Option<figment::value::Value>,
    /// The key of the sandbox provider's card fingerprints, at least 16 bytes.
    pub sandbox_secret: Option<String>,
    /// Where the ECB's daily reference rates are fetched from; empty to use only the snapshot
    /// shipped in the binary.
    pub rates_url: String,
    /// Requests a minute each rider (or client address without a token) may make to the rider
    /// API, and how many at once; past them the answer is 429.
    pub rider_requests_per_minute: std::num::NonZeroU32,
    pub rider_burst: std::num::NonZeroU32,
    /// Durable jobs (the ride's timers, settlements, invoices) run at once by this process.
    pub job_workers: std::num::NonZeroUsize,
    /// Seconds a vehicle has to answer a trip's unlock before the trip is cancelled.
    pub unlock_timeout_secs: u64,
    /// Seconds "Start a trip" waits for that answer before it answers `unlocking`.
    pub unlock_wait_secs: u64,
}

/// Where and as whom to reach the Odoo ERP. `Debug` never shows the API key.
#[derive(Clone, Serialize, Deserialize)]
pub struct ErpConfig {
    /// Base URL of the Odoo server (`https://erp.example.com`).
    pub url: String,
    /// Name of the Odoo database.
    pub database: String,
    /// Login of the Odoo user relais acts as.
    pub login: String,
    /// API key of that user.
    pub api_key: Option<String>,
    /// A file holding the API key (for secrets mounted as files).
    pub api_key_file: Option<PathBuf>,
}

impl std::fmt::Debug for ErpConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ErpConfig")
            .field("url", &self.url)
            .field("database", &self.database)
            .field("login", &self.login)
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("api_key_file", &self.api_key_file)
            .finish()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: "127.0.0.1:8080".parse().expect("valid default address"),
            data_dir: PathBuf::from("relais-data"),
            database_url: None,
            database_url_file: None,
            database_max_connections: 10,
            log_format: LogFormat::Text,
            // Migrations log each step at INFO, on every command: only their warnings.
            log_level: "info,sea_orm_migration=warn".into(),
            request_timeout_secs: 30,
            body_limit_bytes: 2 * 1024 * 1024,
            login_token_ttl_hours: 24 * 30,
            trust_forwarded_for: false,
            storage: None,
            erp: None,
            mqtt_url: None,
            mqtt_client_id: "relais".into(),
            mqtt_topic_prefix: "relais".into(),
            mail_from: "no-reply@relais.localhost".into(),
            outbox_dir: None,
            smtp: None,
            fcm: None,
            apns: None,
            twilio: None,
            payments: None,
            sandbox_secret: None,
            rates_url: relais_domain::rates::ECB_DAILY_URL.into(),
            rider_requests_per_minute: relais_api::ApiSettings::default().rider_requests_per_minute,
            rider_burst: relais_api::ApiSettings::default().rider_burst,
            job_workers: std::num::NonZeroUsize::new(4).expect("not zero"),
            unlock_timeout_secs: 30,
            unlock_wait_secs: 8,
        }
    }
}

/// The keys a TOML file may hold; anything else is warned about.
const KNOWN_KEYS: &[&str] = &[
    "listen",
    "data_dir",
    "database_url",
    "database_url_file",
    "database_max_connections",
    "log_format",
    "log_level",
    "request_timeout_secs",
    "body_limit_bytes",
    "login_token_ttl_hours",
    "trust_forwarded_for",
    "storage",
    "erp",
    "mqtt_url",
    "mqtt_client_id",
    "mqtt_topic_prefix",
    "mail_from",
    "outbox_dir",
    "smtp",
    "fcm",
    "apns",
    "twilio",
    "payments",
    "sandbox_secret",
    "rates_url",
    "rider_requests_per_minute",
    "rider_burst",
    "job_workers",
    "unlock_timeout_secs",
    "unlock_wait_secs",
];

/// Flags that override the file and the environment; `None` leaves the setting alone.
#[derive(Debug, Default, Serialize)]
pub struct Overrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<SocketAddr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_format: Option<LogFormat>,
}

impl Config {
    /// Load the layers. `file` defaults to `relais.toml` when it exists. Returns the config and
    /// warnings to log once logging is set up.
    pub fn load(
        file: Option<&Path>,
        overrides: Overrides,
    ) -> anyhow::Result<(Config, Vec<String>)> {
        let mut warnings = Vec::new();
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        let file = file
            .map(Path::to_path_buf)
            .or_else(|| Some(PathBuf::from("relais.toml")).filter(|p| p.exists()));
        if let Some(file) = &file {
            let text = std::fs::read_to_string(file)
                .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
            let table: toml::Table =
                toml::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            for key in table.keys().filter(|k| !KNOWN_KEYS.contains(&k.as_str())) {
                warnings.push(format!(
                    "{}: unknown setting `{key}` ignored",
                    file.display()
                ));
            }
            figment = figment.merge(Toml::file(file));
        }
        let config: Config = figment
            .merge(Env::prefixed("RELAIS_").split("__").ignore(&["config"]))
            // `RELAIS_ERP_URL` and the like, for the `[erp]` section.
            .merge(Env::prefixed("RELAIS_ERP_").map(|key| format!("erp.{key}").into()))
            .merge(Serialized::globals(overrides))
            .extract()?;
        Ok((config, warnings))
    }

    /// The database URL to connect to.
    pub fn database_url(&self) -> anyhow::Result<String> {
        if let Some(url) = &self.database_url {
            return Ok(url.clone());
        }
        if let Some(file) = &self.database_url_file {
            return Ok(std::fs::read_to_string(file)?.trim().to_owned());
        }
        std::fs::create_dir_all(&self.data_dir)?;
        Ok(format!(
            "sqlite://{}?mode=rwc",
            self.data_dir.join("relais.db").display()
        ))
    }

    pub fn storage(&self) -> StorageConfig {
        self.storage
            .clone()
            .unwrap_or_else(|| StorageConfig::Local {
                path: self.data_dir.join("files"),
            })
    }

    /// The Odoo connection to import third parties from, if one is configured.
    pub fn erp(&self) -> anyhow::Result<Option<relais_erp::OdooConfig>> {
        let Some(erp) = &self.erp else {
            return Ok(None);
        };
        let api_key = match (&erp.api_key, &erp.api_key_file) {
            (Some(key), _) => key.clone(),
            (None, Some(file)) => std::fs::read_to_string(file)
                .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?
                .trim()
                .to_owned(),
            (None, None) => anyhow::bail!("erp: set api_key or api_key_file"),
        };
        Ok(Some(relais_erp::OdooConfig {
            url: erp.url.clone(),
            database: erp.database.clone(),
            login: erp.login.clone(),
            api_key,
        }))
    }

    /// The IoT link's settings, if a broker is configured.
    pub fn iot(&self) -> Option<relais_iot::IotConfig> {
        let url = self.mqtt_url.as_deref().filter(|u| !u.trim().is_empty())?;
        let mut config = relais_iot::IotConfig::new(url.trim());
        config.client_id = self.mqtt_client_id.clone();
        config.topic_prefix = self.mqtt_topic_prefix.clone();
        Some(config)
    }

    pub fn api_settings(&self) -> relais_api::ApiSettings {
        relais_api::ApiSettings {
            request_timeout: std::time::Duration::from_secs(self.request_timeout_secs),
            body_limit: self.body_limit_bytes,
            login_token_ttl: chrono::Duration::hours(self.login_token_ttl_hours),
            trust_forwarded_for: self.trust_forwarded_for,
            sms_configured: self.twilio.iter().map(|_| "twilio".to_owned()).collect(),
            sandbox_secret: self
                .sandbox_secret
                .clone()
                .unwrap_or_else(|| relais_api::ApiSettings::default().sandbox_secret),
            rider_requests_per_minute: self.rider_requests_per_minute,
            rider_burst: self.rider_burst,
            unlock_timeout: chrono::Duration::seconds(
                i64::try_from(self.unlock_timeout_secs.clamp(1, 3600)).unwrap_or(30),
            ),
            unlock_wait: std::time::Duration::from_secs(self.unlock_wait_secs.min(30)),
        }
    }
}

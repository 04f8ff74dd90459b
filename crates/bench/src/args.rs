//! The suite's settings, read from `BENCH_*` environment variables (`scripts/bench.sh` passes
//! them through): which backends, where the data and reports go, the dataset's sizes, how long
//! each run lasts and at how many connections.

use anyhow::{Context, bail};
use std::path::PathBuf;
use std::time::Duration;

/// A database relais runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// How large the generated dataset is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Sizes {
    /// Vehicles in service per network (the demo's are counted in).
    pub vehicles_per_network: u64,
    pub trips: u64,
    pub fleet_alerts: u64,
    pub access_logs: u64,
    /// Riders, with their memberships; the trips are theirs.
    #[serde(default)]
    pub riders: u64,
}

impl Sizes {
    /// The realistic dataset.
    pub const REALISTIC: Sizes = Sizes {
        vehicles_per_network: 5_000,
        trips: 1_000_000,
        fleet_alerts: 100_000,
        access_logs: 1_000_000,
        riders: 1_000_000,
    };
}

/// Every setting of a run of the suite.
#[derive(Debug, Clone)]
pub struct Settings {
    pub backends: Vec<Backend>,
    /// The PostgreSQL server, as a URL whose database part is replaced by the bench's own.
    pub postgres_url: String,
    /// The generated database's name on PostgreSQL (default `relais_bench_<trips>`).
    pub postgres_database: String,
    pub sizes: Sizes,
    /// Seconds measured per run (after the warm-up).
    pub duration: Duration,
    pub warmup: Duration,
    /// How long the bare SQL of one endpoint is replayed.
    pub bare_duration: Duration,
    pub connections: Vec<usize>,
    /// Connections of the run during which the server's memory is sampled.
    pub rss_connections: usize,
    /// Only the endpoints whose name contains one of these (comma-separated).
    pub only: Vec<String>,
    /// Keep a database generated earlier with the same sizes.
    pub reuse: bool,
    pub generate_only: bool,
    /// Reports (`bench-<backend>.md`) go here.
    pub out_dir: PathBuf,
    /// Generated SQLite databases and server logs go here.
    pub data_dir: PathBuf,
    /// The release `relais` binary.
    pub relais: PathBuf,
    /// A Python with `scripts/drf/requirements.txt` installed: the reference service is
    /// measured on PostgreSQL when it is given (`BENCH_REFERENCE_PYTHON`).
    pub reference_python: Option<PathBuf>,
    /// The reference service's folder (`BENCH_REFERENCE_DIR`, default `scripts/drf`).
    pub reference_dir: PathBuf,
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn number<T: std::str::FromStr>(name: &str, default: T) -> anyhow::Result<T>
where
    T::Err: std::fmt::Display,
{
    match var(name) {
        None => Ok(default),
        Some(text) => {
            let clean = text.trim().replace('_', "");
            clean
                .parse()
                .map_err(|e| anyhow::anyhow!("{name}={text}: {e}"))
        }
    }
}

fn flag(name: &str) -> bool {
    var(name).is_some_and(|v| v != "0" && v != "false")
}

impl Settings {
    /// Read the settings from the environment.
    pub fn from_env() -> anyhow::Result<Settings> {
        let backends = var("BENCH_BACKENDS")
            .unwrap_or_else(|| "sqlite,postgres".into())
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|name| match name {
                "sqlite" => Ok(Backend::Sqlite),
                "postgres" | "postgresql" | "pg" => Ok(Backend::Postgres),
                other => bail!("BENCH_BACKENDS: unknown backend {other:?} (sqlite, postgres)"),
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        let sizes = Sizes {
            vehicles_per_network: number("BENCH_VEHICLES", Sizes::REALISTIC.vehicles_per_network)?,
            trips: number("BENCH_TRIPS", Sizes::REALISTIC.trips)?,
            fleet_alerts: number("BENCH_ALERTS", Sizes::REALISTIC.fleet_alerts)?,
            access_logs: number("BENCH_ACCESS_LOGS", Sizes::REALISTIC.access_logs)?,
            riders: number("BENCH_RIDERS", Sizes::REALISTIC.riders)?,
        };
        let connections = var("BENCH_CONNECTIONS")
            .unwrap_or_else(|| "1,32".into())
            .split(',')
            .map(|c| {
                c.trim()
                    .parse::<usize>()
                    .ok()
                    .filter(|n| *n > 0)
                    .with_context(|| format!("BENCH_CONNECTIONS: {c:?} is not a count"))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        let duration = Duration::from_secs_f64(number("BENCH_DURATION", 10.0)?);
        let relais = match var("BENCH_RELAIS") {
            Some(path) => PathBuf::from(path),
            None => std::env::current_exe()?
                .parent()
                .context("the bench binary has no folder")?
                .join("relais"),
        };
        let out_dir = PathBuf::from(var("BENCH_OUT").unwrap_or_else(|| "target".into()));
        Ok(Settings {
            backends,
            postgres_url: var("BENCH_PG_URL")
                .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/postgres".into()),
            postgres_database: var("BENCH_PG_DATABASE")
                .unwrap_or_else(|| format!("relais_bench_{}", sizes.trips)),
            sizes,
            warmup: Duration::from_secs_f64(number("BENCH_WARMUP", 1.0)?),
            bare_duration: Duration::from_secs_f64(number(
                "BENCH_BARE_DURATION",
                duration.as_secs_f64().min(3.0),
            )?),
            duration,
            connections,
            rss_connections: number("BENCH_RSS_CONNECTIONS", 64)?,
            only: var("BENCH_ONLY")
                .map(|v| v.split(',').map(|s| s.trim().to_owned()).collect())
                .unwrap_or_default(),
            reuse: flag("BENCH_REUSE"),
            generate_only: flag("BENCH_GENERATE_ONLY"),
            data_dir: var("BENCH_DATA")
                .map(PathBuf::from)
                .unwrap_or_else(|| out_dir.join("bench-data")),
            out_dir,
            relais,
            reference_python: var("BENCH_REFERENCE_PYTHON").map(PathBuf::from),
            reference_dir: PathBuf::from(
                var("BENCH_REFERENCE_DIR").unwrap_or_else(|| "scripts/drf".into()),
            ),
        })
    }

    /// Whether the endpoint named `name` is to be run.
    pub fn wants(&self, name: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|o| name.contains(o.as_str()))
    }

    /// The folder of the generated SQLite database.
    pub fn sqlite_dir(&self) -> PathBuf {
        self.data_dir.join(format!("sqlite-{}", self.sizes.trips))
    }

    /// The URL of the maintenance database, to create and drop the bench's.
    pub fn postgres_admin_url(&self) -> String {
        self.postgres_url.clone()
    }

    /// The URL of the bench's PostgreSQL database.
    pub fn postgres_bench_url(&self) -> String {
        with_database(&self.postgres_url, &self.postgres_database)
    }
}

/// `url` with its database part replaced by `database` (the query string kept).
pub fn with_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    // The database is what follows the first `/` after the authority.
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let authority_end = base[scheme_end..]
        .find('/')
        .map(|i| scheme_end + i)
        .unwrap_or(base.len());
    let mut out = format!("{}/{}", &base[..authority_end], database);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn database_replaced() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/postgres", "b"),
            "postgres://postgres@127.0.0.1:5432/b"
        );
        assert_eq!(
            with_database("postgres://u@h/db?sslmode=disable", "b"),
            "postgres://u@h/b?sslmode=disable"
        );
        assert_eq!(with_database("postgres://u@h", "b"), "postgres://u@h/b");
    }
}

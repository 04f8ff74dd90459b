//! One run of the suite: for each backend, the dataset (generated, or reused when asked and
//! already made with the same sizes), the server, the endpoints at each connection count, their
//! bare SQL, the memory run, then the report.

use crate::args::{Backend, Settings, Sizes};
use crate::endpoints::{self, Context};
use crate::generate::{self, Generated, Phase};
use crate::reference::{self, Reference};
use crate::report::{Memory, Report, Row};
use crate::server::{self, Place, Server};
use crate::{bare, load, stats};
use anyhow::Context as _;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Run every backend; false when a run failed (its errors are in the report). The targets are
/// judged once every backend has run, since the reference service's figure (measured on
/// PostgreSQL's dataset) sets the access log's target on both.
pub async fn run(settings: &Settings) -> anyhow::Result<bool> {
    std::fs::create_dir_all(&settings.out_dir)?;
    std::fs::create_dir_all(&settings.data_dir)?;
    let mut reports = Vec::new();
    for &backend in &settings.backends {
        eprintln!("== {} ==", backend.name());
        reports.push(run_backend(settings, backend).await?);
    }
    let reference = reports
        .iter()
        .find_map(|r| r.row(REFERENCE, 32))
        .map(|r| r.requests_per_second);
    let mut ok = true;
    for mut report in reports {
        report.judge(&endpoints::LISTS, &endpoints::USER_LISTS, reference);
        let text = report.markdown(settings);
        println!("{text}");
        let file = settings
            .out_dir
            .join(format!("bench-{}.md", report.backend.name()));
        std::fs::write(&file, &text).with_context(|| format!("cannot write {}", file.display()))?;
        eprintln!("report written to {}", file.display());
        ok &= report.rows.iter().all(|r| r.error.is_none())
            && report.memory.iter().all(|m| m.error.is_none());
    }
    Ok(ok)
}

/// The reference service's row in the report.
const REFERENCE: &str = "reference-drf-access-logs";

fn commit() -> String {
    std::process::Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|| "unknown".into())
}

async fn run_backend(settings: &Settings, backend: Backend) -> anyhow::Result<Report> {
    let mut report = Report {
        backend,
        sizes: settings.sizes,
        generated: None,
        rows: Vec::new(),
        memory: Vec::new(),
        verdicts: Vec::new(),
        started: chrono::Utc::now(),
        commit: commit(),
        machine: stats::machine(),
        load_at_start: stats::load_average(),
    };
    let (place, generated, generated_logs) = prepare(settings, backend).await?;
    report.generated = generated;
    if settings.generate_only {
        return Ok(report);
    }

    let db = relais_store::connect(&place.database_url, 1).await?;
    let context = discover(&db).await?;
    let list = endpoints::all(&context);
    eprintln!("starting relais serve on the {} database", backend.name());
    let mut server = Server::start(settings, &place).await?;
    eprintln!("listening on {} (pid {})", server.addr, server.pid());

    for endpoint in list.iter().filter(|e| settings.wants(e.name)) {
        if endpoint.name.starts_with("access-logs") {
            clear_bench_logs(&db, generated_logs).await?;
        }
        let bare_p50 = if endpoint.bare.is_empty() {
            None
        } else {
            Some(
                bare::replay(&db, endpoint, settings.bare_duration)
                    .await
                    .with_context(|| format!("bare SQL of {}", endpoint.name))?,
            )
        };
        for &connections in &settings.connections {
            let measured = load::run(
                server.addr,
                &endpoint.path,
                endpoint.authenticated.then_some(server.token.as_str()),
                connections,
                settings.warmup,
                settings.duration,
            )
            .await?;
            record(
                &mut report,
                measured_row(endpoint.name, endpoint.path.clone(), &measured, bare_p50),
            );
        }
        if endpoint.memory {
            let memory = memory_run(settings, &server, endpoint).await?;
            eprintln!(
                "  {:<24} {:>3} conn. RSS {} → peak {} → {} KiB 5 s after",
                memory.endpoint,
                memory.connections,
                memory.before_kib,
                memory.peak_kib,
                memory.after_5s_kib
            );
            report.memory.push(memory);
        }
    }
    server.stop();
    if backend == Backend::Postgres
        && let Some(python) = &settings.reference_python
        && settings.wants(REFERENCE)
    {
        // relais is stopped: the reference has the machine to itself, as relais had.
        clear_bench_logs(&db, generated_logs).await?;
        let log = place.data_dir.join("reference.log");
        let reference =
            Reference::start(python, &settings.reference_dir, &place.database_url, &log).await?;
        eprintln!("the reference service listens on {}", reference.addr);
        for &connections in &settings.connections {
            let measured = load::run(
                reference.addr,
                reference::PATH,
                Some(reference.token.as_str()),
                connections,
                settings.warmup,
                settings.duration,
            )
            .await?;
            let path = format!("{} (Django REST Framework, scripts/drf)", reference::PATH);
            record(&mut report, measured_row(REFERENCE, path, &measured, None));
        }
    }
    Ok(report)
}

/// Every /dashboard request of the bench adds an access-log row, the newest, which no filter
/// matches: each access-log list starts from the generated log, so that the figures do not
/// depend on what ran before (rows its own run adds stay).
async fn clear_bench_logs(db: &relais_store::Db, generated_logs: i64) -> anyhow::Result<()> {
    let txn = relais_store::db::begin_write(db).await?;
    txn.execute_unprepared(&format!(
        "DELETE FROM access_logs WHERE id > {generated_logs}"
    ))
    .await?;
    txn.commit().await?;
    Ok(())
}

/// The row of one run of `endpoint`, with the load average as it ends.
fn measured_row(
    endpoint: &str,
    path: String,
    measured: &load::Measured,
    bare_p50_ms: Option<f64>,
) -> Row {
    Row {
        endpoint: endpoint.to_owned(),
        path,
        connections: measured.connections,
        requests_per_second: measured.requests_per_second(),
        p50_ms: measured.quantile_ms(0.5),
        p99_ms: measured.quantile_ms(0.99),
        bare_p50_ms,
        load: stats::load_average(),
        error: load::no_errors(endpoint, measured)
            .err()
            .map(|e| e.to_string()),
    }
}

/// Print the row as the run ends and keep it in the report.
fn record(report: &mut Report, row: Row) {
    print_row(&row);
    report.rows.push(row);
}

fn print_row(row: &Row) {
    eprintln!(
        "  {:<24} {:>3} conn. {:>8.0} req/s  p50 {:>7.2} ms  p99 {:>7.2} ms  bare {:>7} ms  load {}{}",
        row.endpoint,
        row.connections,
        row.requests_per_second,
        row.p50_ms,
        row.p99_ms,
        row.bare_p50_ms
            .map(|b| format!("{b:.3}"))
            .unwrap_or_else(|| "–".into()),
        row.load,
        row.error
            .as_ref()
            .map(|e| format!("  FAILED: {e}"))
            .unwrap_or_default()
    );
}

/// The many-connection run of `endpoint` with the server's RSS sampled every 100 ms, then
/// once more 5 s after.
async fn memory_run(
    settings: &Settings,
    server: &Server,
    endpoint: &endpoints::Endpoint,
) -> anyhow::Result<Memory> {
    let pid = server.pid();
    let before = stats::rss_kib(pid).unwrap_or(0);
    let (stop_tx, mut stop_rx) = tokio::sync::oneshot::channel::<()>();
    let sampler = tokio::spawn(async move {
        let mut peak = 0;
        loop {
            peak = peak.max(stats::rss_kib(pid).unwrap_or(0));
            tokio::select! {
                _ = &mut stop_rx => break,
                _ = tokio::time::sleep(Duration::from_millis(100)) => {}
            }
        }
        peak
    });
    let measured = load::run(
        server.addr,
        &endpoint.path,
        Some(server.token.as_str()),
        settings.rss_connections,
        settings.warmup,
        settings.duration,
    )
    .await?;
    let _ = stop_tx.send(());
    let peak = sampler.await?.max(stats::rss_kib(pid).unwrap_or(0));
    let load = stats::load_average();
    tokio::time::sleep(Duration::from_secs(5)).await;
    Ok(Memory {
        endpoint: endpoint.name.to_owned(),
        connections: settings.rss_connections,
        before_kib: before,
        peak_kib: peak,
        after_5s_kib: stats::rss_kib(pid).unwrap_or(0),
        requests_per_second: measured.requests_per_second(),
        load,
        error: load::no_errors(endpoint.name, &measured)
            .err()
            .map(|e| e.to_string()),
    })
}

/// What the endpoints' paths and statements need from the dataset.
async fn discover(db: &relais_store::Db) -> anyhow::Result<Context> {
    use relais_store::entity::{network, user};
    let networks: Vec<i64> = network::Entity::find()
        .order_by_asc(network::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|n| n.id)
        .collect();
    anyhow::ensure!(!networks.is_empty(), "the database has no network");
    let admin = user::Entity::find()
        .order_by_asc(user::Column::Id)
        .one(db)
        .await?
        .context("the database has no user")?;
    // Half-way through the ids, the first member of the first network from there on.
    let top = user::Entity::find()
        .order_by_desc(user::Column::Id)
        .one(db)
        .await?
        .map_or(admin.id, |u| u.id);
    let middle_member = relais_store::entity::user_network::Entity::find()
        .filter(relais_store::entity::user_network::Column::NetworkId.eq(networks[0]))
        .filter(relais_store::entity::user_network::Column::UserId.gte((admin.id + top) / 2))
        .order_by_asc(relais_store::entity::user_network::Column::UserId)
        .one(db)
        .await?
        .map_or(admin.id, |m| m.user_id);
    // The agents the user-agent filter finds, as `access_logs::list` looks them up.
    let firefox_agents: Vec<i64> = relais_store::entity::user_agent::Entity::find()
        .filter(relais_store::entity::user_agent::Column::UserAgent.contains("Firefox"))
        .order_by_asc(relais_store::entity::user_agent::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|a| a.id)
        .collect();
    anyhow::ensure!(
        !firefox_agents.is_empty(),
        "the access log has no Firefox agent"
    );
    Ok(Context {
        firefox_agents,
        middle_member,
        backend: match db.get_database_backend() {
            sea_orm::DbBackend::Postgres => Backend::Postgres,
            _ => Backend::Sqlite,
        },
        network_id: networks[0],
        network_ids: networks,
        admin_id: admin.id,
        ip: generate::log_ip(1234),
    })
}

/// What a dataset was generated with, kept beside it so that `BENCH_REUSE=1` knows.
#[derive(serde::Serialize, serde::Deserialize)]
struct Marker {
    sizes: Sizes,
    database_url: String,
    /// The last generated access-log row: those after it are the bench's own requests.
    access_logs_max_id: i64,
}

fn marker_path(settings: &Settings, backend: Backend) -> PathBuf {
    match backend {
        Backend::Sqlite => settings.sqlite_dir().join("bench-dataset.json"),
        Backend::Postgres => settings
            .data_dir
            .join(format!("{}.json", settings.postgres_database)),
    }
}

fn reusable(path: &Path, sizes: Sizes, database_url: &str) -> Option<Marker> {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|text| serde_json::from_str::<Marker>(&text).ok())
        .filter(|m| m.sizes == sizes && m.database_url == database_url)
}

/// The highest access-log id.
async fn access_logs_max_id(db: &impl ConnectionTrait) -> anyhow::Result<i64> {
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT COALESCE(MAX(id), 0) AS m FROM access_logs",
        ))
        .await?
        .context("MAX(id) answered no row")?;
    Ok(row.try_get("", "m")?)
}

/// The database of `backend`, generated unless reusable; the generation's phases; the last
/// generated access-log id.
async fn prepare(
    settings: &Settings,
    backend: Backend,
) -> anyhow::Result<(Place, Option<Generated>, i64)> {
    let place = match backend {
        Backend::Sqlite => Place::sqlite(&settings.sqlite_dir()),
        Backend::Postgres => {
            let dir = settings
                .data_dir
                .join(format!("postgres-{}", settings.postgres_database));
            Place::postgres(&dir, settings.postgres_bench_url())
        }
    };
    let marker_file = marker_path(settings, backend);
    if settings.reuse
        && let Some(marker) = reusable(&marker_file, settings.sizes, &place.database_url)
    {
        eprintln!("reusing the dataset at {}", place.database_url);
        return Ok((place, None, marker.access_logs_max_id));
    }
    let _ = std::fs::remove_file(&marker_file);
    if place.data_dir.exists() {
        std::fs::remove_dir_all(&place.data_dir)?;
    }
    std::fs::create_dir_all(&place.data_dir)?;
    if backend == Backend::Postgres {
        let admin = relais_store::connect(&settings.postgres_url, 1)
            .await
            .with_context(|| format!("cannot reach PostgreSQL at {}", settings.postgres_url))?;
        let name = &settings.postgres_database;
        admin
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
            .await?;
        admin
            .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
            .await?;
        admin.close().await?;
    }
    eprintln!("generating the dataset at {}", place.database_url);
    let started = Instant::now();
    server::cli(settings, &place, &["migrate"], None)?;
    server::cli(settings, &place, &["demo"], None)?;
    let base = Phase {
        name: "schema_and_demo",
        rows: 0,
        seconds: started.elapsed().as_secs_f64(),
    };
    eprintln!("  {:<28} {:>15} {:>8.2} s", base.name, "", base.seconds);
    let connections = if backend == Backend::Postgres { 2 } else { 1 };
    let db = relais_store::connect(&place.database_url, connections).await?;
    let mut generated = generate::grow(&db, &settings.sizes).await?;
    let marker = Marker {
        sizes: settings.sizes,
        database_url: place.database_url.clone(),
        access_logs_max_id: access_logs_max_id(&db).await?,
    };
    db.close().await?;
    generated.phases.insert(0, base);
    std::fs::write(&marker_file, serde_json::to_string_pretty(&marker)?)?;
    Ok((place, Some(generated), marker.access_logs_max_id))
}

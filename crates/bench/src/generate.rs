//! The realistic dataset, grown from what is already in the database (the demo, made by
//! `relais demo`, or any set of networks with clusters, vehicle models and an administrator):
//! vehicles up to a number per network, then riders with their memberships, trips (the
//! riders'), fleet alerts and access-log rows.
//!
//! Every table is filled by one set-based `INSERT … SELECT` per chunk of a million rows, over
//! `generate_series` on PostgreSQL and a recursive counter (`WITH RECURSIVE g(i)`) on SQLite,
//! whose bundled library has no `generate_series`; each chunk is one transaction. The rows
//! refer to rows that exist (networks, their vehicles and clusters, users), through a small
//! table of slots (`bench_slots`: the n-th vehicle or cluster of the k-th network) dropped at
//! the end, and spell their enums as the code stores them (`relais_domain::alerts`). Times are
//! written as each backend stores them: `timestamptz` on PostgreSQL, RFC 3339 text on SQLite
//! (what sqlx writes). No money is generated yet: trips are left unpriced.
//!
//! The bulk tables (users, memberships, trips, fleet alerts, access log) lose their secondary indexes and triggers
//! for the insert and get them back from their own DDL after it, each index built once (the
//! SQLite FTS5 tables of the access log and the users rebuilt); the time of each table
//! includes that. The riders' trip counters and last activity are those of their trips, as
//! the trip engine keeps them, counted from the trips' formulas before either is written.
//!
//! The rows are inserted behind the store's back, so the network counters are repaired at the
//! end with the store's own `network_counters::repair`, as `relais check --repair` would.

use crate::args::{Backend, Sizes};
use anyhow::Context;
use relais_domain::alerts::{AlertSeverity, AlertType};
use relais_store::Db;
use relais_store::entity::{app_label, cluster, network, user, vehicle, vehicle_model};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
};
use std::time::Instant;

/// Rows per `INSERT … SELECT` (and per transaction).
const CHUNK: u64 = 1_000_000;
/// Riders per `INSERT … SELECT`: smaller, so that PostgreSQL's two connections share them.
const RIDER_CHUNK: u64 = 250_000;
/// Trips span the last year, alerts the last half-year, the access log the last quarter.
const TRIP_SPAN_SECS: u64 = 365 * 86_400;
const ALERT_SPAN_SECS: u64 = 182 * 86_400;
const LOG_SPAN_SECS: u64 = 90 * 86_400;
/// Riders signed up over the last three years.
const RIDER_SPAN_SECS: u64 = 3 * 365 * 86_400;

/// The generated riders' names and mail domains.
const FIRST_NAMES: [&str; 20] = [
    "Camille", "Louis", "Léa", "Hugo", "Chloé", "Lucas", "Manon", "Jules", "Emma", "Gabriel",
    "Inès", "Arthur", "Jade", "Nathan", "Sarah", "Adam", "Lina", "Raphaël", "Zoé", "Noah",
];
const LAST_NAMES: [&str; 25] = [
    "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy",
    "Moreau", "Simon", "Laurent", "Lefebvre", "Michel", "Garcia", "David", "Bertrand", "Roux",
    "Vincent", "Fournier", "Morel", "Girard", "André", "Mercier", "Dupont",
];
const DOMAINS: [&str; 5] = [
    "mail.example",
    "post.example",
    "inbox.example",
    "riders.example",
    "campus.example",
];

/// One step of the generation and how long it took.
#[derive(Debug, Clone)]
pub struct Phase {
    pub name: &'static str,
    pub rows: u64,
    pub seconds: f64,
}

/// What the generation did.
#[derive(Debug, Clone, Default)]
pub struct Generated {
    pub phases: Vec<Phase>,
    /// Networks whose counters were repaired.
    pub repaired: usize,
}

impl Generated {
    /// Seconds spent on the phases whose name is in `names`.
    pub fn seconds_of(&self, names: &[&str]) -> f64 {
        self.phases
            .iter()
            .filter(|p| names.contains(&p.name))
            .map(|p| p.seconds)
            .sum()
    }

    pub fn total_seconds(&self) -> f64 {
        self.phases.iter().map(|p| p.seconds).sum()
    }
}

/// What the dataset is grown from.
struct Base {
    networks: Vec<network::Model>,
    clusters: Vec<cluster::Model>,
    model_ids: Vec<i64>,
    user_ids: Vec<i64>,
    app_label_ids: Vec<i64>,
}

/// The user agents of the generated access log: browsers staff use, and an integration.
pub const USER_AGENTS: [&str; 6] = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_7_1) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "fleet-sync/2.4 (+https://relais.example/integrations)",
];

/// Paths of the generated access log.
const PATHS: [&str; 10] = [
    "/dashboard/vehicles",
    "/dashboard/networks",
    "/dashboard/networks/short",
    "/dashboard/fleet-alerts",
    "/dashboard/fleet-alerts/history",
    "/dashboard/clusters",
    "/dashboard/users",
    "/dashboard/maintenances",
    "/dashboard/access-logs",
    "/dashboard/permissions",
];

/// The generated access log's addresses: `10.1.<0..40>.<0..25>`, a thousand of them.
pub fn log_ip(n: u64) -> String {
    format!("10.1.{}.{}", (n / 7) % 40, n % 25)
}

/// Names as an address spells them: lowercase, accents dropped.
fn mail_part(names: &[&str]) -> Vec<String> {
    names
        .iter()
        .map(|name| {
            let folded: String = name
                .to_lowercase()
                .chars()
                .map(|c| match c {
                    'é' | 'è' | 'ê' | 'ë' => 'e',
                    'à' | 'â' => 'a',
                    'î' | 'ï' => 'i',
                    'ô' => 'o',
                    'ù' | 'û' | 'ü' => 'u',
                    'ç' => 'c',
                    other => other,
                })
                .collect();
            lit(&folded)
        })
        .collect()
}

/// SQL text literal.
fn lit(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// `CASE <expr> WHEN 0 THEN v0 … END`.
fn case_of(expr: &str, values: &[String]) -> String {
    let mut out = format!("CASE {expr}");
    for (i, v) in values.iter().enumerate() {
        out.push_str(&format!(" WHEN {i} THEN {v}"));
    }
    out.push_str(" END");
    out
}

/// The rows `start..end` of a series named `g(n)`: a `WITH` prefix (SQLite) and the FROM item.
fn series(backend: Backend, start: u64, end: u64) -> (String, String) {
    match backend {
        Backend::Postgres => (
            String::new(),
            format!(
                "generate_series({start}::bigint, {}::bigint) AS g(i)",
                end - 1
            ),
        ),
        Backend::Sqlite => (
            format!(
                "WITH RECURSIVE g(i) AS (SELECT {start} UNION ALL SELECT i + 1 FROM g WHERE i < {}) ",
                end - 1
            ),
            "g".into(),
        ),
    }
}

/// The instant `secs` (an integer SQL expression) seconds before `now` (Unix seconds), as the
/// backend stores a `DateTime<Utc>`.
fn before_now(backend: Backend, now: i64, secs: &str) -> String {
    match backend {
        Backend::Postgres => format!("to_timestamp({now} - ({secs}))"),
        Backend::Sqlite => {
            format!("strftime('%Y-%m-%dT%H:%M:%S+00:00', {now} - ({secs}), 'unixepoch')")
        }
    }
}

fn backend_of(db: &Db) -> Backend {
    match db.get_database_backend() {
        DbBackend::Postgres => Backend::Postgres,
        _ => Backend::Sqlite,
    }
}

async fn base(db: &Db) -> anyhow::Result<Base> {
    let networks = network::Entity::find()
        .filter(network::Column::ClosedAt.is_null())
        .order_by_asc(network::Column::Id)
        .all(db)
        .await?;
    anyhow::ensure!(
        !networks.is_empty(),
        "no network to grow: load the demo first (`relais demo`)"
    );
    let clusters = cluster::Entity::find()
        .order_by_asc(cluster::Column::Id)
        .all(db)
        .await?;
    let model_ids: Vec<i64> = vehicle_model::Entity::find()
        .order_by_asc(vehicle_model::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|m| m.id)
        .collect();
    anyhow::ensure!(!model_ids.is_empty(), "no vehicle model");
    let user_ids: Vec<i64> = user::Entity::find()
        .order_by_asc(user::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|u| u.id)
        .collect();
    anyhow::ensure!(!user_ids.is_empty(), "no user (the administrator first)");
    let app_label_ids = app_label::Entity::find()
        .order_by_asc(app_label::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|l| l.id)
        .collect();
    Ok(Base {
        networks,
        clusters,
        model_ids,
        user_ids,
        app_label_ids,
    })
}

/// Run `sql` in its own write transaction.
async fn write(db: &Db, sql: &str) -> anyhow::Result<u64> {
    let txn = relais_store::db::begin_write(db).await?;
    if backend_of(db) == Backend::Postgres && superuser(&txn).await? {
        // The rows refer to rows that exist by construction: their foreign keys are checked
        // once, set-wise, at the end (`references`), not row by row by the constraints'
        // triggers, which cost a third of the inserts' time (what `pg_restore
        // --disable-triggers` does). SQLite checks no foreign key unless told.
        txn.execute_unprepared("SET LOCAL session_replication_role = replica")
            .await?;
    }
    let done = txn
        .execute_unprepared(sql)
        .await
        .with_context(|| format!("generating: {}", &sql[..sql.len().min(300)]))?;
    txn.commit().await?;
    Ok(done.rows_affected())
}

/// Whether the session may skip the foreign keys' triggers (`session_replication_role`).
async fn superuser(db: &impl ConnectionTrait) -> anyhow::Result<bool> {
    // Asked on the transaction's own connection: the pool may have no other one free.
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Postgres,
            "SELECT current_setting('is_superuser') = 'on' AS superuser",
        ))
        .await?
        .context("is_superuser")?;
    Ok(row.try_get("", "superuser")?)
}

/// Every single-column foreign key of the generated tables holds: what the constraints would
/// have checked row by row during the inserts, checked once per key with an anti-join.
async fn check_references(db: &Db) -> anyhow::Result<()> {
    let keys = db
        .query_all_raw(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Postgres,
            "SELECT c.conname AS name, t.relname AS child, a.attname AS col, \
             p.relname AS parent, pa.attname AS pcol \
             FROM pg_constraint c \
             JOIN pg_class t ON t.oid = c.conrelid \
             JOIN pg_class p ON p.oid = c.confrelid \
             JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1] \
             JOIN pg_attribute pa ON pa.attrelid = c.confrelid AND pa.attnum = c.confkey[1] \
             WHERE c.contype = 'f' AND cardinality(c.conkey) = 1 AND t.relname IN \
             ('vehicles', 'users', 'user_networks', 'trips', 'fleet_alerts', 'access_logs')"
                .to_owned(),
        ))
        .await?;
    anyhow::ensure!(!keys.is_empty(), "no foreign key found to check");
    for key in keys {
        let [name, child, col, parent, pcol] =
            ["name", "child", "col", "parent", "pcol"].map(|c| key.try_get::<String>("", c));
        let (name, child, col, parent, pcol) = (name?, child?, col?, parent?, pcol?);
        let row = db
            .query_one_raw(sea_orm::Statement::from_string(
                sea_orm::DbBackend::Postgres,
                format!(
                    "SELECT COUNT(*) AS broken FROM \"{child}\" c WHERE c.\"{col}\" IS NOT NULL \
                     AND NOT EXISTS (SELECT 1 FROM \"{parent}\" p WHERE p.\"{pcol}\" = c.\"{col}\")"
                ),
            ))
            .await?
            .context("references")?;
        let broken: i64 = row.try_get("", "broken")?;
        anyhow::ensure!(broken == 0, "{broken} rows of {child} break {name}");
    }
    Ok(())
}

/// The secondary indexes and triggers of a table, taken off for a bulk insert and put back
/// after it from their own DDL, as the database reports it: each index is then built once,
/// sorted, instead of updated row by row (the trigram indexes of the access log above all).
struct Deferred {
    create: Vec<String>,
    /// SQLite's FTS5 table of the access log, rebuilt from its content once the triggers that
    /// keep it are back.
    rebuild: Option<String>,
}

async fn defer_indexes(db: &Db, backend: Backend, table: &str) -> anyhow::Result<Deferred> {
    let sql = match backend {
        // Unique indexes and the primary key stay: they are constraints.
        Backend::Postgres => format!(
            "SELECT i.relname AS name, 'index' AS kind, pg_get_indexdef(x.indexrelid) AS sql \
             FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid \
             JOIN pg_class t ON t.oid = x.indrelid \
             JOIN pg_namespace s ON s.oid = t.relnamespace \
             WHERE t.relname = {} AND s.nspname = current_schema() \
             AND NOT x.indisprimary AND NOT x.indisunique",
            lit(table)
        ),
        Backend::Sqlite => format!(
            "SELECT name, type AS kind, sql FROM sqlite_master \
             WHERE tbl_name = {} AND type IN ('index', 'trigger') AND sql IS NOT NULL \
             AND sql NOT LIKE 'CREATE UNIQUE%'",
            lit(table)
        ),
    };
    let rows = db
        .query_all_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            sql,
        ))
        .await?;
    let mut create = Vec::new();
    for row in rows {
        let name: String = row.try_get("", "name")?;
        let kind: String = row.try_get("", "kind")?;
        create.push(row.try_get::<String>("", "sql")?);
        let what = if kind == "trigger" {
            "TRIGGER"
        } else {
            "INDEX"
        };
        db.execute_unprepared(&format!("DROP {what} \"{name}\""))
            .await?;
    }
    let fts = format!("{table}_search");
    let rebuild = if backend == Backend::Sqlite && matches!(table, "access_logs" | "users") {
        let found = db
            .query_one_raw(sea_orm::Statement::from_string(
                db.get_database_backend(),
                format!("SELECT name FROM sqlite_master WHERE name = {}", lit(&fts)),
            ))
            .await?;
        found.map(|_| format!("INSERT INTO {fts} ({fts}) VALUES ('rebuild')"))
    } else {
        None
    };
    Ok(Deferred { create, rebuild })
}

async fn restore_indexes(db: &Db, deferred: Deferred) -> anyhow::Result<()> {
    let create = |sql: String| async move {
        db.execute_unprepared(&sql)
            .await
            .with_context(|| format!("restoring: {sql}"))
    };
    if backend_of(db) == Backend::Postgres {
        // Two builds at a time (one per core), on the pool's two connections, the trigram
        // (GIN) indexes first, shared out in turn: PostgreSQL builds a GIN index on one
        // process. Each session gets the memory for its build.
        let mut statements = deferred.create.clone();
        statements.sort_by_key(|sql| !sql.contains("USING gin"));
        let mut halves = (Vec::new(), Vec::new());
        for (i, sql) in statements.into_iter().enumerate() {
            let sql = format!("SET maintenance_work_mem = '256MB'; {sql}");
            if i % 2 == 0 {
                halves.0.push(sql);
            } else {
                halves.1.push(sql);
            }
        }
        let run = |half: Vec<String>| async move {
            for sql in half {
                create(sql).await?;
            }
            anyhow::Ok(())
        };
        let (a, b) = tokio::join!(run(halves.0), run(halves.1));
        a?;
        b?;
    } else {
        for sql in deferred.create {
            create(sql).await?;
        }
    }
    if let Some(sql) = &deferred.rebuild {
        write(db, sql).await?;
    }
    Ok(())
}

/// Grow the dataset in `db` to `sizes`. `db` should be a pool of one connection on SQLite
/// (one writer) and two on PostgreSQL, whose index builds run two at a time; every statement
/// is its own transaction, and the slot tables are ordinary tables, seen by both.
pub async fn grow(db: &Db, sizes: &Sizes) -> anyhow::Result<Generated> {
    let backend = backend_of(db);
    let now = chrono::Utc::now().timestamp();
    let base = base(db).await?;
    let k = base.networks.len() as u64;
    if backend == Backend::Postgres {
        // Memory for the index builds at the end of each table (this session only).
        db.execute_unprepared("SET maintenance_work_mem = '256MB'")
            .await?;
    }
    let mut out = Generated::default();
    let mut phase = |name: &'static str, rows: u64, started: Instant| {
        let seconds = started.elapsed().as_secs_f64();
        eprintln!("  {name:<28} {rows:>10} rows {seconds:>8.2} s");
        out.phases.push(Phase {
            name,
            rows,
            seconds,
        });
    };

    // Vehicles: free-floating around the network's first cluster, batteries and last contact
    // spread, models in turn.
    let started = Instant::now();
    let mut added = 0;
    let mut generated_min = u64::MAX;
    for net in &base.networks {
        let in_service = vehicle::Entity::find()
            .filter(vehicle::Column::NetworkId.eq(net.id))
            .filter(vehicle::Column::DecommissionedAt.is_null())
            .count(db)
            .await?;
        let missing = sizes.vehicles_per_network.saturating_sub(in_service);
        generated_min = generated_min.min(missing);
        if missing == 0 {
            continue;
        }
        let (lat, lng) = base
            .clusters
            .iter()
            .find_map(
                |c| match (c.network_id == net.id, c.latitude, c.longitude) {
                    (true, Some(lat), Some(lng)) => Some((lat, lng)),
                    _ => None,
                },
            )
            .unwrap_or((0.0, 0.0));
        let models: Vec<String> = base.model_ids.iter().map(i64::to_string).collect();
        let model = case_of(&format!("i % {}", models.len()), &models);
        let serial = match backend {
            Backend::Postgres => format!("'B{}-' || lpad(i::text, 5, '0')", net.id),
            Backend::Sqlite => format!("printf('B{}-%05d', i)", net.id),
        };
        let seen = before_now(backend, now, "(i * 37) % 3600");
        let (with, from) = series(backend, in_service + 1, in_service + missing + 1);
        let locked = match backend {
            Backend::Postgres => "true",
            Backend::Sqlite => "1",
        };
        let created = before_now(backend, now, "86400");
        added += write(
            db,
            &format!(
                "{with}INSERT INTO vehicles (serial, network_id, model_id, created_at, status, \
                 latitude, longitude, battery, locked, last_seen_at) \
                 SELECT {serial}, {net}, {model}, {created}, 'available', \
                 {lat} + ((i % 101) - 50) * 0.0004, {lng} + (((i / 101) % 101) - 50) * 0.0005, \
                 20 + (i * 13) % 81, {locked}, {seen} FROM {from}",
                net = net.id,
            ),
        )
        .await?;
    }
    phase("vehicles", added, started);

    // Slots: the n-th vehicle in service (newest first) and the n-th cluster of each network.
    let network_ids: Vec<String> = base.networks.iter().map(|n| n.id.to_string()).collect();
    let slot_of = {
        let mut out = "CASE network_id".to_owned();
        for (i, id) in network_ids.iter().enumerate() {
            out.push_str(&format!(" WHEN {id} THEN {i}"));
        }
        out + " END"
    };
    db.execute_unprepared("DROP TABLE IF EXISTS bench_slots")
        .await?;
    db.execute_unprepared(
        "CREATE TABLE bench_slots (kind INTEGER NOT NULL, network_slot BIGINT NOT NULL, \
         n BIGINT NOT NULL, id BIGINT NOT NULL, network_id BIGINT NOT NULL, \
         PRIMARY KEY (kind, network_slot, n))",
    )
    .await?;
    let networks_in = network_ids.join(", ");
    write(
        db,
        &format!(
            "INSERT INTO bench_slots (kind, network_slot, n, id, network_id) \
             SELECT 1, {slot_of}, row_number() OVER (PARTITION BY network_id ORDER BY id DESC) - 1, \
             id, network_id FROM vehicles \
             WHERE decommissioned_at IS NULL AND network_id IN ({networks_in})"
        ),
    )
    .await?;
    write(
        db,
        &format!(
            "INSERT INTO bench_slots (kind, network_slot, n, id, network_id) \
             SELECT 2, {slot_of}, row_number() OVER (PARTITION BY network_id ORDER BY id) - 1, \
             id, network_id FROM clusters WHERE network_id IN ({networks_in})"
        ),
    )
    .await?;
    let counts = |kind: i64| {
        let db = db.clone();
        async move {
            let rows = db
                .query_all_raw(sea_orm::Statement::from_string(
                    db.get_database_backend(),
                    format!(
                        "SELECT network_slot, COUNT(*) AS c FROM bench_slots WHERE kind = {kind} \
                         GROUP BY network_slot"
                    ),
                ))
                .await?;
            let mut counts = vec![0i64; k as usize];
            for row in rows {
                let slot: i64 = row.try_get("", "network_slot")?;
                let c: i64 = row.try_get("", "c")?;
                counts[slot as usize] = c;
            }
            anyhow::Ok(counts)
        }
    };
    let vehicle_counts = counts(1).await?;
    let cluster_counts = counts(2).await?;
    anyhow::ensure!(
        vehicle_counts.iter().all(|c| *c > 0),
        "every network needs a vehicle in service"
    );

    // The rider of trip `i`: a third of the trips go to the 2 % who ride most, the rest spread
    // over everyone; never one of those without a network. The trip is in the rider's network.
    let riders = sizes.riders;
    let first_rider = base.user_ids.iter().max().copied().unwrap_or(0) + 1;
    let (rider_slot, network_slot) = if riders > 0 {
        let heavy = (riders / 50).max(1);
        let any =
            format!("CASE WHEN i % 3 = 0 THEN (i / 3) % {heavy} ELSE (i * 7919) % {riders} END");
        let slot = format!("(CASE WHEN ({any}) % 20 = 19 THEN ({any}) - 1 ELSE ({any}) END)");
        let network = format!("({slot}) % {k}");
        (Some(slot), network)
    } else {
        (None, format!("i % {k}"))
    };
    let rider_of_trip = rider_slot
        .as_ref()
        .map_or("NULL".to_owned(), |slot| format!("{first_rider} + {slot}"));
    // When trip `i` begins and ends, in seconds before now.
    let trips = sizes.trips;
    let trip_begins = format!("(({trips} - i) * {TRIP_SPAN_SECS}) / {trips}");
    // 5 to 45 minutes, in seconds.
    let trip_duration = "(300 + (i * 37) % 2400)";
    let trip_ends = format!("{trip_begins} - {trip_duration}");

    // Each rider's trips, counted from the same formulas before any row is written: the
    // riders are inserted with their counters (as the trip engine keeps them) and the trips
    // after them, which their foreign key needs.
    let started = Instant::now();
    db.execute_unprepared("DROP TABLE IF EXISTS bench_rider_trips")
        .await?;
    db.execute_unprepared(
        "CREATE TABLE bench_rider_trips (n BIGINT PRIMARY KEY, trips BIGINT NOT NULL, \
         last_secs BIGINT NOT NULL)",
    )
    .await?;
    let mut counted = 0;
    if let Some(slot) = &rider_slot
        && trips > 0
    {
        let (with, from) = series(backend, 0, trips);
        counted = write(
            db,
            &format!(
                "{with}INSERT INTO bench_rider_trips (n, trips, last_secs) \
                 SELECT {slot}, COUNT(*), MIN({trip_ends}) FROM {from} GROUP BY {slot}"
            ),
        )
        .await?;
    }
    phase("rider_trips", counted, started);

    // Riders: ids in registration order over the last three years, names from short lists,
    // unique addresses (`first.last<n>@…`) and phones, 1 % blocked; each a member of one network (its slot's), one
    // in five of the next one too, one in twenty of none (signed up, never rode).
    let started = Instant::now();
    let deferred_users = defer_indexes(db, backend, "users").await?;
    let deferred_members = defer_indexes(db, backend, "user_networks").await?;
    let net_of_slot = |slot: &str| case_of(&format!("({slot}) % {k}"), &network_ids);
    // The riders `start..end`, with their memberships.
    let (base, net_of_slot) = (&base, &net_of_slot);
    let insert_riders = |start: u64, end: u64| async move {
        let (with, from) = series(backend, start, end);
        let created = before_now(
            backend,
            now,
            &format!("(({riders} - i) * {RIDER_SPAN_SECS}) / {riders}"),
        );
        let phone = match backend {
            Backend::Postgres => "'+336' || lpad(((i * 7919) % 100000000)::text, 8, '0')",
            Backend::Sqlite => "printf('+336%08d', (i * 7919) % 100000000)",
        };
        let firsts: Vec<String> = FIRST_NAMES.iter().map(|n| lit(n)).collect();
        let lasts: Vec<String> = LAST_NAMES.iter().map(|n| lit(n)).collect();
        let domains: Vec<String> = DOMAINS.iter().map(|n| lit(n)).collect();
        let label = if base.app_label_ids.is_empty() {
            "NULL".to_owned()
        } else {
            case_of(
                &format!("i % {}", base.app_label_ids.len()),
                &base
                    .app_label_ids
                    .iter()
                    .map(i64::to_string)
                    .collect::<Vec<_>>(),
            )
        };
        let blocked = "(i % 100 = 0)";
        let admin = base.user_ids[0];
        let inserted = write(
            db,
            &format!(
                "{with}INSERT INTO users (id, email, password_hash, first_name, last_name, phone, \
                 language, app_label_id, blocked, blocked_at, created_at, last_activity_at, \
                 blocked_by, blocked_reason, trip_count, email_confirmed_at, \
                 phone_confirmed_at, terms_accepted_at, pre_auth_disabled, deleted_at) \
                 SELECT {first_rider} + i, \
                 {first_mail} || '.' || {last_mail} || i || '@' || {domain}, NULL, {first}, \
                 {last_name}, {phone}, CASE WHEN i % 5 < 3 THEN 'fr' ELSE 'en' END, {label}, \
                 {blocked}, CASE WHEN {blocked} THEN {created} END, {created}, \
                 CASE WHEN t.n IS NULL THEN {created} ELSE {last} END, \
                 CASE WHEN {blocked} THEN {admin} END, \
                 CASE WHEN {blocked} THEN 'Unpaid trips' END, COALESCE(t.trips, 0), \
                 CASE WHEN i % 10 <> 9 THEN {created} END, NULL, {created}, {no}, NULL \
                 FROM {from} LEFT JOIN bench_rider_trips t ON t.n = i",
                domain = case_of(&format!("(i / 7) % {}", domains.len()), &domains),
                last = before_now(backend, now, "t.last_secs"),
                first_mail = case_of(&format!("i % {}", firsts.len()), &mail_part(&FIRST_NAMES)),
                last_mail = case_of(
                    &format!("(i / {}) % {}", firsts.len(), lasts.len()),
                    &mail_part(&LAST_NAMES)
                ),
                first = case_of(&format!("i % {}", firsts.len()), &firsts),
                last_name = case_of(&format!("(i / {}) % {}", firsts.len(), lasts.len()), &lasts),
                no = match backend {
                    Backend::Postgres => "false",
                    Backend::Sqlite => "0",
                },
            ),
        )
        .await?;
        for (second, condition) in [(false, "i % 20 <> 19"), (true, "i % 5 = 0")] {
            if second && k < 2 {
                continue;
            }
            let slot = if second { "i + 1" } else { "i" };
            write(
                db,
                &format!(
                    "{with}INSERT INTO user_networks (user_id, network_id, first_at, last_at) \
                     SELECT {first_rider} + i, {net}, {created}, {created} FROM {from} \
                     WHERE {condition}",
                    net = net_of_slot(slot),
                ),
            )
            .await?;
        }
        anyhow::Ok(inserted)
    };
    // Chunks of a quarter of a million riders; on PostgreSQL two at a time, one per
    // connection (and core): the statements are CPU-bound there, and their rows disjoint.
    let chunks: Vec<(u64, u64)> = (0..riders)
        .step_by(RIDER_CHUNK as usize)
        .map(|start| (start, (start + RIDER_CHUNK).min(riders)))
        .collect();
    let mut rows = 0;
    let at_once = if backend == Backend::Postgres { 2 } else { 1 };
    for pair in chunks.chunks(at_once) {
        let (a, b) = tokio::join!(insert_riders(pair[0].0, pair[0].1), async {
            match pair.get(1) {
                Some(&(start, end)) => insert_riders(start, end).await,
                None => Ok(0),
            }
        });
        rows += a? + b?;
    }
    if backend == Backend::Postgres && riders > 0 {
        db.execute_unprepared(
            "SELECT setval(pg_get_serial_sequence('users', 'id'), (SELECT MAX(id) FROM users))",
        )
        .await?;
    }
    db.execute_unprepared("DROP TABLE bench_rider_trips")
        .await?;
    restore_indexes(db, deferred_members).await?;
    restore_indexes(db, deferred_users).await?;
    phase("riders", rows, started);

    let vcount = case_of(
        &network_slot,
        &vehicle_counts
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>(),
    );
    let ccount = format!(
        "NULLIF({}, 0)",
        case_of(
            &network_slot,
            &cluster_counts
                .iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
        )
    );

    // Trips: in time order with their id, over the last year, 5 to 45 minutes long, from one
    // cluster of their network to another.
    let started = Instant::now();
    let deferred = defer_indexes(db, backend, "trips").await?;
    let mut rows = 0;
    let total = sizes.trips;
    let mut start = 0;
    while start < total {
        let end = (start + CHUNK).min(total);
        let (with, from) = series(backend, start, end);
        let started_at = before_now(backend, now, &trip_begins);
        let ended_at = before_now(backend, now, &trip_ends);
        rows += write(
            db,
            &format!(
                "{with}INSERT INTO trips (network_id, vehicle_id, user_id, start_cluster_id, \
                 end_cluster_id, started_at, ended_at, requested_at, state, duration, \
                 distance) \
                 SELECT v.network_id, v.id, {rider_of_trip}, c1.id, c2.id, {started_at}, \
                 {ended_at}, {started_at}, 'finished', {trip_duration}, \
                 {trip_duration} * (3 + i % 3) \
                 FROM {from} \
                 JOIN bench_slots v ON v.kind = 1 AND v.network_slot = {network_slot} \
                 AND v.n = (i / {k}) % ({vcount}) \
                 LEFT JOIN bench_slots c1 ON c1.kind = 2 AND c1.network_slot = {network_slot} \
                 AND c1.n = (i / {k}) % ({ccount}) \
                 LEFT JOIN bench_slots c2 ON c2.kind = 2 AND c2.network_slot = {network_slot} \
                 AND c2.n = ((i / {k}) * 7 + 3) % ({ccount})"
            ),
        )
        .await?;
        start = end;
    }
    restore_indexes(db, deferred).await?;
    phase("trips", rows, started);

    // Fleet alerts: the vehicle kinds, mostly low, resolved within ten hours by the
    // administrator; the newest 3 % still open, each on its own vehicle (newest vehicles, which
    // the generation added), so no alert is open twice, as `fleet_alerts::raise` guarantees.
    let started = Instant::now();
    let types: Vec<String> = AlertType::ALL
        .iter()
        .map(|t| t.as_str())
        .filter(|t| t.starts_with("vehicle-"))
        .map(lit)
        .collect();
    let severity = format!(
        "CASE WHEN i % 10 = 0 THEN {} WHEN i % 10 < 4 THEN {} ELSE {} END",
        lit(AlertSeverity::Critical.as_str()),
        lit(AlertSeverity::High.as_str()),
        lit(AlertSeverity::Low.as_str())
    );
    let total = sizes.fleet_alerts;
    let open = (total * 3 / 100).min(
        k * if generated_min == u64::MAX {
            0
        } else {
            generated_min
        },
    );
    let first_open = total - open;
    let admin = base.user_ids[0];
    let deferred = defer_indexes(db, backend, "fleet_alerts").await?;
    let mut rows = 0;
    let mut start = 0;
    while start < total {
        let end = (start + CHUNK).min(total);
        let (with, from) = series(backend, start, end);
        let begins = format!("(({total} - i) * {ALERT_SPAN_SECS}) / {total}");
        let created_at = before_now(backend, now, &begins);
        let resolved_at = format!(
            "CASE WHEN i >= {first_open} THEN NULL ELSE {} END",
            before_now(backend, now, &format!("{begins} - 600 - (i * 53) % 36000"))
        );
        let resolved_by = format!("CASE WHEN i >= {first_open} THEN NULL ELSE {admin} END");
        let alert_type = case_of(&format!("(i / 10) % {}", types.len()), &types);
        let details = "'Generated alert ' || i";
        rows += write(
            db,
            &format!(
                "{with}INSERT INTO fleet_alerts (network_id, alert_type, severity, cluster_id, \
                 station_id, spot_id, vehicle_id, user_id, details, created_at, resolved_at, \
                 resolved_by) \
                 SELECT v.network_id, {alert_type}, {severity}, c.id, NULL, NULL, v.id, NULL, \
                 {details}, {created_at}, {resolved_at}, {resolved_by} \
                 FROM {from} \
                 JOIN bench_slots v ON v.kind = 1 AND v.network_slot = i % {k} \
                 AND v.n = CASE WHEN i >= {first_open} THEN (i - {first_open}) / {k} \
                 ELSE (i / {k}) % ({vcount}) END \
                 LEFT JOIN bench_slots c ON c.kind = 2 AND c.network_slot = i % {k} \
                 AND c.n = (i / {k}) % ({ccount})"
            ),
        )
        .await?;
        start = end;
    }
    restore_indexes(db, deferred).await?;
    phase("fleet_alerts", rows, started);

    // Access log: mostly reads, some refusals and errors (HTTP status and envelope code agree),
    // six user agents, a thousand addresses, the users in turn and some anonymous requests.
    let started = Instant::now();
    let paths: Vec<String> = PATHS.iter().map(|p| lit(p)).collect();
    let agents: Vec<String> = USER_AGENTS.iter().map(|a| lit(a)).collect();
    // Each agent once in `user_agents`, as the server's writer keeps them; the rows point at it.
    let mut agent_ids = Vec::with_capacity(agents.len());
    for agent in &agents {
        db.execute_unprepared(&format!(
            "INSERT INTO user_agents (user_agent) VALUES ({agent}) ON CONFLICT DO NOTHING"
        ))
        .await?;
        let row = db
            .query_one_raw(sea_orm::Statement::from_string(
                db.get_database_backend(),
                format!("SELECT id FROM user_agents WHERE user_agent = {agent}"),
            ))
            .await?
            .context("the user agent just written")?;
        agent_ids.push(row.try_get::<i64>("", "id")?.to_string());
    }
    let users: Vec<String> = base.user_ids.iter().map(i64::to_string).collect();
    // The same addresses as `log_ip`.
    let ip = "'10.1.' || ((i / 7) % 40) || '.' || (i % 25)";
    // (HTTP status, envelope code) by i % 50.
    let outcome = |column: usize| {
        let pairs = [
            ("0", "500", "-1"),
            ("1", "404", "-2"),
            ("2", "404", "-2"),
            ("3", "403", "-30"),
            ("4", "403", "-30"),
            ("5", "401", "-20"),
            ("6", "400", "-10"),
            ("7", "422", "-11"),
        ];
        let mut out = "CASE i % 50".to_owned();
        for p in pairs {
            let v = if column == 0 { p.1 } else { p.2 };
            out.push_str(&format!(" WHEN {} THEN {v}", p.0));
        }
        out.push_str(if column == 0 {
            " ELSE 200 END"
        } else {
            " ELSE 0 END"
        });
        out
    };
    let verb = "CASE WHEN i % 20 < 14 THEN 'GET' WHEN i % 20 < 17 THEN 'POST' \
                WHEN i % 20 < 19 THEN 'PUT' ELSE 'DELETE' END";
    let total = sizes.access_logs;
    let deferred = defer_indexes(db, backend, "access_logs").await?;
    let mut rows = 0;
    let mut start = 0;
    while start < total {
        let end = (start + CHUNK).min(total);
        let (with, from) = series(backend, start, end);
        let created_at = before_now(
            backend,
            now,
            &format!("(({total} - i) * {LOG_SPAN_SECS}) / {total}"),
        );
        let user = format!(
            "CASE WHEN i % 9 = 0 THEN NULL ELSE {} END",
            case_of(&format!("i % {}", users.len()), &users)
        );
        rows += write(
            db,
            &format!(
                "{with}INSERT INTO access_logs (user_id, target_path, verb, user_agent, \
                 user_agent_id, ip, http_code, knot_code, duration_ms, created_at) \
                 SELECT {user}, {path}, {verb}, {agent}, {agent_id}, {ip}, {http}, {knot}, \
                 2 + (i * 37) % 120, {created_at} FROM {from}",
                path = case_of(&format!("(i / 3) % {}", paths.len()), &paths),
                agent = case_of(&format!("(i / 11) % {}", agents.len()), &agents),
                agent_id = case_of(&format!("(i / 11) % {}", agents.len()), &agent_ids),
                http = outcome(0),
                knot = outcome(1),
            ),
        )
        .await?;
        start = end;
    }
    restore_indexes(db, deferred).await?;
    phase("access_logs", rows, started);

    db.execute_unprepared("DROP TABLE bench_slots").await?;

    // Statistics: what PostgreSQL's autovacuum does on its own after such inserts (and the
    // visibility map index-only scans need). SQLite gathers none unless told, and relais does
    // not tell it: its planner is left as a deployment has it.
    let started = Instant::now();
    if backend == Backend::Postgres {
        db.execute_unprepared(
            "VACUUM (ANALYZE) vehicles, users, user_networks, trips, fleet_alerts, access_logs",
        )
        .await?;
    }
    phase("analyze", 0, started);

    let started = Instant::now();
    if backend == Backend::Postgres {
        check_references(db).await?;
    }
    phase("references", 0, started);

    let started = Instant::now();
    let mismatches = relais_store::network_counters::check(db).await?;
    relais_store::network_counters::repair(db, &mismatches).await?;
    let repaired = mismatches.len();
    phase("network_counters", repaired as u64, started);
    out.repaired = repaired;
    Ok(out)
}

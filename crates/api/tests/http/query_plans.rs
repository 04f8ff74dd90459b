//! Every page of every paged list is a range scan, for each of its sorts and filters: the
//! statements each request runs are captured and `EXPLAIN`ed on the test's backend, and a full
//! scan of a large table (or, for a sort alone, a sort of the whole table) fails the test.
//!
//! The lists, their sorts and their filters are read from the OpenAPI document, so a new list
//! or parameter is held to the rule without being added here. On PostgreSQL the plans are made
//! with sequential scans and sorts disabled, so that the tiny tables of a test are planned as
//! large ones would be: a plan that still scans or sorts has no index to do otherwise.

use crate::common::{TestApp, World};
use axum::body::Body;
use axum::extract::connect_info::MockConnectInfo;
use axum::http::Request;
use relais_api::{ApiSettings, AppState};
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::Value;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use tower::ServiceExt;

/// Tables that grow without bound; a smaller table may be scanned.
const LARGE: &[&str] = &[
    "access_logs",
    "fleet_alerts",
    "transactions",
    "refunds",
    "debts",
    "trips",
    "trip_events",
    "trip_pauses",
    "unlock_requests",
    "vehicles",
    "vehicle_events",
    "vehicle_commands",
    "maintenances",
    "energy_readings",
    "users",
];

/// Query parameters that shape the page rather than filter it.
const PAGING: &[&str] = &[
    "page_size",
    "last_primary_key",
    "primary_key_dir",
    "sort_by",
    "sort_dir",
    "lang",
];

/// Paged lists that are not read from the database.
const ELSEWHERE: &[&str] = &[
    // The ERP's own list, paged by the ERP.
    "/dashboard/third-parties/erp",
];

/// Lists of one cluster's history, found by index through the cluster's stations and spots and
/// then sorted: the sort is of that cluster's rows, not of the table (a station's and its
/// spots' maintenances are two index ranges that no single index orders). Still held to no
/// full scan.
const SORTED_WITHIN_ONE_CLUSTER: &[&str] = &["/dashboard/clusters/{id}/maintenances"];

/// One request of the matrix: which list, and what it varies.
struct Case {
    path: String,
    query: String,
    /// A sort alone (no filter): its order must come from an index.
    sort_only: bool,
    /// A filter on a range (`_min`, `_max`, dates), which SQLite may serve by walking the
    /// table in the page's order until the page is full (documented in docs/performance.md).
    range: bool,
    /// A next page with a sort: the index must be entered at the cursor, not read from its
    /// first entry and filtered (which costs the page's position in the list).
    cursor: bool,
}

fn is_range(name: &str) -> bool {
    name.ends_with("_min") || name.ends_with("_max") || name.starts_with("date_")
}

fn value_for(world: &World, name: &str, schema: &Value, doc: &Value) -> String {
    let schema = match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => &doc["components"]["schemas"][r.rsplit('/').next().unwrap()],
        None => schema,
    };
    if let Some(example) = schema.get("example") {
        return match example {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
    }
    if let Some(first) = schema["enum"].get(0) {
        return first.as_str().map_or(first.to_string(), str::to_owned);
    }
    // A comma-separated list: one value of its items.
    if schema["type"] == "array" && name != "networks" {
        return value_for(world, name, &schema["items"], doc);
    }
    match name {
        "networks" | "network_id" => return world.n1.to_string(),
        "cluster_id" => return world.cluster_a.to_string(),
        "vehicle_id" => return world.vehicle_a.to_string(),
        "lang" => return "en".into(),
        "stocks" => return world.stock_n1.to_string(),
        "currency" => return "EUR".into(),
        "timezone" => return "Europe/Paris".into(),
        _ => {}
    }
    match (schema["type"].as_str(), schema["format"].as_str()) {
        (Some("integer"), _) => "1".into(),
        (Some("number"), _) => "1".into(),
        (Some("boolean"), _) => "true".into(),
        (_, Some("date-time")) => "2026-01-01T00:00:00Z".into(),
        (_, Some("date")) => "2026-01-01".into(),
        _ => {
            // Long enough for the parameter's bounds and for a trigram index.
            let min = schema["minLength"].as_u64().unwrap_or(0).max(4) as usize;
            "abcdefghijklmnop"[..min.min(16)].to_owned()
        }
    }
}

/// The path of `template` with its parameters taken from the world.
fn fill(world: &World, template: &str) -> String {
    if !template.contains('{') {
        return template.to_owned();
    }
    let id = if template.starts_with("/dashboard/vehicles/") {
        world.vehicle_a
    } else if template.starts_with("/dashboard/clusters/") {
        world.cluster_a
    } else if template.starts_with("/dashboard/stations/") {
        world.station_a
    } else if template.starts_with("/dashboard/stocks/") {
        world.stock_n1
    } else if template.starts_with("/dashboard/networks/") {
        world.n1
    } else {
        panic!("{template}: say here which object of the world its path parameter names")
    };
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let end = rest[start..].find('}').unwrap() + start;
        out.push_str(&id.to_string());
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

fn cases(world: &World) -> Vec<Case> {
    let doc = serde_json::to_value(relais_api::openapi()).unwrap();
    let mut out = Vec::new();
    for (template, item) in doc["paths"].as_object().unwrap() {
        let Some(op) = item.get("get") else { continue };
        if !template.starts_with("/dashboard/") || ELSEWHERE.contains(&template.as_str()) {
            continue;
        }
        let params = op["parameters"].as_array().cloned().unwrap_or_default();
        let query: Vec<&Value> = params.iter().filter(|p| p["in"] == "query").collect();
        if !query.iter().any(|p| p["name"] == "page_size") {
            continue;
        }
        // Required parameters go in every request of the list.
        let required: Vec<String> = query
            .iter()
            .filter(|p| p["required"] == true)
            .map(|p| {
                let name = p["name"].as_str().unwrap();
                format!(
                    "{name}={}",
                    urlencode(&value_for(world, name, &p["schema"], &doc))
                )
            })
            .collect();
        let path = fill(world, template);
        let path = if required.is_empty() {
            path
        } else {
            format!("{path}?{}", required.join("&"))
        };
        out.push(Case {
            path: path.clone(),
            query: String::new(),
            sort_only: !SORTED_WITHIN_ONE_CLUSTER.contains(&template.as_str()),
            range: false,
            cursor: false,
        });
        for p in &query {
            let name = p["name"].as_str().unwrap();
            if name == "sort_by" {
                let schema = match p["schema"].get("$ref").and_then(Value::as_str) {
                    Some(r) => doc["components"]["schemas"][r.rsplit('/').next().unwrap()].clone(),
                    None => p["schema"].clone(),
                };
                for sort in schema["enum"].as_array().cloned().unwrap_or_default() {
                    let sort = sort.as_str().unwrap();
                    for dir in ["ASC", "DESC"] {
                        out.push(Case {
                            path: path.clone(),
                            query: format!("sort_by={sort}&sort_dir={dir}"),
                            sort_only: true,
                            range: false,
                            cursor: false,
                        });
                    }
                    // The next page: the cursor's sort value is read under the same filters,
                    // both keys one way (a row comparison) and against each other.
                    for dir in ["DESC", "ASC"] {
                        out.push(Case {
                            path: path.clone(),
                            query: format!("sort_by={sort}&sort_dir={dir}&last_primary_key=1"),
                            sort_only: true,
                            range: false,
                            cursor: !SORTED_WITHIN_ONE_CLUSTER.contains(&template.as_str()),
                        });
                    }
                }
                continue;
            }
            if PAGING.contains(&name) || p["required"] == true {
                continue;
            }
            let value = value_for(world, name, &p["schema"], &doc);
            out.push(Case {
                path: path.clone(),
                query: format!("{name}={}", urlencode(&value)),
                sort_only: false,
                range: is_range(name),
                cursor: false,
            });
        }
    }
    assert!(
        out.len() > 20,
        "the matrix should cover the paged lists: {}",
        out.len()
    );
    out
}

fn urlencode(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// What is wrong with the plan of `statement`, if anything.
async fn judge(
    db: &sea_orm::DatabaseConnection,
    statement: &Statement,
    case: &Case,
) -> Option<String> {
    let sort_only = case.sort_only;
    let large: Vec<&str> = LARGE
        .iter()
        .copied()
        .filter(|t| statement.sql.contains(&format!("\"{t}\"")))
        .collect();
    if large.is_empty() || !statement.sql.trim_start().starts_with("SELECT") {
        return None;
    }
    match db.get_database_backend() {
        DbBackend::Sqlite => {
            let explain = Statement {
                sql: format!("EXPLAIN QUERY PLAN {}", statement.sql),
                values: statement.values.clone(),
                db_backend: DbBackend::Sqlite,
            };
            let rows = db.query_all_raw(explain).await.expect("explain");
            let details: Vec<String> = rows
                .iter()
                .map(|r| r.try_get::<String>("", "detail").unwrap())
                .collect();
            // Unfiltered and limited (the end of a narrowed page's window): it stops there.
            let bounded = !statement.sql.contains(" WHERE ") && statement.sql.contains(" LIMIT ");
            for d in &details {
                for t in &large {
                    // `SCAN t` alone walks the table in rowid order: fine for the default
                    // page (it stops at the page's limit), a full scan once rows are filtered.
                    if !sort_only && !case.range && !bounded && (d == &format!("SCAN {t}")) {
                        return Some(format!("full scan of {t}: {details:?}"));
                    }
                }
                // `FOR ORDER BY`, or `FOR RIGHT PART OF ORDER BY` (the tie-break).
                if sort_only && d.contains("USE TEMP B-TREE FOR") && d.contains("ORDER BY") {
                    return Some(format!("sorts instead of reading an index: {details:?}"));
                }
                // `SCAN t USING INDEX` reads the index from its first entry; `SEARCH` enters it.
                if case.cursor
                    && large
                        .iter()
                        .any(|t| d.starts_with(&format!("SCAN {t} USING")))
                {
                    return Some(format!("reads the index from its start: {details:?}"));
                }
            }
            None
        }
        DbBackend::Postgres => {
            let txn = relais_store::db::begin_write(db).await.unwrap();
            txn.execute_unprepared("SET LOCAL enable_seqscan = off")
                .await
                .unwrap();
            txn.execute_unprepared("SET LOCAL enable_sort = off")
                .await
                .unwrap();
            let explain = Statement {
                sql: format!("EXPLAIN {}", statement.sql),
                values: statement.values.clone(),
                db_backend: DbBackend::Postgres,
            };
            let rows = txn.query_all_raw(explain).await.expect("explain");
            txn.rollback().await.unwrap();
            let lines: Vec<String> = rows
                .iter()
                .map(|r| r.try_get::<String>("", "QUERY PLAN").unwrap())
                .collect();
            let plan = lines.join("\n");
            for t in &large {
                if plan.contains(&format!("Seq Scan on {t}")) {
                    return Some(format!("full scan of {t}:\n{plan}"));
                }
            }
            let sorts = lines.iter().any(|l| {
                let node = l.trim_start().trim_start_matches("->").trim_start();
                node.starts_with("Sort ") || node.starts_with("Incremental Sort")
            });
            if sort_only && sorts {
                return Some(format!("sorts instead of reading an index:\n{plan}"));
            }
            if case.cursor
                && let Some(scan) = unbounded_index_scan(&lines, &large)
            {
                return Some(format!("reads {scan} from its start:\n{plan}"));
            }
            None
        }
        _ => None,
    }
}

/// The first index scan of a large table in a PostgreSQL plan that has no `Index Cond`: it
/// reads the index from one end.
fn unbounded_index_scan(lines: &[String], large: &[&str]) -> Option<String> {
    let node = |l: &str| {
        l.trim_start()
            .trim_start_matches("->")
            .trim_start()
            .to_owned()
    };
    for (i, line) in lines.iter().enumerate() {
        let n = node(line);
        let scans_large = (n.starts_with("Index Scan") || n.starts_with("Index Only Scan"))
            && large
                .iter()
                .any(|t| n.contains(&format!(" on {t} ")) || n.ends_with(&format!(" on {t}")));
        if !scans_large {
            continue;
        }
        // The node's own details follow it, up to the next node.
        let bounded = lines[i + 1..]
            .iter()
            .take_while(|l| !l.trim_start().starts_with("->"))
            .any(|l| l.trim_start().starts_with("Index Cond:"));
        if !bounded {
            return Some(n);
        }
    }
    None
}

#[tokio::test]
async fn every_page_of_every_list_is_a_range_scan_for_each_sort_and_filter() {
    let app = TestApp::new().await;
    let world = app.world().await;
    let captured: Arc<Mutex<Vec<Statement>>> = Arc::default();
    let mut db = app.db.clone();
    let sink = captured.clone();
    db.set_metric_callback(move |info| {
        sink.lock().unwrap().push(info.statement.clone());
    });
    let storage = Arc::new(object_store::memory::InMemory::new());
    let router = relais_api::app(AppState::new(db, storage, ApiSettings::default()))
        .unwrap()
        .layer(MockConnectInfo(SocketAddr::from(([203, 0, 113, 7], 40000))));

    let mut failures = Vec::new();
    let mut judged = 0;
    for case in cases(&world) {
        let uri = match (case.query.is_empty(), case.path.contains('?')) {
            (true, _) => case.path.clone(),
            (false, true) => format!("{}&{}", case.path, case.query),
            (false, false) => format!("{}?{}", case.path, case.query),
        };
        captured.lock().unwrap().clear();
        let response = router
            .clone()
            .oneshot(
                Request::get(&uri)
                    .header("authorization", format!("Bearer {}", world.admin))
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        let status = response.status();
        if !status.is_success() {
            let body = axum::body::to_bytes(response.into_body(), usize::MAX)
                .await
                .unwrap();
            panic!(
                "GET {uri} answered {status} {}: give its parameter an example in the document",
                String::from_utf8_lossy(&body)
            );
        }
        let statements = std::mem::take(&mut *captured.lock().unwrap());
        for statement in &statements {
            if let Some(problem) = judge(&app.db, statement, &case).await {
                failures.push(format!("GET {uri}\n  {}\n  {problem}", statement.sql));
            }
            judged += 1;
        }
    }
    assert!(judged > 0);
    assert!(
        failures.is_empty(),
        "{} plans scan or sort a large table:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

//! The endpoints the suite loads, each with its path and the SQL relais runs to answer it
//! (captured from PostgreSQL's statement log of a release server, `log_statement = 'all'`, on
//! 2026-12-01, and checked against the store's code), so that `bare` can replay the database's
//! share. Column lists come from the store's entities, so they stay what SeaORM selects.
//!
//! What is not replayed: the caller's token, user and grants (the caller cache answers them
//! without a query once warm), and the access-log row each `/dashboard` request queues (one
//! multi-row INSERT per batch, off the request path; the access-log list flushes it first).

use crate::args::Backend;
use relais_store::entity::{
    access_log, cluster, fleet_alert, network, network_counter, spot, station, stock, third_party,
    user, user_network, vehicle, vehicle_model, virtual_parking,
};
use sea_orm::{EntityTrait, IdenStatic, Iterable, Value};

/// What the paths and statements need from the dataset.
#[derive(Debug, Clone)]
pub struct Context {
    pub backend: Backend,
    /// The network the per-network lists ask for (the demo's first, Lyon).
    pub network_id: i64,
    pub network_ids: Vec<i64>,
    pub admin_id: i64,
    /// An address of the generated access log.
    pub ip: String,
    /// A member of `network_id` half-way through the users: the cursor of a deep page.
    pub middle_member: i64,
    /// The user agents of the generated log that contain `Firefox`.
    pub firefox_agents: Vec<i64>,
}

/// One statement of an endpoint's answer, with `?` placeholders.
#[derive(Debug, Clone)]
pub enum Step {
    /// Run as is.
    Fixed { sql: String, values: Vec<Value> },
    /// `{in}` replaced by `<key> IN (?, …)`, one placeholder per distinct non-null `column`
    /// of the rows step `from` answered. With none: not run when `skip_empty` (the store's
    /// `by_ids`), else run with `? = ?` bound to 1 and 2, as SeaORM writes an empty `IN`.
    ByIds {
        sql: String,
        key: String,
        from: usize,
        column: &'static str,
        skip_empty: bool,
    },
}

/// An endpoint of the suite.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// Short name, for `BENCH_ONLY` and the report.
    pub name: &'static str,
    pub path: String,
    pub authenticated: bool,
    pub bare: Vec<Step>,
    /// Also run at `BENCH_RSS_CONNECTIONS` with the server's memory sampled.
    pub memory: bool,
}

/// The paged lists, whose first page has the 5 ms p50 target.
pub const LISTS: [&str; 8] = [
    "access-logs",
    "access-logs-user-agent",
    "access-logs-ip",
    "access-logs-verb",
    "access-logs-http-code",
    "fleet-alerts-history",
    "fleet-alerts-history-severity",
    "vehicles",
];

/// The user lists ("Get users" at a million riders), whose first page has the 10 ms p50 target.
pub const USER_LISTS: [&str; 14] = [
    "users",
    "users-register-at",
    "users-last-activity",
    "users-trip-count",
    "users-trip-count-asc",
    "users-blocked",
    "users-email",
    "users-email-rare",
    "users-lastname",
    "users-phone",
    "users-trip-count-min",
    "users-registered",
    "users-without-network",
    "users-register-at-deep",
];

/// The page size of every list's first page.
pub const PAGE: u64 = 100;

fn fixed(sql: impl Into<String>, values: Vec<Value>) -> Step {
    Step::Fixed {
        sql: sql.into(),
        values,
    }
}

/// `"table"."column", …` for every column of `E`, in the entity's order: SeaORM's select list.
pub fn columns<E: EntityTrait>() -> String {
    let table = E::default().table_name().to_owned();
    E::Column::iter()
        .map(|c| format!("\"{table}\".\"{}\"", c.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `SELECT <every column of E> FROM "table"`.
fn select<E: EntityTrait>() -> String {
    format!(
        "SELECT {} FROM \"{}\"",
        columns::<E>(),
        E::default().table_name()
    )
}

/// The rows of `E` whose `key_column` is one of the `column` values of step `from`.
fn by_ids<E: EntityTrait>(
    key_column: &str,
    from: usize,
    column: &'static str,
    skip_empty: bool,
) -> Step {
    Step::ByIds {
        sql: format!("{} WHERE {{in}}", select::<E>()),
        key: format!("\"{}\".\"{key_column}\"", E::default().table_name()),
        from,
        column,
        skip_empty,
    }
}

/// The access log's first page under `filter` (a WHERE clause with `?`, or none).
fn access_logs(filter: Option<&str>, mut values: Vec<Value>) -> Vec<Step> {
    let clause = filter.map(|f| format!(" WHERE {f}")).unwrap_or_default();
    values.push(Value::from(PAGE as i64 + 1));
    vec![fixed(
        format!(
            "{}{clause} ORDER BY \"access_logs\".\"id\" DESC LIMIT ?",
            select::<access_log::Entity>()
        ),
        values,
    )]
}

/// The history's first page, ordered by `order`; then the names of what the alerts concern.
fn history(context: &Context, order: &str) -> Vec<Step> {
    vec![
        // `authorize`: the networks asked for exist (and where they stand).
        fixed(
            "SELECT \"networks\".\"id\" FROM \"networks\" WHERE \"networks\".\"id\" IN (?)",
            vec![Value::from(context.network_id)],
        ),
        fixed(
            format!(
                "{} WHERE \"fleet_alerts\".\"network_id\" IN (?) \
                 AND \"fleet_alerts\".\"resolved_at\" IS NOT NULL \
                 ORDER BY {order} LIMIT ?",
                select::<fleet_alert::Entity>()
            ),
            vec![
                Value::from(context.network_id),
                Value::from(PAGE as i64 + 1),
            ],
        ),
        // `named`: clusters, stations, spots and vehicles through `by_ids` (skipped when
        // empty), users (the concerned and the resolvers) always.
        by_ids::<cluster::Entity>("id", 1, "cluster_id", true),
        by_ids::<station::Entity>("id", 1, "station_id", true),
        by_ids::<spot::Entity>("id", 1, "spot_id", true),
        by_ids::<vehicle::Entity>("id", 1, "vehicle_id", true),
        by_ids::<user::Entity>("id", 1, "resolved_by", false),
    ]
}

/// The store's `member_of`: the user is a member of the network bound to `?`, or of any.
fn member(networks: bool) -> String {
    format!(
        "EXISTS(SELECT 1 FROM \"user_networks\" WHERE \"user_networks\".\"user_id\" = \
         \"users\".\"id\"{})",
        if networks {
            " AND \"user_networks\".\"network_id\" IN (?)"
        } else {
            ""
        }
    )
}

/// "Get users": the networks asked for, the first page of their members under `filter` (SQL
/// with `?`) in `order`, then the page's memberships and wallet balances.
fn users(
    context: &Context,
    filter: Option<&str>,
    mut values: Vec<Value>,
    order: &str,
    without_network: bool,
) -> Vec<Step> {
    let belongs = if without_network {
        format!("({} OR (NOT {}))", member(true), member(false))
    } else {
        member(true)
    };
    let mut all_values = vec![Value::from(context.network_id)];
    all_values.append(&mut values);
    all_values.push(Value::from(PAGE as i64 + 1));
    let clause = filter.map(|f| format!(" AND {f}")).unwrap_or_default();
    vec![
        fixed(
            "SELECT \"networks\".\"id\" FROM \"networks\" WHERE \"networks\".\"id\" IN (?)",
            vec![Value::from(context.network_id)],
        ),
        fixed(
            format!(
                "{} WHERE {belongs} AND \"users\".\"deleted_at\" IS NULL{clause} \
                 ORDER BY {order} LIMIT ?",
                select::<user::Entity>()
            ),
            all_values,
        ),
        Step::ByIds {
            sql: format!(
                "{} WHERE {{in}} ORDER BY \"user_networks\".\"network_id\" ASC",
                select::<user_network::Entity>()
            ),
            key: "\"user_networks\".\"user_id\"".into(),
            from: 1,
            column: "id",
            skip_empty: true,
        },
        Step::ByIds {
            sql: "SELECT \"wallets\".\"user_id\", \"wallets\".\"currency\", \
                  \"wallets\".\"balance\" FROM \"wallets\" WHERE {in} \
                  AND \"wallets\".\"deleted_at\" IS NULL AND \"wallets\".\"balance\" <> 0"
                .into(),
            key: "\"wallets\".\"user_id\"".into(),
            from: 1,
            column: "id",
            skip_empty: true,
        },
    ]
}

/// Every endpoint of the suite, in the order they are run.
pub fn all(context: &Context) -> Vec<Endpoint> {
    let net = context.network_id;
    let list = |name, path: String, bare| Endpoint {
        name,
        path,
        authenticated: true,
        bare,
        memory: false,
    };
    // `access_logs::list`: the agents containing the text, then the page among the first rows
    // of each, read from its `(user_agent_id, id)` range: merged on PostgreSQL, through an `IN`
    // of their ids on SQLite.
    let user_agent = {
        let postgres = context.backend == Backend::Postgres;
        let what = if postgres {
            select::<access_log::Entity>()
        } else {
            "SELECT \"access_logs\".\"id\" FROM \"access_logs\"".to_owned()
        };
        let arms: Vec<String> = context
            .firefox_agents
            .iter()
            .enumerate()
            .map(|(i, agent)| {
                let arm = format!(
                    "SELECT {} FROM ({what} WHERE \"access_logs\".\"user_agent_id\" = {agent} \
                     ORDER BY \"access_logs\".\"id\" DESC LIMIT {}) AS \"agent_{i}\"",
                    if postgres { "*" } else { "\"id\"" },
                    PAGE + 1
                );
                if postgres && i > 0 {
                    format!("({arm})")
                } else {
                    arm
                }
            })
            .collect();
        let union = arms.join(" UNION ALL ");
        let mut steps = vec![fixed(
            "SELECT \"user_agents\".\"id\" FROM \"user_agents\" \
             WHERE LOWER(\"user_agent\") LIKE ? ESCAPE '\\' \
             ORDER BY \"user_agents\".\"id\" ASC LIMIT ?",
            vec![Value::from("%firefox%"), Value::from(65i64)],
        )];
        if postgres {
            steps.push(fixed(
                format!("{union} ORDER BY \"id\" DESC LIMIT ?"),
                vec![Value::from(PAGE as i64 + 1)],
            ));
        } else {
            steps.extend(access_logs(
                Some(&format!("\"access_logs\".\"id\" IN ({union})")),
                Vec::new(),
            ));
        }
        steps
    };
    // With the failed requests' index's predicate written out (`access_logs::list`).
    let http_code = match context.backend {
        Backend::Postgres => {
            "\"access_logs\".\"http_code\" >= ? AND \"http_code\" >= 400 \
             AND \"access_logs\".\"http_code\" <= ?"
        }
        Backend::Sqlite => "+\"http_code\" >= ? AND \"http_code\" >= 400 AND +\"http_code\" <= ?",
    };
    let logs = format!("/dashboard/access-logs?page_size={PAGE}");
    let users_of = |without_network: bool, extra: &str| {
        format!(
            "/dashboard/users?networks={net}&page_size={PAGE}&currency=EUR\
             &timezone=Europe%2FParis&without_network={without_network}{extra}"
        )
    };
    let users_path = |extra: &str| users_of(false, extra);
    let by_id = "\"users\".\"id\" DESC";
    let sorted = |column: &str, dir: &str| format!("\"users\".\"{column}\" {dir}, {by_id}");
    // A part of a column, as `users::text_contains` asks for it: PostgreSQL through LIKE (its
    // trigram indexes), SQLite through the FTS5 trigram table.
    let backend = context.backend;
    let text = move |column: &str, lowered: bool| match backend {
        Backend::Postgres if lowered => format!("LOWER(\"{column}\") LIKE ? ESCAPE '\\'"),
        Backend::Postgres => format!("\"users\".\"{column}\" LIKE ? ESCAPE '\\'"),
        Backend::Sqlite => "\"users\".\"id\" IN (SELECT \"rowid\" FROM \"users_search\" \
                            WHERE \"users_search\" MATCH ?)"
            .to_owned(),
    };
    let text_value = move |part: &str| match backend {
        Backend::Postgres => Value::from(format!("%{part}%")),
        Backend::Sqlite => Value::from(format!("\"{part}\"")),
    };
    // A month of sign-ups, a year ago.
    let month = {
        let end = chrono::Utc::now() - chrono::Duration::days(365);
        (end - chrono::Duration::days(30), end)
    };
    vec![
        Endpoint {
            name: "healthz",
            path: "/healthz".into(),
            authenticated: false,
            bare: Vec::new(),
            memory: false,
        },
        list(
            "permissions",
            "/dashboard/permissions?lang=en".into(),
            Vec::new(),
        ),
        list("access-logs", logs.clone(), access_logs(None, Vec::new())),
        list(
            "access-logs-user-agent",
            format!("{logs}&user_agent=Firefox"),
            user_agent,
        ),
        list(
            "access-logs-ip",
            format!("{logs}&ip={}", context.ip),
            access_logs(
                Some("\"access_logs\".\"ip\" = ?"),
                vec![Value::from(context.ip.clone())],
            ),
        ),
        list(
            "access-logs-verb",
            format!("{logs}&verb=POST"),
            access_logs(
                Some("\"access_logs\".\"verb\" = ?"),
                vec![Value::from("POST")],
            ),
        ),
        list(
            "access-logs-http-code",
            format!("{logs}&http_code_min=400&http_code_max=499"),
            access_logs(Some(http_code), vec![Value::from(400), Value::from(499)]),
        ),
        list(
            "fleet-alerts-history",
            format!("/dashboard/fleet-alerts/history?networks={net}&page_size={PAGE}"),
            history(context, "\"fleet_alerts\".\"id\" DESC"),
        ),
        list(
            "fleet-alerts-history-severity",
            format!(
                "/dashboard/fleet-alerts/history?networks={net}&sort_by=alert_severity&page_size={PAGE}"
            ),
            // Seriousness descending is the stored strings ascending (`fleet_alerts::history`).
            history(
                context,
                "\"fleet_alerts\".\"severity\" ASC, \"fleet_alerts\".\"id\" DESC",
            ),
        ),
        list(
            "networks",
            "/dashboard/networks".into(),
            vec![
                fixed(
                    format!(
                        "{} ORDER BY \"networks\".\"name\" ASC, \"networks\".\"id\" ASC",
                        select::<network::Entity>()
                    ),
                    Vec::new(),
                ),
                by_ids::<third_party::Entity>("id", 0, "third_party_id", false),
                by_ids::<network_counter::Entity>("network_id", 0, "id", false),
            ],
        ),
        list(
            "networks-short",
            "/dashboard/networks/short".into(),
            vec![fixed(
                format!(
                    "{} WHERE \"networks\".\"closed_at\" IS NULL \
                     ORDER BY \"networks\".\"name\" ASC, \"networks\".\"id\" ASC",
                    select::<network::Entity>()
                ),
                Vec::new(),
            )],
        ),
        Endpoint {
            memory: true,
            ..list(
                "vehicles",
                format!("/dashboard/vehicles?networks={net}&page_size={PAGE}"),
                vec![
                    fixed(
                        "SELECT \"networks\".\"id\" FROM \"networks\" WHERE \"networks\".\"id\" IN (?)",
                        vec![Value::from(net)],
                    ),
                    // The first page of the network's vehicles in service, by serial (one row
                    // more than the page tells whether more follow).
                    fixed(
                        format!(
                            "{} WHERE \"vehicles\".\"network_id\" IN (?) \
                             AND \"vehicles\".\"decommissioned_at\" IS NULL \
                             ORDER BY \"vehicles\".\"serial\" ASC, \"vehicles\".\"id\" ASC \
                             LIMIT {}",
                            select::<vehicle::Entity>(),
                            PAGE + 1
                        ),
                        vec![Value::from(net)],
                    ),
                    // `vehicles::rows`: where they stand, every lookup run even when empty.
                    by_ids::<vehicle_model::Entity>("id", 1, "model_id", false),
                    by_ids::<spot::Entity>("id", 1, "spot_id", false),
                    // Stations of those spots and clusters of those stations: the demo's
                    // docked vehicles' (a handful), looked up by the spots' and stations' ids.
                    by_ids::<station::Entity>("id", 3, "station_id", false),
                    by_ids::<virtual_parking::Entity>("id", 1, "virtual_parking_id", false),
                    by_ids::<cluster::Entity>("id", 4, "cluster_id", false),
                    by_ids::<stock::Entity>("id", 1, "stock_id", false),
                ],
            )
        },
        list(
            "users",
            users_path(""),
            users(context, None, Vec::new(), by_id, false),
        ),
        list(
            "users-register-at",
            users_path("&sort_by=register_at"),
            users(
                context,
                None,
                Vec::new(),
                &sorted("created_at", "DESC"),
                false,
            ),
        ),
        list(
            "users-last-activity",
            users_path("&sort_by=last_activity"),
            users(
                context,
                None,
                Vec::new(),
                &sorted("last_activity_at", "DESC"),
                false,
            ),
        ),
        list(
            "users-trip-count",
            users_path("&sort_by=trip_count"),
            users(
                context,
                None,
                Vec::new(),
                &sorted("trip_count", "DESC"),
                false,
            ),
        ),
        list(
            "users-trip-count-asc",
            users_path("&sort_by=trip_count&sort_dir=ASC"),
            users(
                context,
                None,
                Vec::new(),
                &sorted("trip_count", "ASC"),
                false,
            ),
        ),
        list(
            "users-blocked",
            users_path("&blocked=true"),
            users(
                context,
                Some("\"users\".\"blocked\" = ?"),
                vec![Value::from(true)],
                by_id,
                false,
            ),
        ),
        list(
            "users-email",
            users_path("&email=martin"),
            users(
                context,
                Some(&text("email", false)),
                vec![text_value("martin")],
                by_id,
                false,
            ),
        ),
        list(
            "users-email-rare",
            users_path("&email=martin1234"),
            users(
                context,
                Some(&text("email", false)),
                vec![text_value("martin1234")],
                by_id,
                false,
            ),
        ),
        list(
            "users-lastname",
            users_path("&lastname=Dupont"),
            users(
                context,
                Some(&text("last_name", true)),
                vec![text_value("dupont")],
                by_id,
                false,
            ),
        ),
        list(
            "users-phone",
            users_path("&phone_number=4242"),
            users(
                context,
                Some(&text("phone", false)),
                vec![text_value("4242")],
                by_id,
                false,
            ),
        ),
        list(
            "users-trip-count-min",
            users_path("&trip_count_min=10"),
            users(
                context,
                Some("\"users\".\"trip_count\" >= ?"),
                vec![Value::from(10i64)],
                by_id,
                false,
            ),
        ),
        list(
            "users-registered",
            users_path(&format!(
                "&sort_by=register_at&register_at_min={}&register_at_max={}",
                month.0.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                month.1.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            )),
            users(
                context,
                Some("\"users\".\"created_at\" >= ? AND \"users\".\"created_at\" <= ?"),
                vec![Value::from(month.0), Value::from(month.1)],
                &sorted("created_at", "DESC"),
                false,
            ),
        ),
        list(
            "users-without-network",
            users_of(true, ""),
            users(context, None, Vec::new(), by_id, true),
        ),
        list(
            "users-register-at-deep",
            users_path(&format!(
                "&sort_by=register_at&last_primary_key={}",
                context.middle_member
            )),
            {
                // The cursor's sign-up time, read under the list's filters, as the store reads it.
                let at = format!(
                    "(SELECT \"users\".\"created_at\" FROM \"users\" WHERE {} AND \
                     \"users\".\"deleted_at\" IS NULL AND \"users\".\"id\" = ?)",
                    member(true)
                );
                let cursor = || {
                    vec![
                        Value::from(context.network_id),
                        Value::from(context.middle_member),
                    ]
                };
                let mut values = cursor();
                values.extend(cursor());
                values.push(Value::from(context.middle_member));
                users(
                    context,
                    Some(&format!(
                        "\"users\".\"created_at\" <= {at} AND (\"users\".\"created_at\", \
                         \"users\".\"id\") < ({at}, ?)"
                    )),
                    values,
                    &sorted("created_at", "DESC"),
                    false,
                )
            },
        ),
    ]
}

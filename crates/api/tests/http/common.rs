//! The test harness: a fresh application per test, and a small client for it.

#![allow(dead_code)]

use axum::Router;
use axum::body::Body;
use axum::extract::connect_info::MockConnectInfo;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use chrono::{DateTime, Duration, Utc};
use relais_api::{ApiSettings, AppState};
use relais_domain::Permission;
use relais_domain::credentials::hash_password;
use relais_store::Db;
use relais_store::grants::{GrantTerms, Granted};
use relais_store::units::UnitContents;
use relais_store::users::NewUser;
use sea_orm::ConnectionTrait;
use sea_orm::sqlx::postgres::PgConnectOptions;
use serde_json::Value;
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::{Arc, Mutex, OnceLock};
use tower::ServiceExt;

/// A running application on its own database.
pub struct TestApp {
    pub router: Router,
    pub db: Db,
    /// The application's access-log queue: a test flushes it before it reads the log, which
    /// the server writes off the request path.
    pub access_log: relais_api::access_log::AccessLogQueue,
    _database: TestDatabase,
}

enum TestDatabase {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres { server_url: String, name: String },
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let TestDatabase::Postgres { server_url, name } = self {
            let (server_url, name) = (server_url.clone(), name.clone());
            // Dropping runs outside the test's runtime, on its own thread and runtime.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("runtime");
                rt.block_on(async move {
                    if let Ok(admin) = relais_store::connect(&server_url, 1).await {
                        let _ = admin
                            .execute_unprepared(&format!(
                                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                            ))
                            .await;
                        let _ = admin.close().await;
                    }
                });
            })
            .join();
        }
    }
}

/// The `host:port` of the PostgreSQL server named by `url`, once it has answered. It is asked
/// once per test binary with a short timeout, so that a server that is down or a database that
/// does not exist fails every test at once with the same line, not each after a pool timeout.
fn postgres_server(url: &str) -> String {
    static CHECKED: OnceLock<Result<String, String>> = OnceLock::new();
    let url = url.to_owned();
    CHECKED
        .get_or_init(|| {
            let options: PgConnectOptions = url
                .parse()
                .map_err(|e| format!("RELAIS_TEST_DATABASE_URL is not a PostgreSQL URL: {e}"))?;
            let server = format!("{}:{}", options.get_host(), options.get_port());
            let database = options.get_database().unwrap_or("(default)").to_owned();
            let fail = |e: String| {
                format!(
                    "PostgreSQL at {server} (database {database}, from RELAIS_TEST_DATABASE_URL) \
                     is not usable: {e}"
                )
            };
            // A refused connection first, plainly: the pool would retry it until its timeout.
            if !options.get_host().starts_with('/') {
                let address = (options.get_host(), options.get_port())
                    .to_socket_addrs()
                    .map_err(|e| fail(e.to_string()))?
                    .next()
                    .ok_or_else(|| fail("no address for this host".to_owned()))?;
                TcpStream::connect_timeout(&address, std::time::Duration::from_secs(3))
                    .map_err(|e| fail(e.to_string()))?;
            }
            // On a thread and runtime of its own: the first caller's runtime may be a
            // current-thread one, busy waiting for this answer.
            let answer = std::thread::spawn(move || {
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("runtime")
                    .block_on(async move {
                        tokio::time::timeout(
                            std::time::Duration::from_secs(3),
                            relais_store::connect(&url, 1),
                        )
                        .await
                        .map_err(|_| "no answer within 3 s".to_owned())?
                        .map_err(|e| e.to_string())?
                        .close()
                        .await
                        .map_err(|e| e.to_string())
                    })
            })
            .join()
            .unwrap_or_else(|_| Err("the connection check panicked".to_owned()));
            answer.map(|()| server.clone()).map_err(fail)
        })
        .clone()
        .unwrap_or_else(|e| panic!("{e}"))
}

pub const PASSWORD: &str = "correct horse battery staple";

impl TestApp {
    pub async fn new() -> TestApp {
        Self::with_settings(ApiSettings::default()).await
    }

    pub async fn with_settings(settings: ApiSettings) -> TestApp {
        Self::build(settings, |state| state).await
    }

    /// The application on a fresh database, its state changed by `change` before it starts
    /// (one application per database: its background workers claim the work they find).
    async fn build(settings: ApiSettings, change: impl FnOnce(AppState) -> AppState) -> TestApp {
        let (db, database) = match std::env::var("RELAIS_TEST_DATABASE_URL") {
            Ok(url) if url.starts_with("postgres") => {
                let server = postgres_server(&url);
                let admin = relais_store::connect(&url, 1)
                    .await
                    .unwrap_or_else(|e| panic!("cannot connect to PostgreSQL at {server}: {e}"));
                let name = format!("relais_test_{}", uuid::Uuid::new_v4().simple());
                admin
                    .execute_unprepared(&format!("CREATE DATABASE {name}"))
                    .await
                    .expect("create test database");
                admin.close().await.ok();
                let (base, _) = url.rsplit_once('/').expect("URL with a database");
                let db = relais_store::connect(&format!("{base}/{name}"), 5)
                    .await
                    .expect("connect to test database");
                (
                    db,
                    TestDatabase::Postgres {
                        server_url: url,
                        name,
                    },
                )
            }
            _ => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}?mode=rwc", dir.path().join("test.db").display());
                let db = relais_store::connect(&url, 5).await.expect("sqlite");
                (db, TestDatabase::Sqlite(dir))
            }
        };
        relais_store::db::migrate(&db).await.expect("migrations");
        let storage = Arc::new(object_store::memory::InMemory::new());
        let state = change(AppState::new(db.clone(), storage, settings));
        let access_log = state.access_log.clone();
        let router = relais_api::app(state)
            .expect("app")
            .layer(MockConnectInfo(SocketAddr::from(([203, 0, 113, 7], 40000))));
        TestApp {
            router,
            db,
            access_log,
            _database: database,
        }
    }

    /// A fresh application whose state is changed by `change` (transports, payment provider).
    pub async fn with_state(change: impl FnOnce(AppState) -> AppState) -> TestApp {
        Self::build(ApiSettings::default(), change).await
    }

    /// The text of the last message of `template` queued for `user` (a test reads the codes
    /// a rider receives there).
    pub async fn last_message(&self, user: i64, template: &str) -> String {
        use relais_store::entity::outbound_message;
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
        outbound_message::Entity::find()
            .filter(outbound_message::Column::UserId.eq(user))
            .filter(outbound_message::Column::Template.eq(template))
            .order_by_desc(outbound_message::Column::Id)
            .one(&self.db)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("no {template} message for user {user}"))
            .body
    }

    /// A fresh application whose third parties come from `erp`.
    pub async fn with_erp(erp: Arc<dyn relais_erp::Erp>) -> TestApp {
        Self::with_state(|state| state.with_erp(erp)).await
    }

    /// From now on, record the statements the application runs for requests (those of
    /// `self.db` used directly by the test are not). The access log's writer, the token's
    /// last-use touch and the security epoch run beside requests; [`Recorded::requests`]
    /// leaves them out.
    pub async fn record_statements(&mut self) -> Recorded {
        let captured: Arc<Mutex<Vec<sea_orm::Statement>>> = Arc::default();
        let sink = captured.clone();
        let mut db = self.db.clone();
        db.set_metric_callback(move |info| {
            sink.lock().unwrap().push(info.statement.clone());
        });
        let storage = Arc::new(object_store::memory::InMemory::new());
        let state = AppState::new(db, storage, ApiSettings::default());
        self.access_log = state.access_log.clone();
        self.router = relais_api::app(state)
            .expect("app")
            .layer(MockConnectInfo(SocketAddr::from(([203, 0, 113, 7], 40000))));
        // The new caller cache first catches up with the security epoch (it polls every
        // 250 ms); a caller resolved before that would not be kept, and be resolved again.
        tokio::time::sleep(std::time::Duration::from_millis(400)).await;
        Recorded(captured)
    }

    /// A request to build and send.
    pub fn call(&self, method: Method, path: &str) -> Call<'_> {
        Call {
            app: self,
            method,
            path: path.to_owned(),
            token: None,
            body: None,
            headers: Vec::new(),
        }
    }

    pub fn get(&self, path: &str) -> Call<'_> {
        self.call(Method::GET, path)
    }

    pub fn post(&self, path: &str) -> Call<'_> {
        self.call(Method::POST, path)
    }

    pub fn put(&self, path: &str) -> Call<'_> {
        self.call(Method::PUT, path)
    }

    pub fn patch(&self, path: &str) -> Call<'_> {
        self.call(Method::PATCH, path)
    }

    pub fn delete(&self, path: &str) -> Call<'_> {
        self.call(Method::DELETE, path)
    }

    /// A user with a password and no grant.
    pub async fn user(&self, email: &str) -> i64 {
        relais_store::users::create(
            &self.db,
            NewUser {
                email: email.into(),
                password_hash: Some(hash_password(PASSWORD)),
                first_name: Some("Test".into()),
                last_name: Some(email.split('@').next().unwrap_or("user").into()),
                ..Default::default()
            },
        )
        .await
        .expect("user")
        .id
    }

    /// A rider (no grants) who has interacted with `networks`, and a token of theirs.
    pub async fn rider(&self, email: &str, networks: &[i64]) -> (i64, String) {
        let user = self.user(email).await;
        for network in networks {
            relais_store::users::join_network(&self.db, user, *network, Utc::now())
                .await
                .expect("membership");
        }
        (user, self.token_for(user).await)
    }

    /// An API token for a user.
    pub async fn token_for(&self, user_id: i64) -> String {
        relais_store::tokens::issue(&self.db, user_id, "test", None)
            .await
            .expect("token")
            .1
    }

    /// An administrator (every permission, global, write) and their token.
    pub async fn admin(&self) -> (i64, String) {
        let user = relais_store::setup::create_admin(
            &self.db,
            NewUser {
                email: "admin@relais.test".into(),
                password_hash: Some(hash_password(PASSWORD)),
                ..Default::default()
            },
        )
        .await
        .expect("admin");
        let token = self.token_for(user.id).await;
        (user.id, token)
    }

    /// Give `permission` to `user` directly in the store.
    pub async fn grant(&self, user: i64, permission: Permission, unit: Option<i64>, write: bool) {
        self.grant_between(
            user,
            permission,
            unit,
            write,
            Utc::now() - Duration::days(1),
            None,
        )
        .await
    }

    pub async fn grant_between(
        &self,
        user: i64,
        permission: Permission,
        unit: Option<i64>,
        write: bool,
        start: DateTime<Utc>,
        end: Option<DateTime<Utc>>,
    ) {
        relais_store::grants::put(
            &self.db,
            user,
            Granted::Permission(permission),
            GrantTerms {
                unit_id: unit,
                write,
                start_date: start,
                end_date: end,
                granted_by: None,
            },
        )
        .await
        .expect("grant");
    }

    /// A user holding `dashboard.access` and the given permissions, with a token.
    pub async fn staff(
        &self,
        email: &str,
        permissions: &[(Permission, Option<i64>, bool)],
    ) -> (i64, String) {
        let user = self.user(email).await;
        self.grant(user, Permission::DashboardAccess, None, false)
            .await;
        for (permission, unit, write) in permissions {
            self.grant(user, *permission, *unit, *write).await;
        }
        let token = self.token_for(user).await;
        (user, token)
    }

    /// An app label (`name` matches `^[a-z]{1,20}$`), made directly in the store.
    pub async fn app_label(&self, name: &str) -> i64 {
        use sea_orm::{ActiveModelTrait, Set};
        relais_store::entity::app_label::ActiveModel {
            name: Set(name.into()),
            display_name: Set(name.to_uppercase()),
            require_sms_validation: Set(false),
            require_terms_of_use: Set(false),
            auto_delete_users: Set(false),
            saved_payment_method_is_optional: Set(false),
            created_at: Set(Utc::now()),
            updated_at: Set(Utc::now()),
            ..Default::default()
        }
        .insert(&self.db)
        .await
        .expect("app label")
        .id
    }

    /// A network in France (Europe/Paris, EUR) on a new app label, made directly in the store.
    pub async fn network(&self, name: &str) -> i64 {
        let label: String = name
            .chars()
            .filter(char::is_ascii_alphabetic)
            .map(|c| c.to_ascii_lowercase())
            .take(20)
            .collect();
        let app_label_id = self.app_label(&label).await;
        relais_store::networks::create(
            &self.db,
            relais_store::networks::NewNetwork {
                name: name.into(),
                default_vat: rust_decimal::Decimal::new(2, 1),
                country_id: 250,
                currency: "EUR".into(),
                default_vehicle_guarantee: rust_decimal::Decimal::new(150, 0),
                trip_to_skip_pre_auth_guarantee: 3,
                timezone: "Europe/Paris".into(),
                third_party_id: None,
                app_label_id,
                created_by: None,
            },
        )
        .await
        .expect("network")
        .id
    }

    /// An organizational unit over the given networks.
    pub async fn unit(&self, name: &str, networks: &[i64]) -> i64 {
        relais_store::units::create(
            &self.db,
            name,
            &UnitContents {
                networks: networks.iter().copied().collect(),
                ..Default::default()
            },
        )
        .await
        .expect("unit")
        .id
    }
}

/// A request being built.
pub struct Call<'a> {
    app: &'a TestApp,
    method: Method,
    path: String,
    token: Option<String>,
    body: Option<(String, Vec<u8>)>,
    headers: Vec<(String, String)>,
}

impl Call<'_> {
    pub fn token(mut self, token: &str) -> Self {
        self.token = Some(token.to_owned());
        self
    }

    pub fn json(mut self, body: Value) -> Self {
        self.body = Some(("application/json".into(), body.to_string().into_bytes()));
        self
    }

    pub fn raw(mut self, content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        self.body = Some((content_type.into(), body.into()));
        self
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    pub async fn send(self) -> Reply {
        let (router, request) = self.into_request();
        exchange(router, request).await
    }

    /// Send it on a task of its own, to run concurrently with others.
    pub fn spawn(self) -> tokio::task::JoinHandle<Reply> {
        let (router, request) = self.into_request();
        tokio::spawn(exchange(router, request))
    }

    fn into_request(self) -> (Router, Request<Body>) {
        let mut builder = Request::builder().method(self.method).uri(&self.path);
        if let Some(token) = &self.token {
            builder = builder.header("authorization", format!("Bearer {token}"));
        }
        for (name, value) in &self.headers {
            builder = builder.header(name, value);
        }
        let request = match self.body {
            Some((content_type, bytes)) => builder
                .header("content-type", content_type)
                .body(Body::from(bytes)),
            None => builder.body(Body::empty()),
        }
        .expect("request");
        (self.app.router.clone(), request)
    }
}

async fn exchange(router: Router, request: Request<Body>) -> Reply {
    let response = router.oneshot(request).await.expect("response");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("body");
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Reply {
        status,
        headers,
        body,
        text,
    }
}

/// A response, read.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Reply {
    /// Assert a success and return `data`.
    #[track_caller]
    pub fn ok(&self) -> &Value {
        assert_eq!(self.status, StatusCode::OK, "{}", self.text);
        assert_eq!(self.body["code"], 0, "{}", self.text);
        &self.body["data"]
    }

    /// Assert a failure in the envelope with this status and code.
    #[track_caller]
    pub fn fails(&self, status: u16, code: i64) -> &Self {
        assert_eq!(self.status.as_u16(), status, "{}", self.text);
        assert_eq!(self.body["code"], code, "{}", self.text);
        assert!(self.body["message"]["text"].is_string(), "{}", self.text);
        self
    }

    /// Assert that the failure names `field`.
    #[track_caller]
    pub fn names(&self, field: &str) -> &Self {
        assert!(
            self.body["message"]["fields"].get(field).is_some(),
            "expected field `{field}` in {}",
            self.text
        );
        self
    }
}

/// A small square around (`lon`, `lat`), as the API takes shapes.
pub fn square(lon: f64, lat: f64) -> Value {
    let d = 0.001;
    serde_json::json!([
        [lon - d, lat - d],
        [lon + d, lat - d],
        [lon + d, lat + d],
        [lon - d, lat + d]
    ])
}

/// Two networks and what belongs to them, made through the API as the administrator: for tests
/// of scope. Network 1 has clusters `a` and `b`; network 2 has cluster `c`. `_a`, `_b`, `_c`
/// name what belongs to each cluster; `_n1`, `_n2` what belongs to a whole network.
pub struct World {
    pub admin: String,
    pub n1: i64,
    pub n2: i64,
    pub cluster_a: i64,
    pub cluster_b: i64,
    pub cluster_c: i64,
    pub station_a: i64,
    pub station_b: i64,
    pub station_c: i64,
    pub spot_a: i64,
    pub spot_b: i64,
    pub vehicle_a: i64,
    pub vehicle_b: i64,
    pub vehicle_n1: i64,
    pub vehicle_n2: i64,
    pub parking_b: i64,
    pub parking_n1: i64,
    pub parking_n2: i64,
    pub zone_n1: i64,
    pub zone_n2: i64,
    pub rule_n1: i64,
    pub stock_n1: i64,
    pub maintenance_b: i64,
    pub maintenance_c: i64,
    pub alert_b: i64,
    pub alert_n2: i64,
    pub out_of_order_n1: i64,
    pub connection_n1: i64,
    pub unit_n1: i64,
    pub label_n1: i64,
    /// A rider of network 1.
    pub user_n1: i64,
    /// A finished trip of that rider on `vehicle_a`, from cluster A to cluster B.
    pub trip_n1: i64,
    /// The rider's payment of that trip, 2.40 EUR by card through the sandbox.
    pub transaction_n1: i64,
    /// Its invoice's reference.
    pub invoice_n1: String,
}

impl TestApp {
    /// The [`World`] fixture.
    pub async fn world(&self) -> World {
        use relais_store::entity::{spot, station, vehicle, vehicle_model};
        use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
        let (_, admin) = self.admin().await;
        let n1 = self.network("Lyon").await;
        let n2 = self.network("Paris").await;
        let cluster = |network: i64, name: &'static str, serial: &'static str| {
            let admin = admin.clone();
            async move {
                self.post("/dashboard/clusters")
                    .token(&admin)
                    .json(serde_json::json!({
                        "network_id": network, "name": name, "latitude": 45.76,
                        "longitude": 4.84, "location": "Place Bellecour",
                        "badge_reader": false,
                        "stations": [{"serial": serial, "name": name, "spot_count": 2}]
                    }))
                    .send()
                    .await
                    .ok()["id"]
                    .as_i64()
                    .unwrap()
            }
        };
        let cluster_a = cluster(n1, "Alpha", "STATA1").await;
        let cluster_b = cluster(n1, "Bravo", "STATB1").await;
        let cluster_c = cluster(n2, "Charlie", "STATC1").await;
        let station_of = |cluster: i64| async move {
            station::Entity::find()
                .filter(station::Column::ClusterId.eq(cluster))
                .one(&self.db)
                .await
                .unwrap()
                .unwrap()
                .id
        };
        let (station_a, station_b, station_c) = (
            station_of(cluster_a).await,
            station_of(cluster_b).await,
            station_of(cluster_c).await,
        );
        let spot_of = |station: i64| async move {
            spot::Entity::find()
                .filter(spot::Column::StationId.eq(station))
                .one(&self.db)
                .await
                .unwrap()
                .unwrap()
                .id
        };
        let (spot_a, spot_b) = (spot_of(station_a).await, spot_of(station_b).await);
        let model = vehicle_model::ActiveModel {
            name: Set("World bike".into()),
            kind: Set("bike".into()),
            manufacturer: Set("Acme".into()),
            ..Default::default()
        }
        .insert(&self.db)
        .await
        .unwrap()
        .id;
        let vehicle = |network: i64, serial: &'static str, spot: Option<i64>| async move {
            let id = vehicle::ActiveModel {
                serial: Set(serial.into()),
                network_id: Set(network),
                model_id: Set(model),
                created_at: Set(Utc::now()),
                status: Set("available".into()),
                locked: Set(true),
                spot_id: Set(spot),
                ..Default::default()
            }
            .insert(&self.db)
            .await
            .unwrap()
            .id;
            if let Some(spot) = spot {
                let mut s: spot::ActiveModel = spot::Entity::find_by_id(spot)
                    .one(&self.db)
                    .await
                    .unwrap()
                    .unwrap()
                    .into();
                s.vehicle_id = Set(Some(id));
                s.occupied = Set(true);
                s.update(&self.db).await.unwrap();
            }
            id
        };
        let vehicle_a = vehicle(n1, "VEHA001", Some(spot_a)).await;
        let vehicle_b = vehicle(n1, "VEHB001", Some(spot_b)).await;
        let vehicle_n1 = vehicle(n1, "VEHN101", None).await;
        let vehicle_n2 = vehicle(n2, "VEHN201", None).await;
        let post = |path: String, body: Value| {
            let admin = admin.clone();
            async move {
                self.post(&path)
                    .token(&admin)
                    .json(body)
                    .send()
                    .await
                    .ok()
                    .clone()
            }
        };
        let parking_b = post(
            format!("/dashboard/clusters/{cluster_b}/parkings"),
            serde_json::json!({"shape": square(4.85, 45.76), "capacity": 5}),
        )
        .await["id"]
            .as_i64()
            .unwrap();
        let parking = |network: i64, lon: f64| {
            post(
                "/dashboard/virtual-parkings".into(),
                serde_json::json!({"network_id": network, "shape": square(lon, 45.77), "capacity": 5}),
            )
        };
        let parking_n1 = parking(n1, 4.86).await["id"].as_i64().unwrap();
        let parking_n2 = parking(n2, 2.35).await["id"].as_i64().unwrap();
        let zone = |network: i64, lon: f64| {
            post(
                "/dashboard/speed-zones".into(),
                serde_json::json!({"network_id": network, "shape": square(lon, 45.75), "max_speed": 15}),
            )
        };
        let zone_n1 = zone(n1, 4.83).await["id"].as_i64().unwrap();
        let zone_n2 = zone(n2, 2.34).await["id"].as_i64().unwrap();
        let rule_n1 = post(
            "/dashboard/pricing".into(),
            serde_json::json!({
                "network_id": n1, "start_dow": 0, "start_hod": "00:00:00", "end_dow": 6,
                "end_hod": "24:00:00", "unlock_price": 1, "unlock_included_time": 0,
                "freefloat_lock_price": 0, "use_per_minute_price": 0.1, "on_hold_price": 0.05
            }),
        )
        .await["id"]
            .as_i64()
            .unwrap();
        let stock_n1 = post(
            "/dashboard/stocks".into(),
            serde_json::json!({
                "network_id": n1, "name": "Depot", "country": 250, "city": "Lyon",
                "zipcode": "69001", "street": "1 rue de la Republique"
            }),
        )
        .await["id"]
            .as_i64()
            .unwrap();
        post(
            "/dashboard/maintenance-types".into(),
            serde_json::json!({"key": "power", "target_type": "station", "severity": "high"}),
        )
        .await;
        let maintenance = |station: i64| {
            post(
                "/dashboard/maintenances".into(),
                serde_json::json!({"key": "power", "target_type": "station", "target_id": station}),
            )
        };
        let maintenance_b = maintenance(station_b).await["id"].as_i64().unwrap();
        let maintenance_c = maintenance(station_c).await["id"].as_i64().unwrap();
        let alert = |network: i64, cluster: i64| async move {
            relais_store::entity::fleet_alert::ActiveModel {
                network_id: Set(network),
                alert_type: Set("vehicle-lifted".into()),
                severity: Set("high".into()),
                cluster_id: Set(Some(cluster)),
                details: Set("{}".into()),
                created_at: Set(Utc::now() - Duration::hours(2)),
                resolved_at: Set(Some(Utc::now() - Duration::hours(1))),
                ..Default::default()
            }
            .insert(&self.db)
            .await
            .unwrap()
            .id
        };
        let alert_b = alert(n1, cluster_b).await;
        let alert_n2 = alert(n2, cluster_c).await;
        let out_of_order_n1 = relais_store::entity::out_of_order::ActiveModel {
            network_id: Set(n1),
            kind: Set("rent".into()),
            reason: Set(Some("storm".into())),
            start_date: Set(Utc::now()),
            created_at: Set(Utc::now()),
            ..Default::default()
        }
        .insert(&self.db)
        .await
        .unwrap()
        .id;
        let hauler = relais_store::haulers::create(&self.db, "World Haul")
            .await
            .unwrap();
        let dispatcher = self.user("dispatcher@haul.test").await;
        relais_store::haulers::add_user(&self.db, hauler.id, dispatcher, "ThirdPartyDispatcher")
            .await
            .unwrap();
        let connection_n1 =
            relais_store::haulers::request(&self.db, hauler.id, n1, dispatcher, Utc::now())
                .await
                .unwrap()
                .id;
        let unit_n1 = self.unit("World Lyon", &[n1]).await;
        let label_n1 = relais_store::entity::network::Entity::find_by_id(n1)
            .one(&self.db)
            .await
            .unwrap()
            .unwrap()
            .app_label_id;
        let user_n1 = self.rider("rider-n1@relais.test", &[n1]).await.0;
        let started = Utc::now() - chrono::Duration::hours(2);
        let trip_n1 = relais_store::trips::record(
            &self.db,
            relais_store::trips::NewTrip {
                network_id: n1,
                vehicle_id: Some(vehicle_a),
                user_id: Some(user_n1),
                start_cluster_id: Some(cluster_a),
                end_cluster_id: Some(cluster_b),
                started_at: started,
                ended_at: Some(started + chrono::Duration::minutes(14)),
                distance: 2300,
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .id;
        let transaction_n1 = self
            .card_payment(user_n1, n1, Some(trip_n1), "2.40", "2.40")
            .await;
        let invoice = relais_store::invoices::issue_invoice(&self.db, transaction_n1, Utc::now())
            .await
            .unwrap()
            .expect("an invoice");
        let invoice_n1 = relais_store::invoices::of_transaction(&self.db, transaction_n1)
            .await
            .unwrap()
            .into_iter()
            .find(|i| i.invoice.id == invoice.id)
            .unwrap()
            .reference;
        World {
            admin,
            n1,
            n2,
            cluster_a,
            cluster_b,
            cluster_c,
            station_a,
            station_b,
            station_c,
            spot_a,
            spot_b,
            vehicle_a,
            vehicle_b,
            vehicle_n1,
            vehicle_n2,
            parking_b,
            parking_n1,
            parking_n2,
            zone_n1,
            zone_n2,
            rule_n1,
            stock_n1,
            maintenance_b,
            maintenance_c,
            alert_b,
            alert_n2,
            out_of_order_n1,
            connection_n1,
            unit_n1,
            label_n1,
            user_n1,
            trip_n1,
            transaction_n1,
            invoice_n1,
        }
    }

    /// A payment by card of `amount` EUR by `user` on `network` (a trip's when `trip`),
    /// through the sandbox the application refunds with: a real hold of `captured`, captured,
    /// recorded as a succeeded provider transaction. Its id.
    pub async fn card_payment(
        &self,
        user: i64,
        network: i64,
        trip: Option<i64>,
        amount: &str,
        captured: &str,
    ) -> i64 {
        use relais_payments::{
            CaptureRequest, CustomerRef, HoldRequest, PaymentProvider, SandboxCard, SetupRequest,
            SetupStart,
        };
        use std::str::FromStr;
        let sandbox = relais_payments::Sandbox::new(
            relais_payments::SandboxConfig::new(ApiSettings::default().sandbox_secret),
            Arc::new(relais_store::sandbox::SqlLedger::new(self.db.clone())),
        )
        .expect("sandbox");
        let key = uuid::Uuid::new_v4().simple().to_string();
        let SetupStart::Saved(card) = sandbox
            .begin_setup(&SetupRequest {
                customer: CustomerRef::new(user.to_string()),
                card: Some(SandboxCard::new("4242 4242 4242 4242", 12, 2031, "123")),
                idempotency_key: format!("setup-{key}"),
            })
            .await
            .expect("card saved")
        else {
            panic!("the sandbox saves a card at once");
        };
        let captured = rust_decimal::Decimal::from_str(captured).unwrap();
        let hold = sandbox
            .hold(&HoldRequest {
                customer_id: card.customer_id.clone(),
                method_token: card.token.clone(),
                amount: captured,
                currency: "EUR".into(),
                reference: None,
                idempotency_key: format!("hold-{key}"),
            })
            .await
            .expect("held");
        sandbox
            .capture(&CaptureRequest {
                hold_id: hold.id.clone(),
                amount: captured,
                currency: "EUR".into(),
                idempotency_key: format!("capture-{key}"),
            })
            .await
            .expect("captured");
        relais_store::transactions::record(
            &self.db,
            relais_store::transactions::NewTransaction {
                network_id: network,
                user_id: Some(user),
                trip_id: trip,
                kind: relais_store::entity::transaction::TransactionKind::Trip,
                source: relais_store::entity::transaction::MoneySource::Provider,
                status: relais_store::entity::transaction::TransactionStatus::Succeeded,
                amount_w_vat: rust_decimal::Decimal::from_str(amount).unwrap(),
                product_title: "Trip 14 min".into(),
                payment_provider: "sandbox".into(),
                payment_method_type: "card".into(),
                user_payment_method_id: None,
                bank_guarantee_id: None,
                debt_id: None,
                provider_reference: Some(hold.id),
                payment_provider_fee: rust_decimal::Decimal::ZERO,
                auto_payment: true,
                at: Utc::now(),
            },
        )
        .await
        .expect("transaction")
        .id
    }

    /// An organizational unit over `networks`, restricted to `clusters` when not empty.
    pub async fn unit_with(&self, name: &str, networks: &[i64], clusters: &[i64]) -> i64 {
        relais_store::units::create(
            &self.db,
            name,
            &UnitContents {
                networks: networks.iter().copied().collect(),
                clusters: clusters.iter().copied().collect(),
                ..Default::default()
            },
        )
        .await
        .expect("unit")
        .id
    }
}

/// The statements recorded since [`TestApp::record_statements`].
#[derive(Clone)]
pub struct Recorded(pub Arc<Mutex<Vec<sea_orm::Statement>>>);

impl Recorded {
    pub fn clear(&self) {
        self.0.lock().unwrap().clear();
    }

    /// The statements a request ran itself, in order, as SQL text.
    pub fn requests(&self) -> Vec<String> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .map(|s| s.sql.clone())
            .filter(|sql| {
                // The background workers' polls: the job worker's and the dispatcher's claims.
                !["access_logs", "api_tokens", "security_epoch", "\"jobs\""]
                    .iter()
                    .any(|t| sql.contains(t))
                    && !sql.starts_with(r#"UPDATE "outbound_messages" SET "next_attempt_at""#)
            })
            .collect()
    }

    /// Wait until the caller of `token` is cached, so that the requests counted next run
    /// only their own statements: a fresh cache keeps a caller only once it has caught up
    /// with the security epoch, which may take a few of its polls on a loaded machine.
    pub async fn settle(&self, app: &TestApp, token: &str) {
        for _ in 0..100 {
            self.clear();
            app.get("/dashboard/permissions?lang=en")
                .token(token)
                .send()
                .await;
            if !self
                .requests()
                .iter()
                .any(|sql| sql.contains("\"user_grants\""))
            {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("the caller was never kept by the cache");
    }

    /// How many statements `call` runs, outside the background writers.
    pub async fn count<F: std::future::Future>(&self, call: F) -> (usize, F::Output) {
        self.clear();
        let out = call.await;
        (self.requests().len(), out)
    }
}

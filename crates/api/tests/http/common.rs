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
use serde_json::Value;
use std::net::SocketAddr;
use std::sync::Arc;
use tower::ServiceExt;

/// A running application on its own database.
pub struct TestApp {
    pub router: Router,
    pub db: Db,
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

pub const PASSWORD: &str = "correct horse battery staple";

impl TestApp {
    pub async fn new() -> TestApp {
        Self::with_settings(ApiSettings::default()).await
    }

    pub async fn with_settings(settings: ApiSettings) -> TestApp {
        let (db, database) = match std::env::var("RELAIS_TEST_DATABASE_URL") {
            Ok(url) if url.starts_with("postgres") => {
                let admin = relais_store::connect(&url, 1)
                    .await
                    .expect("PostgreSQL server");
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
        let state = AppState::new(db.clone(), storage, settings);
        let router = relais_api::app(state)
            .expect("app")
            .layer(MockConnectInfo(SocketAddr::from(([203, 0, 113, 7], 40000))));
        TestApp {
            router,
            db,
            _database: database,
        }
    }

    /// A fresh application whose third parties come from `erp`.
    pub async fn with_erp(erp: Arc<dyn relais_erp::Erp>) -> TestApp {
        let mut app = Self::new().await;
        let storage = Arc::new(object_store::memory::InMemory::new());
        let state = AppState::new(app.db.clone(), storage, ApiSettings::default()).with_erp(erp);
        app.router = relais_api::app(state)
            .expect("app")
            .layer(MockConnectInfo(SocketAddr::from(([203, 0, 113, 7], 40000))));
        app
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

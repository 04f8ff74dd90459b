//! The Odoo connector against a local stand-in that speaks Odoo's external JSON-RPC API.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use relais_erp::{Erp, ErpError, ErpPartner, OdooClient, OdooConfig, PartnerQuery};
use serde_json::{Value, json};

const DATABASE: &str = "relais-test";
const LOGIN: &str = "relais@example.com";
const API_KEY: &str = "0123456789abcdef-secret";

/// The `res.partner` fields the stand-in knows, besides `company_registry` (only on recent Odoo).
const KNOWN_FIELDS: [&str; 15] = [
    "id",
    "name",
    "display_name",
    "is_company",
    "vat",
    "email",
    "phone",
    "street",
    "street2",
    "zip",
    "city",
    "country_id",
    "ref",
    "website",
    "active",
];

/// A stand-in Odoo: `common.authenticate`/`login`, and `object.execute_kw` for `res.partner`
/// (`fields_get`, `search_read`) and `res.country` (`search_read`).
#[derive(Clone)]
struct StandIn(Arc<Mutex<Odoo>>);

struct Odoo {
    /// The uid `authenticate` hands out, and the only one `execute_kw` accepts.
    uid: i64,
    authentications: usize,
    /// `model.method` of every `execute_kw`, in order.
    calls: Vec<String>,
    partners: Vec<Value>,
    countries: Vec<Value>,
    /// Whether partners have `company_registry` (Odoo 17 and later).
    has_company_registry: bool,
    /// Refuse every `execute_kw` with AccessDenied, even with a fresh uid.
    deny_all_calls: bool,
    /// Refuse reading partners with an AccessError (a permission problem, not a credential one).
    forbid_partners: bool,
    /// Answer `res.partner.search_read` with an object instead of a list.
    garble_partners: bool,
}

impl StandIn {
    fn new() -> Self {
        let partners = vec![
            json!({
                "id": 7, "name": "Acme Mobility", "display_name": "Acme Mobility", "is_company": true,
                "vat": "FR40123456789", "email": "contact@acme.example", "phone": "+33 1 23 45 67 89",
                "street": "12 rue de la Paix", "street2": "Bâtiment B", "zip": "75002", "city": "Paris",
                "country_id": [75, "France"], "company_registry": "123 456 789", "ref": "C-0007",
                "website": "https://acme.example", "active": true
            }),
            json!({
                "id": 8, "name": "Bicycle Works", "display_name": "Bicycle Works", "is_company": true,
                "vat": false, "email": false, "phone": false, "street": false, "street2": false,
                "zip": false, "city": false, "country_id": false, "company_registry": false,
                "ref": false, "website": false, "active": true
            }),
            json!({
                "id": 9, "name": "Jane Doe", "display_name": "Acme Mobility, Jane Doe", "is_company": false,
                "vat": false, "email": "jane@acme.example", "phone": false, "street": false,
                "street2": false, "zip": false, "city": false, "country_id": [75, "France"],
                "company_registry": false, "ref": false, "website": false, "active": true
            }),
            json!({
                "id": 10, "name": "Cyclo Logistique", "display_name": "Cyclo Logistique", "is_company": true,
                "vat": "BE0123456789", "email": false, "phone": false, "street": "Rue Neuve 1",
                "street2": false, "zip": "1000", "city": "Bruxelles", "country_id": [20, "Belgium"],
                "company_registry": false, "ref": false, "website": false, "active": true
            }),
            json!({
                "id": 11, "name": "Zephyr Scooters", "display_name": "Zephyr Scooters", "is_company": true,
                "vat": false, "email": false, "phone": false, "street": "3 quai Saint-Antoine",
                "street2": false, "zip": "69002", "city": "Lyon", "country_id": [75, "France"],
                "company_registry": false, "ref": false, "website": false, "active": true
            }),
            json!({
                "id": 12, "name": "Archived Cycles", "display_name": "Archived Cycles", "is_company": true,
                "vat": false, "email": false, "phone": false, "street": false, "street2": false,
                "zip": false, "city": false, "country_id": false, "company_registry": false,
                "ref": false, "website": false, "active": false
            }),
        ];
        let countries = vec![
            json!({"id": 20, "code": "BE", "name": "Belgium"}),
            json!({"id": 75, "code": "FR", "name": "France"}),
        ];
        Self(Arc::new(Mutex::new(Odoo {
            uid: 2,
            authentications: 0,
            calls: Vec::new(),
            partners,
            countries,
            has_company_registry: true,
            deny_all_calls: false,
            forbid_partners: false,
            garble_partners: false,
        })))
    }

    fn odoo(&self) -> MutexGuard<'_, Odoo> {
        self.0.lock().unwrap()
    }

    /// Serves the stand-in on a free local port; returns its base URL.
    async fn serve(&self) -> String {
        let app = Router::new()
            .route("/jsonrpc", post(jsonrpc))
            .with_state(self.clone());
        serve(app).await
    }
}

/// Serves `app` on a free local port; returns its base URL.
async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{address}")
}

async fn jsonrpc(State(stand_in): State<StandIn>, Json(request): Json<Value>) -> Json<Value> {
    assert_eq!(request["jsonrpc"], "2.0");
    assert_eq!(request["method"], "call");
    let id = request["id"].clone();
    let params = &request["params"];
    let args = params["args"].as_array().expect("args is a list");
    let service = params["service"].as_str().expect("a service");
    let method = params["method"].as_str().expect("a method");
    let mut odoo = stand_in.odoo();
    let outcome = match (service, method) {
        ("common", "authenticate" | "login") => Ok(odoo.authenticate(args)),
        ("object", "execute_kw") => odoo.execute_kw(args),
        _ => Err(fault(
            "builtins.NameError",
            &format!("{service}.{method} is not available"),
        )),
    };
    Json(match outcome {
        Ok(result) => json!({"jsonrpc": "2.0", "id": id, "result": result}),
        Err(error) => json!({"jsonrpc": "2.0", "id": id, "error": error}),
    })
}

/// An error as Odoo's JSON-RPC dispatcher serializes an exception.
fn fault(name: &str, message: &str) -> Value {
    json!({
        "code": 200,
        "message": "Odoo Server Error",
        "data": {
            "name": name,
            "debug": "Traceback (most recent call last):\n  ...",
            "message": message,
            "arguments": [message],
            "context": {}
        }
    })
}

impl Odoo {
    fn authenticate(&mut self, args: &[Value]) -> Value {
        self.authentications += 1;
        if args.len() >= 3 && args[0] == DATABASE && args[1] == LOGIN && args[2] == API_KEY {
            json!(self.uid)
        } else {
            json!(false)
        }
    }

    fn execute_kw(&mut self, args: &[Value]) -> Result<Value, Value> {
        let [database, uid, key, model, method, args, kwargs] = args else {
            panic!("execute_kw takes 7 arguments, got {args:?}");
        };
        if *database != DATABASE
            || *uid != json!(self.uid)
            || *key != API_KEY
            || self.deny_all_calls
        {
            return Err(fault("odoo.exceptions.AccessDenied", "Access Denied"));
        }
        let (model, method) = (model.as_str().unwrap(), method.as_str().unwrap());
        self.calls.push(format!("{model}.{method}"));
        match (model, method) {
            ("res.partner", "fields_get") => Ok(self.partner_fields()),
            ("res.partner", "search_read") if self.forbid_partners => Err(fault(
                "odoo.exceptions.AccessError",
                "You are not allowed to access 'Contact' (res.partner) records.",
            )),
            ("res.partner", "search_read") if self.garble_partners => Ok(json!({"records": []})),
            ("res.partner", "search_read") => {
                let known = self.partner_fields();
                search_read(&self.partners, "res.partner", &known, args, kwargs)
            }
            ("res.country", "search_read") => {
                let known = json!({"id": {}, "code": {}, "name": {}});
                search_read(&self.countries, "res.country", &known, args, kwargs)
            }
            _ => Err(fault(
                "builtins.AttributeError",
                &format!("The method '{method}' does not exist on the model '{model}'"),
            )),
        }
    }

    fn partner_fields(&self) -> Value {
        let mut fields = serde_json::Map::new();
        for name in KNOWN_FIELDS {
            fields.insert(name.into(), json!({"type": "char"}));
        }
        if self.has_company_registry {
            fields.insert("company_registry".into(), json!({"type": "char"}));
        }
        Value::Object(fields)
    }
}

/// `search_read(domain, fields=, offset=, limit=, order=)` over `records`, as Odoo does it.
fn search_read(
    records: &[Value],
    model: &str,
    known: &Value,
    args: &Value,
    kwargs: &Value,
) -> Result<Value, Value> {
    let domain = args[0].as_array().expect("a domain");
    let fields: Vec<&str> = kwargs["fields"]
        .as_array()
        .map(|fields| fields.iter().map(|f| f.as_str().unwrap()).collect())
        .unwrap_or_default();
    if let Some(unknown) = fields.iter().find(|field| known.get(**field).is_none()) {
        return Err(fault(
            "builtins.ValueError",
            &format!("Invalid field '{unknown}' on model '{model}'"),
        ));
    }
    let active_test = !domain.iter().any(|term| term[0] == "active");
    let mut found: Vec<&Value> = records
        .iter()
        .filter(|record| !active_test || record.get("active").is_none_or(|a| *a == true))
        .filter(|record| domain.iter().all(|term| matches(record, term)))
        .collect();
    found.sort_by(|a, b| {
        let name = |r: &Value| r["name"].as_str().unwrap_or_default().to_owned();
        name(a)
            .cmp(&name(b))
            .then(a["id"].as_i64().cmp(&b["id"].as_i64()))
    });
    let offset = kwargs["offset"].as_u64().unwrap_or(0) as usize;
    let limit = kwargs["limit"].as_u64().map_or(usize::MAX, |l| l as usize);
    let rows = found
        .into_iter()
        .skip(offset)
        .take(limit)
        .map(|record| {
            let mut row = serde_json::Map::new();
            row.insert("id".into(), record["id"].clone());
            for field in &fields {
                row.insert((*field).into(), record[*field].clone());
            }
            Value::Object(row)
        })
        .collect();
    Ok(Value::Array(rows))
}

/// Whether `record` satisfies one `[field, operator, value]` domain term.
fn matches(record: &Value, term: &Value) -> bool {
    let term = term
        .as_array()
        .expect("the stand-in only supports AND-ed terms");
    let (field, operator, value) = (
        term[0].as_str().unwrap(),
        term[1].as_str().unwrap(),
        &term[2],
    );
    let actual = &record[field];
    match operator {
        "=" => actual == value,
        "ilike" => actual
            .as_str()
            .unwrap_or_default()
            .to_lowercase()
            .contains(&value.as_str().unwrap().to_lowercase()),
        "in" => value.as_array().unwrap().contains(actual),
        "not in" => !value.as_array().unwrap().contains(actual),
        other => panic!("the stand-in does not support the operator {other:?}"),
    }
}

fn config(url: &str) -> OdooConfig {
    OdooConfig {
        url: url.into(),
        database: DATABASE.into(),
        login: LOGIN.into(),
        api_key: API_KEY.into(),
    }
}

async fn client(stand_in: &StandIn) -> OdooClient {
    OdooClient::new(config(&stand_in.serve().await)).unwrap()
}

fn ids(partners: &[ErpPartner]) -> Vec<i64> {
    partners.iter().map(|p| p.erp_id).collect()
}

fn query() -> PartnerQuery {
    PartnerQuery::default()
}

#[tokio::test]
async fn lists_active_companies_by_name() {
    let odoo = client(&StandIn::new()).await;
    let partners = odoo.partners(&query()).await.unwrap();
    // Not Jane Doe (a person), not Archived Cycles (archived).
    assert_eq!(ids(&partners), [7, 8, 10, 11]);
    assert!(partners.iter().all(|p| p.active));
}

#[tokio::test]
async fn maps_partner_fields_and_country_codes() {
    let odoo = client(&StandIn::new()).await;
    let partners = odoo.partners(&query()).await.unwrap();
    let acme = &partners[0];
    let expected = ErpPartner {
        erp_id: 7,
        name: "Acme Mobility".into(),
        vat: Some("FR40123456789".into()),
        email: Some("contact@acme.example".into()),
        phone: Some("+33 1 23 45 67 89".into()),
        street: Some("12 rue de la Paix".into()),
        street2: Some("Bâtiment B".into()),
        zip: Some("75002".into()),
        city: Some("Paris".into()),
        country_code: Some("FR".into()),
        country_name: Some("France".into()),
        company_registry: Some("123 456 789".into()),
        reference: Some("C-0007".into()),
        website: Some("https://acme.example".into()),
        active: true,
    };
    assert_eq!(*acme, expected);
    assert_eq!(
        acme.address().as_deref(),
        Some("12 rue de la Paix, Bâtiment B")
    );
    let cyclo = &partners[2];
    assert_eq!(cyclo.country_code.as_deref(), Some("BE"));
    assert_eq!(cyclo.country_name.as_deref(), Some("Belgium"));
}

#[tokio::test]
async fn false_fields_become_none() {
    let odoo = client(&StandIn::new()).await;
    let works = odoo.partner(8).await.unwrap().expect("Bicycle Works");
    let mut expected = ErpPartner::new(8, "Bicycle Works");
    expected.active = true;
    assert_eq!(works, expected);
    assert_eq!(works.address(), None);
}

#[tokio::test]
async fn filters_by_name_case_insensitively() {
    let odoo = client(&StandIn::new()).await;
    let search = PartnerQuery {
        search: Some("  CYCL ".into()),
        ..query()
    };
    let partners = odoo.partners(&search).await.unwrap();
    // Archived Cycles matches the name but is archived; Jane Doe is not a company.
    assert_eq!(ids(&partners), [8, 10]);
    let blank = PartnerQuery {
        search: Some("   ".into()),
        ..query()
    };
    assert_eq!(ids(&odoo.partners(&blank).await.unwrap()), [7, 8, 10, 11]);
}

#[tokio::test]
async fn leaves_out_excluded_ids() {
    let odoo = client(&StandIn::new()).await;
    let imported = PartnerQuery {
        exclude: vec![7, 10],
        ..query()
    };
    assert_eq!(ids(&odoo.partners(&imported).await.unwrap()), [8, 11]);
}

#[tokio::test]
async fn pages_with_limit_and_offset() {
    let odoo = client(&StandIn::new()).await;
    let page = |offset| PartnerQuery {
        limit: Some(2),
        offset,
        ..query()
    };
    assert_eq!(ids(&odoo.partners(&page(0)).await.unwrap()), [7, 8]);
    assert_eq!(ids(&odoo.partners(&page(2)).await.unwrap()), [10, 11]);
    assert_eq!(ids(&odoo.partners(&page(4)).await.unwrap()), [] as [i64; 0]);
    let nothing = PartnerQuery {
        limit: Some(0),
        ..query()
    };
    assert!(odoo.partners(&nothing).await.unwrap().is_empty());
    let combined = PartnerQuery {
        search: Some("o".into()),
        exclude: vec![8],
        limit: Some(1),
        offset: 1,
    };
    // "o" matches Acme Mobility, Bicycle Works, Cyclo Logistique, Zephyr Scooters; without 8, the second.
    assert_eq!(ids(&odoo.partners(&combined).await.unwrap()), [10]);
}

#[tokio::test]
async fn finds_one_company_by_id() {
    let odoo = client(&StandIn::new()).await;
    let zephyr = odoo.partner(11).await.unwrap().expect("Zephyr Scooters");
    assert_eq!(zephyr.name, "Zephyr Scooters");
    assert_eq!(zephyr.country_code.as_deref(), Some("FR"));
    assert_eq!(odoo.partner(9).await.unwrap(), None, "a person");
    assert_eq!(odoo.partner(12).await.unwrap(), None, "archived");
    assert_eq!(odoo.partner(999).await.unwrap(), None, "unknown");
    assert_eq!(odoo.partner(0).await.unwrap(), None, "not an id");
}

#[tokio::test]
async fn caches_the_uid_and_the_partner_fields() {
    let stand_in = StandIn::new();
    let odoo = client(&stand_in).await;
    odoo.partners(&query()).await.unwrap();
    odoo.partner(8).await.unwrap();
    odoo.partner(7).await.unwrap();
    let odoo_state = stand_in.odoo();
    assert_eq!(odoo_state.authentications, 1);
    assert_eq!(
        odoo_state.calls,
        [
            "res.partner.fields_get",
            "res.partner.search_read",
            "res.country.search_read",
            // Bicycle Works has no country: no country look-up.
            "res.partner.search_read",
            "res.partner.search_read",
            "res.country.search_read",
        ]
    );
}

#[tokio::test]
async fn authenticates_again_once_when_the_uid_is_refused() {
    let stand_in = StandIn::new();
    let odoo = client(&stand_in).await;
    odoo.partner(7).await.unwrap();
    stand_in.odoo().uid = 6;
    assert_eq!(odoo.partner(7).await.unwrap().unwrap().erp_id, 7);
    odoo.partner(7).await.unwrap();
    assert_eq!(stand_in.odoo().authentications, 2);
}

#[tokio::test]
async fn calls_refused_after_a_fresh_login_are_an_authentication_error() {
    let stand_in = StandIn::new();
    stand_in.odoo().deny_all_calls = true;
    let odoo = client(&stand_in).await;
    let error = odoo.partners(&query()).await.unwrap_err();
    assert!(matches!(error, ErpError::Authentication(_)), "{error:?}");
    assert_eq!(stand_in.odoo().authentications, 2, "one retry, no more");
}

#[tokio::test]
async fn bad_api_key_is_an_authentication_error() {
    let stand_in = StandIn::new();
    let url = stand_in.serve().await;
    let odoo = OdooClient::new(OdooConfig {
        api_key: "wrong-key-0000".into(),
        ..config(&url)
    })
    .unwrap();
    let error = odoo.partners(&query()).await.unwrap_err();
    assert!(matches!(error, ErpError::Authentication(_)), "{error:?}");
    let message = error.to_string();
    assert!(
        message.contains(LOGIN) && message.contains(DATABASE),
        "{message}"
    );
    assert!(!message.contains("wrong-key-0000"), "{message}");
    let error = odoo.partner(7).await.unwrap_err();
    assert!(matches!(error, ErpError::Authentication(_)), "{error:?}");
    assert_eq!(
        stand_in.odoo().authentications,
        2,
        "a refused uid is not cached"
    );
    assert!(stand_in.odoo().calls.is_empty());
}

#[tokio::test]
async fn odoo_errors_are_remote_errors() {
    let stand_in = StandIn::new();
    stand_in.odoo().forbid_partners = true;
    let odoo = client(&stand_in).await;
    match odoo.partners(&query()).await.unwrap_err() {
        ErpError::Remote { name, message } => {
            assert_eq!(name.as_deref(), Some("odoo.exceptions.AccessError"));
            assert!(message.contains("not allowed"), "{message}");
        }
        other => panic!("expected a remote error, got {other:?}"),
    }
    assert_eq!(
        stand_in.odoo().authentications,
        1,
        "a permission error is not a credential error"
    );
}

#[tokio::test]
async fn reads_partners_of_an_odoo_without_company_registry() {
    let stand_in = StandIn::new();
    stand_in.odoo().has_company_registry = false;
    let odoo = client(&stand_in).await;
    let acme = odoo.partner(7).await.unwrap().expect("Acme Mobility");
    assert_eq!(acme.company_registry, None);
    assert_eq!(acme.vat.as_deref(), Some("FR40123456789"));
}

#[tokio::test]
async fn works_as_a_shared_trait_object() {
    let erp: Arc<dyn Erp> = Arc::new(client(&StandIn::new()).await);
    assert!(
        erp.name().starts_with("Odoo http://127.0.0.1:"),
        "{}",
        erp.name()
    );
    let shared = Arc::clone(&erp);
    let listed = tokio::spawn(async move {
        let imported = PartnerQuery {
            exclude: vec![7],
            ..PartnerQuery::default()
        };
        shared.partners(&imported).await
    })
    .await
    .unwrap()
    .unwrap();
    assert_eq!(ids(&listed), [8, 10, 11]);
    assert_eq!(
        erp.partner(10).await.unwrap().unwrap().name,
        "Cyclo Logistique"
    );
}

#[tokio::test]
async fn unreachable_server_is_unreachable() {
    // A port that was free a moment ago and that nobody listens on any more.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    let odoo = OdooClient::new(config(&format!("http://{address}"))).unwrap();
    let error = odoo.partners(&query()).await.unwrap_err();
    assert!(matches!(error, ErpError::Unreachable(_)), "{error:?}");
    assert!(!error.to_string().contains(API_KEY));
}

#[tokio::test]
async fn slow_server_is_unreachable() {
    async fn never_in_time() -> Json<Value> {
        tokio::time::sleep(Duration::from_secs(30)).await;
        Json(json!({}))
    }
    let url = serve(Router::new().route("/jsonrpc", post(never_in_time))).await;
    let odoo = OdooClient::with_timeout(config(&url), Duration::from_millis(300)).unwrap();
    let error = odoo.partners(&query()).await.unwrap_err();
    assert!(matches!(error, ErpError::Unreachable(_)), "{error:?}");
    assert!(error.to_string().contains("timed out"), "{error}");
}

#[tokio::test]
async fn answer_that_is_not_json_rpc_is_a_protocol_error() {
    async fn html() -> &'static str {
        "<html><body>Welcome to nginx!</body></html>"
    }
    let url = serve(Router::new().route("/jsonrpc", post(html))).await;
    let odoo = OdooClient::new(config(&url)).unwrap();
    let error = odoo.partners(&query()).await.unwrap_err();
    assert!(matches!(error, ErpError::Protocol(_)), "{error:?}");
}

#[tokio::test]
async fn json_rpc_answer_without_result_is_a_protocol_error() {
    async fn empty(Json(request): Json<Value>) -> Json<Value> {
        Json(json!({"jsonrpc": "2.0", "id": request["id"]}))
    }
    let url = serve(Router::new().route("/jsonrpc", post(empty))).await;
    let odoo = OdooClient::new(config(&url)).unwrap();
    let error = odoo.partner(7).await.unwrap_err();
    assert!(matches!(error, ErpError::Protocol(_)), "{error:?}");
}

#[tokio::test]
async fn unexpected_result_shape_is_a_protocol_error() {
    let stand_in = StandIn::new();
    stand_in.odoo().garble_partners = true;
    let odoo = client(&stand_in).await;
    let error = odoo.partners(&query()).await.unwrap_err();
    assert!(matches!(error, ErpError::Protocol(_)), "{error:?}");
}

#[tokio::test]
async fn server_without_jsonrpc_is_a_protocol_error() {
    let url = serve(Router::new()).await;
    let odoo = OdooClient::new(config(&url)).unwrap();
    let error = odoo.partners(&query()).await.unwrap_err();
    assert!(matches!(error, ErpError::Protocol(_)), "{error:?}");
    assert!(error.to_string().contains("404"), "{error}");
}

//! The examples of `/docs` work when sent as they are: the body Swagger UI fills "Try it out"
//! with, built from each request schema as its sampler does, is accepted by the operation.

use crate::common::TestApp;
use axum::http::Method;
use serde_json::{Map, Value, json};

fn document() -> Value {
    serde_json::to_value(relais_api::openapi()).unwrap()
}

fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"].as_str() {
        Some(reference) => {
            let name = reference.rsplit('/').next().unwrap();
            resolve(doc, &doc["components"]["schemas"][name])
        }
        None => schema,
    }
}

/// What Swagger UI's sampler (OpenAPI 3.1, JSON Schema 2020-12) makes of `schema`: its example,
/// else its default, else its first enum value, else a value of its type moved within its
/// bounds: an `int32` is 2^30, an `int64` 2^53 - 1, a `double` 0.1, a string `"string"`.
/// A pattern is sampled at random by Swagger UI: a string with a pattern needs an example.
fn sample(doc: &Value, schema: &Value, at: &str, problems: &mut Vec<String>) -> Value {
    let schema = resolve(doc, schema);
    if let Some(example) = schema.get("example") {
        return example.clone();
    }
    if let Some(example) = schema["examples"].as_array().and_then(|e| e.first()) {
        return example.clone();
    }
    if let Some(default) = schema.get("default") {
        return default.clone();
    }
    if let Some(first) = schema["enum"].as_array().and_then(|e| e.first()) {
        return first.clone();
    }
    for any in ["oneOf", "anyOf"] {
        if let Some(options) = schema[any].as_array() {
            let option = options
                .iter()
                .find(|o| o["type"] != "null")
                .unwrap_or(&options[0]);
            return sample(doc, option, at, problems);
        }
    }
    if let Some(parts) = schema["allOf"].as_array() {
        let mut merged = Map::new();
        for part in parts {
            if let Value::Object(fields) = sample(doc, part, at, problems) {
                merged.extend(fields);
            }
        }
        return Value::Object(merged);
    }
    let kind = match &schema["type"] {
        Value::Array(kinds) => kinds
            .iter()
            .find(|k| *k != "null")
            .and_then(Value::as_str)
            .unwrap_or("null"),
        other => other.as_str().unwrap_or("object"),
    };
    match kind {
        "object" => {
            let mut out = Map::new();
            for (name, property) in schema["properties"].as_object().into_iter().flatten() {
                out.insert(
                    name.clone(),
                    sample(doc, property, &format!("{at}.{name}"), problems),
                );
            }
            Value::Object(out)
        }
        "array" => json!([sample(doc, &schema["items"], &format!("{at}[0]"), problems)]),
        "integer" => {
            let generated: f64 = match schema["format"].as_str() {
                Some("int32") => 1_073_741_824.0,
                Some("int64") => 9_007_199_254_740_991.0,
                _ => 0.0,
            };
            json!(bounded(schema, generated) as i64)
        }
        "number" => {
            let generated = match schema["format"].as_str() {
                Some("float" | "double") => 0.1,
                _ => 0.0,
            };
            json!(bounded(schema, generated))
        }
        "boolean" => json!(true),
        "string" => {
            if schema.get("pattern").is_some() {
                problems.push(format!(
                    "{at}: a pattern without an example is sampled at random"
                ));
            }
            let generated = match schema["format"].as_str() {
                Some("email") => "user@example.com".to_owned(),
                Some("date-time") => chrono::Utc::now().to_rfc3339(),
                Some("date") => chrono::Utc::now().format("%Y-%m-%d").to_string(),
                Some("uri") => "https://example.com/".to_owned(),
                Some("uuid") => "3fa85f64-5717-4562-b3fc-2c963f66afa6".to_owned(),
                _ => "string".to_owned(),
            };
            let mut text: String = match schema["maxLength"].as_u64() {
                Some(max) => generated.chars().take(max as usize).collect(),
                None => generated,
            };
            if let Some(min) = schema["minLength"].as_u64() {
                let base: Vec<char> = text.chars().collect();
                let mut i = 0;
                while (text.chars().count() as u64) < min {
                    text.push(base[i % base.len()]);
                    i += 1;
                }
            }
            json!(text)
        }
        _ => Value::Null,
    }
}

fn bounded(schema: &Value, value: f64) -> f64 {
    let mut value = value;
    if let Some(min) = schema["minimum"].as_f64()
        && value < min
    {
        value = min;
    }
    if let Some(max) = schema["maximum"].as_f64()
        && value > max
    {
        value = max;
    }
    value
}

/// The value of path parameter `name`: the body's example of the same field when the body
/// repeats it (the seed's habit), else 1, the first of everything the world below holds.
fn path_with(path: &str, body: &Value) -> String {
    path.split('/')
        .map(
            |segment| match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(name) => match &body[name] {
                    Value::Number(n) => n.to_string(),
                    _ => "1".to_owned(),
                },
                None => segment.to_owned(),
            },
        )
        .collect::<Vec<_>>()
        .join("/")
}

/// A world where the ids the examples name exist: app label 1 and network 1 (in France), third
/// party 1, clusters 1 to 3 of network 1 (1 a donor and 2 a receiver of its balancing), stock 1,
/// speed zone 1, virtual parking 1, pricing rule 1 (Mondays), access rule 1, notification
/// setting 1, out of order 1; user 1 is the administrator.
async fn world(app: &TestApp) -> String {
    let (_, admin) = app.admin().await;
    let network = app.network("Nantes").await;
    assert_eq!(network, 1);
    let owner = relais_store::third_parties::create(
        &app.db,
        relais_store::third_parties::NewThirdParty {
            name: "Nantes Métropole".into(),
            address: "2 cours du Champ de Mars".into(),
            zipcode: "44000".into(),
            city: "Nantes".into(),
            country_id: 250,
            erp_id: None,
            email: None,
            phone: None,
            vat_number: None,
        },
    )
    .await
    .unwrap();
    assert_eq!(owner.id, 1);
    let ring = json!([[-1.56, 47.2], [-1.54, 47.2], [-1.54, 47.22], [-1.56, 47.22]]);
    let setup = [
        (
            Method::POST,
            "/dashboard/clusters",
            json!({"network_id": 1, "name": "Commerce", "latitude": 47.2128, "longitude": -1.5585, "location": "Place du Commerce", "badge_reader": false, "stations": [{"serial": "NTE-ST-001", "name": "Commerce A", "spot_count": 4}]}),
        ),
        (
            Method::POST,
            "/dashboard/clusters",
            json!({"network_id": 1, "name": "Gare Sud", "latitude": 47.2166, "longitude": -1.5421, "location": "Gare de Nantes, sortie sud", "badge_reader": false, "stations": [{"serial": "NTE-ST-002", "name": "Gare Sud A", "spot_count": 4}]}),
        ),
        (
            Method::POST,
            "/dashboard/clusters",
            json!({"network_id": 1, "name": "Talensac", "latitude": 47.2205, "longitude": -1.5571, "location": "Marché de Talensac", "badge_reader": false, "stations": [{"serial": "NTE-ST-003", "name": "Talensac A", "spot_count": 4}]}),
        ),
        (
            Method::POST,
            "/dashboard/networks/1/balancing/clusters",
            json!({"cluster_id": 1, "target_count": 2, "balancing_type": "donor"}),
        ),
        (
            Method::POST,
            "/dashboard/networks/1/balancing/clusters",
            json!({"cluster_id": 2, "target_count": 3, "balancing_type": "receiver"}),
        ),
        (
            Method::POST,
            "/dashboard/stocks",
            json!({"name": "Nantes depot", "country": 250, "city": "Nantes", "zipcode": "44000", "street": "1 quai de la Fosse", "network_id": 1}),
        ),
        (
            Method::POST,
            "/dashboard/speed-zones",
            json!({"network_id": 1, "shape": ring, "max_speed": 20}),
        ),
        (
            Method::POST,
            "/dashboard/virtual-parkings",
            json!({"network_id": 1, "shape": ring, "capacity": 10}),
        ),
        (
            Method::POST,
            "/dashboard/pricing",
            json!({"network_id": 1, "start_dow": 1, "start_hod": "07:00:00", "end_dow": 1, "end_hod": "20:00:00", "unlock_price": "1.00", "unlock_included_time": 0, "freefloat_lock_price": "0.00", "use_per_minute_price": "0.20", "on_hold_price": "0.10"}),
        ),
        (
            Method::POST,
            "/dashboard/networks/1/access-rules",
            json!({"email_pattern": "*@nantes.example", "organization": null, "app_label": null}),
        ),
        (
            Method::POST,
            "/dashboard/networks/1/notification-settings",
            json!({"notification_type": "fleet-alert", "alert_types": ["vehicle-lifted"], "alert_severities": ["high"], "check_interval": null, "check_delay": null}),
        ),
        (
            Method::POST,
            "/dashboard/networks/1/out-of-orders",
            json!({"type": "winter", "reason": "Snow", "start_date": "2027-01-10T00:00:00Z", "end_date": "2027-01-20T00:00:00Z"}),
        ),
    ];
    for (method, path, body) in setup {
        let reply = app.call(method, path).token(&admin).json(body).send().await;
        reply.ok();
    }
    admin
}

/// The groups whose every JSON body is sent as its example.
const SENT: [&str; 8] = [
    "AppLabel",
    "Clusters",
    "Geofencing",
    "Networks",
    "Out of order",
    "Pricing",
    "Stocks",
    "ThirdParties",
];

#[tokio::test]
async fn the_examples_of_the_setup_and_fleet_bodies_are_accepted_as_they_are() {
    let doc = document();
    let mut sent = 0;
    let mut problems = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let Some(schema) = op["requestBody"]["content"]["application/json"].get("schema")
            else {
                continue;
            };
            let tag = op["tags"][0].as_str().unwrap();
            // Importing needs an ERP, which the test world has not.
            if !SENT.contains(&tag) || path == "/dashboard/third-parties/import" {
                continue;
            }
            let body = sample(&doc, schema, &format!("{method} {path}"), &mut problems);
            let app = TestApp::new().await;
            let admin = world(&app).await;
            let reply = app
                .call(
                    method.to_uppercase().parse().unwrap(),
                    &path_with(path, &body),
                )
                .token(&admin)
                .json(body.clone())
                .send()
                .await;
            if reply.status != 200 || reply.body["code"] != 0 {
                problems.push(format!(
                    "{method} {path} refuses its own example {body}: {}",
                    reply.text
                ));
            }
            sent += 1;
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(sent >= 30, "{sent}");
}

/// Everywhere else (every surface), the example holds no number Swagger UI made up: an id of
/// 2^30 or 2^53 - 1 is refused by any operation.
#[test]
fn no_example_holds_a_made_up_number() {
    fn made_up(value: &Value) -> bool {
        match value {
            Value::Number(n) => {
                [1_073_741_824.0, 9_007_199_254_740_991.0].contains(&n.as_f64().unwrap_or_default())
            }
            Value::Array(items) => items.iter().any(made_up),
            Value::Object(fields) => fields.values().any(made_up),
            _ => false,
        }
    }
    let doc = document();
    let mut problems = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            for (content, media) in op["requestBody"]["content"]
                .as_object()
                .into_iter()
                .flatten()
            {
                let at = format!("{method} {path}");
                let body = sample(&doc, &media["schema"], &at, &mut problems);
                if made_up(&body) {
                    problems.push(format!(
                        "{at} ({content}): the example {body} holds a made-up number"
                    ));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

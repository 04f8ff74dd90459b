//! The published contract: every operation declares its permission, the Dashboard operations
//! carry their seed titles and groups, nothing under `/dashboard/` answers without a token, and
//! the committed `openapi.json` is the one the code generates.

use crate::common::TestApp;
use axum::http::Method;
use serde_json::Value;

fn document() -> Value {
    serde_json::to_value(relais_api::openapi()).unwrap()
}

fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if ["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                out.push((method.to_uppercase(), path.clone(), op.clone()));
            }
        }
    }
    out
}

#[test]
fn every_operation_declares_its_permission() {
    let doc = document();
    let ops = operations(&doc);
    assert!(ops.len() >= 16);
    for (method, path, op) in ops {
        let declared = &op["x-permission"];
        assert!(declared.is_object(), "{method} {path} has no x-permission");
        let auth = declared["authentication"].as_str().unwrap();
        if path.starts_with("/dashboard/") {
            let summary = op["summary"].as_str().unwrap_or_default();
            // The issue makes the app label list public: the apps read it before sign-in.
            if auth == "none" {
                assert_eq!(summary, "Get app labels", "{method} {path} is public");
                continue;
            }
            assert_eq!(auth, "token", "{method} {path}");
            assert!(op["security"].is_array(), "{method} {path} has no security");
            // Only what every staff member may see goes without a permission (the caller's own
            // network selector and the reference lists); `dashboard.access` is still needed.
            if !declared["permission"].is_string() {
                assert!(
                    [
                        "Get short networks list",
                        "Get countries",
                        "Get vehicle models"
                    ]
                    .contains(&summary),
                    "{method} {path} names no permission"
                );
            }
        }
    }
}

#[test]
fn dashboard_operations_carry_their_seed_titles_and_groups() {
    let doc = document();
    let seed: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/spec/dashboard-operations.json"
        ))
        .unwrap_or_else(|_| r#"{"operations": []}"#.into()),
    )
    .unwrap();
    let have: Vec<(String, String)> = operations(&doc)
        .into_iter()
        .filter(|(_, path, op)| path.starts_with("/dashboard/") && op["x-relais-extension"] != true)
        .map(|(_, _, op)| {
            (
                op["tags"][0].as_str().unwrap().to_owned(),
                op["summary"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expected = [
        ("AccessLogs", "Get access logs"),
        ("Permissions", "Get permissions"),
        ("Roles", "Get roles"),
        ("Roles", "Create role"),
        ("Roles", "Update role"),
        ("OrganizationalUnits", "Get organizational units"),
        ("OrganizationalUnits", "Create organizational unit"),
        ("OrganizationalUnits", "Update organizational unit"),
        ("OrganizationalUnits", "Delete organizational unit"),
        ("OrganizationalUnits", "Get organizational unit users"),
        ("OrganizationalUnits", "Get global user count"),
        ("Users", "Get user permission."),
        ("Users", "Add user permission"),
        ("Users", "Remove user permission"),
        ("Users", "Add user role"),
        ("Users", "Remove user role"),
    ];
    for (tag, title) in expected {
        assert!(
            have.contains(&(tag.to_owned(), title.to_owned())),
            "missing {tag}: {title}"
        );
    }
    // Every Dashboard operation is one of the seed's, under its seed title and group.
    if let Some(list) = seed["operations"].as_array().filter(|l| !l.is_empty()) {
        for (tag, title) in &have {
            assert!(
                list.iter()
                    .any(|o| o["tag"] == *tag && o["title"] == *title),
                "{tag}: {title} is not a seed operation"
            );
        }
    }
}

#[tokio::test]
async fn every_dashboard_operation_answers_401_without_a_token() {
    let app = TestApp::new().await;
    let doc = document();
    for (method, path, op) in operations(&doc) {
        if !path.starts_with("/dashboard/") || op["x-permission"]["authentication"] == "none" {
            continue;
        }
        let concrete: Vec<String> = path
            .split('/')
            .map(|segment| match segment {
                "{key}" => "admin-role".to_owned(),
                s if s.starts_with('{') => "1".to_owned(),
                s => s.to_owned(),
            })
            .collect();
        let concrete = concrete.join("/");
        let reply = app
            .call(method.parse::<Method>().unwrap(), &concrete)
            .json(serde_json::json!({}))
            .send()
            .await;
        reply.fails(401, -20);
    }
}

#[test]
fn the_committed_openapi_document_is_up_to_date() {
    let committed =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../openapi.json")).expect(
            "openapi.json at the repository root (regenerate: relais openapi > openapi.json)",
        );
    let committed: Value = serde_json::from_str(&committed).unwrap();
    assert!(
        committed == document(),
        "openapi.json is stale: regenerate it with `cargo run -q -- openapi > openapi.json`"
    );
}

/// Compare a generated document with its committed copy; `RELAIS_BLESS=1` rewrites the copy.
fn matches_committed(relative: &str, generated: &str) {
    let path = format!("{}/../../{relative}", env!("CARGO_MANIFEST_DIR"));
    if std::env::var_os("RELAIS_BLESS").is_some() {
        std::fs::write(&path, generated).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "{relative} is stale: regenerate it with `RELAIS_BLESS=1 cargo test --test http contract`"
    );
}

#[test]
fn the_permission_table_in_the_docs_is_up_to_date() {
    let doc = document();
    let mut rows: Vec<String> = operations(&doc)
        .into_iter()
        .map(|(method, path, op)| {
            let p = &op["x-permission"];
            let permission = match (p["authentication"].as_str(), p["permission"].as_str()) {
                (Some("none"), _) => "public".to_owned(),
                (Some("surface_token"), _) => "a token of the surface's users".to_owned(),
                (_, None) => "any signed-in user".to_owned(),
                (_, Some(key)) => format!("`{key}`"),
            };
            let write = if p["write"] == true { "write" } else { "read" };
            let mut scope = match p["scope"]["by"].as_str() {
                Some("global") => "global grant only".to_owned(),
                Some("networks_query") => format!(
                    "networks touched in `{}`",
                    p["scope"]["parameter"].as_str().unwrap()
                ),
                Some("whole_networks_query") => format!(
                    "networks reached whole in `{}`",
                    p["scope"]["parameter"].as_str().unwrap()
                ),
                _ => String::new(),
            };
            for object in p["objects"].as_array().into_iter().flatten() {
                if !scope.is_empty() {
                    scope.push_str("; ");
                }
                scope.push_str(&format!(
                    "{} of {} `{}`{}",
                    object["object"].as_str().unwrap().replace('_', " "),
                    object["in"].as_str().unwrap(),
                    object["parameter"].as_str().unwrap(),
                    if object["absent"] == "operator" {
                        " (absent: global grant only)"
                    } else {
                        ""
                    }
                ));
            }
            if scope.is_empty() {
                scope = "filtered to the caller's scope".to_owned();
            }
            format!(
                "| {} | {} | `{method} {path}` | {permission} | {write} | {scope} |",
                op["tags"][0].as_str().unwrap_or(""),
                op["summary"].as_str().unwrap_or(""),
            )
        })
        .collect();
    rows.sort();
    let text = format!(
        "# Operations and the permissions they need\n\n\
         Generated from the `x-permission` declarations of the OpenAPI document (the same data the \
         server enforces); a test fails when this file is stale. Every operation under `/dashboard/` \
         also needs `dashboard.access`. *read* needs the permission, *write* needs it with the write \
         modifier. The scope column says where the grant must hold: a global grant, or a grant within \
         an organizational unit that reaches the objects the operation touches, found where the \
         column says (path, query or body). An object of a cluster (a cluster, its stations, spots, \
         docked vehicles, cluster parkings, their maintenances and alerts) needs a grant reaching \
         that cluster; an object of the whole network (a network, its settings, pricing, border, \
         speed zones, stocks, other parkings, free vehicles) needs a grant reaching the whole \
         network, which a unit restricted to some clusters does not; a `network part` is reached \
         by any unit holding the network, and the operation narrows to its clusters. Unknown ids \
         answer 404 naming the parameter; ids out of scope -31.\n\n\
         | group | operation | route | permission | access | scope |\n|---|---|---|---|---|---|\n{}\n",
        rows.join("\n")
    );
    matches_committed("docs/permissions.md", &text);
}

#[test]
fn the_error_catalogue_in_the_docs_is_up_to_date() {
    use relais_api::error::ErrorCode;
    let rows: Vec<String> = ErrorCode::ALL
        .iter()
        .map(|c| {
            format!(
                "| {} | {} | `{c:?}` | {} |",
                c.code(),
                c.status().as_u16(),
                c.meaning()
            )
        })
        .collect();
    let text = format!(
        "# Error codes\n\n\
         Every failure of the Dashboard API and of `/auth/` answers\n\n\
         ```json\n{{\"code\": -11, \"message\": {{\"text\": \"invalid request\", \"fields\": {{\"name\": [\"must be 3 to 50 characters long\"]}}}}}}\n```\n\n\
         `fields` is present when fields are at fault; the field name is the JSON path (`perms[2]`), \
         the query or path parameter. The codes below are stable: a code is never reused for another \
         meaning. They are also published in the OpenAPI document as `x-error-codes`. Generated from \
         `ErrorCode`; a test fails when this file is stale.\n\n\
         | code | HTTP status | name | meaning |\n|---|---|---|---|\n{}\n\n\
         ## Why a trip does not start or end (-41)\n\n\
         \"Start a trip\" refused by a rule, or whose unlock failed (`trips.cancel_reason`), \
         says why by a key, first in the message under `vehicle_id` (or `payment` for the \
         debt, first purchase, payment method and guarantee), in the order the rules are \
         checked: {}.\n\n\
         \"End a trip\" refused where the vehicle stands says it under `position`: {}.\n",
        rows.join("\n"),
        relais_domain::ride::UnlockRefusal::KEYS
            .iter()
            .map(|k| format!("`{k}`"))
            .collect::<Vec<_>>()
            .join(", "),
        ["outside_border", "outside_parking", "no_position"]
            .iter()
            .map(|k| format!("`{k}`"))
            .collect::<Vec<_>>()
            .join(", "),
    );
    matches_committed("docs/errors.md", &text);
}

/// Path parameters that name no declared object: sub-objects the handler finds within their
/// declared parent (a rule of the network in the path, a picture of the cluster), or places
/// that are not objects of a network (a user, a role key, a network deleted by a global grant).
const UNDECLARED_PATH_PARAMETERS: &[(&str, &str)] = &[
    ("method_id", "a payment method of the app label in the path"),
    ("picture_id", "a picture of the cluster in the path"),
    ("rid", "an access rule of the network in the path"),
    (
        "notification_id",
        "a notification setting of the network in the path",
    ),
    (
        "model_id",
        "a vehicle model's settings in the network in the path",
    ),
    ("key", "a role: global"),
    ("user_method_id", "a payment method of the user in the path"),
    ("network_id", "deleting a network: global"),
    (
        "id",
        "a user's grants (filtered to the caller's scope), or a device id (its users are filtered)",
    ),
];

#[test]
fn every_path_parameter_is_a_declared_object_or_a_known_exception() {
    let doc = document();
    for (method, path, op) in operations(&doc) {
        if !path.starts_with("/dashboard/") {
            continue;
        }
        let declared: Vec<&str> = op["x-permission"]["objects"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|o| o["in"] == "path")
            .map(|o| o["parameter"].as_str().unwrap())
            .collect();
        for segment in path.split('/') {
            let Some(name) = segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) else {
                continue;
            };
            assert!(
                declared.contains(&name)
                    || UNDECLARED_PATH_PARAMETERS.iter().any(|(n, _)| *n == name),
                "{method} {path}: `{name}` is neither a declared object nor a known exception"
            );
        }
    }
}

/// The fixture of each object kind in network 1 of the [`World`], and its cluster if any.
fn fixture(w: &crate::common::World, object: &str) -> (i64, Option<i64>) {
    match object {
        "network" | "network_part" => (w.n1, None),
        "cluster" => (w.cluster_a, Some(w.cluster_a)),
        "station" => (w.station_a, Some(w.cluster_a)),
        "spot" => (w.spot_a, Some(w.cluster_a)),
        "vehicle" => (w.vehicle_a, Some(w.cluster_a)),
        "stock" => (w.stock_n1, None),
        "maintenance" => (w.maintenance_b, Some(w.cluster_b)),
        "speed_zone" => (w.zone_n1, None),
        "virtual_parking" => (w.parking_n1, None),
        "pricing_rule" => (w.rule_n1, None),
        "fleet_alert" => (w.alert_b, Some(w.cluster_b)),
        "out_of_order" => (w.out_of_order_n1, None),
        "hauler_connection" => (w.connection_n1, None),
        "organizational_unit" => (w.unit_n1, None),
        "app_label" => (w.label_n1, None),
        "user" => (w.user_n1, None),
        "trip" => (w.trip_n1, None),
        "transaction" => (w.transaction_n1, None),
        "invoice" => (0, None),
        other => panic!("no fixture for object kind `{other}`: add one to World"),
    }
}

/// Generated from the declarations: every Dashboard operation refuses a caller without its
/// permission (-30), a read-only caller when it writes (-30), a caller scoped to another
/// network (-31 or 404, no data), and a caller restricted to another cluster of the network
/// where it touches a cluster's object or a whole network's (-31 or 404, no data). Declaring an
/// operation's requirement is enough to have it covered.
#[tokio::test]
async fn the_denial_matrix_derived_from_the_declarations_holds() {
    use relais_domain::Permission;
    let app = TestApp::new().await;
    let w = app.world().await;
    let doc = document();
    let (_, bare) = app.staff("bare@relais.test", &[]).await;
    let unit_n2 = app.unit("Elsewhere", &[w.n2]).await;
    let unit_a = app.unit_with("Only a", &[w.n1], &[w.cluster_a]).await;
    let unit_b = app.unit_with("Only b", &[w.n1], &[w.cluster_b]).await;
    let mut checked = 0;
    for (method, path, op) in operations(&doc) {
        let p = &op["x-permission"];
        if !path.starts_with("/dashboard/") || p["authentication"] != "token" {
            continue;
        }
        let Some(key) = p["permission"].as_str() else {
            continue;
        };
        let permission: Permission = serde_json::from_value(Value::String(key.into())).unwrap();
        let write = p["write"] == true;
        let objects: Vec<&Value> = p["objects"].as_array().into_iter().flatten().collect();
        let mut cluster_of_objects = None;
        let mut concrete = path.clone();
        let mut query = Vec::new();
        let mut body = serde_json::Map::new();
        for object in &objects {
            let kind = object["object"].as_str().unwrap();
            let (id, cluster) = fixture(&w, kind);
            // Invoices are named by their reference.
            let id_text = if kind == "invoice" {
                w.invoice_n1.clone()
            } else {
                id.to_string()
            };
            cluster_of_objects = cluster_of_objects.or(cluster);
            let name = object["parameter"].as_str().unwrap();
            match object["in"].as_str().unwrap() {
                "path" => concrete = concrete.replace(&format!("{{{name}}}"), &id_text),
                "query" => query.push(format!("{name}={id_text}")),
                _ => {
                    body.insert(name.to_owned(), Value::from(id));
                }
            }
        }
        if p["scope"]["by"] == "networks_query" || p["scope"]["by"] == "whole_networks_query" {
            query.push(format!(
                "{}={}",
                p["scope"]["parameter"].as_str().unwrap(),
                w.n1
            ));
        }
        let concrete: String = concrete
            .split('/')
            .map(|s| match s {
                "{key}" => "fleet-manager".to_owned(),
                s if s.starts_with('{') => "1".to_owned(),
                s => s.to_owned(),
            })
            .collect::<Vec<_>>()
            .join("/");
        let url = if query.is_empty() {
            concrete
        } else {
            format!("{concrete}?{}", query.join("&"))
        };
        let send = |token: String| {
            let url = url.clone();
            let body = Value::Object(body.clone());
            let method: Method = method.parse().unwrap();
            let app = &app;
            async move { app.call(method, &url).token(&token).json(body).send().await }
        };
        // No permission at all.
        send(bare.clone()).await.fails(403, -30);
        // Read-only where it writes.
        if write {
            let email = format!("read-{checked}@relais.test");
            let (_, reader) = app.staff(&email, &[(permission, None, false)]).await;
            send(reader).await.fails(403, -30);
        }
        let denied = |reply: crate::common::Reply, who: &str| {
            assert!(
                (reply.status == 403 && reply.body["code"] == -31)
                    || (reply.status == 404 && reply.body["code"] == -2),
                "{method} {path} ({url}) as {who}: {}",
                reply.text
            );
            assert!(
                reply.body.get("data").is_none(),
                "{method} {path}: {}",
                reply.text
            );
        };
        let scoped = p["scope"]["by"] == "global"
            || p["scope"]["by"] == "whole_networks_query"
            || objects.iter().any(|o| o["object"] != "network_part");
        // Lists filtered on networks, and per-cluster operations on a network, refuse a caller
        // of another network too; a caller of another cluster gets them narrowed, not refused.
        if scoped || p["scope"]["by"] == "networks_query" || !objects.is_empty() {
            let email = format!("n2-{checked}@relais.test");
            let (_, other) = app
                .staff(&email, &[(permission, Some(unit_n2), write)])
                .await;
            denied(send(other).await, "a caller of network 2");
        }
        if scoped {
            // Restricted to the other cluster of network 1.
            let unit = if cluster_of_objects == Some(w.cluster_a) {
                unit_b
            } else {
                unit_a
            };
            let email = format!("cluster-{checked}@relais.test");
            let (_, partial) = app.staff(&email, &[(permission, Some(unit), write)]).await;
            denied(send(partial).await, "a caller of another cluster");
        }
        checked += 1;
    }
    assert!(checked > 100, "only {checked} operations checked");
}

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
         | code | HTTP status | name | meaning |\n|---|---|---|---|\n{}\n",
        rows.join("\n")
    );
    matches_committed("docs/errors.md", &text);
}

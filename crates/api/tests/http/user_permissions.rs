//! Seed group `Users`, the grants part: giving and taking back permissions and roles, and the
//! effect of a grant on what its holder may do.

use crate::common::TestApp;
use chrono::{Duration, SecondsFormat, Utc};
use relais_domain::Permission;
use serde_json::{Value, json};

fn permission(key: &str, unit: Option<i64>, write: bool) -> Value {
    json!({
        "start_date": (Utc::now() - Duration::minutes(1)).to_rfc3339_opts(SecondsFormat::Secs, true),
        "end_date": null,
        "organizational_unit": unit,
        "write": write,
        "perm_key": key,
    })
}

fn role(key: &str, unit: Option<i64>, write: bool) -> Value {
    json!({
        "start_date": (Utc::now() - Duration::minutes(1)).to_rfc3339_opts(SecondsFormat::Secs, true),
        "end_date": null,
        "organizational_unit": unit,
        "write": write,
        "role_key": key,
    })
}

#[tokio::test]
async fn a_grant_takes_effect_at_once_and_ends_with_its_revocation() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let (ann, ann_token) = app.staff("ann@relais.test", &[]).await;
    let units = || {
        app.get("/dashboard/organizational-units")
            .token(&ann_token)
            .send()
    };
    units().await.fails(403, -30);

    app.post(&format!("/dashboard/users/{ann}/permissions"))
        .token(&admin)
        .json(permission("users.permissions", None, false))
        .send()
        .await
        .ok();
    units().await.ok();
    let grants = app
        .get(&format!("/dashboard/users/{ann}/permissions"))
        .token(&admin)
        .send()
        .await;
    let granted = grants
        .ok()
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["permission"] == "users.permissions")
        .expect("the grant is listed")
        .clone();
    assert_eq!(granted["write"], false);
    assert_eq!(granted["active"], true);
    assert_eq!(granted["organizational_unit"], Value::Null);
    assert_eq!(granted["end_date"], Value::Null);

    app.delete(&format!(
        "/dashboard/users/{ann}/permissions?perm_key=users.permissions"
    ))
    .token(&admin)
    .send()
    .await
    .ok();
    units().await.fails(403, -30);
    // Revoking what is no longer held is reported.
    app.delete(&format!(
        "/dashboard/users/{ann}/permissions?perm_key=users.permissions"
    ))
    .token(&admin)
    .send()
    .await
    .fails(404, -2);
}

#[tokio::test]
async fn granting_again_overwrites_the_terms_and_future_grants_wait() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let (ann, ann_token) = app.staff("ann@relais.test", &[]).await;
    let path = format!("/dashboard/users/{ann}/permissions");
    let mut later = permission("users.permissions", None, true);
    later["start_date"] = json!((Utc::now() + Duration::days(2)).to_rfc3339());
    app.post(&path).token(&admin).json(later).send().await.ok();
    app.get("/dashboard/organizational-units")
        .token(&ann_token)
        .send()
        .await
        .fails(403, -30);

    let mut now = permission("users.permissions", None, true);
    let end = Utc::now() + Duration::days(30);
    now["end_date"] = json!(end.to_rfc3339());
    app.post(&path).token(&admin).json(now).send().await.ok();
    app.get("/dashboard/organizational-units")
        .token(&ann_token)
        .send()
        .await
        .ok();
    let grants = app.get(&path).token(&admin).send().await;
    let held: Vec<&Value> = grants
        .ok()
        .as_array()
        .unwrap()
        .iter()
        .filter(|g| g["permission"] == "users.permissions")
        .collect();
    assert_eq!(held.len(), 1, "one grant per permission and place");
    assert_eq!(held[0]["active"], true);
    let shown: chrono::DateTime<Utc> = held[0]["end_date"].as_str().unwrap().parse().unwrap();
    assert!((shown - end).num_seconds().abs() <= 1);
}

#[tokio::test]
async fn an_expired_grant_gives_nothing() {
    let app = TestApp::new().await;
    let (ann, ann_token) = app.staff("ann@relais.test", &[]).await;
    app.grant_between(
        ann,
        Permission::UsersPermissions,
        None,
        true,
        Utc::now() - Duration::days(10),
        Some(Utc::now() - Duration::seconds(1)),
    )
    .await;
    app.get("/dashboard/organizational-units")
        .token(&ann_token)
        .send()
        .await
        .fails(403, -30);
    let (_, admin) = app.admin().await;
    let grants = app
        .get(&format!("/dashboard/users/{ann}/permissions"))
        .token(&admin)
        .send()
        .await;
    let expired = grants
        .ok()
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["permission"] == "users.permissions")
        .unwrap()
        .clone();
    assert_eq!(expired["active"], false);
}

#[tokio::test]
async fn grant_requests_are_validated() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let ann = app.user("ann@relais.test").await;
    let path = format!("/dashboard/users/{ann}/permissions");
    let send = |body: Value| app.post(&path).token(&admin).json(body).send();

    let mut backwards = permission("trips", None, false);
    backwards["end_date"] = json!((Utc::now() - Duration::days(1)).to_rfc3339());
    send(backwards).await.fails(422, -11);
    let mut absent_end = permission("trips", None, false);
    absent_end.as_object_mut().unwrap().remove("end_date");
    send(absent_end).await.fails(400, -10).names("end_date");
    send(permission("trips.everything", None, false))
        .await
        .fails(400, -10)
        .names("perm_key");
    send(permission("trips", Some(0), false))
        .await
        .fails(422, -11)
        .names("organizational_unit");
    send(permission("trips", Some(77), false))
        .await
        .fails(404, -2)
        .names("organizational_unit");
    let mut bad_date = permission("trips", None, false);
    bad_date["start_date"] = json!("yesterday");
    send(bad_date).await.fails(400, -10).names("start_date");
    app.post("/dashboard/users/999/permissions")
        .token(&admin)
        .json(permission("trips", None, false))
        .send()
        .await
        .fails(404, -2);
    app.delete(&format!("{path}?perm_key=trips&organizational_unit=x"))
        .token(&admin)
        .send()
        .await
        .fails(400, -10)
        .names("organizational_unit");
    app.delete(&path)
        .token(&admin)
        .send()
        .await
        .fails(400, -10)
        .names("perm_key");
    app.post(&format!("/dashboard/users/{ann}/roles"))
        .token(&admin)
        .json(role("no-such-role", None, false))
        .send()
        .await
        .fails(404, -2)
        .names("role_key");
    app.post(&format!("/dashboard/users/{ann}/roles"))
        .token(&admin)
        .json(role("ab", None, false))
        .send()
        .await
        .fails(422, -11)
        .names("role_key");
}

#[tokio::test]
async fn granters_give_only_what_they_hold_where_they_hold_it() {
    let app = TestApp::new().await;
    app.network("Net one").await;
    app.network("Net two").await;
    let north = app.unit("North", &[1]).await;
    let south = app.unit("South", &[2]).await;
    let (_, granter) = app
        .staff(
            "granter@relais.test",
            &[
                (Permission::UsersPermissions, Some(north), true),
                (Permission::Trips, Some(north), false),
                (Permission::Stations, Some(north), true),
            ],
        )
        .await;
    let ann = app.user("ann@relais.test").await;
    let path = format!("/dashboard/users/{ann}/permissions");
    let send = |body: Value| app.post(&path).token(&granter).json(body).send();

    send(permission("trips", Some(north), false)).await.ok();
    send(permission("stations", Some(north), true)).await.ok();
    // Read held, write asked.
    send(permission("trips", Some(north), true))
        .await
        .fails(403, -30);
    // Not held at all.
    send(permission("developer", Some(north), false))
        .await
        .fails(403, -30);
    // Held, but elsewhere.
    send(permission("trips", Some(south), false))
        .await
        .fails(403, -31);
    send(permission("trips", None, false)).await.fails(403, -31);

    // The granter sees Ann's grants in North only.
    let (_, admin) = app.admin().await;
    app.grant(ann, Permission::Trips, Some(south), false).await;
    let seen = app.get(&path).token(&granter).send().await;
    let units: Vec<&Value> = seen
        .ok()
        .as_array()
        .unwrap()
        .iter()
        .map(|g| &g["organizational_unit"])
        .collect();
    assert_eq!(units.len(), 2);
    assert!(units.iter().all(|u| **u == json!(north)));
    let everything = app.get(&path).token(&admin).send().await;
    assert_eq!(everything.ok().as_array().unwrap().len(), 3);

    // Revoking needs the same reach.
    app.delete(&format!(
        "{path}?perm_key=trips&organizational_unit={south}"
    ))
    .token(&granter)
    .send()
    .await
    .fails(403, -31);
    app.delete(&format!(
        "{path}?perm_key=trips&organizational_unit={north}"
    ))
    .token(&granter)
    .send()
    .await
    .ok();
}

#[tokio::test]
async fn a_role_grant_gives_its_permissions_until_revoked() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    app.post("/dashboard/roles?lang=en")
        .token(&admin)
        .json(json!({"key": "managers", "perms": ["users.permissions", "trips"]}))
        .send()
        .await
        .ok();
    app.network("Net one").await;
    app.network("Net two").await;
    let north = app.unit("North", &[1]).await;
    let (ann, ann_token) = app.staff("ann@relais.test", &[]).await;
    let units = || {
        app.get("/dashboard/organizational-units")
            .token(&ann_token)
            .send()
    };
    units().await.fails(403, -30);
    app.post(&format!("/dashboard/users/{ann}/roles"))
        .token(&admin)
        .json(role("managers", Some(north), false))
        .send()
        .await
        .ok();
    let seen = units().await;
    assert_eq!(seen.ok().as_array().unwrap().len(), 1);
    let grants = app
        .get(&format!("/dashboard/users/{ann}/permissions"))
        .token(&admin)
        .send()
        .await;
    let by_role = grants
        .ok()
        .as_array()
        .unwrap()
        .iter()
        .find(|g| !g["role"].is_null())
        .unwrap()
        .clone();
    assert_eq!(by_role["role"]["key"], "managers");
    let mut perms: Vec<&str> = by_role["role"]["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    perms.sort();
    assert_eq!(perms, ["trips", "users.permissions"]);
    assert_eq!(by_role["organizational_unit"], north);

    // A granter lacking a permission of the role (`trips`) may not hand it out.
    let (_, granter) = app
        .staff(
            "granter@relais.test",
            &[(Permission::UsersPermissions, Some(north), true)],
        )
        .await;
    let bob = app.user("bob@relais.test").await;
    app.post(&format!("/dashboard/users/{bob}/roles"))
        .token(&granter)
        .json(role("managers", Some(north), false))
        .send()
        .await
        .fails(403, -30);

    // Revoked in another place: nothing held there.
    app.delete(&format!("/dashboard/users/{ann}/roles?role_key=managers"))
        .token(&admin)
        .send()
        .await
        .fails(404, -2);
    app.delete(&format!(
        "/dashboard/users/{ann}/roles?role_key=managers&organizational_unit={north}"
    ))
    .token(&admin)
    .send()
    .await
    .ok();
    units().await.fails(403, -30);
}

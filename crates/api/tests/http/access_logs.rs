//! Seed group `AccessLogs`: every Dashboard request is recorded, and developers read it back
//! with filters and keyset pages.

use crate::common::TestApp;
use chrono::{Duration, Utc};
use relais_domain::Permission;
use serde_json::Value;

fn ids(data: &Value) -> Vec<i64> {
    data.as_array()
        .unwrap()
        .iter()
        .map(|row| row["id"].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn requests_are_recorded_and_filtered() {
    let app = TestApp::new().await;
    let (admin_id, admin) = app.admin().await;
    app.get("/dashboard/roles?lang=en")
        .token(&admin)
        .send()
        .await
        .ok();
    app.get("/dashboard/roles?lang=xyz")
        .token(&admin)
        .header("user-agent", "Relais-Test/1.0 (Dashboard)")
        .send()
        .await
        .fails(422, -11);
    app.get("/dashboard/roles?lang=en")
        .send()
        .await
        .fails(401, -20);
    app.post("/dashboard/roles?lang=en")
        .token(&admin)
        .json(serde_json::json!({"key": "support", "perms": []}))
        .send()
        .await
        .ok();

    let logs = |query: &str| {
        let path = format!("/dashboard/access-logs?target_path=/dashboard/roles&{query}");
        let admin = admin.clone();
        let app = &app;
        async move { app.get(&path).token(&admin).send().await }
    };
    app.access_log.flush().await;
    let all = logs("primary_key_dir=ASC").await;
    let rows = all.ok().as_array().unwrap().clone();
    assert_eq!(rows.len(), 4);
    assert_eq!(rows[0]["verb"], "GET");
    assert_eq!(rows[0]["http_code"], 200);
    assert_eq!(rows[0]["knot_code"], 0);
    assert_eq!(rows[0]["user_id"], admin_id);
    assert_eq!(rows[0]["ip"], "203.0.113.7");
    assert_eq!(rows[2]["user_id"], Value::Null);
    assert_eq!(rows[2]["knot_code"], -20);

    let count = |reply: crate::common::Reply| reply.ok().as_array().unwrap().len();
    assert_eq!(count(logs(&format!("user_id={admin_id}")).await), 3);
    assert_eq!(count(logs("verb=POST").await), 1);
    assert_eq!(count(logs("http_code_min=400").await), 2);
    assert_eq!(count(logs("http_code_min=400&http_code_max=499").await), 2);
    assert_eq!(count(logs("http_code_max=299").await), 2);
    assert_eq!(count(logs("knot_code_max=-15").await), 1);
    assert_eq!(count(logs("knot_code_min=-15&knot_code_max=-1").await), 1);
    assert_eq!(count(logs("user_agent=relais-test").await), 1);
    assert_eq!(count(logs("ip=203.0.113.7").await), 4);
    assert_eq!(count(logs("ip=198.51.100.1").await), 0);
    let hour_ago = (Utc::now() - Duration::hours(1)).format("%Y-%m-%dT%H:%M:%SZ");
    let hour_on = (Utc::now() + Duration::hours(1)).format("%Y-%m-%dT%H:%M:%SZ");
    assert_eq!(
        count(logs(&format!("date_min={hour_ago}&date_max={hour_on}")).await),
        4
    );
    assert_eq!(count(logs(&format!("date_min={hour_on}")).await), 0);
    // A path filter matches paths starting with it; `%` and `_` are not wildcards.
    let prefix = app
        .get("/dashboard/access-logs?target_path=/dashboard/r%25")
        .token(&admin)
        .send()
        .await;
    assert_eq!(count(prefix), 0);
}

#[tokio::test]
async fn access_log_queries_are_validated() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    let query = |q: &str| {
        let path = format!("/dashboard/access-logs?{q}");
        let admin = admin.clone();
        let app = &app;
        async move { app.get(&path).token(&admin).send().await }
    };
    query("page_size=5")
        .await
        .fails(422, -11)
        .names("page_size");
    query("page_size=501")
        .await
        .fails(422, -11)
        .names("page_size");
    query("page_size=ten")
        .await
        .fails(400, -10)
        .names("page_size");
    query("primary_key_dir=UP")
        .await
        .fails(400, -10)
        .names("primary_key_dir");
    query("last_primary_key=0")
        .await
        .fails(422, -11)
        .names("last_primary_key");
    query("user_id=0").await.fails(422, -11).names("user_id");
    query("date_min=yesterday")
        .await
        .fails(400, -10)
        .names("date_min");
    query("http_code_min=-1")
        .await
        .fails(422, -11)
        .names("http_code_min");
    query(&format!("verb={}", "X".repeat(11)))
        .await
        .fails(422, -11)
        .names("verb");
}

#[tokio::test]
async fn only_global_developers_read_the_log() {
    let app = TestApp::new().await;
    app.network("Net one").await;
    app.network("Net two").await;
    let unit = app.unit("North", &[1]).await;
    let (_, nobody) = app.staff("nobody@relais.test", &[]).await;
    app.get("/dashboard/access-logs")
        .token(&nobody)
        .send()
        .await
        .fails(403, -30);
    let (_, local) = app
        .staff(
            "local@relais.test",
            &[(Permission::Developer, Some(unit), false)],
        )
        .await;
    app.get("/dashboard/access-logs")
        .token(&local)
        .send()
        .await
        .fails(403, -31);
    let (_, developer) = app
        .staff("dev@relais.test", &[(Permission::Developer, None, false)])
        .await;
    app.get("/dashboard/access-logs")
        .token(&developer)
        .send()
        .await
        .ok();
}

#[tokio::test]
async fn pages_follow_each_other_in_both_directions() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    for _ in 0..25 {
        app.get("/dashboard/permissions?lang=en")
            .token(&admin)
            .send()
            .await
            .ok();
    }
    app.access_log.flush().await;
    let page = |dir: &str, after: Option<i64>| {
        let mut path = format!(
            "/dashboard/access-logs?target_path=/dashboard/permissions&page_size=10&primary_key_dir={dir}"
        );
        if let Some(after) = after {
            path.push_str(&format!("&last_primary_key={after}"));
        }
        let admin = admin.clone();
        let app = &app;
        async move { app.get(&path).token(&admin).send().await }
    };

    for dir in ["ASC", "DESC"] {
        let mut seen = Vec::new();
        let mut after = None;
        let mut pages = 0;
        loop {
            let reply = page(dir, after).await;
            let rows = ids(reply.ok());
            let info = &reply.body["page"];
            assert_eq!(info["page_size"], 10);
            pages += 1;
            seen.extend(rows.iter().copied());
            if info["has_more"] == true {
                assert_eq!(rows.len(), 10);
                assert_eq!(info["last_primary_key"], *rows.last().unwrap());
                after = rows.last().copied();
            } else {
                assert_eq!(info["last_primary_key"], Value::Null);
                break;
            }
        }
        assert_eq!(pages, 3, "{dir}");
        assert_eq!(seen.len(), 25, "{dir}");
        let mut sorted = seen.clone();
        sorted.sort();
        if dir == "DESC" {
            sorted.reverse();
        }
        assert_eq!(seen, sorted, "{dir}: in order, without repeats");
        sorted.dedup();
        assert_eq!(sorted.len(), 25);
    }
    // The default page holds 20.
    let first = app
        .get("/dashboard/access-logs?target_path=/dashboard/permissions")
        .token(&admin)
        .send()
        .await;
    assert_eq!(first.ok().as_array().unwrap().len(), 20);
    assert_eq!(first.body["page"]["page_size"], 20);
}

#[tokio::test]
async fn the_newest_come_first_by_default_as_documented() {
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    for _ in 0..3 {
        app.get("/dashboard/permissions?lang=en")
            .token(&admin)
            .send()
            .await
            .ok();
    }
    app.access_log.flush().await;
    let reply = app
        .get("/dashboard/access-logs?target_path=/dashboard/permissions")
        .token(&admin)
        .send()
        .await;
    let rows = ids(reply.ok());
    assert_eq!(rows.len(), 3);
    let mut newest_first = rows.clone();
    newest_first.sort();
    newest_first.reverse();
    assert_eq!(rows, newest_first);
    // The document says so: the parameter's default is the behaviour.
    let doc = serde_json::to_value(relais_api::openapi()).unwrap();
    let params = doc["paths"]["/dashboard/access-logs"]["get"]["parameters"]
        .as_array()
        .unwrap();
    let dir = params
        .iter()
        .find(|p| p["name"] == "primary_key_dir")
        .unwrap();
    assert_eq!(dir["schema"]["default"], "DESC");
}

#[tokio::test]
async fn the_log_is_written_in_batches_off_the_request_path_and_drops_are_counted() {
    use relais_api::access_log::AccessLogQueue;
    use relais_store::access_logs::NewAccessLog;
    let app = TestApp::new().await;
    let dropped = prometheus_client::metrics::counter::Counter::default();
    // A queue of 3 rows whose writer has not run yet (one thread, no await): 10 rows, 7 dropped.
    let queue = AccessLogQueue::start(app.db.clone(), 3, dropped.clone());
    for i in 0..10 {
        queue.push(NewAccessLog {
            user_id: None,
            target_path: format!("/dashboard/batch/{i}"),
            verb: "GET".into(),
            user_agent: None,
            ip: None,
            http_code: 200,
            knot_code: 0,
            duration_ms: 1,
            created_at: chrono::Utc::now(),
        });
    }
    assert_eq!(queue.dropped(), 7);
    queue.flush().await;
    use sea_orm::{EntityTrait, PaginatorTrait};
    let rows = relais_store::entity::access_log::Entity::find()
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(rows, 3);
    // The server's own counter is published.
    let metrics = app.get("/metrics").send().await;
    assert!(
        metrics
            .text
            .contains("relais_access_log_dropped_rows_total"),
        "{}",
        metrics.text
    );
}

#[tokio::test]
async fn pages_filtered_on_the_user_agent_alone_follow_each_other() {
    // The page is merged from the ranges of each agent the text matches (two here, the
    // second newer than the first): the rows of other agents between the matches must not
    // shorten or shift a page, nor one agent's rows hide the other's.
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    for i in 0..25 {
        app.get("/dashboard/permissions?lang=en")
            .token(&admin)
            .header(
                "user-agent",
                &format!("PageWalker/{}.0 (relais tests)", 1 + i % 2),
            )
            .send()
            .await
            .ok();
        if i % 3 == 0 {
            app.get("/dashboard/permissions?lang=en")
                .token(&admin)
                .header("user-agent", "Other/2.0")
                .send()
                .await
                .ok();
        }
    }
    app.access_log.flush().await;
    for dir in ["ASC", "DESC"] {
        let mut seen = Vec::new();
        let mut after: Option<i64> = None;
        let mut pages = 0;
        loop {
            let mut path = format!(
                "/dashboard/access-logs?user_agent=pagewalker&page_size=10&primary_key_dir={dir}"
            );
            if let Some(after) = after {
                path.push_str(&format!("&last_primary_key={after}"));
            }
            let reply = app.get(&path).token(&admin).send().await;
            let rows = ids(reply.ok());
            pages += 1;
            seen.extend(rows.iter().copied());
            if reply.body["page"]["has_more"] == true {
                assert_eq!(rows.len(), 10, "{dir}: a full page");
                after = rows.last().copied();
            } else {
                break;
            }
            assert!(pages < 10);
        }
        assert_eq!(pages, 3, "{dir}");
        assert_eq!(seen.len(), 25, "{dir}");
        let mut sorted = seen.clone();
        sorted.sort();
        if dir == "DESC" {
            sorted.reverse();
        }
        sorted.dedup();
        assert_eq!(seen, sorted, "{dir}: in order, without repeats");
        // With another filter, the same rows; with a text no agent has, none.
        let reply = app
            .get(&format!(
                "/dashboard/access-logs?user_agent=WALKER/2&verb=get&page_size=50&primary_key_dir={dir}"
            ))
            .token(&admin)
            .send()
            .await;
        assert_eq!(ids(reply.ok()).len(), 12, "{dir}: the second agent's rows");
        let reply = app
            .get("/dashboard/access-logs?user_agent=no-such-agent")
            .token(&admin)
            .send()
            .await;
        assert!(ids(reply.ok()).is_empty());
    }
}

#[tokio::test]
async fn a_text_of_many_agents_pages_through_all_their_rows() {
    // Past 64 matching agents the log is walked newest first under the agents' ids.
    let app = TestApp::new().await;
    let (_, admin) = app.admin().await;
    for i in 0..70 {
        app.get("/dashboard/permissions?lang=en")
            .token(&admin)
            .header("user-agent", &format!("Crowd/{i}"))
            .send()
            .await
            .ok();
    }
    app.access_log.flush().await;
    let mut seen = Vec::new();
    let mut path = "/dashboard/access-logs?user_agent=crowd/&page_size=25".to_owned();
    loop {
        let reply = app.get(&path).token(&admin).send().await;
        let rows = ids(reply.ok());
        seen.extend(rows.iter().copied());
        if reply.body["page"]["has_more"] != true {
            break;
        }
        path = format!(
            "/dashboard/access-logs?user_agent=crowd/&page_size=25&last_primary_key={}",
            rows.last().unwrap()
        );
    }
    assert_eq!(seen.len(), 70);
    assert!(seen.windows(2).all(|w| w[0] > w[1]), "newest first");
}

//! Events, abandonment, health, readiness, metrics.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::*;
use crate::on_both_stores;

async fn events_of(h: &Harness, session: &Value) -> Vec<Value> {
    let page = h.get_as("/v1/admin/events?limit=10000", ADMIN).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    page.body["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["session"] == session["id"])
        .cloned()
        .collect()
}

on_both_stores!(
    every_step_is_an_event_in_the_agreed_shape,
    |db| async move {
        let h = Harness::start(db).await;
        let s = h.start_session("recharge_failure", "en").await;
        let a = h.answer(&s, json!(false)).await.body;
        let b = h.answer(&a, json!(false)).await.body;
        let back = h
            .post(
                &format!("/v1/sessions/{}/back", s["id"].as_str().expect("id")),
                json!({"seq": b["seq"]}),
            )
            .await
            .body;
        let c = h.answer(&back, json!(false)).await.body;
        let _ = h.answer(&c, json!("solved")).await.body;
        let events = events_of(&h, &s).await;
        let kinds: Vec<(&str, i64, &str)> = events
            .iter()
            .map(|e| {
                (
                    e["kind"].as_str().expect("kind"),
                    e["seq"].as_i64().expect("seq"),
                    e["node"].as_str().expect("node"),
                )
            })
            .collect();
        assert_eq!(
            kinds,
            [
                ("started", 0, "check_debited"),
                ("shown", 1, "check_debited"),
                ("answered", 1, "check_debited"),
                ("shown", 2, "check_network"),
                ("answered", 2, "check_network"),
                ("shown", 3, "fix_network"),
                ("back", 3, "fix_network"),
                ("shown", 4, "check_network"),
                ("answered", 4, "check_network"),
                ("shown", 5, "fix_network"),
                ("answered", 5, "fix_network"),
                ("resolved", 6, "resolved_network"),
            ]
        );
        let answered = &events[2];
        let mut keys: Vec<&str> = answered
            .as_object()
            .expect("object")
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "at",
                "fingerprint",
                "kind",
                "node",
                "origin",
                "seq",
                "session",
                "tree",
                "value",
                "version"
            ]
        );
        assert_eq!(answered["value"], false);
        assert_eq!(answered["origin"], "user");
        assert_eq!(answered["tree"], "recharge_failure");
        assert!(
            answered["fingerprint"]
                .as_str()
                .is_some_and(|f| f.len() == 16 && f.bytes().all(|b| b.is_ascii_hexdigit()))
        );
        let at = answered["at"].as_str().expect("at");
        assert!(
            at.len() == 20 && at.ends_with('Z') && at.as_bytes()[10] == b'T',
            "{at}"
        );
        assert!(events[1]["value"].is_null() && events[1]["origin"].is_null());
    }
);

on_both_stores!(
    host_answers_handoffs_and_escalations_are_events,
    |db| async move {
        let h = Harness::start(db).await;
        let r = h
            .post_as(
                "/v1/sessions",
                BACKEND,
                json!({"tree": "recharge_failure", "facts": {"money_debited": true}}),
            )
            .await
            .body;
        let _ = h
            .post(
                &format!("/v1/sessions/{}/handoff", r["id"].as_str().expect("id")),
                json!({"seq": 1}),
            )
            .await;
        let kinds: Vec<(String, Value)> = events_of(&h, &r)
            .await
            .iter()
            .map(|e| {
                (
                    e["kind"].as_str().expect("kind").to_owned(),
                    e["origin"].clone(),
                )
            })
            .collect();
        assert_eq!(
            kinds,
            [
                ("started".to_owned(), Value::Null),
                ("answered".to_owned(), json!("host")),
                ("shown".to_owned(), Value::Null),
                ("handoff".to_owned(), Value::Null),
                ("escalated".to_owned(), Value::Null),
            ]
        );
    }
);

on_both_stores!(idle_sessions_are_recorded_as_abandoned, |db| async move {
    let h = Harness::start_with(db, |c| c.abandon_after = Duration::from_millis(150)).await;
    let s = h.start_session("refund", "en").await;
    let done = walk_to_end(&h).await;
    let id = s["id"].as_str().expect("id").to_owned();
    eventually(
        Duration::from_secs(10),
        "the session to be abandoned",
        || {
            let path = format!("/v1/sessions/{id}");
            let h = &h;
            async move { h.get(&path).await.body["status"] == "abandoned" }
        },
    )
    .await;
    let events = events_of(&h, &s).await;
    let last = events.last().expect("events");
    assert_eq!(last["kind"], "abandoned");
    assert_eq!(last["node"], s["step"]["node"]);
    assert_eq!(last["seq"], 1);
    // Ended sessions are never abandoned.
    let ended = events_of(&h, &done).await;
    assert!(ended.iter().all(|e| e["kind"] != "abandoned"));
    // A user who comes back continues.
    let r = h.answer(&s, s["step"]["answers"][0]["value"].clone()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["status"], "open");
    assert!(
        h.get("/metrics")
            .await
            .text
            .contains("troubletree_sessions_total{outcome=\"abandoned\"} 1")
    );
});

async fn walk_to_end(h: &Harness) -> Value {
    crate::sessions::walk_first_answers(h, "recharge_failure").await
}

on_both_stores!(health_readiness_and_metrics, |db| async move {
    let h = Harness::start(db).await;
    let r = h.get("/healthz").await;
    assert_eq!((r.status, r.text.as_str()), (StatusCode::OK, "ok\n"));
    let r = h.get("/readyz").await;
    assert_eq!((r.status, r.text.as_str()), (StatusCode::OK, "ready\n"));
    let s = h.start_session("recharge_failure", "en").await;
    let _ = h.answer(&s, json!(false)).await;
    let _ = h.get("/v1/sessions/0").await;
    let m = h.get("/metrics").await;
    assert_eq!(m.status, StatusCode::OK);
    assert!(m.content_type.starts_with("text/plain"));
    let text = m.text;
    for needle in [
        "troubletree_http_requests_total{method=\"POST\",route=\"/v1/sessions\",status=\"201\"} 1",
        "troubletree_http_requests_total{method=\"POST\",route=\"/v1/sessions/{id}/answer\",status=\"200\"} 1",
        "troubletree_http_requests_total{method=\"GET\",route=\"/v1/sessions/{id}\",status=\"404\"} 1",
        "troubletree_http_request_duration_seconds_count{route=\"/v1/sessions\"} 1",
        "troubletree_sessions_total{outcome=\"started\"} 1",
        "troubletree_outbox_backlog 0",
    ] {
        assert!(text.contains(needle), "missing {needle} in\n{text}");
    }
    assert!(
        !text.contains(s["id"].as_str().expect("id")),
        "no session id in metrics"
    );
});

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_finishes_the_requests_in_flight() {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

    let db = Db::sqlite();
    let trees = trees_copy();
    let server = troubletree_server::Server::start(config(&db, &trees.0))
        .await
        .expect("starts");
    let addr = server.addr();
    let s = Reply::of(
        client()
            .post(format!("http://{addr}/v1/sessions"))
            .json(&json!({"tree": "recharge_failure", "locale": "en"}))
            .send()
            .await
            .expect("POST"),
    )
    .await
    .body;
    // A request whose body is still arriving when the shutdown begins.
    let body = r#"{"seq": 1, "value": false}"#;
    let (head, tail) = body.split_at(10);
    let mut conn = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let request = format!(
        "POST /v1/sessions/{}/answer HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{head}",
        s["id"].as_str().expect("id"),
        body.len()
    );
    conn.write_all(request.as_bytes()).await.expect("write");
    tokio::time::sleep(Duration::from_millis(100)).await;
    let shutting_down = tokio::spawn(server.shutdown());
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        !shutting_down.is_finished(),
        "the shutdown waits for the request"
    );
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "no new connections during the shutdown"
    );
    conn.write_all(tail.as_bytes()).await.expect("write");
    let mut response = String::new();
    conn.read_to_string(&mut response).await.expect("read");
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.contains("\"seq\":2"), "{response}");
    tokio::time::timeout(Duration::from_secs(10), shutting_down)
        .await
        .expect("the shutdown ends")
        .expect("task");
}

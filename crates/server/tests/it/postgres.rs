//! Many replicas on one PostgreSQL database, and faults: a replica killed mid-request,
//! the database stopped and restarted, the help desk down for a while. These run only
//! with `TROUBLETREE_TEST_DATABASE_URL` (and, for the stop/start test,
//! `TROUBLETREE_TEST_PG_CTL` and `TROUBLETREE_TEST_PG_DIR` from `tests/pg.sh start`).

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::*;
use crate::delivery::{Receiver, SECRET};

async fn post(base: &str, path: &str, body: Value) -> Reply {
    Reply::of(
        client()
            .post(format!("{base}{path}"))
            .json(&body)
            .send()
            .await
            .expect("POST"),
    )
    .await
}

async fn get(base: &str, path: &str, token: Option<&str>) -> Reply {
    let mut r = client().get(format!("{base}{path}"));
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    Reply::of(r.send().await.expect("GET")).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_serve_the_same_sessions() {
    let Some(db) = Db::postgres("replicas").await else {
        return;
    };
    let _shared = pg_shared().await;
    let trees = trees_copy();
    let a = Process::spawn(&trees.0, &db.url, &[]);
    let b = Process::spawn(&trees.0, &db.url, &[]);
    let s = post(
        &a.base,
        "/v1/sessions",
        json!({"tree": "recharge_failure", "locale": "en"}),
    )
    .await
    .body;
    let id = s["id"].as_str().expect("id");
    let on_b = post(
        &b.base,
        &format!("/v1/sessions/{id}/answer"),
        json!({"seq": 1, "value": false}),
    )
    .await;
    assert_eq!(on_b.status, StatusCode::OK, "{}", on_b.text);
    let on_a = get(&a.base, &format!("/v1/sessions/{id}"), None).await;
    assert_eq!(on_a.body, on_b.body);
    // The retry goes to the other replica: still applied once.
    let retry = post(
        &a.base,
        &format!("/v1/sessions/{id}/answer"),
        json!({"seq": 1, "value": false}),
    )
    .await;
    assert_eq!(retry.body, on_b.body);
    // A hand-off on one is in the agents' queue of the other.
    let h = post(
        &a.base,
        &format!("/v1/sessions/{id}/handoff"),
        json!({"seq": 2}),
    )
    .await;
    let ticket = h.body["ticket"]["id"].as_str().expect("ticket");
    let queue = get(&b.base, "/v1/tickets", Some(AGENT)).await.body;
    assert_eq!(queue["tickets"][0]["ticket"]["id"], ticket);
    // Both started on one published version.
    assert_eq!(get(&b.base, "/v1/trees", None).await.body["version"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_mid_request_loses_nothing_and_applies_nothing_twice() {
    let Some(db) = Db::postgres("kill9").await else {
        return;
    };
    let _shared = pg_shared().await;
    let trees = trees_copy();
    let b = Process::spawn(&trees.0, &db.url, &[]);
    let mut total_applied = 0;
    for round in 0..4u64 {
        let mut a = Process::spawn(&trees.0, &db.url, &[]);
        let mut sessions = Vec::new();
        for _ in 0..25 {
            let s = post(
                &b.base,
                "/v1/sessions",
                json!({"tree": "recharge_failure", "locale": "en"}),
            )
            .await
            .body;
            sessions.push(s["id"].as_str().expect("id").to_owned());
        }
        // Every session gets its answer sent to A; A is killed as soon as it has
        // confirmed one, while the others are in flight.
        let (done, mut first) = ::tokio::sync::mpsc::unbounded_channel::<()>();
        let mut tasks = Vec::new();
        for id in &sessions {
            let url = format!("{}/v1/sessions/{id}/answer", a.base);
            let done = done.clone();
            tasks.push(tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(round)).await;
                match client()
                    .post(url)
                    .json(&json!({"seq": 1, "value": true}))
                    .send()
                    .await
                {
                    Ok(r) => {
                        let r = Reply::of(r).await;
                        let _ = done.send(());
                        Some(r)
                    }
                    Err(_) => None,
                }
            }));
        }
        let _ = tokio::time::timeout(Duration::from_secs(10), first.recv()).await;
        a.child.kill().expect("SIGKILL");
        let _ = a.child.wait();
        let mut answered_by_a = HashMap::new();
        for (id, t) in sessions.iter().zip(tasks) {
            if let Some(r) = t.await.expect("task")
                && r.status == StatusCode::OK
            {
                answered_by_a.insert(id.clone(), r.body);
            }
        }
        let mut applied_by_a = 0;
        for id in &sessions {
            if get(&b.base, &format!("/v1/sessions/{id}"), None).await.body["seq"] == 2 {
                applied_by_a += 1;
            }
        }
        assert!(applied_by_a >= answered_by_a.len());
        total_applied += applied_by_a;
        // The client retries every request on B.
        for id in &sessions {
            let r = post(
                &b.base,
                &format!("/v1/sessions/{id}/answer"),
                json!({"seq": 1, "value": true}),
            )
            .await;
            assert_eq!(
                r.status,
                StatusCode::OK,
                "round {round}: {}\nB's log: {}",
                r.text,
                b.log()
            );
            assert_eq!(r.body["seq"], 2, "applied exactly once");
            if let Some(seen) = answered_by_a.get(id) {
                assert_eq!(&r.body, seen, "a confirmed answer is kept as confirmed");
            }
        }
        let events = get(&b.base, "/v1/admin/events?limit=10000", Some(ADMIN))
            .await
            .body;
        for id in &sessions {
            let answered = events["events"]
                .as_array()
                .expect("events")
                .iter()
                .filter(|e| e["session"] == id.as_str() && e["kind"] == "answered")
                .count();
            assert_eq!(
                answered, 1,
                "round {round}: session {id} answered {answered} times"
            );
        }
        eprintln!(
            "round {round}: A applied {applied_by_a} and confirmed {} of {} answers before it was killed",
            answered_by_a.len(),
            sessions.len()
        );
    }
    assert!(total_applied > 0, "A was never killed mid-flight");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_stopped_gives_503_fast_and_restarted_keeps_everything() {
    let Some(db) = Db::postgres("pgstop").await else {
        return;
    };
    let (Ok(ctl), Ok(dir)) = (
        std::env::var("TROUBLETREE_TEST_PG_CTL"),
        std::env::var("TROUBLETREE_TEST_PG_DIR"),
    ) else {
        panic!(
            "TROUBLETREE_TEST_DATABASE_URL is set but TROUBLETREE_TEST_PG_CTL/TROUBLETREE_TEST_PG_DIR are not: eval \"$(crates/server/tests/pg.sh start)\" sets all three"
        );
    };
    // This test stops the shared server: it runs alone.
    let _alone = pg_exclusive().await;
    let h = Harness::start(db).await;
    let s = h.start_session("recharge_failure", "en").await;
    let s = h.answer(&s, json!(false)).await.body;
    let other = h.start_session("refund", "en").await;
    let handed = h
        .post(
            &format!("/v1/sessions/{}/handoff", other["id"].as_str().expect("id")),
            json!({"seq": 1}),
        )
        .await
        .body;
    let queue_before = h.get_as("/v1/tickets", AGENT).await.body;

    let pg = |verb: &str| {
        let status = std::process::Command::new("bash")
            .arg(&ctl)
            .arg(verb)
            .arg(&dir)
            .status()
            .expect("pg.sh");
        assert!(status.success(), "pg.sh {verb}");
    };
    pg("pause");
    let result = std::panic::AssertUnwindSafe(async {
        let id = s["id"].as_str().expect("id");
        for _ in 0..3 {
            let started = Instant::now();
            let r = h.get(&format!("/v1/sessions/{id}")).await;
            let took = started.elapsed();
            r.assert_problem(StatusCode::SERVICE_UNAVAILABLE, "storage-unavailable");
            assert!(took < Duration::from_secs(1), "503 after {took:?}");
        }
        let started = Instant::now();
        h.answer(&s, json!(false))
            .await
            .assert_problem(StatusCode::SERVICE_UNAVAILABLE, "storage-unavailable");
        assert!(started.elapsed() < Duration::from_secs(1));
        h.get("/readyz")
            .await
            .assert_problem(StatusCode::SERVICE_UNAVAILABLE, "not-ready");
        assert_eq!(h.get("/healthz").await.status, StatusCode::OK);
    });
    let outcome = futures_catch(result).await;
    pg("resume");
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
    eventually(Duration::from_secs(20), "the database back", || async {
        h.get("/readyz").await.status == StatusCode::OK
    })
    .await;
    let again = h
        .get(&format!("/v1/sessions/{}", s["id"].as_str().expect("id")))
        .await;
    assert_eq!(again.body, s, "the session is intact");
    let again = h
        .get(&format!(
            "/v1/sessions/{}",
            other["id"].as_str().expect("id")
        ))
        .await;
    assert_eq!(again.body, handed);
    assert_eq!(
        h.get_as("/v1/tickets", AGENT).await.body,
        queue_before,
        "every ticket is intact"
    );
    // And it goes on: the refused answer was not applied, so step 2 is still open.
    let next = h.answer(&s, json!(false)).await;
    assert_eq!(next.status, StatusCode::OK, "{}", next.text);
    assert_eq!(next.body["seq"], 3);
}

/// Runs a future, turning a panic into an error, so that the database is restarted
/// before the test fails.
async fn futures_catch<F: std::future::Future<Output = ()>>(
    f: std::panic::AssertUnwindSafe<F>,
) -> Result<(), Box<dyn std::any::Any + Send>> {
    let mut f = std::pin::pin!(f);
    std::future::poll_fn(move |cx| {
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f.as_mut().poll(cx))) {
            Ok(std::task::Poll::Ready(())) => std::task::Poll::Ready(Ok(())),
            Ok(std::task::Poll::Pending) => std::task::Poll::Pending,
            Err(panic) => std::task::Poll::Ready(Err(panic)),
        }
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_help_desk_down_for_a_while_gets_every_ticket_when_back() {
    let Some(db) = Db::postgres("webhookdown").await else {
        return;
    };
    let _shared = pg_shared().await;
    let down_for = Duration::from_secs(
        std::env::var("TROUBLETREE_TEST_WEBHOOK_DOWN_SECS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(60),
    );
    let receiver = Receiver::start(0).await;
    receiver.go_down();
    let trees = trees_copy();
    let env = [
        ("TROUBLETREE_WEBHOOK_URL", receiver.url()),
        ("TROUBLETREE_WEBHOOK_SECRET", SECRET.to_owned()),
        ("TROUBLETREE_WEBHOOK_BACKOFF_MS", "200".to_owned()),
        ("TROUBLETREE_WEBHOOK_BACKOFF_MAX_MS", "2000".to_owned()),
    ];
    let a = Process::spawn(&trees.0, &db.url, &env);
    let b = Process::spawn(&trees.0, &db.url, &env);
    let mut keys = Vec::new();
    for i in 0..10 {
        let base = if i % 2 == 0 { &a.base } else { &b.base };
        let s = post(
            base,
            "/v1/sessions",
            json!({"tree": "refund", "locale": "en"}),
        )
        .await
        .body;
        let r = post(
            base,
            &format!("/v1/sessions/{}/handoff", s["id"].as_str().expect("id")),
            json!({"seq": 1}),
        )
        .await;
        keys.push(r.body["ticket"]["id"].as_str().expect("ticket").to_owned());
    }
    tokio::time::sleep(down_for).await;
    assert_eq!(receiver.accepted_total.load(Ordering::SeqCst), 0);
    let metrics = get(&a.base, "/metrics", None).await.text;
    assert!(
        metrics.contains("troubletree_outbox_backlog 10"),
        "{metrics}"
    );
    receiver.come_up().await;
    eventually(Duration::from_secs(30), "every ticket delivered", || {
        let receiver = receiver.clone();
        async move { receiver.accepted_total.load(Ordering::SeqCst) >= 10 }
    })
    .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    for key in &keys {
        let hits = receiver.hits_for(key);
        assert_eq!(
            hits.iter().filter(|h| h.accepted).count(),
            1,
            "ticket {key}: {hits:?}"
        );
        assert!(hits.iter().all(|h| h.signature_ok));
    }
    assert_eq!(receiver.accepted_total.load(Ordering::SeqCst), 10);
    assert!(
        get(&b.base, "/metrics", None)
            .await
            .text
            .contains("troubletree_outbox_backlog 0")
    );
}

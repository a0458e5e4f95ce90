//! The binary as operators run it: configuration from the environment, SIGHUP reload,
//! SIGTERM shutdown.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::json;

use crate::common::*;

async fn get(base: &str, path: &str) -> Reply {
    Reply::of(
        client()
            .get(format!("{base}{path}"))
            .send()
            .await
            .expect("GET"),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_publishes_and_refuses_like_the_admin_call() {
    let db = Db::sqlite();
    let trees = trees_copy();
    let p = Process::spawn(&trees.0, &db.url, &[]);
    assert_eq!(get(&p.base, "/v1/trees").await.body["version"], 1);
    let path = trees.0.join("refund.ron");
    let text = std::fs::read_to_string(&path).expect("read");
    // The author's revision goes up by one: a new published version.
    let bumped = text.replacen("version: 2,", "version: 3,", 1);
    assert_ne!(bumped, text, "refund.ron has a version field to bump");
    std::fs::write(&path, bumped).expect("write");
    p.signal("HUP");
    eventually(Duration::from_secs(10), "version 2", || {
        let base = p.base.clone();
        async move { get(&base, "/v1/trees").await.body["version"] == 2 }
    })
    .await;
    // A broken tree: refused, the process lives on and serves version 2.
    std::fs::write(&path, "Tree(").expect("write");
    p.signal("HUP");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let r = get(&p.base, "/v1/trees").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["version"], 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_cleanly_and_keeps_everything() {
    let db = Db::sqlite();
    let trees = trees_copy();
    let mut p = Process::spawn(&trees.0, &db.url, &[]);
    let s = Reply::of(
        client()
            .post(format!("{}/v1/sessions", p.base))
            .json(&json!({"tree": "refund", "locale": "en"}))
            .send()
            .await
            .expect("POST"),
    )
    .await
    .body;
    p.signal("TERM");
    let start = Instant::now();
    let status = loop {
        if let Some(status) = p.child.try_wait().expect("wait") {
            break status;
        }
        assert!(start.elapsed() < Duration::from_secs(10), "did not stop");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(status.success(), "{status:?}");
    // A new process on the same file continues the session.
    let q = Process::spawn(&trees.0, &db.url, &[]);
    let again = get(
        &q.base,
        &format!("/v1/sessions/{}", s["id"].as_str().expect("id")),
    )
    .await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.body, s);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refuses_to_start_without_a_valid_catalogue_or_with_an_unsigned_webhook() {
    let db = Db::sqlite();
    let empty = TempDir::new("empty");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_troubletree-server"))
        .arg(&empty.0)
        .env("TROUBLETREE_LISTEN", "127.0.0.1:0")
        .env("TROUBLETREE_DATABASE_URL", &db.url)
        .output()
        .expect("runs");
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no tree found"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let trees = trees_copy();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_troubletree-server"))
        .arg(&trees.0)
        .env("TROUBLETREE_LISTEN", "127.0.0.1:0")
        .env("TROUBLETREE_DATABASE_URL", &db.url)
        .env("TROUBLETREE_WEBHOOK_URL", "http://127.0.0.1:9/")
        .env_remove("TROUBLETREE_WEBHOOK_SECRET")
        .output()
        .expect("runs");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("TROUBLETREE_WEBHOOK_SECRET"));
}

//! The OpenAPI document: served, committed, and in step with the routes and types.
//! After a deliberate API change, regenerate the committed copy with
//! `UPDATE_OPENAPI=1 cargo test -p troubletree-server --test it openapi`.

use std::path::Path;

use reqwest::StatusCode;
use serde_json::Value;

use crate::common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_served_document_is_the_committed_one() {
    let h = Harness::start(Db::sqlite()).await;
    let served = h.get("/v1/openapi.json").await;
    assert_eq!(served.status, StatusCode::OK);
    assert_eq!(served.content_type, "application/json");
    let committed_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("openapi.json");
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(&committed_path, &served.text).expect("write openapi.json");
    }
    let committed = std::fs::read_to_string(&committed_path).unwrap_or_default();
    assert!(
        committed == served.text,
        "crates/server/openapi.json differs from the document the server serves; if the API change is deliberate, run UPDATE_OPENAPI=1 cargo test -p troubletree-server --test it openapi and commit the file"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_document_lists_every_route_and_real_responses_fit_it() {
    let h = Harness::start(Db::sqlite()).await;
    let doc = h.get("/v1/openapi.json").await.body;
    let paths = doc["paths"].as_object().expect("paths");
    let mut listed: Vec<String> = paths
        .iter()
        .flat_map(|(p, item)| {
            item.as_object()
                .expect("item")
                .keys()
                .map(move |m| format!("{} {p}", m.to_uppercase()))
        })
        .collect();
    listed.sort();
    assert_eq!(
        listed,
        [
            "GET /healthz",
            "GET /metrics",
            "GET /readyz",
            "GET /v1/admin/events",
            "GET /v1/admin/stats",
            "GET /v1/admin/versions",
            "GET /v1/preview/files",
            "GET /v1/preview/overview",
            "GET /v1/preview/trees/{id}",
            "GET /v1/sessions/{id}",
            "GET /v1/tickets",
            "GET /v1/tickets/{id}",
            "GET /v1/trees",
            "POST /v1/admin/reload",
            "POST /v1/admin/versions/{version}/retire",
            "POST /v1/preview/walk",
            "POST /v1/sessions",
            "POST /v1/sessions/{id}/answer",
            "POST /v1/sessions/{id}/back",
            "POST /v1/sessions/{id}/handoff",
            "POST /v1/tickets/{id}/claim",
            "POST /v1/tickets/{id}/close",
        ]
    );
    // Every listed route answers (never the router's 404 or 405).
    for route in &listed {
        let (method, path) = route.split_once(' ').expect("route");
        let path = path
            .replace("{id}", &"0".repeat(32))
            .replace("{version}", "1");
        let r = h
            .http
            .request(method.parse().expect("method"), h.url(&path))
            .header("content-type", "application/json")
            .body("{}")
            .send()
            .await
            .expect("request");
        let r = Reply::of(r).await;
        assert!(
            !matches!(
                r.body["code"].as_str(),
                Some("not-found" | "method-not-allowed")
            ),
            "{route}: {}",
            r.text
        );
    }
    // A real session view has exactly the documented properties, required ones included.
    let s = h.start_session("recharge_failure", "en").await;
    let schema = &doc["components"]["schemas"]["SessionView"];
    let mut documented: Vec<&str> = schema["properties"]
        .as_object()
        .expect("properties")
        .keys()
        .map(String::as_str)
        .collect();
    documented.sort_unstable();
    let mut actual: Vec<&str> = s
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    actual.sort_unstable();
    assert_eq!(documented, actual);
    for required in schema["required"].as_array().expect("required") {
        assert!(!s[required.as_str().expect("name")].is_null(), "{required}");
    }
    let problem = &doc["components"]["schemas"]["Problem"]["properties"];
    for field in ["type", "title", "status", "detail", "code"] {
        assert!(problem.get(field).is_some(), "Problem.{field}");
    }
    let _: &Value = problem;
}

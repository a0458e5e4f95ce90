//! Credentials, problem documents for every error class, body limits, CORS.

use reqwest::StatusCode;
use serde_json::json;

use crate::common::*;
use crate::on_both_stores;

on_both_stores!(only_the_back_end_sets_facts, |db| async move {
    let h = Harness::start(db).await;
    let body = json!({"tree": "recharge_failure", "facts": {"money_debited": true}});
    h.post("/v1/sessions", body.clone())
        .await
        .assert_problem(StatusCode::UNAUTHORIZED, "unauthorized");
    let r = h.post_as("/v1/sessions", "wrong", body.clone()).await;
    r.assert_problem(StatusCode::UNAUTHORIZED, "unauthorized");
    assert_eq!(
        r.headers.get("www-authenticate").map(|v| v.as_bytes()),
        Some(&b"Bearer"[..])
    );
    // Other roles' tokens are not the back end's.
    h.post_as("/v1/sessions", AGENT, body.clone())
        .await
        .assert_problem(StatusCode::UNAUTHORIZED, "unauthorized");
    assert_eq!(
        h.post_as("/v1/sessions", BACKEND, body).await.status,
        StatusCode::CREATED
    );
    // The browser cannot slip a fact into an answer.
    let s = h.start_session("recharge_failure", "en").await;
    h.post(
        &format!("/v1/sessions/{}/answer", s["id"].as_str().expect("id")),
        json!({"seq": 1, "value": true, "facts": {"network_ok": true}}),
    )
    .await
    .assert_problem(StatusCode::BAD_REQUEST, "bad-request");
    // Nor answer a question it was not asked: the offered values only.
    h.answer(&s, json!({"network_ok": true}))
        .await
        .assert_problem(StatusCode::BAD_REQUEST, "bad-request");
    h.answer(&s, json!("solved"))
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "not-offered");
    // Wrong types and unknown facts from the back end are refused too.
    h.post_as(
        "/v1/sessions",
        BACKEND,
        json!({"tree": "recharge_failure", "facts": {"money_debited": "yes"}}),
    )
    .await
    .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "wrong-type");
    h.post_as(
        "/v1/sessions",
        BACKEND,
        json!({"tree": "recharge_failure", "facts": {"no_tree_declares_this": 3}}),
    )
    .await
    .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "unknown-fact");
});

on_both_stores!(a_session_is_reached_only_by_its_id, |db| async move {
    let h = Harness::start(db).await;
    let a = h.start_session("recharge_failure", "en").await;
    let b = h.start_session("recharge_failure", "en").await;
    assert_ne!(a["id"], b["id"]);
    let id = a["id"].as_str().expect("id");
    // A neighbouring id, a prefix, an id with SQL in it: not found, and no other session.
    let mut other = id.to_owned();
    other.replace_range(31..32, if id.ends_with('0') { "1" } else { "0" });
    for path in [
        format!("/v1/sessions/{other}"),
        format!("/v1/sessions/{}", &id[..16]),
        "/v1/sessions/'%20OR%201=1--".to_owned(),
        format!("/v1/sessions/{}", id.to_uppercase()),
    ] {
        h.get(&path)
            .await
            .assert_problem(StatusCode::NOT_FOUND, "session-not-found");
    }
    h.post(
        &format!("/v1/sessions/{other}/answer"),
        json!({"seq": 1, "value": true}),
    )
    .await
    .assert_problem(StatusCode::NOT_FOUND, "session-not-found");
    // The sessions list is not an endpoint.
    h.get("/v1/sessions")
        .await
        .assert_problem(StatusCode::METHOD_NOT_ALLOWED, "method-not-allowed");
});

on_both_stores!(roles_guard_tickets_and_administration, |db| async move {
    let h = Harness::start(db).await;
    for path in ["/v1/tickets", "/v1/admin/events", "/v1/admin/versions"] {
        h.get(path)
            .await
            .assert_problem(StatusCode::UNAUTHORIZED, "unauthorized");
        h.get_as(path, BACKEND)
            .await
            .assert_problem(StatusCode::UNAUTHORIZED, "unauthorized");
    }
    h.get_as("/v1/tickets", ADMIN)
        .await
        .assert_problem(StatusCode::UNAUTHORIZED, "unauthorized");
    h.get_as("/v1/admin/versions", AGENT)
        .await
        .assert_problem(StatusCode::UNAUTHORIZED, "unauthorized");
    h.post_as("/v1/admin/reload", AGENT, json!({}))
        .await
        .assert_problem(StatusCode::UNAUTHORIZED, "unauthorized");
    assert_eq!(h.get_as("/v1/tickets", AGENT).await.status, StatusCode::OK);
    assert_eq!(
        h.get_as("/v1/admin/versions", ADMIN).await.status,
        StatusCode::OK
    );
});

on_both_stores!(every_error_class_is_a_problem_document, |db| async move {
    let h = Harness::start_with(db, |c| c.body_limit = 1024).await;
    let s = h.start_session("recharge_failure", "en").await;
    let answer = h.url(&format!(
        "/v1/sessions/{}/answer",
        s["id"].as_str().expect("id")
    ));
    let raw = |body: &'static str, ct: Option<&'static str>| {
        let mut r = h.http.post(&answer).body(body);
        if let Some(ct) = ct {
            r = r.header("content-type", ct);
        }
        async move { Reply::of(r.send().await.expect("POST")).await }
    };
    raw("{not json", Some("application/json"))
        .await
        .assert_problem(StatusCode::BAD_REQUEST, "bad-request");
    raw(r#"{"seq": 1}"#, Some("application/json"))
        .await
        .assert_problem(StatusCode::BAD_REQUEST, "bad-request");
    raw(r#"{"seq": 1, "value": true}"#, None)
        .await
        .assert_problem(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported-media-type");
    raw(r#"{"seq": 1, "value": null}"#, Some("application/json"))
        .await
        .assert_problem(StatusCode::BAD_REQUEST, "bad-request");
    h.get("/nowhere")
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not-found");
    h.get("/v1/sessions/x/answer")
        .await
        .assert_problem(StatusCode::METHOD_NOT_ALLOWED, "method-not-allowed");
    h.post("/v1/sessions", json!({"tree": "no_such_tree"}))
        .await
        .assert_problem(StatusCode::NOT_FOUND, "tree-not-found");
    h.post("/v1/sessions", json!({"tree": "refund", "locale": "fr"}))
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "unknown-locale");
    h.post("/v1/sessions", json!({"tree": "refund", "extra": 1}))
        .await
        .assert_problem(StatusCode::BAD_REQUEST, "bad-request");
    h.get_as("/v1/tickets?status=lost", AGENT)
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "bad-status");
    h.get_as("/v1/tickets?limit=many", AGENT)
        .await
        .assert_problem(StatusCode::BAD_REQUEST, "bad-request");
    // Body over the limit: refused before it is read, as a problem.
    let big = format!(r#"{{"seq": 1, "value": "{}"}}"#, "x".repeat(4096));
    let r = Reply::of(
        h.http
            .post(&answer)
            .header("content-type", "application/json")
            .body(big)
            .send()
            .await
            .expect("POST"),
    )
    .await;
    r.assert_problem(StatusCode::PAYLOAD_TOO_LARGE, "body-too-large");
    // The session is untouched by all of this.
    let now = h
        .get(&format!("/v1/sessions/{}", s["id"].as_str().expect("id")))
        .await
        .body;
    assert_eq!(now, s);
});

on_both_stores!(cors_allows_the_wallets_origin_only, |db| async move {
    let h = Harness::start_with(db, |c| {
        c.cors_origins = vec!["https://help.wallet.example".into()]
    })
    .await;
    let preflight = |origin: &'static str| {
        h.http
            .request(reqwest::Method::OPTIONS, h.url("/v1/sessions"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "content-type")
            .send()
    };
    let ok = preflight("https://help.wallet.example")
        .await
        .expect("OPTIONS");
    assert_eq!(
        ok.headers()
            .get("access-control-allow-origin")
            .map(|v| v.as_bytes()),
        Some(&b"https://help.wallet.example"[..])
    );
    let other = preflight("https://evil.example").await.expect("OPTIONS");
    assert!(other.headers().get("access-control-allow-origin").is_none());
    let r = h
        .http
        .get(h.url("/v1/trees"))
        .header("origin", "https://help.wallet.example")
        .send()
        .await
        .expect("GET");
    assert_eq!(
        r.headers()
            .get("access-control-allow-origin")
            .map(|v| v.as_bytes()),
        Some(&b"https://help.wallet.example"[..])
    );
});

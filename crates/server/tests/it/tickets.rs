//! The agents' queue: list (most urgent, then newest first), claim, close.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::*;
use crate::on_both_stores;

/// Escalates a fresh session of `tree` with the back end's facts; returns the ticket id.
async fn escalate(h: &Harness, tree: &str, facts: Value) -> String {
    let r = h
        .post_as(
            "/v1/sessions",
            BACKEND,
            json!({"tree": tree, "locale": "en", "facts": facts}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["status"], "escalated", "{}", r.text);
    r.body["ticket"]["id"].as_str().expect("ticket").to_owned()
}

/// Hands off a fresh session; returns the ticket id.
async fn hand_off(h: &Harness) -> String {
    let s = h.start_session("refund", "en").await;
    let r = h
        .post(
            &format!("/v1/sessions/{}/handoff", s["id"].as_str().expect("id")),
            json!({"seq": 1}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body["ticket"]["id"].as_str().expect("ticket").to_owned()
}

on_both_stores!(
    the_queue_is_most_urgent_then_newest_first,
    |db| async move {
        let h = Harness::start(db).await;
        let normal_old = hand_off(&h).await;
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        let high = escalate(
            &h,
            "recharge_failure",
            json!({"money_debited": true, "hours_since_debit": 60, "amount": 100}),
        )
        .await;
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        let normal_new = hand_off(&h).await;
        let list = h.get_as("/v1/tickets", AGENT).await;
        assert_eq!(list.status, StatusCode::OK, "{}", list.text);
        let ids: Vec<&str> = list.body["tickets"]
            .as_array()
            .expect("tickets")
            .iter()
            .map(|t| t["ticket"]["id"].as_str().expect("id"))
            .collect();
        let priority = list.body["tickets"][0]["ticket"]["priority"]
            .as_str()
            .expect("priority");
        assert!(matches!(priority, "high" | "urgent"), "{priority}");
        assert_eq!(
            ids,
            vec![high.as_str(), normal_new.as_str(), normal_old.as_str()]
        );
        let limited = h.get_as("/v1/tickets?limit=1", AGENT).await.body;
        assert_eq!(limited["tickets"].as_array().map(Vec::len), Some(1));
    }
);

on_both_stores!(claim_and_close, |db| async move {
    let h = Harness::start(db).await;
    let id = hand_off(&h).await;
    let claim_path = format!("/v1/tickets/{id}/claim");
    let claim = |agent: &'static str| h.post_as(&claim_path, AGENT, json!({"agent": agent}));
    let r = claim("wang").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["status"], "claimed");
    assert_eq!(r.body["agent"], "wang");
    // Claiming one's own ticket again is fine; someone else's is a conflict.
    assert_eq!(claim("wang").await.status, StatusCode::OK);
    claim("li")
        .await
        .assert_problem(StatusCode::CONFLICT, "ticket-claimed");
    // Claimed tickets leave the open queue.
    let open = h.get_as("/v1/tickets", AGENT).await.body;
    assert!(open["tickets"].as_array().expect("list").is_empty());
    let claimed = h.get_as("/v1/tickets?status=claimed", AGENT).await.body;
    assert_eq!(claimed["tickets"][0]["ticket"]["id"], id.as_str());
    let closed = h
        .post_as(
            &format!("/v1/tickets/{id}/close"),
            AGENT,
            json!({"agent": "wang"}),
        )
        .await;
    assert_eq!(closed.status, StatusCode::OK, "{}", closed.text);
    assert_eq!(closed.body["status"], "closed");
    let again = h
        .post_as(
            &format!("/v1/tickets/{id}/close"),
            AGENT,
            json!({"agent": "wang"}),
        )
        .await;
    assert_eq!(again.body["status"], "closed");
    claim("wang")
        .await
        .assert_problem(StatusCode::CONFLICT, "ticket-closed");
    // Bad input.
    h.post_as(
        &format!("/v1/tickets/{id}/claim"),
        AGENT,
        json!({"agent": ""}),
    )
    .await
    .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "bad-agent");
    h.post_as(
        &format!("/v1/tickets/{}/claim", "0".repeat(32)),
        AGENT,
        json!({"agent": "wang"}),
    )
    .await
    .assert_problem(StatusCode::NOT_FOUND, "ticket-not-found");
    h.get_as("/v1/tickets/nope", AGENT)
        .await
        .assert_problem(StatusCode::NOT_FOUND, "ticket-not-found");
});

on_both_stores!(two_agents_racing_for_a_ticket_one_wins, |db| async move {
    let h = Harness::start(db).await;
    let id = hand_off(&h).await;
    let url = h.url(&format!("/v1/tickets/{id}/claim"));
    let go = |agent: &'static str| {
        let url = url.clone();
        tokio::spawn(async move {
            Reply::of(
                client()
                    .post(url)
                    .bearer_auth(AGENT)
                    .json(&json!({"agent": agent}))
                    .send()
                    .await
                    .expect("POST"),
            )
            .await
        })
    };
    let (a, b) = tokio::join!(go("wang"), go("li"));
    let mut statuses = [a.expect("task").status, b.expect("task").status];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::CONFLICT]);
});

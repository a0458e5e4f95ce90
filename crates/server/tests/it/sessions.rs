//! Walking sessions over HTTP: resolutions, escalations, back, hand-off, journeys.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::*;
use crate::on_both_stores;

on_both_stores!(walk_to_a_resolution, |db| async move {
    let h = Harness::start(db).await;
    let s = h.start_session("recharge_failure", "en").await;
    assert_eq!(s["status"], "open");
    assert_eq!(s["seq"], 1);
    assert_eq!(s["can_go_back"], false);
    assert_eq!(s["step"]["node"], "check_debited");
    assert_eq!(s["step"]["answer_kind"], "bool");
    let id = s["id"].as_str().expect("id");
    assert!(
        troubletree_server::app::is_id(id),
        "128 random bits as hex: {id}"
    );

    let s = h.answer(&s, json!(false)).await;
    assert_eq!(s.status, StatusCode::OK, "{}", s.text);
    // The Decide needs network_ok and asks for it with the fact's own question.
    assert_eq!(s.body["step"]["node"], "check_network");
    assert_eq!(s.body["step"]["fact"], "network_ok");
    let s = h.answer(&s.body, json!(false)).await.body;
    assert_eq!(s["step"]["kind"], "act");
    assert_eq!(s["step"]["node"], "fix_network");
    let s = h.answer(&s, json!("solved")).await.body;
    assert_eq!(s["status"], "resolved");
    assert_eq!(s["step"]["kind"], "resolved");
    assert_eq!(s["step"]["node"], "resolved_network");
    assert_eq!(s["seq"], 4);
    assert!(s["ticket"].is_null());

    // Read back: the same view, from the store.
    let again = h.get(&format!("/v1/sessions/{id}")).await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.body, s);
    // Nothing to answer after the end.
    h.answer(&s, json!("solved"))
        .await
        .assert_problem(StatusCode::CONFLICT, "session-ended");
});

on_both_stores!(walk_to_an_escalation_with_a_ticket, |db| async move {
    let h = Harness::start(db).await;
    let s = h.start_session("recharge_failure", "en").await;
    let s = h.answer(&s, json!(true)).await.body;
    assert_eq!(s["step"]["answer_kind"], "number");
    let s = h.answer(&s, json!(60)).await.body;
    // The amount is captured for the agent before the hand-over.
    assert_eq!(s["step"]["fact"], "amount", "{s}");
    let s = h.answer(&s, json!(100)).await.body;
    assert_eq!(s["status"], "escalated", "{s}");
    assert_eq!(s["step"]["kind"], "escalated");
    assert!(!s["step"]["text"].as_str().expect("reason").is_empty());
    let ticket = &s["ticket"];
    assert!(troubletree_server::app::is_id(
        ticket["id"].as_str().expect("ticket id")
    ));
    assert!(
        ticket["channel"]["contact"]
            .as_str()
            .is_some_and(|c| !c.is_empty())
    );
    assert!(!ticket["prepare"].as_array().expect("prepare").is_empty());

    // The agent sees it with every fact marked as the user's.
    let t = h
        .get_as(
            &format!("/v1/tickets/{}", ticket["id"].as_str().expect("id")),
            AGENT,
        )
        .await;
    assert_eq!(t.status, StatusCode::OK, "{}", t.text);
    assert_eq!(t.body["status"], "open");
    let body = &t.body["ticket"];
    assert_eq!(body["kind"], "escalation");
    assert_eq!(body["session"], s["id"]);
    let facts = body["facts"].as_array().expect("facts");
    assert!(
        facts.iter().any(|f| f["name"] == "hours_since_debit"
            && f["value"] == 60.0
            && f["origin"] == "user")
    );
    assert!(facts.iter().all(|f| f["origin"] == "user"));
    let journey = body["journey"].as_array().expect("journey");
    assert_eq!(journey[0]["node"], "check_debited");
    assert!(
        journey[0]["text"]
            .as_str()
            .expect("text")
            .starts_with("First, one quick check")
    );
    assert_eq!(
        journey[0]["answer"],
        "Yes, I was charged but the balance didn't change"
    );
    assert_eq!(journey[0]["origin"], "user");
});

on_both_stores!(
    facts_from_the_back_end_are_marked_in_the_ticket,
    |db| async move {
        let h = Harness::start(db).await;
        let r = h
        .post_as(
            "/v1/sessions",
            BACKEND,
            json!({"tree": "recharge_failure", "locale": "zh", "facts": {"money_debited": true}}),
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        // The question the back end answered is skipped.
        assert_eq!(r.body["step"]["node"], "debited_hours");
        assert_eq!(r.body["can_go_back"], false);
        let s = h.answer(&r.body, json!(60)).await.body;
        let s = h.answer(&s, json!(100)).await.body;
        assert_eq!(s["status"], "escalated", "{s}");
        let t = h
            .get_as(
                &format!("/v1/tickets/{}", s["ticket"]["id"].as_str().expect("id")),
                AGENT,
            )
            .await;
        let facts = t.body["ticket"]["facts"].as_array().expect("facts").clone();
        let origin = |name: &str| {
            facts
                .iter()
                .find(|f| f["name"] == name)
                .map(|f| f["origin"].clone())
        };
        assert_eq!(origin("money_debited"), Some(json!("host")));
        assert_eq!(origin("hours_since_debit"), Some(json!("user")));
        assert_eq!(t.body["ticket"]["locale"], "zh");
        let journey = t.body["ticket"]["journey"].as_array().expect("journey");
        assert_eq!(journey[0]["origin"], "host");
    }
);

on_both_stores!(back_takes_back_the_last_answer, |db| async move {
    let h = Harness::start(db).await;
    let first = h.start_session("recharge_failure", "en").await;
    let id = first["id"].as_str().expect("id").to_owned();
    h.post(&format!("/v1/sessions/{id}/back"), json!({"seq": 1}))
        .await
        .assert_problem(StatusCode::CONFLICT, "nothing-to-undo");
    let s = h.answer(&first, json!(false)).await.body;
    let s = h.answer(&s, json!(false)).await.body;
    assert_eq!(s["step"]["node"], "fix_network");
    let b = h
        .post(&format!("/v1/sessions/{id}/back"), json!({"seq": s["seq"]}))
        .await;
    assert_eq!(b.status, StatusCode::OK, "{}", b.text);
    assert_eq!(b.body["step"]["node"], "check_network");
    assert_eq!(b.body["seq"], 4);
    let b = h
        .post(&format!("/v1/sessions/{id}/back"), json!({"seq": 4}))
        .await
        .body;
    assert_eq!(b["step"], first["step"]);
    assert_eq!(b["can_go_back"], false);
    // A different path from there.
    let s = h.answer(&b, json!(true)).await.body;
    assert_eq!(s["step"]["node"], "debited_hours");
});

on_both_stores!(a_journey_crosses_trees_and_back_returns, |db| async move {
    let h = Harness::start(db).await;
    let s = h.start_session("forgot_password", "en").await;
    assert_eq!(s["step"]["node"], "check_security");
    // Unknown logins: the flow goes on in account_stolen, in the same session.
    let s = h.answer(&s, json!(true)).await.body;
    assert_eq!(s["step"]["tree"], "account_stolen", "{s}");
    assert_eq!(s["status"], "open");
    assert_eq!(s["can_go_back"], true);
    let id = s["id"].as_str().expect("id");
    let b = h
        .post(&format!("/v1/sessions/{id}/back"), json!({"seq": s["seq"]}))
        .await;
    assert_eq!(b.status, StatusCode::OK, "{}", b.text);
    assert_eq!(b.body["step"]["tree"], "forgot_password");
    assert_eq!(b.body["step"]["node"], "check_security");
});

on_both_stores!(handoff_mid_walk_carries_the_journey, |db| async move {
    let h = Harness::start(db).await;
    let s = h.start_session("recharge_failure", "en").await;
    let s = h.answer(&s, json!(false)).await.body;
    let id = s["id"].as_str().expect("id").to_owned();
    let r = h
        .post(
            &format!("/v1/sessions/{id}/handoff"),
            json!({"seq": s["seq"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["status"], "handed_off");
    assert_eq!(r.body["step"]["kind"], "handed_off");
    assert_eq!(r.body["step"]["node"], "check_network");
    let ticket_id = r.body["ticket"]["id"].as_str().expect("ticket").to_owned();
    assert!(r.body["ticket"]["channel"]["kind"].is_string());

    let t = h
        .get_as(&format!("/v1/tickets/{ticket_id}"), AGENT)
        .await
        .body;
    assert_eq!(t["ticket"]["kind"], "handoff");
    assert_eq!(t["ticket"]["node"], "check_network");
    let journey = t["ticket"]["journey"].as_array().expect("journey");
    assert_eq!(journey.len(), 1, "{journey:?}");
    assert_eq!(journey[0]["node"], "check_debited");
    assert_eq!(
        journey[0]["answer"],
        "No, nothing was charged; the top-up just failed"
    );
    let facts = t["ticket"]["facts"].as_array().expect("facts");
    assert_eq!(
        facts,
        &vec![json!({"name": "money_debited", "value": false, "origin": "user"})]
    );

    // The session has ended: no more answers, no second hand-off.
    h.answer(&r.body, json!(true))
        .await
        .assert_problem(StatusCode::CONFLICT, "session-ended");
    h.post(
        &format!("/v1/sessions/{id}/handoff"),
        json!({"seq": r.body["seq"]}),
    )
    .await
    .assert_problem(StatusCode::CONFLICT, "session-ended");
    // Reading it again shows the ticket.
    let again = h.get(&format!("/v1/sessions/{id}")).await.body;
    assert_eq!(again["ticket"]["id"], ticket_id.as_str());
});

on_both_stores!(bad_answers_change_nothing, |db| async move {
    let h = Harness::start(db).await;
    let s = h.start_session("recharge_failure", "en").await;
    h.answer(&s, json!("maybe"))
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "not-offered");
    let s2 = h.answer(&s, json!(true)).await.body;
    h.answer(&s2, json!("lots"))
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "wrong-type");
    let now = h
        .get(&format!("/v1/sessions/{}", s["id"].as_str().expect("id")))
        .await
        .body;
    assert_eq!(now, s2);
    // The amount taken is at least 0.01: 0 is the user's mistake, not a broken session.
    let s3 = h.answer(&s2, json!(60)).await.body;
    assert_eq!(s3["step"]["fact"], "amount", "{s3}");
    let zero = h.answer(&s3, json!(0)).await;
    zero.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "out-of-range");
    assert!(
        zero.body["detail"]
            .as_str()
            .is_some_and(|d| d.contains("0.01")),
        "{}",
        zero.text
    );
    let now = h
        .get(&format!("/v1/sessions/{}", s["id"].as_str().expect("id")))
        .await
        .body;
    assert_eq!(now, s3);
    // The same from the back end's facts at the start.
    h.post_as(
        "/v1/sessions",
        BACKEND,
        json!({"tree": "recharge_failure", "locale": "en", "facts": {"amount": 0}}),
    )
    .await
    .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "out-of-range");
});

/// Walks `tree` taking the first offered answer (or 1 for numbers, "x" for text)
/// until it ends; returns the last view.
pub async fn walk_first_answers(h: &Harness, tree: &str) -> Value {
    let mut s = h.start_session(tree, "en").await;
    for _ in 0..100 {
        if s["status"] != "open" {
            return s;
        }
        let value = match s["step"]["answer_kind"].as_str() {
            Some("number") => json!(1),
            Some("text") => json!("x"),
            _ => s["step"]["answers"][0]["value"].clone(),
        };
        let r = h.answer(&s, value).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        s = r.body;
    }
    panic!("{tree} did not end in 100 answers");
}

on_both_stores!(every_shipped_tree_walks_to_an_end, |db| async move {
    let h = Harness::start(db).await;
    let trees = h.get("/v1/trees").await.body;
    let list = trees["trees"].as_array().expect("trees");
    assert_eq!(list.len(), 15);
    assert!(
        list.iter()
            .all(|t| t["fingerprint"].as_str().is_some_and(|f| f.len() == 16))
    );
    assert_eq!(list[0]["titles"]["zh"], "注销账户");
    for t in list {
        let end = walk_first_answers(&h, t["id"].as_str().expect("id")).await;
        assert!(
            matches!(end["status"].as_str(), Some("resolved" | "escalated")),
            "{end}"
        );
    }
});

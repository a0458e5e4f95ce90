//! Answers applied once: retries, and racing answers on one session.

use reqwest::StatusCode;
use serde_json::json;

use crate::common::*;
use crate::on_both_stores;

on_both_stores!(
    a_retried_answer_is_applied_once_with_the_same_result,
    |db| async move {
        let h = Harness::start(db).await;
        let s = h.start_session("recharge_failure", "en").await;
        let first = h.answer(&s, json!(false)).await;
        assert_eq!(first.status, StatusCode::OK);
        // The client did not see the response and sends the same request again.
        let retry = h.answer(&s, json!(false)).await;
        assert_eq!(retry.status, StatusCode::OK, "{}", retry.text);
        assert_eq!(retry.body, first.body);
        let now = h
            .get(&format!("/v1/sessions/{}", s["id"].as_str().expect("id")))
            .await
            .body;
        assert_eq!(now["seq"], 2, "applied once");
        // The next step goes on from there, and its retry too.
        let next = h.answer(&first.body, json!(false)).await;
        let again = h.answer(&first.body, json!(false)).await;
        assert_eq!(next.body, again.body);
        assert_eq!(again.body["seq"], 3);
        // Exactly one `answered` event per applied answer.
        let events = h.get_as("/v1/admin/events", ADMIN).await.body;
        let answered = events["events"]
            .as_array()
            .expect("events")
            .iter()
            .filter(|e| e["session"] == s["id"] && e["kind"] == "answered")
            .count();
        assert_eq!(answered, 2);
    }
);

on_both_stores!(
    an_old_step_with_a_different_answer_gets_409_and_the_current_step,
    |db| async move {
        let h = Harness::start(db).await;
        let s = h.start_session("recharge_failure", "en").await;
        let applied = h.answer(&s, json!(false)).await.body;
        let stale = h.answer(&s, json!(true)).await;
        stale.assert_problem(StatusCode::CONFLICT, "stale-step");
        assert_eq!(stale.body["current"], applied);
        // A step from the future is stale too.
        let future = h
            .post(
                &format!("/v1/sessions/{}/answer", s["id"].as_str().expect("id")),
                json!({"seq": 99, "value": false}),
            )
            .await;
        future.assert_problem(StatusCode::CONFLICT, "stale-step");
    }
);

on_both_stores!(two_racing_answers_exactly_one_applied, |db| async move {
    let h = Harness::start(db).await;
    for round in 0..8 {
        let s = h.start_session("recharge_failure", "en").await;
        let url = h.url(&format!(
            "/v1/sessions/{}/answer",
            s["id"].as_str().expect("id")
        ));
        let send = |value: bool| {
            let http = client();
            let url = url.clone();
            async move {
                Reply::of(
                    http.post(url)
                        .json(&json!({"seq": 1, "value": value}))
                        .send()
                        .await
                        .expect("POST"),
                )
                .await
            }
        };
        let (a, b) = tokio::join!(tokio::spawn(send(true)), tokio::spawn(send(false)));
        let (a, b) = (a.expect("task"), b.expect("task"));
        let (won, lost) = match (a.status, b.status) {
            (StatusCode::OK, StatusCode::CONFLICT) => (a, b),
            (StatusCode::CONFLICT, StatusCode::OK) => (b, a),
            other => panic!(
                "round {round}: expected one 200 and one 409, got {other:?}: {} / {}",
                a.text, b.text
            ),
        };
        lost.assert_problem(StatusCode::CONFLICT, "stale-step");
        assert_eq!(
            lost.body["current"], won.body,
            "the loser sees the winner's step"
        );
        let now = h
            .get(&format!("/v1/sessions/{}", s["id"].as_str().expect("id")))
            .await
            .body;
        assert_eq!(now, won.body);
        assert_eq!(now["seq"], 2);
    }
});

on_both_stores!(many_identical_racing_retries_apply_once, |db| async move {
    let h = Harness::start(db).await;
    let s = h.start_session("recharge_failure", "en").await;
    let url = h.url(&format!(
        "/v1/sessions/{}/answer",
        s["id"].as_str().expect("id")
    ));
    let mut tasks = Vec::new();
    for _ in 0..6 {
        let url = url.clone();
        tasks.push(tokio::spawn(async move {
            Reply::of(
                client()
                    .post(url)
                    .json(&json!({"seq": 1, "value": true}))
                    .send()
                    .await
                    .expect("POST"),
            )
            .await
        }));
    }
    let mut bodies = Vec::new();
    for t in tasks {
        let r = t.await.expect("task");
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        bodies.push(r.body);
    }
    assert!(bodies.windows(2).all(|w| w[0] == w[1]));
    assert_eq!(bodies[0]["seq"], 2);
});

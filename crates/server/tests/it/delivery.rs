//! Tickets reach the help desk: the outbox, retries, idempotency keys, signatures.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode as AxumStatus};
use reqwest::StatusCode;
use serde_json::{Value, json};
use troubletree_server::outbox;

use crate::common::*;
use crate::on_both_stores;

pub const SECRET: &str = "webhook-test-secret";

/// One delivery as the receiver saw it.
#[derive(Debug, Clone)]
pub struct Hit {
    pub key: String,
    pub attempt: String,
    pub signature_ok: bool,
    pub body: Value,
    pub accepted: bool,
}

/// A help desk on loopback that fails the first `fail` deliveries of each key, and can
/// be taken down (connections refused) and brought back.
#[derive(Clone)]
pub struct Receiver {
    pub addr: SocketAddr,
    fail: usize,
    pub down: Arc<AtomicBool>,
    pub hits: Arc<Mutex<Vec<Hit>>>,
    seen: Arc<Mutex<HashMap<String, usize>>>,
    pub accepted_total: Arc<AtomicUsize>,
    listening: Arc<Mutex<Option<tokio::task::JoinHandle<()>>>>,
}

impl Receiver {
    pub async fn start(fail: usize) -> Receiver {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let r = Receiver {
            addr,
            fail,
            down: Arc::new(AtomicBool::new(false)),
            hits: Arc::default(),
            seen: Arc::default(),
            accepted_total: Arc::default(),
            listening: Arc::default(),
        };
        r.listen(listener);
        r
    }

    fn listen(&self, listener: tokio::net::TcpListener) {
        let state = self.clone();
        let app = axum::Router::new().route(
            "/tickets",
            axum::routing::post(move |headers: HeaderMap, body: Bytes| {
                let state = state.clone();
                async move { state.receive(&headers, &body) }
            }),
        );
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        *self.listening.lock().expect("lock") = Some(task);
    }

    /// Really down: new connections are refused, open ones answered 503.
    pub fn go_down(&self) {
        self.down.store(true, Ordering::SeqCst);
        if let Some(task) = self.listening.lock().expect("lock").take() {
            task.abort();
        }
    }

    /// Back on the same port.
    pub async fn come_up(&self) {
        let listener = loop {
            match tokio::net::TcpListener::bind(self.addr).await {
                Ok(l) => break l,
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        };
        self.listen(listener);
        self.down.store(false, Ordering::SeqCst);
    }

    pub fn url(&self) -> String {
        format!("http://{}/tickets", self.addr)
    }

    fn receive(&self, headers: &HeaderMap, body: &[u8]) -> AxumStatus {
        if self.down.load(Ordering::SeqCst) {
            return AxumStatus::SERVICE_UNAVAILABLE;
        }
        let header = |n: &str| {
            headers
                .get(n)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        let key = header(outbox::IDEMPOTENCY_HEADER);
        let timestamp: i64 = header(outbox::TIMESTAMP_HEADER).parse().unwrap_or(-1);
        let expected = format!("v1={}", outbox::sign(SECRET.as_bytes(), timestamp, body));
        let signature_ok = header(outbox::SIGNATURE_HEADER) == expected
            && header("content-type") == "application/json";
        let mut seen = self.seen.lock().expect("lock");
        let n = seen.entry(key.clone()).or_default();
        *n += 1;
        let accepted = *n > self.fail && signature_ok;
        self.hits.lock().expect("lock").push(Hit {
            key,
            attempt: header(outbox::ATTEMPT_HEADER),
            signature_ok,
            body: serde_json::from_slice(body).unwrap_or(Value::Null),
            accepted,
        });
        if accepted {
            self.accepted_total.fetch_add(1, Ordering::SeqCst);
            AxumStatus::OK
        } else {
            AxumStatus::INTERNAL_SERVER_ERROR
        }
    }

    pub fn hits_for(&self, key: &str) -> Vec<Hit> {
        self.hits
            .lock()
            .expect("lock")
            .iter()
            .filter(|h| h.key == key)
            .cloned()
            .collect()
    }
}

on_both_stores!(
    a_receiver_failing_n_times_gets_the_ticket_on_try_n_plus_1,
    |db| async move {
        const N: usize = 3;
        let receiver = Receiver::start(N).await;
        let url = receiver.url();
        let h = Harness::start_with(db, |c| {
            c.webhook_url = Some(url);
            c.webhook_secret = Some(SECRET.into());
            c.webhook_backoff = Duration::from_millis(30);
            c.webhook_backoff_max = Duration::from_millis(200);
        })
        .await;
        let s = h.start_session("refund", "en").await;
        let r = h
            .post(
                &format!("/v1/sessions/{}/handoff", s["id"].as_str().expect("id")),
                json!({"seq": 1}),
            )
            .await;
        let key = r.body["ticket"]["id"].as_str().expect("ticket").to_owned();
        eventually(Duration::from_secs(20), "the ticket to be accepted", || {
            let receiver = receiver.clone();
            async move { receiver.accepted_total.load(Ordering::SeqCst) == 1 }
        })
        .await;
        // No further delivery once acknowledged.
        tokio::time::sleep(Duration::from_millis(400)).await;
        let hits = receiver.hits_for(&key);
        assert_eq!(hits.len(), N + 1, "{hits:?}");
        assert!(hits[..N].iter().all(|h| !h.accepted));
        assert!(hits[N].accepted);
        let attempts: Vec<&str> = hits.iter().map(|h| h.attempt.as_str()).collect();
        assert_eq!(attempts, ["1", "2", "3", "4"]);
        assert!(
            hits.iter().all(|h| h.signature_ok),
            "every delivery is signed"
        );
        assert!(
            hits.windows(2).all(|w| w[0].body == w[1].body),
            "every retry carries the same ticket"
        );
        assert_eq!(hits[N].body["id"], key.as_str());
        assert_eq!(hits[N].body["kind"], "handoff");
        assert_eq!(hits[N].body["session"], s["id"]);
        let metrics = h.get("/metrics").await.text;
        assert!(
            metrics.contains("troubletree_outbox_backlog 0"),
            "{metrics}"
        );
        assert!(
            metrics.contains("troubletree_webhook_deliveries_total{result=\"failed\"} 3"),
            "{metrics}"
        );
        assert!(
            metrics.contains("troubletree_webhook_deliveries_total{result=\"ok\"} 1"),
            "{metrics}"
        );
    }
);

on_both_stores!(
    tickets_wait_in_the_outbox_while_the_receiver_is_down,
    |db| async move {
        let receiver = Receiver::start(0).await;
        receiver.down.store(true, Ordering::SeqCst);
        let url = receiver.url();
        let h = Harness::start_with(db, |c| {
            c.webhook_url = Some(url);
            c.webhook_secret = Some(SECRET.into());
            c.webhook_backoff = Duration::from_millis(20);
            c.webhook_backoff_max = Duration::from_millis(100);
        })
        .await;
        let mut keys = Vec::new();
        for _ in 0..5 {
            let s = h.start_session("refund", "en").await;
            let r = h
                .post(
                    &format!("/v1/sessions/{}/handoff", s["id"].as_str().expect("id")),
                    json!({"seq": 1}),
                )
                .await;
            keys.push(r.body["ticket"]["id"].as_str().expect("ticket").to_owned());
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(receiver.accepted_total.load(Ordering::SeqCst), 0);
        assert!(
            h.get("/metrics")
                .await
                .text
                .contains("troubletree_outbox_backlog 5")
        );
        receiver.down.store(false, Ordering::SeqCst);
        eventually(Duration::from_secs(20), "every ticket delivered", || {
            let receiver = receiver.clone();
            async move { receiver.accepted_total.load(Ordering::SeqCst) == 5 }
        })
        .await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        for key in &keys {
            let accepted = receiver.hits_for(key).iter().filter(|h| h.accepted).count();
            assert_eq!(accepted, 1, "ticket {key} accepted once");
        }
        assert_eq!(receiver.accepted_total.load(Ordering::SeqCst), 5);
    }
);

on_both_stores!(
    an_escalation_writes_its_ticket_with_its_step,
    |db| async move {
        // No webhook configured: the ticket is in the queue and waits in the outbox.
        let h = Harness::start(db).await;
        let s = h.start_session("recharge_failure", "en").await;
        let s = h.answer(&s, json!(true)).await.body;
        let s = h.answer(&s, json!(60)).await.body;
        let s = h.answer(&s, json!(100)).await.body;
        let id = s["ticket"]["id"].as_str().expect("ticket");
        let t = h.get_as(&format!("/v1/tickets/{id}"), AGENT).await;
        assert_eq!(t.status, StatusCode::OK);
        assert!(
            h.get("/metrics")
                .await
                .text
                .contains("troubletree_outbox_backlog 1")
        );
    }
);

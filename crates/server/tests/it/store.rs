//! What one turn writes, looked at under the API: the session row, its step, its events
//! and its ticket with the delivery go in together or not at all, whichever store, and
//! a write that failed or was cancelled leaves the store's writer usable.
//!
//! A turn is one database command (one statement on PostgreSQL, one batch on SQLite):
//! these tests drive [`Store::commit`] directly, with a stale `seq`, a ticket id that
//! is already taken (the command fails after its first statements wrote), and a caller
//! that goes away in the middle.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use troubletree_server::store::{Commit, NewEvent, NewTicket, SessionRow, Store, now_ms};

use crate::common::*;
use crate::on_both_stores;

/// A session started over HTTP, as stored.
async fn started(h: &Harness) -> SessionRow {
    let s = h.start_session("recharge_failure", "en").await;
    h.store()
        .session(s["id"].as_str().expect("id"))
        .await
        .expect("the store answers")
        .expect("the session is stored")
}

/// A turn on `row` at `seq` with `events` events marked `mark` and, if `ticket` is
/// given, a ticket with that id. The state is the session's own, so that the API can
/// still read the session afterwards.
fn turn(row: &SessionRow, seq: i64, mark: &str, events: usize, ticket: Option<&str>) -> Commit {
    Commit {
        session: row.id.clone(),
        seq,
        catalogue: row.catalogue,
        state: row.state.clone(),
        status: if ticket.is_some() {
            "escalated"
        } else {
            "open"
        }
        .into(),
        action: format!(r#"{{"action":"{mark}"}}"#),
        response: format!(r#"{{"mark":"{mark}"}}"#),
        now: now_ms(),
        events: (0..events)
            .map(|i| NewEvent {
                seq,
                kind: "shown".into(),
                payload: json!({"session": row.id, "mark": mark, "n": i}).to_string(),
            })
            .collect(),
        ticket: ticket.map(|id| NewTicket {
            id: id.into(),
            priority: 1,
            body: json!({"mark": mark}).to_string(),
        }),
    }
}

/// The `n` of each stored event marked `mark`, in the store's order (event ids).
async fn marked(store: &Store, mark: &str) -> Vec<i64> {
    let events = store.events(0, 100_000).await.expect("events");
    assert!(events.windows(2).all(|w| w[0].0 < w[1].0), "ordered by id");
    events
        .iter()
        .filter_map(|(_, p)| serde_json::from_str::<Value>(p).ok())
        .filter(|p| p["mark"] == mark)
        .map(|p| p["n"].as_i64().expect("n"))
        .collect()
}

on_both_stores!(
    a_stale_turn_writes_nothing_and_a_current_one_everything,
    |db| async move {
        let h = Harness::start(db).await;
        let store = h.store();
        let row = started(&h).await;
        assert_eq!(row.seq, 1);
        let first_step = store.step(&row.id, 0).await.expect("step");
        let backlog = store.backlog().await.expect("backlog");

        // Written for seq 0, but the session is at 1: nothing of it may land.
        let stale = turn(&row, 0, "stale", 3, Some("ticket-stale"));
        assert!(!store.commit(&stale).await.expect("the store answers"));
        let now = store.session(&row.id).await.expect("read").expect("row");
        assert_eq!((now.seq, now.status.as_str()), (1, "open"));
        assert_eq!(store.step(&row.id, 0).await.expect("step"), first_step);
        assert_eq!(store.step(&row.id, 1).await.expect("step"), None);
        assert!(
            store
                .ticket_of_session(&row.id)
                .await
                .expect("ticket")
                .is_none()
        );
        assert_eq!(marked(store, "stale").await, Vec::<i64>::new());
        assert_eq!(store.backlog().await.expect("backlog"), backlog);

        // At seq 1: the row moves on, and the step, the events in their order, the ticket
        // and its delivery are all there.
        let current = turn(&row, 1, "current", 5, Some("ticket-current"));
        assert!(store.commit(&current).await.expect("the store answers"));
        let now = store.session(&row.id).await.expect("read").expect("row");
        assert_eq!((now.seq, now.status.as_str()), (2, "escalated"));
        assert_eq!(
            store.step(&row.id, 1).await.expect("step"),
            Some((current.action.clone(), current.response.clone()))
        );
        let ticket = store.ticket_of_session(&row.id).await.expect("ticket");
        assert_eq!(ticket.map(|t| t.id).as_deref(), Some("ticket-current"));
        assert_eq!(marked(store, "current").await, vec![0, 1, 2, 3, 4]);
        assert_eq!(store.backlog().await.expect("backlog"), backlog + 1);

        // The same turn again is stale now, and changes nothing.
        assert!(!store.commit(&current).await.expect("the store answers"));
        assert_eq!(marked(store, "current").await, vec![0, 1, 2, 3, 4]);
        assert_eq!(store.backlog().await.expect("backlog"), backlog + 1);
    }
);

on_both_stores!(
    a_turn_that_fails_half_way_writes_nothing_and_the_next_goes_through,
    |db| async move {
        let h = Harness::start(db).await;
        let store = h.store();
        let (a, b) = (started(&h).await, started(&h).await);
        assert!(
            store
                .commit(&turn(&b, 1, "b", 1, Some("ticket-taken")))
                .await
                .expect("the store answers")
        );
        // The session row and the step are written before the ticket, whose id is
        // taken: the command fails there, and what it wrote before must go too.
        let clash = turn(&a, 1, "clash", 2, Some("ticket-taken"));
        assert!(store.commit(&clash).await.is_err());
        let now = store.session(&a.id).await.expect("read").expect("row");
        assert_eq!((now.seq, now.status.as_str()), (1, "open"));
        assert_eq!(store.step(&a.id, 1).await.expect("step"), None);
        assert!(
            store
                .ticket_of_session(&a.id)
                .await
                .expect("ticket")
                .is_none()
        );
        assert_eq!(marked(store, "clash").await, Vec::<i64>::new());
        // The writer is not left inside the failed transaction: the next turn, and
        // a turn over HTTP, go through.
        assert!(
            store
                .commit(&turn(&a, 1, "retry", 2, Some("ticket-free")))
                .await
                .expect("the store answers")
        );
        assert_eq!(marked(store, "retry").await, vec![0, 1]);
        let c = h.start_session("recharge_failure", "en").await;
        let r = h.answer(&c, json!(false)).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    }
);

/// Whether the turn marked `mark` on session `id` is all there (`true`) or not at all
/// (`false`); `None` when it landed while being looked at. Each read sees what was
/// committed when it ran, so the session is read before and after the rest.
async fn whole_or_absent(store: &Store, id: &str, mark: &str) -> Option<bool> {
    let seq = || async { store.session(id).await.expect("read").expect("row").seq };
    let before = seq().await;
    let step = store.step(id, 1).await.expect("step");
    let ticket = store.ticket_of_session(id).await.expect("ticket");
    let events = marked(store, mark).await;
    let after = seq().await;
    if before == 2 {
        assert!(
            step.is_some() && ticket.is_some(),
            "{mark}: the step and ticket"
        );
        assert_eq!(events, vec![0, 1, 2], "{mark}: the events");
        return Some(true);
    }
    assert_eq!(before, 1, "{mark}");
    if after == 1 {
        assert!(
            step.is_none() && ticket.is_none() && events.is_empty(),
            "{mark}"
        );
        return Some(false);
    }
    None
}

/// Polls `work` at most `polls` times, yielding in between, then drops it.
async fn give_up_after<F: std::future::Future>(polls: usize, work: F) {
    let mut work = std::pin::pin!(work);
    let mut n = 0;
    std::future::poll_fn(|cx| {
        if n == polls {
            return std::task::Poll::Ready(());
        }
        n += 1;
        match work.as_mut().poll(cx) {
            std::task::Poll::Ready(_) => std::task::Poll::Ready(()),
            std::task::Poll::Pending => {
                cx.waker().wake_by_ref();
                std::task::Poll::Pending
            }
        }
    })
    .await;
}

on_both_stores!(
    a_turn_whose_caller_goes_away_is_whole_or_absent,
    |db| async move {
        let h = Harness::start(db).await;
        let store = h.store();
        // The caller (a request its client or its timeout cancelled) gives up after
        // polling the write a number of times (tokio's timers are too coarse to cut
        // it anywhere but at its start): before the connection is taken, during the
        // command, or after.
        for (i, polls) in (0..=120usize).step_by(2).chain([400, 2_000]).enumerate() {
            let row = started(&h).await;
            let mark = format!("cancelled-{i}");
            let ticket = format!("ticket-{i}");
            let c = turn(&row, 1, &mark, 3, Some(&ticket));
            give_up_after(polls, store.commit(&c)).await;
            // Whatever was cut short finishes or is undone without the caller: the
            // session is either moved on with everything, or untouched.
            let whole = loop {
                match whole_or_absent(store, &row.id, &mark).await {
                    Some(whole) => break whole,
                    None => tokio::time::sleep(Duration::from_millis(2)).await,
                }
            };
            // The store goes on: this session's turn (unless the cut one landed,
            // now or since), and a turn over HTTP.
            if !whole {
                let again = turn(&row, 1, &format!("again-{i}"), 1, None);
                if !store.commit(&again).await.expect("the store answers") {
                    assert_eq!(whole_or_absent(store, &row.id, &mark).await, Some(true));
                }
            }
            let s = h.start_session("recharge_failure", "en").await;
            let r = h.answer(&s, json!(false)).await;
            assert_eq!(r.status, StatusCode::OK, "{mark}: {}", r.text);
        }
    }
);

on_both_stores!(
    racing_hand_offs_make_one_ticket_and_one_set_of_events,
    |db| async move {
        let h = Harness::start(db).await;
        let store = h.store();
        // What one hand-off writes, on a session nobody races for.
        let count = |id: String| async move {
            store
                .events(0, 100_000)
                .await
                .expect("events")
                .iter()
                .filter_map(|(_, p)| serde_json::from_str::<Value>(p).ok())
                .filter(|p| p["session"] == id.as_str())
                .count()
        };
        let calm = h.start_session("refund", "en").await;
        let calm_id = calm["id"].as_str().expect("id").to_owned();
        let before = count(calm_id.clone()).await;
        let r = h
            .post(
                &format!("/v1/sessions/{calm_id}/handoff"),
                json!({"seq": 1}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let one = count(calm_id).await - before;
        assert!(one > 0, "a hand-off writes events");

        for round in 0..4 {
            let s = h.start_session("refund", "en").await;
            let id = s["id"].as_str().expect("id").to_owned();
            let before = count(id.clone()).await;
            let url = h.url(&format!("/v1/sessions/{id}/handoff"));
            let tasks: Vec<_> = (0..6)
                .map(|_| {
                    let url = url.clone();
                    tokio::spawn(async move {
                        Reply::of(
                            client()
                                .post(url)
                                .json(&json!({"seq": 1}))
                                .send()
                                .await
                                .expect("POST"),
                        )
                        .await
                    })
                })
                .collect();
            let mut bodies = Vec::new();
            for t in tasks {
                let r = t.await.expect("task");
                assert_eq!(r.status, StatusCode::OK, "round {round}: {}", r.text);
                bodies.push(r.body);
            }
            assert!(
                bodies.windows(2).all(|w| w[0] == w[1]),
                "round {round}: one answer"
            );
            let ticket = store
                .ticket_of_session(&id)
                .await
                .expect("ticket")
                .expect("a ticket");
            assert_eq!(bodies[0]["ticket"]["id"], ticket.id.as_str());
            assert_eq!(
                count(id.clone()).await - before,
                one,
                "round {round}: events once"
            );
            let row = store.session(&id).await.expect("read").expect("row");
            assert_eq!((row.seq, row.status.as_str()), (2, "handed_off"));
        }
    }
);

on_both_stores!(
    a_turn_queues_for_a_busy_pool_instead_of_failing,
    |db| async move {
        // One connection, given up on after 100 ms when the database cannot be reached.
        let h = Harness::start_with(db, |c| {
            c.max_connections = 1;
            c.database_timeout = Duration::from_millis(100);
        })
        .await;
        let s = h.start_session("recharge_failure", "en").await;
        // Every connection a turn could write on is busy (SQLite has one writer anyway)
        // for three times the timeout: the turn waits for it, and then goes through.
        let held = h.store().hold().await.expect("a connection");
        let answer = {
            let url = h.url(&format!(
                "/v1/sessions/{}/answer",
                s["id"].as_str().expect("id")
            ));
            tokio::spawn(async move {
                Reply::of(
                    client()
                        .post(url)
                        .json(&json!({"seq": 1, "value": false}))
                        .send()
                        .await
                        .expect("POST"),
                )
                .await
            })
        };
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(
            !answer.is_finished(),
            "the turn waits for the busy connection"
        );
        drop(held);
        let r = answer.await.expect("task");
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.body["seq"], 2);
    }
);

/// Runs one statement on the database at `url`, outside the store; for `SELECT
/// count(*)`, the count.
async fn sql(url: &str, statement: &str) -> i64 {
    use sqlx::Connection as _;
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(url)
        .await
        .expect("the database opens");
    let count = if statement.starts_with("SELECT") {
        let row = sqlx::query(statement)
            .fetch_one(&mut conn)
            .await
            .expect("the query runs");
        sqlx::Row::try_get::<i64, _>(&row, 0).expect("a count")
    } else {
        sqlx::raw_sql(statement)
            .execute(&mut conn)
            .await
            .expect("the statement runs");
        0
    };
    let _ = conn.close().await;
    count
}

/// Whether the index `events_session` exists, on either store.
async fn events_session_index(url: &str) -> bool {
    let query = if url.starts_with("sqlite") {
        "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = 'events_session'"
    } else {
        "SELECT count(*) FROM pg_indexes WHERE indexname = 'events_session'"
    };
    sql(url, query).await == 1
}

on_both_stores!(
    a_database_of_an_earlier_version_loses_the_index_nothing_reads,
    |db: Db| async move {
        // The whole handle, not only its URL: it keeps a SQLite file's folder.
        let db = db;
        let timeout = Duration::from_secs(5);
        let store = Store::connect(&db.url, 2, timeout).await.expect("opens");
        assert!(!events_session_index(&db.url).await, "a new database");
        store.close().await;
        // The schema as a server before migration 3 left it.
        sql(
            &db.url,
            "CREATE INDEX events_session ON events (session, id)",
        )
        .await;
        sql(&db.url, "DELETE FROM schema_migrations WHERE version = 3").await;
        assert!(events_session_index(&db.url).await);
        let store = Store::connect(&db.url, 2, timeout).await.expect("opens");
        assert!(!events_session_index(&db.url).await, "dropped on upgrade");
        let applied = sql(
            &db.url,
            "SELECT count(*) FROM schema_migrations WHERE version = 3",
        );
        assert_eq!(applied.await, 1);
        store.close().await;
    }
);

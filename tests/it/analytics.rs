//! Resolution kinds, events from the library, statistics over events, and replays of
//! saved journeys on changed trees (issue 16).

use troubletree::{Catalogue, ResolutionKind, Session, Step};

fn shipped() -> Catalogue {
    Catalogue::from_dir("trees").expect("the shipped trees load")
}

/// The kind docs/CONTENT.md gives each resolution of the shipped trees.
fn expected_kind(tree: &str, node: &str) -> ResolutionKind {
    const INFORMED: [&str; 11] = [
        "resolved_maintenance",
        "resolved_send_limit",
        "resolved_not_supported",
        "resolved_bank_unsupported",
        "resolved_window_passed",
        "resolved_judicial",
        "resolved_stopped",
        "resolved_keep_account",
        "resolved_refund_agreed",
        "resolved_merchant_agreed",
        "resolved_fees",
    ];
    let waiting = node.starts_with("resolved_wait_")
        || (tree, node) == ("recharge_failure", "wait_reconciliation")
        || (tree, node) == ("refund", "resolved_submitted")
        || (tree, node) == ("transaction_dispute", "resolved_appeal_submitted")
        || (tree, node) == ("transaction_dispute", "resolved_supplemented")
        || (tree, node) == ("account_cancellation", "resolved_cancelled");
    if waiting {
        ResolutionKind::Waiting
    } else if INFORMED.contains(&node) {
        ResolutionKind::Informed
    } else {
        ResolutionKind::Fixed
    }
}

#[test]
fn every_shipped_resolution_has_the_kind_content_md_gives_it() {
    let catalogue = shipped();
    let mut counts = [0usize; 3];
    for tree in catalogue.trees() {
        for node in tree.node_ids() {
            let session = Session::builder(&catalogue)
                .tree(tree.id())
                .at(node)
                .start()
                .expect("starts at any node");
            let Step::Resolved(r) = session.current() else {
                continue;
            };
            if r.node != node {
                continue; // a node that leads on to a resolution
            }
            assert_eq!(
                r.kind,
                expected_kind(tree.id(), node),
                "{}/{node}",
                tree.id()
            );
            counts[r.kind as usize] += 1;
        }
    }
    // Fixed, informed, waiting: the split docs/CONTENT.md describes.
    assert_eq!(counts, [30, 11, 22], "{counts:?}");
}

#[test]
fn a_resolve_without_kind_is_fixed_and_kinds_are_read_by_both_parsers() {
    let text = r#"Tree(id: "t", locales: ["en"], start: "a", nodes: [
        Ask(id: "a", text: "?", answers: [
            Answer(value: "w", text: "w", next: "w"),
            Answer(value: "i", text: "i", next: "i"),
            Answer(value: "f", text: "f", next: "f"),
        ]),
        Resolve(id: "w", text: "Wait.", kind: Waiting),
        Resolve(id: "i", text: "Known.", kind: Informed),
        Resolve(id: "f", text: "Fixed."),
    ])"#;
    let tree: troubletree::Tree = text.parse().expect("compiles");
    for (answer, kind) in [
        ("w", ResolutionKind::Waiting),
        ("i", ResolutionKind::Informed),
        ("f", ResolutionKind::Fixed),
    ] {
        let mut s = Session::new(&tree).expect("starts");
        s.answer(answer).expect("offered");
        let Step::Resolved(r) = s.current() else {
            panic!("not resolved")
        };
        assert_eq!((r.kind, r.kind.as_str()), (kind, answer_name(kind)));
    }
    let wrong =
        troubletree::Loader::new().tree("t.ron", &text.replace("kind: Informed", "kind: Done"));
    assert!(wrong.has_errors());
}

fn answer_name(kind: ResolutionKind) -> &'static str {
    match kind {
        ResolutionKind::Waiting => "waiting",
        ResolutionKind::Informed => "informed",
        _ => "fixed",
    }
}

// ------------------------------------------------------------------------ events

use troubletree::event::{Actor, EventKind, Timestamp};
use troubletree::{Event, Recorder};

/// A clock that says 2026-05-06T02:00:00Z plus one second per call.
fn ticking() -> impl Fn() -> Timestamp {
    let next = std::cell::Cell::new(1_778_032_800_000i64);
    move || {
        let t = next.get();
        next.set(t + 1_000);
        Timestamp::from_unix_ms(t)
    }
}

#[test]
fn a_recorded_walk_gives_the_events_the_service_writes() {
    let catalogue = shipped();
    let mut session = Session::builder(&catalogue)
        .tree("recharge_failure")
        .locale("en")
        .start()
        .expect("starts");
    let mut rec = Recorder::new("s-1", ticking());
    let mut events = rec.start(&session);
    events.extend(rec.answer(&mut session, false).expect("not debited"));
    events.extend(rec.answer(&mut session, false).expect("network not ok"));
    events.extend(rec.back(&mut session).expect("back"));
    events.extend(rec.answer(&mut session, false).expect("again"));
    events.extend(rec.answer(&mut session, "solved").expect("fixed"));
    let seen: Vec<(&str, u64, &str)> = events
        .iter()
        .map(|e| (e.kind.as_str(), e.seq, &*e.node))
        .collect();
    assert_eq!(
        seen,
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
    // The answer to a Decide's question, then its first rule, led to fix_network.
    let via: Vec<(&str, Option<u32>)> = events[5].via.iter().map(|p| (&*p.node, p.edge)).collect();
    assert_eq!(via, [("check_network", Some(0))]);
    assert_eq!(events[2].value, Some(false.into()));
    assert_eq!(events[2].origin, Some(Actor::User));
    assert_eq!(events[11].resolution, Some(ResolutionKind::Fixed));
    assert_eq!(events[0].at.to_string(), "2026-05-06T02:00:00Z");
    assert!(
        events
            .iter()
            .all(|e| e.fingerprint.len() == 16 && e.version.is_some())
    );
    // Every event reads back the same, through serde_json and through the fast reader.
    for e in &events {
        let line = serde_json::to_string(e).expect("serialises");
        assert_eq!(&Event::parse(&line).expect("reads back"), e, "{line}");
        assert_eq!(
            &serde_json::from_str::<Event>(&line).expect("serde reads"),
            e
        );
    }
}

/// Follows a `via` list on the trees: each edge leads to the next node passed, the last
/// to the event's node; a `Goto` leaves for the node the next entry names.
fn check_via(catalogue: &Catalogue, event: &Event<'_>) {
    let mut entries: Vec<(String, String, Option<u32>)> = event
        .via
        .iter()
        .map(|p| {
            let tree = p.tree.as_deref().unwrap_or(&event.tree).to_owned();
            if let Some(f) = &p.fingerprint {
                let t = catalogue.get(&tree).expect("a known tree");
                assert_eq!(*f, format!("{:016x}", t.fingerprint()));
            }
            (tree, p.node.to_string(), p.edge)
        })
        .collect();
    entries.push((event.tree.to_string(), event.node.to_string(), None));
    for pair in entries.windows(2) {
        let ((tree, node, edge), (next_tree, next, _)) = (&pair[0], &pair[1]);
        let Some(edge) = edge else {
            assert_ne!(tree, next_tree, "a Goto leaves its tree: {event:?}");
            continue;
        };
        let t = catalogue.get(tree).expect("a known tree");
        let edges = t.edges();
        let out: Vec<_> = edges.iter().filter(|e| e.from == node.as_str()).collect();
        let taken = out.get(*edge as usize).expect("the edge exists");
        assert_eq!((tree, taken.to), (next_tree, next.as_str()), "{event:?}");
    }
}

#[test]
fn random_recorded_walks_have_consistent_events_and_paths() {
    let catalogue = shipped();
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n as u64) as usize
    };
    let trees: Vec<String> = catalogue.trees().map(|t| t.id().to_owned()).collect();
    let (mut jumps, mut elsewhere, mut host) = (0, 0, 0);
    for round in 0..600 {
        let tree = &trees[round % trees.len()];
        let mut builder = Session::builder(&catalogue).tree(tree.as_str());
        if round % 2 == 0 {
            let t = catalogue.get(tree).expect("a tree");
            for fact in t.facts() {
                if fact.kind() == troubletree::FactType::Bool && next(2) == 0 {
                    builder = builder.fact(fact.name(), next(2) == 0);
                }
            }
        }
        let mut session = builder.start().expect("starts");
        let mut rec = Recorder::new(format!("s{round}"), ticking());
        let mut events = rec.start(&session);
        for _ in 0..40 {
            let step = session.current();
            let (Step::Ask(q) | Step::Act(q)) = step else {
                break;
            };
            let count = q.answers().len();
            let kind = q.kind;
            let r = match (next(10), count) {
                (0, _)
                    if session
                        .transcript()
                        .any(|r| r.origin == troubletree::Origin::Given) =>
                {
                    rec.back(&mut session)
                }
                (1, _) => {
                    events.extend(rec.handoff(&session).expect("open"));
                    break;
                }
                (_, 0) => match kind {
                    troubletree::AnswerKind::Number => {
                        rec.answer(&mut session, (next(100) as f64) * 1.5)
                    }
                    _ => rec.answer(&mut session, "text"),
                },
                (_, n) => rec.choose(&mut session, next(n)),
            };
            events.extend(r.expect("a valid move"));
        }
        // seq: started 0; then each action's own events at n and where it led at n + 1.
        let mut expected_seq = 0;
        for e in &events {
            match e.kind {
                EventKind::Started | EventKind::Answered if e.origin != Some(Actor::User) => {}
                EventKind::Shown | EventKind::Resolved | EventKind::Escalated => {
                    expected_seq += 1;
                    assert_eq!(e.seq, expected_seq, "{e:?}");
                }
                _ => assert_eq!(e.seq, expected_seq, "{e:?}"),
            }
            if matches!(
                e.kind,
                EventKind::Shown | EventKind::Resolved | EventKind::Escalated
            ) {
                check_via(&catalogue, e);
            }
            jumps += e.via.iter().filter(|p| p.edge.is_none()).count();
            elsewhere += e.via.iter().filter(|p| p.tree.is_some()).count();
            host += usize::from(e.origin == Some(Actor::Host));
            let line = serde_json::to_string(e).expect("serialises");
            assert_eq!(&Event::parse(&line).expect("reads back"), e, "{line}");
        }
        let last = events.last().expect("events");
        assert!(matches!(
            last.kind,
            EventKind::Shown | EventKind::Resolved | EventKind::Escalated
        ));
    }
    // The walks crossed trees and met host facts, so those paths were checked too.
    assert!(
        jumps > 10 && elsewhere > 10 && host > 10,
        "{jumps} {elsewhere} {host}"
    );
}

/// Whether serde reads `text` as an event written the way events are written: a JSON
/// object whose `via`, if any, is an array of objects. (serde also reads a struct
/// written as a positional array, which no event line is; [`Event::parse`] refuses it.)
fn object_shaped(text: &str) -> bool {
    let Ok(serde_json::Value::Object(map)) = serde_json::from_str::<serde_json::Value>(text) else {
        return false;
    };
    match map.get("via") {
        None => true,
        Some(serde_json::Value::Array(items)) => items.iter().all(serde_json::Value::is_object),
        Some(_) => true,
    }
}

/// The fast reader and serde_json agree: the same event, or both refuse.
fn agrees(text: &str) -> bool {
    let fast = Event::parse(text);
    let reference = serde_json::from_str::<Event>(text);
    match (&fast, &reference) {
        (Ok(a), Ok(b)) => {
            assert_eq!(a, b, "{text}");
            // Numbers bit for bit (-0.0 included).
            if let (Some(troubletree::Value::Number(x)), Some(troubletree::Value::Number(y))) =
                (&a.value, &b.value)
            {
                assert_eq!(x.to_bits(), y.to_bits(), "{text}");
            }
            true
        }
        (Err(_), Err(_)) => false,
        (Ok(a), Err(e)) => panic!("only the fast reader reads {text:?}: {a:?} (serde: {e})"),
        (Err(e), Ok(b)) => {
            assert!(
                !object_shaped(text),
                "only serde reads {text:?}: {b:?} (fast reader: {e})"
            );
            false
        }
    }
}

#[test]
fn the_fast_event_reader_reads_what_serde_json_reads() {
    let base = [
        r#"{"session":"s-1","seq":1,"at":"2026-05-06T02:00:07Z","tree":"recharge_failure","version":2,"fingerprint":"f4ee612ef4bfab25","kind":"answered","node":"check_debited","value":false,"origin":"user"}"#,
        r#"{"session":"s-1","seq":2,"at":"2026-05-06T02:00:07.250+08:00","tree":"t","fingerprint":"f","kind":"shown","node":"n","value":null,"origin":null,"via":[{"node":"a","edge":0},{"tree":"u","fingerprint":"0011","node":"g"},{"node":"b","edge":null,"x":[1,{"y":"z"}]}]}"#,
        r#" { "kind" : "resolved" , "resolution" : "waiting", "node":"r\u00e9\"s\\olu\/ed\ud83d\ude00", "session":"s\t2", "seq":0,"at":"2026-05-06T02:00:07Z","tree":"t","fingerprint":"f","extra":{"a":[true,false,null,-1.5e-3]}} "#,
        r#"{"session":"s","seq":18446744073709551615,"at":"2026-05-06T02:00:07Z","tree":"t","fingerprint":"f","kind":{"answered":null},"node":"n","value":-0,"origin":{"host":null}}"#,
        r#"{"session":"s","seq":3,"at":"2026-05-06T02:00:07Z","tree":"t","fingerprint":"f","kind":"answered","node":"n","value":12345678901234567890123,"origin":"user","version":null}"#,
        r#"{"session":"s","seq":3,"at":"2026-05-06T02:00:07Z","tree":"t","fingerprint":"f","kind":"answered","node":"n","value":0.1e1,"origin":"user"}"#,
    ];
    let mut read = 0;
    for text in base {
        assert!(agrees(text), "not read: {text}");
        read += 1;
    }
    let refused = [
        r#"{"session":"s","seq":1.0,"at":"2026-05-06T02:00:07Z","tree":"t","fingerprint":"f","kind":"shown","node":"n"}"#,
        r#"{"session":"s","seq":-1,"at":"2026-05-06T02:00:07Z","tree":"t","fingerprint":"f","kind":"shown","node":"n"}"#,
        r#"{"session":"s","seq":1,"seq":2,"at":"2026-05-06T02:00:07Z","tree":"t","fingerprint":"f","kind":"shown","node":"n"}"#,
        r#"{"session":"s","seq":1,"at":"2026-05-06T02:00:07","tree":"t","fingerprint":"f","kind":"shown","node":"n"}"#,
        r#"{"session":"s","seq":1,"at":"2026-05-06T02:00:07Z","tree":"t","fingerprint":"f","kind":"Shown","node":"n"}"#,
        r#"{"session":"s","seq":1,"at":"2026-05-06T02:00:07Z","tree":"t","fingerprint":"f","kind":"shown","node":"n","value":1e999}"#,
        r#"{"session":"s","seq":1,"at":"2026-05-06T02:00:07Z","tree":"t","fingerprint":"f","kind":"shown","node":"\ud800"}"#,
        r#"{"session":"s","seq":1,"at":"2026-05-06T02:00:07Z","tree":"t","fingerprint":"f","kind":"shown","node":"n","via":null}"#,
        r#"{"session":"s","seq":1,"at":"2026-05-06T02:00:07Z","tree":"t","fingerprint":"f","kind":"shown","node":"n"} x"#,
        r#"["s",1,"2026-05-06T02:00:07Z","t",null,"f","shown","n",null,null,null,[]]"#,
        "{\"session\":\"s\u{1}\",\"seq\":1,\"at\":\"2026-05-06T02:00:07Z\",\"tree\":\"t\",\"fingerprint\":\"f\",\"kind\":\"shown\",\"node\":\"n\"}",
    ];
    for text in refused {
        assert!(!agrees(text), "read: {text}");
        assert!(Event::parse(text).is_err());
    }
    // Damaged lines: cut, repeated or spliced pieces.
    const PIECES: &[&str] = &[
        ",",
        ":",
        "{",
        "}",
        "[",
        "]",
        "\"",
        "\\",
        "\\u00",
        "\\ud83d",
        "null",
        "true",
        "0",
        "-",
        "1e5",
        ".5",
        " ",
        "\n",
        "é",
        "\"via\":[",
        "{\"node\":\"x\"}",
        "\"edge\":1",
        "\"kind\":",
        "\"value\":",
        "{\"x\":null}",
        "\"seq\":",
        "\"at\":\"2026-05-06T02:00:07Z\"",
        "\"origin\":",
    ];
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n as u64) as usize
    };
    for round in 0..20_000 {
        let text = base[round % base.len()];
        let cut = |i: usize| {
            (0..=i)
                .rev()
                .find(|&j| text.is_char_boundary(j))
                .unwrap_or(0)
        };
        let a = cut(next(text.len()));
        let b = cut((a + 1 + next(16)).min(text.len()));
        let piece = PIECES[next(PIECES.len())];
        let damaged = match next(4) {
            0 => format!("{}{}", &text[..a], &text[b..]),
            1 => format!("{}{piece}{}", &text[..a], &text[a..]),
            2 => format!("{}{}{}", &text[..b], &text[a..b], &text[b..]),
            _ => format!("{}{piece}{}", &text[..a], &text[b..]),
        };
        read += usize::from(agrees(&damaged));
    }
    assert!(read > 2_000, "only {read} damaged lines were events");
}

#[test]
fn the_fast_event_reader_and_serde_json_share_the_nesting_limit() {
    for depth in [120, 126, 127, 128, 129, 200] {
        for (open, close) in [("[", "]"), ("{\"k\":", "}")] {
            let text = format!(
                r#"{{"session":"s","seq":1,"at":"2026-05-06T02:00:07Z","tree":"t","fingerprint":"f","kind":"shown","node":"n","x":{}1{}}}"#,
                open.repeat(depth),
                close.repeat(depth)
            );
            agrees(&text);
        }
    }
}

// -------------------------------------------------------------------- statistics

use troubletree::analysis::stats::{Quantiles, Report, Stats, StatsOptions, VersionReport};

fn handmade(options: StatsOptions) -> (Report, usize) {
    let text = std::fs::read_to_string("tests/data/events/handmade.jsonl").expect("readable");
    let mut stats = Stats::new(options);
    let errors = text.lines().filter(|l| stats.add_line(l).is_err()).count();
    (stats.finish(), errors)
}

fn q(count: u64, median: u64, p90: u64) -> Option<Quantiles> {
    let report_q = Quantiles::from_parts(count, median, p90);
    Some(report_q)
}

fn version<'r>(report: &'r Report, fingerprint: &str) -> &'r VersionReport {
    report
        .versions
        .iter()
        .find(|v| v.fingerprint == fingerprint)
        .expect("the version is in the report")
}

/// The figures docs/ANALYTICS.md works out by hand for tests/data/events/handmade.jsonl.
#[test]
fn statistics_of_the_handmade_events_are_the_ones_worked_out_by_hand() {
    let (report, errors) = handmade(StatsOptions::default());
    assert_eq!(errors, 1, "one line is not an event");
    assert_eq!(report.skipped.unreadable, 1);
    assert_eq!(report.skipped.orphans, 1, "the ghost's answer");
    assert_eq!(
        report.end.map(|t| t.to_string()).as_deref(),
        Some("2026-05-06T01:10:00Z")
    );
    assert_eq!(report.versions.len(), 2);
    let v1 = version(&report, "ce0a9fad70fa74ca");
    let s = &v1.sessions;
    assert_eq!(
        (s.started, s.decided, s.in_progress),
        (10, 8, 2),
        "S1-S10; S8 and S9 still in progress"
    );
    assert_eq!((s.resolved, s.fixed, s.informed, s.waiting), (3, 2, 0, 1));
    assert_eq!(
        (
            s.escalated,
            s.handed_off,
            s.abandoned,
            s.abandoned_unanswered
        ),
        (1, 1, 3, 2)
    );
    assert_eq!(s.containment, Some(3.0 / 8.0));
    assert_eq!(
        (
            s.containment_fixed,
            s.containment_informed,
            s.containment_waiting
        ),
        (Some(0.25), Some(0.0), Some(0.125))
    );
    assert_eq!(
        (s.escalation_rate, s.handoff_rate, s.abandonment_rate),
        (Some(0.125), Some(0.125), Some(0.375))
    );
    let ends: Vec<(&str, &str, u64)> = v1
        .ends
        .iter()
        .map(|e| (e.outcome, e.node.as_str(), e.sessions))
        .collect();
    assert_eq!(
        ends,
        [
            ("abandoned", "q1", 2),
            ("abandoned", "q2", 1),
            ("escalated", "esc", 1),
            ("handed_off", "q1", 1),
            ("resolved", "fixed_end", 2),
            ("resolved", "wait_end", 1),
        ]
    );
    let q1 = &v1.questions[0];
    assert_eq!(q1.node, "q1");
    assert_eq!(
        (
            q1.sessions,
            q1.shown,
            q1.answered,
            q1.went_back,
            q1.handed_off,
            q1.dropped,
            q1.in_progress,
            q1.other
        ),
        (10, 11, 7, 0, 1, 2, 1, 0)
    );
    let shares: Vec<(String, u64)> = q1
        .answers
        .iter()
        .map(|a| (a.value.to_string(), a.count))
        .collect();
    assert_eq!(shares, [("yes".to_owned(), 5), ("no".to_owned(), 2)]);
    assert_eq!(q1.answers[0].share, 5.0 / 7.0);
    let q2 = &v1.questions[1];
    assert_eq!(
        (
            q2.node.as_str(),
            q2.sessions,
            q2.shown,
            q2.answered,
            q2.went_back,
            q2.dropped,
            q2.in_progress
        ),
        ("q2", 5, 5, 2, 1, 1, 1)
    );
    assert_eq!(
        (v1.steps.resolved, v1.steps.escalated, v1.steps.handed_off),
        (q(3, 2, 3), q(1, 2, 2), q(1, 1, 1))
    );
    assert_eq!(
        (
            v1.seconds.resolved,
            v1.seconds.escalated,
            v1.seconds.handed_off
        ),
        (q(3, 40, 60), q(1, 25, 25), q(1, 50, 50))
    );
    // Traffic: sessions per node and per edge.
    let passes: Vec<(&str, u64)> = v1
        .passes
        .iter()
        .map(|p| (p.node.as_str(), p.sessions))
        .collect();
    assert_eq!(
        passes,
        [
            ("esc", 1),
            ("fixed_end", 2),
            ("q1", 10),
            ("q2", 5),
            ("wait_end", 1)
        ]
    );
    let edges: Vec<(&str, u32, u64)> = v1
        .edges
        .iter()
        .map(|e| (e.node.as_str(), e.edge, e.sessions))
        .collect();
    assert_eq!(
        edges,
        [("q1", 0, 5), ("q1", 1, 2), ("q2", 0, 1), ("q2", 1, 1)]
    );
    assert_eq!(v1.visitors, 10);
    // The other version is counted apart.
    let v2 = version(&report, "00000000000000b2");
    assert_eq!(
        (v2.sessions.started, v2.sessions.fixed, v2.version),
        (1, 1, Some(2))
    );
}

#[test]
fn a_time_range_counts_the_sessions_started_in_it_as_they_stood_at_its_end() {
    let t = |s: &str| Some(Timestamp::parse(s).expect("a time"));
    let (report, _) = handmade(
        StatsOptions::default().range(t("2026-05-06T00:03:00Z"), t("2026-05-06T00:06:30Z")),
    );
    let v1 = version(&report, "ce0a9fad70fa74ca");
    let s = &v1.sessions;
    // S4 escalated, S5 handed off; S6 and S7 were idle for less than 30 minutes at 00:06:30.
    assert_eq!(
        (
            s.started,
            s.escalated,
            s.handed_off,
            s.in_progress,
            s.abandoned
        ),
        (4, 1, 1, 2, 0)
    );
    assert_eq!(s.containment, Some(0.0));
    assert_eq!(
        report.skipped.before_range, 16,
        "S1, S2 and S3 before 00:03:00"
    );
    assert_eq!(
        report.skipped.after_range, 14,
        "S10, S11, the ghost, S8 and S9"
    );
    assert_eq!(report.skipped.orphans, 2, "S3's last answer and resolution");
    assert!(
        report
            .versions
            .iter()
            .all(|v| v.fingerprint != "00000000000000b2")
    );
    // With a 1-minute idle time, S6 (idle since 00:05:10) is abandoned and S7 is not.
    let (report, _) = handmade(
        StatsOptions::default()
            .range(t("2026-05-06T00:03:00Z"), t("2026-05-06T00:06:30Z"))
            .idle_ms(60_000),
    );
    let s = &version(&report, "ce0a9fad70fa74ca").sessions;
    assert_eq!((s.abandoned, s.in_progress), (1, 1));
}

/// Counts `lines` split by session into `parts` parts, merged; as JSON.
fn counted_in_parts(lines: &[String], parts: usize, options: &StatsOptions) -> serde_json::Value {
    let mut stats: Vec<Stats> = (0..parts).map(|_| Stats::new(options.clone())).collect();
    for line in lines {
        let part = match Event::parse(line) {
            Ok(e) => e.session.bytes().map(usize::from).sum::<usize>() % parts,
            Err(_) => 0,
        };
        let _ = stats[part].add_line(line);
    }
    let mut all = stats.remove(0);
    for part in stats {
        all.merge(part);
    }
    serde_json::to_value(all.finish()).expect("serialises")
}

#[test]
fn counting_in_parts_and_merging_gives_the_same_figures() {
    let handmade: Vec<String> = std::fs::read_to_string("tests/data/events/handmade.jsonl")
        .expect("readable")
        .lines()
        .map(str::to_owned)
        .collect();
    let catalogue = shipped();
    let synthetic: Vec<String> = troubletree_testkit::events::events(&catalogue, 3_000, 700, 7)
        .map(|e| serde_json::to_string(&e).expect("serialises"))
        .collect();
    assert!(synthetic.len() > 15_000, "{}", synthetic.len());
    let t = |s: &str| Some(Timestamp::parse(s).expect("a time"));
    for options in [
        StatsOptions::default(),
        StatsOptions::default().idle_ms(5 * 60_000),
        StatsOptions::default().range(t("2026-05-06T00:03:00Z"), t("2026-05-06T00:20:00Z")),
    ] {
        for lines in [&handmade, &synthetic] {
            let whole = counted_in_parts(lines, 1, &options);
            for parts in [2, 3, 7] {
                let merged = counted_in_parts(lines, parts, &options);
                if merged != whole {
                    let (a, b) = (merged.to_string(), whole.to_string());
                    let at = a
                        .bytes()
                        .zip(b.bytes())
                        .position(|(x, y)| x != y)
                        .unwrap_or(0);
                    panic!(
                        "{parts} parts differ at {at}: {} / {}",
                        &a[at.saturating_sub(200)..(at + 100).min(a.len())],
                        &b[at.saturating_sub(200)..(at + 100).min(b.len())]
                    );
                }
            }
        }
    }
}

#[test]
fn a_user_back_after_the_idle_window_has_abandoned_whatever_the_counting() {
    let line = |session: &str, seq: u64, at: &str, kind: &str, node: &str, extra: &str| {
        format!(
            r#"{{"session":"{session}","seq":{seq},"at":"2026-05-06T{at}Z","tree":"t","fingerprint":"f","kind":"{kind}","node":"{node}"{extra}}}"#
        )
    };
    let mut lines = vec![
        line("back", 0, "00:00:00", "started", "q", ""),
        line("back", 1, "00:00:00", "shown", "q", ""),
    ];
    // Other sessions keep the data going meanwhile.
    for i in 0..50 {
        let at = format!("00:{:02}:00", i + 1);
        lines.push(line(&format!("o{i}"), 0, &at, "started", "q", ""));
        lines.push(line(
            &format!("o{i}"),
            1,
            &at,
            "resolved",
            "ok",
            r#","resolution":"fixed""#,
        ));
    }
    // 51 minutes later the first user answers and is done.
    lines.push(line(
        "back",
        1,
        "00:51:00",
        "answered",
        "q",
        r#","value":true,"origin":"user""#,
    ));
    lines.push(line(
        "back",
        2,
        "00:51:00",
        "resolved",
        "ok",
        r#","resolution":"fixed""#,
    ));
    for parts in [1, 2, 3] {
        let report = counted_in_parts(&lines, parts, &StatsOptions::default());
        let s = &report["versions"][0]["sessions"];
        assert_eq!(
            (&s["abandoned"], &s["resolved"]),
            (&serde_json::json!(1), &serde_json::json!(50)),
            "{parts}"
        );
        assert_eq!(report["skipped"]["orphans"], 2, "{parts}");
    }
}

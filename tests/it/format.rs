//! The format fields of issue 13: ranges on `Number` facts, labels for facts, a note for
//! the agent on escalations, texts that name the service directory's values, and the
//! check on Chinese punctuation.

use troubletree::directory::LocalTime;
use troubletree::{
    AnswerError, Catalogue, Code, Directory, Loader, Session, StartError, Step, Tree, Value,
};

fn codes(text: &str) -> Vec<Code> {
    Loader::new()
        .tree("t.ron", text)
        .findings
        .iter()
        .map(|f| f.code)
        .collect()
}

fn at(text: &str) -> LocalTime {
    LocalTime::parse(text).expect("a valid time")
}

// ---------------------------------------------------------------------------- ranges

const RANGED: &str = r#"Tree(id: "ranged", locales: ["en"], start: "ask_amount",
    facts: [
        Fact(name: "amount", type: Number, min: 0.01, ask: "How much?"),
        Fact(name: "hours", type: Number, min: 0, max: 8760, label: "hours since the debit", ask: "How many hours ago?"),
    ],
    nodes: [
        Ask(id: "ask_amount", text: "How much, in yuan?", fact: "amount", next: "decide"),
        Decide(id: "decide", rules: [Rule(when: Ge("hours", 48), next: "late")], otherwise: "wait"),
        Resolve(id: "wait", text: "Wait."),
        Escalate(id: "late", reason: "Late.", agent: "Debit older than 48 h."),
    ])"#;

/// An answer outside its fact's range is refused with the range, and leaves the session
/// exactly as it was; the bounds themselves are accepted.
#[test]
fn answers_out_of_range_are_refused_and_change_nothing() {
    let tree = Tree::from_str(RANGED).expect("valid");
    let mut session = Session::new(&tree).expect("starts");
    let before = serde_json::to_string(&session.save()).expect("a save");
    // Free input on a fact with a minimum only.
    match session.answer(0.0) {
        Err(AnswerError::OutOfRange {
            node,
            fact,
            min,
            max,
            value,
        }) => {
            assert_eq!((node.as_str(), fact.as_str()), ("ask_amount", "amount"));
            assert_eq!((min, max, value), (Some(0.01), None, 0.0));
        }
        other => panic!("expected OutOfRange, got {other:?}"),
    }
    assert_eq!(
        serde_json::to_string(&session.save()).expect("a save"),
        before
    );
    session.answer(0.01).expect("the minimum itself");
    // A fact a Decide asks for, with both bounds.
    assert_eq!(session.current().node(), "decide");
    let err = session.answer(-5.0).expect_err("below the range");
    assert_eq!(
        err.to_string(),
        "node \"decide\" asks for fact \"hours\", which takes a number from 0 to 8760, not -5"
    );
    assert!(matches!(
        session.answer(8760.5),
        Err(AnswerError::OutOfRange { .. })
    ));
    assert_eq!(session.current().node(), "decide");
    session.answer(8760.0).expect("the maximum itself");
    assert!(matches!(session.current(), Step::Escalated(_)));
    // Typed input goes through the same check.
    let mut typed = Session::new(&tree).expect("starts");
    assert!(matches!(
        typed.answer_str("-3"),
        Err(AnswerError::OutOfRange { .. })
    ));
}

/// A host fact outside its range is refused when the session starts.
#[test]
fn host_facts_out_of_range_are_refused_at_start() {
    let tree = Tree::from_str(RANGED).expect("valid");
    match Session::builder(&tree).fact("hours", -1.0).start() {
        Err(StartError::OutOfRange {
            fact,
            min,
            max,
            value,
            ..
        }) => {
            assert_eq!(fact, "hours");
            assert_eq!((min, max, value), (Some(0.0), Some(8760.0), -1.0));
        }
        other => panic!("expected OutOfRange, got {other:?}"),
    }
    let session = Session::builder(&tree)
        .fact("hours", 72.0)
        .fact("amount", 5.0)
        .start()
        .expect("in range");
    assert!(matches!(session.current(), Step::Escalated(_)));
}

/// Ranges are checked when the tree loads: only on numbers, finite and in order (E014),
/// and a condition that compares a ranged fact with a constant outside the range gets
/// W006, at the constant.
#[test]
fn ranges_are_checked_when_the_tree_loads() {
    let tree = |fact: &str, when: &str| {
        format!(
            r#"Tree(id: "t", start: "d", facts: [{fact}], nodes: [
                Decide(id: "d", rules: [Rule(when: {when}, next: "a")], otherwise: "b"),
                Resolve(id: "a", text: "a"), Resolve(id: "b", text: "b")])"#
        )
    };
    let hours = r#"Fact(name: "h", type: Number, min: 0, max: 8760, ask: "?")"#;
    assert!(codes(&tree(hours, r#"Ge("h", 48)"#)).is_empty());
    // The bounds themselves are in the range.
    assert!(codes(&tree(hours, r#"All([Ge("h", 0), Le("h", 8760)])"#)).is_empty());
    for when in [
        r#"Ge("h", -5)"#,
        r#"Lt("h", 9000)"#,
        r#"Eq("h", -1)"#,
        r#"In("h", [1, 10000])"#,
    ] {
        assert_eq!(codes(&tree(hours, when)), [Code::OutOfRange], "{when}");
    }
    let report = Loader::new().tree("t.ron", &tree(hours, r#"Ge("h", -5)"#));
    assert!(report.loaded.is_some(), "a warning only");
    assert!(
        report.findings[0].message.contains("from 0 to 8760"),
        "{}",
        report.findings[0].message
    );
    for fact in [
        r#"Fact(name: "h", type: Bool, min: 0, ask: "?")"#,
        r#"Fact(name: "h", type: Number, min: 10, max: 1, ask: "?")"#,
        r#"Fact(name: "h", type: Number, max: inf, ask: "?")"#,
    ] {
        assert!(
            codes(&tree(fact, r#"Known("h")"#)).contains(&Code::InvalidDefinition),
            "{fact}"
        );
    }
}

// -------------------------------------------------------------- labels and agent notes

/// Tickets and decisions name facts by their labels, in the ticket's locale, and show
/// yes/no and choice values in the user's words; a fact without a label keeps its name.
#[test]
fn labels_name_facts_in_tickets_and_decisions() {
    let catalogue = Catalogue::from_dir("trees").expect("the shipped trees");
    let directory = catalogue.directory().expect("a directory").clone();
    for (locale, hours, debited, decision) in [
        (
            "en",
            "hours since the debit",
            "debited but not credited",
            "debited_hours: hours since the debit = 60 → rule 1 (hours since the debit ≥ 48) → ask_debit_amount",
        ),
        (
            "zh",
            "扣款后经过的小时数",
            "已扣款但未到账",
            "debited_hours：扣款后经过的小时数 = 60 → 规则 1（扣款后经过的小时数 ≥ 48） → ask_debit_amount",
        ),
    ] {
        let mut session = Session::builder(&catalogue)
            .tree("recharge_failure")
            .locale(locale)
            .start()
            .expect("starts");
        for answer in ["true", "60", "100"] {
            session.answer_str(answer).expect("offered");
        }
        assert_eq!(session.decisions()[0].in_words(), decision);
        // `Display` keeps the names, for logs and tools.
        assert!(
            session.decisions()[0]
                .to_string()
                .contains("hours_since_debit = 60")
        );
        let ticket = session
            .ticket(&directory, at("2026-05-06 10:00"))
            .expect("escalated");
        let fact = |name: &str| {
            ticket
                .facts
                .iter()
                .find(|f| f.name == name)
                .unwrap_or_else(|| panic!("{name} in {:?}", ticket.facts))
        };
        assert_eq!(fact("hours_since_debit").label, hours);
        assert_eq!(fact("hours_since_debit").value, Value::Number(60.0));
        assert_eq!(fact("money_debited").label, debited);
        assert_eq!(
            fact("money_debited").shown,
            if locale == "zh" { "是" } else { "Yes" }
        );
        let text = ticket.render();
        assert!(text.contains(&format!("{hours} = 60")), "{text}");
        assert!(text.contains(decision), "{text}");
    }
    // Without labels, names, as before.
    let tree = Tree::from_str(
        r#"Tree(id: "t", start: "d", facts: [Fact(name: "n", type: Number, ask: "?")], nodes: [
            Decide(id: "d", rules: [Rule(when: Gt("n", 1), next: "e")], otherwise: "e"),
            Escalate(id: "e", reason: "r")])"#,
    )
    .expect("valid");
    let session = Session::builder(&tree)
        .fact("n", 2.0)
        .start()
        .expect("starts");
    // A tree that declares no locale is in Chinese: the words are, the names stay.
    assert_eq!(
        session.decisions()[0].in_words(),
        "d：n = 2 → 规则 1（n > 1） → e"
    );
    assert_eq!(
        session.decisions()[0].to_string(),
        "d: n = 2 → rule 1 (n > 1) → e"
    );
    let ticket = session
        .ticket(&directory, at("2026-05-06 10:00"))
        .expect("escalated");
    assert_eq!(ticket.facts[0].label, "n");
    assert_eq!(ticket.facts[0].shown, "2");
}

/// The `Escalate`'s note for the agent reaches the step and the ticket (and its text),
/// apart from the reason written to the user; a hand-off the user asks for has none.
#[test]
fn the_agent_note_reaches_the_step_and_the_ticket() {
    let tree = Tree::from_str(RANGED).expect("valid");
    let directory = Directory::from_path("trees/directory.ron").expect("valid");
    let mut session = Session::new(&tree).expect("starts");
    let handoff = session
        .handoff(&directory, at("2026-05-06 10:00"))
        .expect("a ticket");
    assert_eq!(handoff.agent, None);
    session.answer(10.0).expect("amount");
    session.answer(60.0).expect("hours");
    match session.current() {
        Step::Escalated(e) => {
            assert_eq!(e.agent, Some("Debit older than 48 h."));
            assert_eq!(e.reason, "Late.");
        }
        other => panic!("{other:?}"),
    }
    let ticket = session
        .ticket(&directory, at("2026-05-06 10:00"))
        .expect("escalated");
    assert_eq!(ticket.agent.as_deref(), Some("Debit older than 48 h."));
    assert!(
        ticket
            .render()
            .contains("Note for the agent: Debit older than 48 h.")
    );
    let json = serde_json::to_value(&ticket).expect("serialises");
    assert_eq!(json["agent"], "Debit older than 48 h.");
}

// ----------------------------------------------------------------- directory values

fn walk_to_unreconciled(session: &mut Session) {
    for answer in ["true", "60", "100"] {
        session.answer_str(answer).expect("offered");
    }
}

/// A catalogue with a directory fills in the values texts name, in each locale; one edit
/// of the directory changes every text that names the value. A tree loaded alone keeps
/// the references as written, and its tickets fill them in from the directory they get.
#[test]
fn texts_name_directory_values() {
    let catalogue = Catalogue::from_dir("trees").expect("the shipped trees");
    for (locale, hours, reply) in [
        (
            "en",
            "daily 09:00–21:00",
            "at most 48, longer around Spring Festival and Double 11",
        ),
        ("zh", "每天9:00–21:00", "最迟48小时，春节、双11前后可能更久"),
    ] {
        let mut session = Session::builder(&catalogue)
            .tree("recharge_failure")
            .locale(locale)
            .start()
            .expect("starts");
        walk_to_unreconciled(&mut session);
        let Step::Escalated(e) = session.current() else {
            panic!("escalated");
        };
        assert!(e.reason.contains(hours), "{}", e.reason);
        assert!(e.reason.contains(reply), "{}", e.reason);
        assert!(!e.reason.contains('{'), "{}", e.reason);
    }
    // Another directory: the texts follow it.
    let directory = std::fs::read_to_string("trees/directory.ron")
        .expect("readable")
        .replace("\"09:00-21:00\"", "\"08:00-22:00\"")
        .replace("response_hours: 48", "response_hours: 72");
    let tree = std::fs::read_to_string("trees/recharge_failure.ron").expect("readable");
    let catalogue = Catalogue::from_texts(&[
        ("recharge_failure.ron", &tree),
        ("directory.ron", &directory),
    ])
    .expect("valid");
    let mut session = Session::builder(&catalogue)
        .locale("en")
        .start()
        .expect("starts");
    walk_to_unreconciled(&mut session);
    let Step::Escalated(e) = session.current() else {
        panic!("escalated");
    };
    assert!(e.reason.contains("daily 08:00–22:00"), "{}", e.reason);
    assert!(e.reason.contains("at most 72"), "{}", e.reason);
    // Alone, the tree shows its references; a ticket fills them in.
    let alone = Tree::from_str(&tree).expect("valid");
    let mut session = Session::builder(&alone)
        .locale("en")
        .start()
        .expect("starts");
    walk_to_unreconciled(&mut session);
    let Step::Escalated(e) = session.current() else {
        panic!("escalated");
    };
    assert!(e.reason.contains("{hotline.hours}"), "{}", e.reason);
    let shipped = Directory::from_path("trees/directory.ron").expect("valid");
    let ticket = session
        .ticket(&shipped, at("2026-05-06 10:00"))
        .expect("escalated");
    assert!(
        ticket.reason.contains("daily 09:00–21:00"),
        "{}",
        ticket.reason
    );
    assert!(!ticket.reason.contains('{'), "{}", ticket.reason);
}

/// A reference no directory could fill is E017 when the tree loads; one the catalogue's
/// directory does not have is E017 at the text when the catalogue loads. Braces that are
/// not a reference are text.
#[test]
fn unknown_directory_values_are_e017() {
    let one = |text: &str| {
        format!(
            r#"Tree(id: "t", locales: ["zh", "en"], start: "e", nodes: [Escalate(id: "e", reason: {{ "zh": "请拨打热线。", "en": "{text}" }})])"#
        )
    };
    assert!(codes(&one("Call us {example} or {a b}.")).is_empty());
    assert!(codes(&one("Call daily {hotline.hours}.")).is_empty());
    for text in [
        "Call daily {hotline.hourz}.",
        "Call {hotline.hours.open}.",
        "Longer around {busy.names}.",
    ] {
        assert_eq!(codes(&one(text)), [Code::DirectoryValue], "{text}");
    }
    // The catalogue's directory has no `night_line`, and its hotline is always open.
    let directory = r#"Directory(name: "d", channels: [
        Channel(kind: Hotline, contact: "400", response_hours: 0),
    ])"#;
    let tree = one("Call the {night_line.contact} or the hotline, daily {hotline.hours}.");
    let report = troubletree::Loader::new()
        .check(&[
            write("unknown_value/t.ron", &tree),
            write("unknown_value/directory.ron", directory),
        ])
        .expect("readable");
    let found: Vec<(Code, u32, u32)> = report
        .findings
        .iter()
        .map(|f| (f.code, f.line, f.column))
        .collect();
    assert_eq!(
        found,
        // At the English text, the one that names them.
        [
            (Code::DirectoryValue, 1, 108),
            (Code::DirectoryValue, 1, 108)
        ],
        "{:#?}",
        report.findings
    );
    assert!(
        report.findings[0]
            .message
            .contains("no channel \"night_line\"")
    );
    assert!(report.findings[1].message.contains("always open"));
    assert!(report.loaded.is_none());
    // Without a directory, nothing to check against: the references stay as written.
    let catalogue = Catalogue::from_texts(&[("t.ron", &tree)]).expect("no directory, no finding");
    let session = Session::builder(&catalogue)
        .locale("en")
        .start()
        .expect("starts");
    let Step::Escalated(e) = session.current() else {
        panic!("escalated");
    };
    assert!(e.reason.contains("{night_line.contact}"));
    let _ = std::fs::remove_dir_all(write("unknown_value/t.ron", "").parent().expect("a parent"));
}

fn write(name: &str, text: &str) -> std::path::PathBuf {
    let path = std::env::temp_dir()
        .join(format!("troubletree-format-{}", std::process::id()))
        .join(name);
    std::fs::create_dir_all(path.parent().expect("a parent")).expect("a temporary directory");
    std::fs::write(&path, text).expect("writable");
    path
}

// ------------------------------------------------------------------ Chinese punctuation

/// W007: half-width `,:?;()` next to a Chinese character in a Chinese text, once per
/// text; times, numbers, English and full-width punctuation are fine.
#[test]
fn half_width_punctuation_in_chinese_is_w007() {
    let tree = |zh: &str| {
        format!(
            r#"Tree(id: "t", locales: ["zh", "en"], start: "r", nodes: [Resolve(id: "r", text: {{ "zh": "{zh}", "en": "Done, (really): ok?" }})])"#
        )
    };
    for bad in [
        "扣款,但没到账",
        "到账了吗?",
        "号码(示例)",
        "Wi-Fi,然后",
        "注意:请",
    ] {
        assert_eq!(codes(&tree(bad)), [Code::HalfWidthPunctuation], "{bad}");
    }
    for good in [
        "每天9:00–21:00，例如 128.5。",
        "扣款，但没到账：（示例）？；",
        "Hotline (example), daily 09:00",
    ] {
        assert!(codes(&tree(good)).is_empty(), "{good}");
    }
    // One finding for a text with several, counting the rest.
    let report = Loader::new().tree("t.ron", &tree("钱已经退回,请查看余额(可能要几分钟)。"));
    assert_eq!(report.findings.len(), 1);
    assert!(
        report.findings[0].message.contains("and 2 more"),
        "{}",
        report.findings[0].message
    );
    // A one-locale Chinese tree checks its plain strings too.
    let plain = r#"Tree(id: "t", start: "r", nodes: [Resolve(id: "r", text: "好的,谢谢")])"#;
    assert_eq!(codes(plain), [Code::HalfWidthPunctuation]);
}

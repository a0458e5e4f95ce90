//! The validator's limits (`troubletree::Limits`, finding E016) hold, and every bound is
//! tested at the bound: messages stay short however long the values they quote, "did you
//! mean" hints cost a bounded amount, ids keep to the identifier alphabet, counts fit the
//! walker's counters, no tree that checks can meet the walker's step bound, and the
//! nesting message says the real limit.

use std::fmt::Write as _;

use troubletree::{AnswerError, Code, DEFAULT_STEP_LIMIT, Limits, Loader, Session, Step, Tree};

fn codes(report: &troubletree::Report<Tree>) -> Vec<Code> {
    report.findings.iter().map(|f| f.code).collect()
}

// ------------------------------------------------------------ message amplification

/// Long `Choice` values are refused (E016), and the messages that quote them are cut:
/// a tree whose every E012 message once quoted 32 choices in full (a 1 MB file asked for
/// gigabytes) gives findings whose size is bounded by the file's.
#[test]
fn long_choice_values_are_refused_and_messages_stay_short() {
    let long = "v".repeat(5_000);
    let values: Vec<String> = (0..32).map(|i| format!("\"{long}{i:02}\"")).collect();
    let mut rules = String::new();
    for i in 0..300 {
        let _ = write!(rules, "Rule(when: Eq(\"c\", \"zz{i}\"), next: \"e\"), ");
    }
    let text = format!(
        "Tree(id: \"amp\", start: \"d\", facts: [Fact(name: \"c\", type: Choice([{}]), ask: \"?\")], \
         nodes: [Decide(id: \"d\", rules: [{rules}], otherwise: \"e\"), Resolve(id: \"e\", text: \"x\")])",
        values.join(", ")
    );
    let report = Loader::new().tree("amp.ron", &text);
    let count = |code| report.findings.iter().filter(|f| f.code == code).count();
    // Every value over 256 characters is refused, at the value.
    assert_eq!(count(Code::LimitExceeded), 32);
    assert_eq!(count(Code::TypeMismatch), 300);
    for finding in &report.findings {
        assert!(finding.message.len() < 1_000, "{}", finding.message);
    }
    let e012 = report
        .findings
        .iter()
        .find(|f| f.code == Code::TypeMismatch)
        .expect("an E012");
    // The choices are quoted cut, and the list ends with a count of the rest.
    assert!(e012.message.contains('…'), "{}", e012.message);
    assert!(e012.message.contains("more"), "{}", e012.message);
    let total: usize = report.findings.iter().map(|f| f.message.len()).sum();
    assert!(
        total < text.len(),
        "{total} bytes of messages for {}",
        text.len()
    );
    // `Tree::from_str` gives the same, bounded, error.
    match Tree::from_str(&text) {
        Err(troubletree::LoadError::Invalid { findings }) => {
            assert_eq!(findings.len(), report.findings.len());
        }
        other => panic!("expected the findings, got {other:?}"),
    }
}

/// A reference, a start and a node id of any length are quoted cut in every message, and
/// a node named by many findings is named cut in each of them.
#[test]
fn long_names_are_quoted_cut() {
    let huge = "n".repeat(50_000);
    let mut text = format!(
        "Tree(id: \"t\", start: \"{huge}x\", nodes: [Ask(id: \"{huge}\", text: \"?\", answers: ["
    );
    for i in 0..50 {
        let _ = write!(
            text,
            "Answer(value: {i}, text: \"a\", next: \"{huge}{i}\"), "
        );
    }
    text.push_str("])])");
    let report = Loader::new().tree("long.ron", &text);
    assert!(codes(&report).contains(&Code::LimitExceeded));
    assert!(codes(&report).contains(&Code::DanglingReference));
    for finding in &report.findings {
        assert!(finding.message.len() < 600, "{}", finding.message);
        assert!(
            finding.node.as_ref().is_none_or(|n| n.len() < 300),
            "{:?}",
            finding.node.as_ref().map(String::len)
        );
    }
}

// -------------------------------------------------------------------------- hints

/// "Did you mean" looks each distinct name up once: the same misspelling gets its hint
/// at every reference, however many there are (a budget counted in comparisons used to
/// run out after the first ten thousand or so, here).
#[test]
fn the_same_misspelling_gets_the_same_hint_everywhere() {
    let mut text = String::from("Tree(id: \"t\", start: \"q0\", nodes: [");
    let nodes = 2_000;
    for i in 0..nodes {
        let _ = write!(text, "Ask(id: \"q{i}\", text: \"?\", answers: [");
        for j in 0..6 {
            let _ = write!(text, "Answer(value: {j}, text: \"a\", next: \"resolvd\"), ");
        }
        text.push_str("]), ");
    }
    text.push_str("Resolve(id: \"resolved\", text: \"x\")])");
    let report = Loader::new().tree("typo.ron", &text);
    let dangling: Vec<&troubletree::Finding> = report
        .findings
        .iter()
        .filter(|f| f.code == Code::DanglingReference)
        .collect();
    assert_eq!(dangling.len(), nodes * 6);
    for finding in dangling {
        assert!(
            finding.message.ends_with("(did you mean \"resolved\"?)"),
            "{}",
            finding.message
        );
    }
}

// ---------------------------------------------------------------- the id alphabet

fn one_tree(id: &str, locale: &str, fact: &str, choice: &str, goto: &str) -> String {
    format!(
        "Tree(id: \"{id}\", locales: [\"{locale}\"], start: \"a\", \
         facts: [Fact(name: \"{fact}\", type: Choice([\"{choice}\"]), ask: \"?\")], \
         nodes: [Ask(id: \"a\", text: \"?\", fact: \"{fact}\", answers: [Answer(value: \"{choice}\", text: \"x\", next: \"g\")]), \
         Goto(id: \"g\", tree: \"{goto}\")])"
    )
}

/// Tree ids, locales, fact names, `Goto` targets and node ids keep to the identifier
/// alphabet (ASCII letters, digits, `_`, `-`, `.`); choice values are bounded and hold
/// no control or invisible character. Each is E016 at the value.
#[test]
fn ids_keep_to_the_identifier_alphabet() {
    let clean = one_tree(
        "flodial_n12",
        "zh-TW",
        "n4.answer",
        "不确定",
        "escalate_n4_no",
    );
    assert!(Loader::new().tree("t.ron", &clean).findings.is_empty());
    let long = "t".repeat(100_000);
    let cases: [(&str, String); 11] = [
        (
            "a tree id of 100 000 characters",
            one_tree(&long, "zh", "f", "v", "x"),
        ),
        (
            "an OSC in the tree id",
            one_tree("evil\\u{1b}]0;PWNED\\u{7}", "zh", "f", "v", "x"),
        ),
        (
            "a BEL in a locale",
            one_tree("t", "zh\\u{7}", "f", "v", "x"),
        ),
        (
            "a space in a fact name",
            one_tree("t", "zh", "net ok", "v", "x"),
        ),
        (
            "a slash in a Goto target",
            one_tree("t", "zh", "f", "v", "a/b"),
        ),
        (
            "a Chinese Goto target",
            one_tree("t", "zh", "f", "v", "退款"),
        ),
        (
            "a right-to-left override in a choice",
            one_tree("t", "zh", "f", "v\\u{202e}", "x"),
        ),
        (
            "a zero-width space in a choice",
            one_tree("t", "zh", "f", "v\\u{200b}", "x"),
        ),
        (
            "a line separator in a choice",
            one_tree("t", "zh", "f", "v\\u{2028}", "x"),
        ),
        (
            "an escape in a choice",
            one_tree("t", "zh", "f", "v\\u{1b}[2J", "x"),
        ),
        (
            "a choice of 300 characters",
            one_tree("t", "zh", "f", &"v".repeat(300), "x"),
        ),
    ];
    for (what, text) in &cases {
        let report = Loader::new().tree("t.ron", text);
        let refused: Vec<Code> = codes(&report)
            .into_iter()
            .filter(|c| *c == Code::LimitExceeded)
            .collect();
        assert!(!refused.is_empty(), "{what}: {:#?}", report.findings);
        assert!(report.loaded.is_none(), "{what}");
        for finding in &report.findings {
            assert!(
                !finding.message.chars().any(|c| c.is_control()),
                "{what}: {finding}"
            );
        }
    }
    // A node id may not hold the `/` of a `tree/node` place.
    let slash = "Tree(id: \"t\", start: \"a/b\", nodes: [Resolve(id: \"a/b\", text: \"x\")])";
    assert_eq!(
        codes(&Loader::new().tree("t.ron", slash)),
        [Code::LimitExceeded]
    );
    // `Limits::unlimited` (trusted tools) checks only what the walker itself needs.
    let report = Loader::new()
        .limits(Limits::unlimited())
        .tree("t.ron", &cases[6].1);
    assert!(report.loaded.is_some(), "{:#?}", report.findings);
}

// ----------------------------------------------------------------- counters at the bound

fn choice_tree(values: usize) -> String {
    let mut choices = String::new();
    for i in 0..values {
        let _ = write!(choices, "\"c{i}\", ");
    }
    format!(
        "Tree(id: \"t\", start: \"d\", facts: [Fact(name: \"c\", type: Choice([{choices}]), ask: \"?\")], \
         nodes: [Decide(id: \"d\", rules: [Rule(when: Eq(\"c\", \"c{}\"), next: \"last\")], otherwise: \"other\"), \
         Resolve(id: \"last\", text: \"last\"), Resolve(id: \"other\", text: \"other\")])",
        values - 1
    )
}

/// A `Choice` may list `max_choices` values (1 000): at the bound the last value is
/// accepted and decides; one more is E016. Whatever the limits, a choice is a 16-bit
/// index, so 65 537 values are refused even by `Limits::unlimited`.
#[test]
fn choices_are_bounded_and_every_value_works_at_the_bound() {
    let max = Limits::default().max_choices;
    let tree = Tree::from_str(&choice_tree(max)).expect("at the bound");
    let mut session = Session::new(&tree).expect("starts");
    session
        .answer(format!("c{}", max - 1).as_str())
        .expect("the last choice");
    assert_eq!(session.current().node(), "last");
    let report = Loader::new().tree("t.ron", &choice_tree(max + 1));
    assert_eq!(codes(&report), [Code::LimitExceeded]);
    assert_eq!(report.findings[0].line, 1);
    // The representation's own bound: 65 536 values work, 65 537 never load.
    let tree = Loader::new()
        .limits(Limits::unlimited())
        .tree("t.ron", &choice_tree(1 << 16))
        .into_result()
        .expect("65 536 choices fit a 16-bit index");
    let mut session = Session::new(&tree).expect("starts");
    session.answer("c65535").expect("the last choice");
    assert_eq!(session.current().node(), "last");
    let report = Loader::new()
        .limits(Limits::unlimited())
        .tree("t.ron", &choice_tree((1 << 16) + 1));
    assert!(codes(&report).contains(&Code::LimitExceeded));
    assert!(report.loaded.is_none());
}

fn rules_tree(rules: usize) -> String {
    let mut text = String::from(
        "Tree(id: \"t\", start: \"d\", facts: [Fact(name: \"n\", type: Number, ask: \"?\")], nodes: [Decide(id: \"d\", rules: [",
    );
    for i in 0..rules {
        let _ = write!(text, "Rule(when: Eq(\"n\", {i}), next: \"r{}\"), ", i % 2);
    }
    text.push_str(
        "], otherwise: \"other\"), Resolve(id: \"r0\", text: \"even\"), Resolve(id: \"r1\", text: \"odd\"), Resolve(id: \"other\", text: \"other\")])",
    );
    text
}

/// A `Decide` may hold `max_rules` rules (1 000): at the bound the last rule fires and
/// the transcript records it (not "otherwise"); one more is E016.
#[test]
fn rules_are_bounded_and_the_last_rule_is_recorded() {
    let max = Limits::default().max_rules;
    let tree = Tree::from_str(&rules_tree(max)).expect("at the bound");
    #[allow(clippy::cast_precision_loss)]
    let last = (max - 1) as f64;
    let session = Session::builder(&tree)
        .fact("n", last)
        .start()
        .expect("starts");
    assert_eq!(session.current().node(), "r1");
    let record = session.transcript().next().expect("the decision");
    assert_eq!(record.rule, Some(max - 1));
    assert_eq!(session.decisions()[0].rule, Some(max - 1));
    let report = Loader::new().tree("t.ron", &rules_tree(max + 1));
    assert_eq!(codes(&report), [Code::LimitExceeded]);
    // Beyond 16 bits, with the limit lifted, the rule is still recorded exactly.
    let tree = Loader::new()
        .limits(Limits::unlimited())
        .tree("t.ron", &rules_tree(65_537))
        .into_result()
        .expect("loads without limits");
    let session = Session::builder(&tree)
        .fact("n", 65_536.0)
        .start()
        .expect("starts");
    assert_eq!(
        session.transcript().next().map(|r| r.rule),
        Some(Some(65_536))
    );
}

// ------------------------------------------------------------------- the step bound

fn loop_tree(times: u32) -> String {
    format!(
        "Tree(id: \"loop\", start: \"a\", nodes: [Act(id: \"a\", text: \"again\", next: \"a\", solved: \"ok\", \
         limit: Limit(times: {times}, then: \"help\")), Resolve(id: \"ok\", text: \"ok\"), \
         Escalate(id: \"help\", reason: \"r\")])"
    )
}

/// A tree that checks never meets the walker's step bound: the longest walk of a loop
/// of one node passed `times` times is `2 × times + 1` moves at most, so `times: 4999`
/// checks and walks to its end within `DEFAULT_STEP_LIMIT`, and `times: 5000` (or
/// 65 535) is E016 at the limit.
#[test]
fn no_tree_that_checks_meets_the_step_bound() {
    assert_eq!(
        Limits::default().max_walk_steps,
        u64::from(DEFAULT_STEP_LIMIT)
    );
    let tree = Tree::from_str(&loop_tree(4_999)).expect("fits the step bound");
    let mut session = Session::new(&tree).expect("starts");
    let mut answers = 0;
    while !session.current().is_end() {
        match session.answer("not_solved") {
            Ok(()) => answers += 1,
            Err(AnswerError::StepLimit { .. }) => panic!("the step bound ended the walk"),
            Err(other) => panic!("{other}"),
        }
    }
    assert_eq!(answers, 4_999);
    assert!(matches!(session.current(), Step::Escalated(_)));
    for times in [5_000, 65_535] {
        let report = Loader::new().tree("loop.ron", &loop_tree(times));
        assert_eq!(codes(&report), [Code::LimitExceeded], "times {times}");
        assert!(
            report.findings[0].message.contains("lower `times`"),
            "{}",
            report.findings[0].message
        );
        assert_eq!(report.findings[0].node.as_deref(), Some("a"));
    }
    // A host with a larger step bound says so in its limits.
    let report = Loader::new()
        .limits(Limits::default().max_walk_steps(200_000))
        .tree("loop.ron", &loop_tree(65_535));
    assert!(report.loaded.is_some(), "{:#?}", report.findings);
    // A chain longer than the bound is refused too, with no loop to blame.
    let mut chain = String::from("Tree(id: \"c\", start: \"n0\", nodes: [");
    for i in 0..10_001 {
        let _ = write!(
            chain,
            "Act(id: \"n{i}\", text: \"x\", next: \"n{}\"), ",
            i + 1
        );
    }
    chain.push_str("Resolve(id: \"n10001\", text: \"end\")])");
    let report = Loader::new().tree("chain.ron", &chain);
    assert_eq!(codes(&report), [Code::LimitExceeded]);
    assert!(report.findings[0].message.contains("split the flow"));
}

// -------------------------------------------------------------------------- nesting

fn nested(open: &str, close: &str, depth: usize) -> String {
    format!(
        "Tree(id: \"t\", start: \"d\", facts: [Fact(name: \"f\", type: Bool, ask: \"?\")], nodes: [\
         Decide(id: \"d\", rules: [Rule(when: {}Known(\"f\"){}, next: \"e\")], otherwise: \"e\"), \
         Resolve(id: \"e\", text: \"x\")])",
        open.repeat(depth),
        close.repeat(depth)
    )
}

/// Conditions nest at most `max_condition_depth` (16) levels: 16 load, 17 are E016.
/// Far deeper ones meet the parser's bound, and its message says the real figures for
/// conditions: 28 levels of `All([...])` parse and 29 do not, 57 of `Not(...)` and 58.
#[test]
fn the_nesting_limits_are_the_ones_the_messages_state() {
    for (open, close) in [("All([", "])"), ("Any([", "])"), ("Not(", ")")] {
        assert!(
            Loader::new()
                .tree("t.ron", &nested(open, close, 16))
                .findings
                .is_empty()
        );
        assert_eq!(
            codes(&Loader::new().tree("t.ron", &nested(open, close, 17))),
            [Code::LimitExceeded]
        );
    }
    for (open, close, parsed) in [("All([", "])", 28), ("Not(", ")", 57)] {
        let report = Loader::new().tree("t.ron", &nested(open, close, parsed));
        assert_eq!(codes(&report), [Code::LimitExceeded], "{open} × {parsed}");
        let report = Loader::new().tree("t.ron", &nested(open, close, parsed + 1));
        assert_eq!(codes(&report), [Code::Syntax], "{open} × {}", parsed + 1);
        let message = &report.findings[0].message;
        assert!(message.contains(&format!(" {parsed} ")), "{message}");
        assert!(message.contains(" 16 levels"), "{message}");
    }
}

// ------------------------------------------------------------------------ the API

/// `Limits` is built from its defaults with setters, which keep every other bound.
#[test]
fn limits_are_set_with_methods_that_keep_the_defaults() {
    let limits = Limits::default().max_answers(50).max_file_bytes(1 << 20);
    assert_eq!(limits.max_answers, 50);
    assert_eq!(limits.max_file_bytes, 1 << 20);
    let default = Limits::default();
    assert_eq!(limits.max_id_chars, default.max_id_chars);
    assert_eq!(limits.max_choices, default.max_choices);
    assert_eq!(limits.max_walk_steps, default.max_walk_steps);
    assert_eq!(
        (
            default.max_id_chars,
            default.max_text_chars,
            default.max_locales
        ),
        (256, 20_000, 32)
    );
}

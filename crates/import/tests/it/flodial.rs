//! The FloDial importer and replay.
//!
//! Small inline charts pin down the mapping (yes/no questions, resolutions, ids, texts),
//! the repair of gaps and the raw import's W002, and every refusal of a malformed chart.
//! The last tests run the replay over the real corpus in `../shared/corpora/flodial`
//! when it is there (its data is CDLA-Sharing-1.0 and is not part of this repository),
//! and are skipped with a note when it is not.

use std::path::{Path, PathBuf};

use troubletree_import::flodial::{ImportError, ImportOptions, Imported, import};

use crate::replay::{replay, replay_dir};
use troubletree::{AnswerError, Code, Loader, Session, Severity, Step, Tree};

// ------------------------------------------------------------------------- helpers

/// A question node.
fn q(id: &str, utterance: &str) -> String {
    format!(r#""{id}": {{"label": "Label {id}", "terminal": false, "utterance": "{utterance}"}}"#)
}

/// A terminal node.
fn t(id: &str, utterance: &str) -> String {
    format!(r#""{id}": {{"label": "Label {id}", "terminal": true, "utterance": "{utterance}"}}"#)
}

/// A chart named "demo" with these nodes and edges (the inside of the two objects).
fn chart(nodes: &[String], edges: &str) -> String {
    format!(
        r#"{{"name": "demo", "category": "cars", "problem_description": "Your demo is broken.",
            "nodes": {{{}}}, "edges": {{{edges}}}, "supporting_faqs": []}}"#,
        nodes.join(", ")
    )
}

/// 1? yes → 2 (resolved), no → 3?; 3? yes → 4, no → 5.
fn good() -> String {
    chart(
        &[
            q("1", "Is it plugged in?"),
            t("2", "Then it was the plug."),
            q("3", "Does the light come on?"),
            t("4", "Replace the fuse."),
            t("5", "Replace the bulb."),
        ],
        r#""1": {"yes": "2", "no": "3"}, "3": {"yes": "4", "no": "5"}"#,
    )
}

/// 1? yes → 2?, no → 3; 2? has only "no" → 4.
fn gappy() -> String {
    chart(
        &[
            q("1", "Is it plugged in?"),
            q("2", "Does the light come on?"),
            t("3", "Plug it in."),
            t("4", "Replace the bulb."),
        ],
        r#""1": {"yes": "2", "no": "3"}, "2": {"no": "4"}"#,
    )
}

fn compile(imported: &Imported) -> Tree {
    let report = Loader::new().tree("demo.ron", &imported.ron);
    assert!(
        report.findings.is_empty(),
        "findings: {:#?}\n{}",
        report.findings,
        imported.ron
    );
    report.loaded.expect("a tree without findings compiles")
}

fn import_err(json: &str) -> ImportError {
    import(json, &ImportOptions::new()).expect_err("the chart is refused")
}

// ------------------------------------------------------------------------- mapping

#[test]
fn questions_become_yes_no_asks_and_terminals_resolve() {
    let imported = import(&good(), &ImportOptions::new()).expect("imports");
    assert_eq!(imported.tree_id, "demo");
    assert_eq!((imported.questions, imported.resolutions), (2, 3));
    assert!(imported.gaps.is_empty());
    assert!(imported.ron.ends_with(")\n"));
    // The chart's labels are kept in comments.
    assert!(imported.ron.contains("// 1: Label 1\n"), "{}", imported.ron);
    assert!(imported.ron.contains("CDLA-Sharing-1.0"));

    let tree = compile(&imported);
    assert_eq!(tree.id(), "demo");
    assert_eq!(tree.title("en"), Some("Your demo is broken."));
    assert_eq!(tree.locales().collect::<Vec<_>>(), ["en"]);
    assert_eq!(tree.start(), "n1");
    let mut ids: Vec<&str> = tree.node_ids().collect();
    ids.sort_unstable();
    assert_eq!(ids, ["n1", "n2", "n3", "n4", "n5"]);

    let mut session = Session::builder(&tree).start().expect("starts");
    let Step::Ask(question) = session.current() else {
        panic!("the root is a question")
    };
    assert_eq!(question.node, "n1");
    assert_eq!(question.text, "Is it plugged in?");
    assert_eq!(question.fact, Some("n1"));
    let offered: Vec<(String, &str)> = question
        .answers()
        .map(|a| (a.value.to_string(), a.text))
        .collect();
    assert_eq!(
        offered,
        [("yes".to_owned(), "Yes"), ("no".to_owned(), "No")]
    );

    session.answer("no").expect("offered");
    assert!(
        matches!(session.current(), Step::Ask(q) if q.node == "n3" && q.text == "Does the light come on?")
    );
    session.answer_str("yes").expect("offered");
    match session.current() {
        Step::Resolved(r) => {
            assert_eq!(r.node, "n4");
            assert_eq!(r.text, "Replace the fuse.");
        }
        other => panic!("expected the resolution n4, got {other:?}"),
    }
    assert_eq!(session.path_ids(), ["n1", "n3", "n4"]);

    let mut session = Session::builder(&tree).start().expect("starts");
    session.answer("yes").expect("offered");
    assert!(matches!(session.current(), Step::Resolved(r) if r.node == "n2"));

    // A host that knows the first answer supplies it as the question's fact.
    let session = Session::builder(&tree)
        .fact("n1", "no")
        .start()
        .expect("starts");
    assert!(matches!(session.current(), Step::Ask(q) if q.node == "n3"));
}

#[test]
fn nodes_are_written_in_numeric_order_and_the_id_can_be_chosen() {
    let json = chart(
        &[
            t("10", "Ten."),
            q("2", "Two?"),
            q("1", "One?"),
            t("11", "Eleven."),
            t("3", "Three."),
        ],
        r#""2": {"no": "11", "yes": "10"}, "1": {"yes": "2", "no": "3"}"#,
    );
    let imported = import(&json, &ImportOptions::new().tree_id("flodial_demo")).expect("imports");
    assert_eq!(imported.tree_id, "flodial_demo");
    let at = |id: &str| {
        imported
            .ron
            .find(&format!("id: \"{id}\""))
            .unwrap_or_else(|| panic!("{id} is written"))
    };
    assert!(at("n1") < at("n2") && at("n2") < at("n3") && at("n3") < at("n10"));
    assert!(at("n10") < at("n11"));
    // "yes" is written first, whatever the order in the file.
    let yes = imported.ron.find(r#"next: "n10""#).expect("yes edge");
    let no = imported.ron.find(r#"next: "n11""#).expect("no edge");
    assert!(yes < no);
    compile(&imported);
}

#[test]
fn the_same_chart_imports_to_the_same_text() {
    let a = import(&good(), &ImportOptions::new()).expect("imports");
    let b = import(&good(), &ImportOptions::new()).expect("imports");
    assert_eq!(a, b);
}

// ------------------------------------------------------------------------------ gaps

#[test]
fn a_missing_answer_escalates_and_the_raw_import_shows_w002() {
    let repaired = import(&gappy(), &ImportOptions::new()).expect("imports");
    assert_eq!(repaired.gaps.len(), 1);
    let gap = &repaired.gaps[0];
    assert_eq!(gap.node, "n2");
    assert_eq!(gap.chart_node, "2");
    assert_eq!(gap.answer, "yes");
    assert_eq!(gap.question, "Does the light come on?");
    assert_eq!(gap.escalate.as_deref(), Some("escalate_n2_yes"));
    assert_eq!(
        gap.to_string(),
        r#"question n2 has no step for "yes"; it escalates at escalate_n2_yes"#
    );

    let tree = compile(&repaired);
    let mut session = Session::builder(&tree).start().expect("starts");
    session.answer("yes").expect("offered");
    session.answer("yes").expect("offered after the repair");
    match session.current() {
        Step::Escalated(e) => {
            assert_eq!(e.node, "escalate_n2_yes");
            assert!(e.reason.contains("Does the light come on?"), "{}", e.reason);
        }
        other => panic!("expected an escalation, got {other:?}"),
    }
    assert_eq!(session.path_ids(), ["n1", "n2", "escalate_n2_yes"]);

    let raw = import(&gappy(), &ImportOptions::raw()).expect("imports");
    assert_eq!(raw.gaps.len(), 1);
    assert_eq!(raw.gaps[0].node, "n2");
    assert_eq!(raw.gaps[0].escalate, None);
    assert!(!raw.ron.contains("Escalate("));
    let report = Loader::new().tree("demo.ron", &raw.ron);
    assert_eq!(report.findings.len(), 1, "{:#?}", report.findings);
    let finding = &report.findings[0];
    assert_eq!(finding.code, Code::UncoveredAnswer);
    assert_eq!(finding.severity, Severity::Warning);
    assert_eq!(finding.node.as_deref(), Some("n2"));
    // At the question's answer list, in the raw text.
    let line = raw
        .ron
        .lines()
        .nth(finding.line as usize - 1)
        .expect("the line exists");
    assert!(line.trim_start().starts_with("answers:"), "{line}");
    let before: &str = &raw.ron[..raw.ron.find(r#"id: "n2""#).expect("n2")];
    assert_eq!(
        before.lines().count() + 3,
        finding.line as usize,
        "the finding is in n2's node"
    );

    // Warnings only: the raw tree walks, and the missing answer is not offered.
    let tree = report.loaded.expect("warnings do not refuse a tree");
    let mut session = Session::builder(&tree).start().expect("starts");
    session.answer("yes").expect("offered");
    assert!(matches!(
        session.answer("yes"),
        Err(AnswerError::NotOffered { .. })
    ));
    session.answer("no").expect("offered");
    assert!(matches!(session.current(), Step::Resolved(r) if r.node == "n4"));
}

#[test]
fn a_question_without_any_edge_escalates_on_both_answers() {
    let json = chart(
        &[q("1", "First?"), t("2", "Done."), q("3", "Dead end?")],
        r#""1": {"yes": "2", "no": "3"}"#,
    );
    let repaired = import(&json, &ImportOptions::new()).expect("imports");
    let gaps: Vec<(&str, &str)> = repaired
        .gaps
        .iter()
        .map(|g| (g.node.as_str(), g.answer.as_str()))
        .collect();
    assert_eq!(gaps, [("n3", "yes"), ("n3", "no")]);
    compile(&repaired);

    // Raw, the question has no answers at all, which the validator refuses (E014).
    let raw = import(&json, &ImportOptions::raw()).expect("imports");
    let report = Loader::new().tree("demo.ron", &raw.ron);
    assert!(
        report
            .findings
            .iter()
            .any(|f| f.code == Code::InvalidDefinition && f.node.as_deref() == Some("n3")),
        "{:#?}",
        report.findings
    );
}

// -------------------------------------------------------------------------- escaping

#[test]
fn texts_are_escaped_and_come_back_unchanged() {
    let utterance = "He said \"stop\" \\ C:\\path\nsecond line\ttab \u{1b}[31mred \u{7f} \
                     “curly” ‘quotes’ r#\"raw\"# */ /* // \u{202e}txet\u{202c} \u{2028} \u{feff} 中文";
    let label = "A label\nwith */ a line break /* and \u{1b}]0;title\u{7}";
    let description = "It's \"broken\"\r\n";
    let node = |id: &str, terminal: bool, text: &str| {
        format!(
            "{}: {{\"label\": {}, \"terminal\": {terminal}, \"utterance\": {}}}",
            serde_json::to_string(id).expect("a string"),
            serde_json::to_string(label).expect("a string"),
            serde_json::to_string(text).expect("a string")
        )
    };
    let json = format!(
        r#"{{"name": "quote\"d", "category": "x\ny", "problem_description": {},
            "nodes": {{{}, {}, {}}}, "edges": {{"1": {{"yes": "2", "no": "3"}}}}}}"#,
        serde_json::to_string(description).expect("a string"),
        node("1", false, utterance),
        node("2", true, utterance),
        node("3", true, "plain"),
    );
    let imported = import(&json, &ImportOptions::new()).expect("imports");
    // Nothing invisible or terminal-driving is left in the file itself.
    assert!(
        !imported
            .ron
            .chars()
            .any(|c| (c.is_control() && c != '\n')
                || matches!(c, '\u{202e}' | '\u{2028}' | '\u{feff}')),
        "{}",
        imported.ron
    );
    // The name is free text; the tree id keeps to the identifier alphabet.
    assert_eq!(imported.tree_id, "quote_d");
    let tree = compile(&imported);
    assert_eq!(tree.id(), "quote_d");
    assert_eq!(tree.title("en"), Some(description));
    let mut session = Session::builder(&tree).start().expect("starts");
    assert!(matches!(session.current(), Step::Ask(q) if q.text == utterance));
    session.answer("yes").expect("offered");
    assert!(matches!(session.current(), Step::Resolved(r) if r.text == utterance));
}

#[test]
fn a_byte_order_mark_and_numeric_edge_targets_are_accepted() {
    let json = format!(
        "\u{feff}{}",
        chart(
            &[q("1", "On?"), t("2", "Good."), t("3", "Plug it in.")],
            r#""1": {"yes": 2, "no": "3"}"#,
        )
    );
    let imported = import(&json, &ImportOptions::new()).expect("imports");
    assert!(imported.ron.contains(r#"next: "n2""#));
    compile(&imported);
}

// ------------------------------------------------------------------------- refusals

/// A malformed chart: what it shows, its JSON, the error expected, words the message
/// must contain.
type Refusal = (
    &'static str,
    String,
    fn(&ImportError) -> bool,
    &'static [&'static str],
);

#[test]
fn malformed_charts_are_refused_with_the_chart_and_node_named() {
    let two = [q("1", "One?"), t("2", "Two."), t("3", "Three.")];
    let cases: Vec<Refusal> = vec![
        (
            "not JSON",
            r#"{"name": "demo", "nodes": "#.to_owned(),
            |e| matches!(e, ImportError::Json { .. }),
            &["not valid JSON", "line 1"],
        ),
        (
            "trailing text",
            format!("{} x", good()),
            |e| matches!(e, ImportError::Json { .. }),
            &["trailing"],
        ),
        (
            "nested too deep",
            "[".repeat(100_000),
            |e| matches!(e, ImportError::Json { .. }),
            &["recursion limit"],
        ),
        (
            "not an object",
            "[1, 2]".to_owned(),
            |e| matches!(e, ImportError::NotObject { found: "an array" }),
            &["JSON object", "an array"],
        ),
        (
            "a key given twice",
            r#"{"name": "demo", "nodes": {"1": {}, "1": {}}, "edges": {}}"#.to_owned(),
            |e| matches!(e, ImportError::Json { .. }),
            &[r#"duplicate key "1""#, "line 1"],
        ),
        (
            "no nodes",
            r#"{"name": "demo", "edges": {}}"#.to_owned(),
            |e| matches!(e, ImportError::MissingField { field: "nodes", .. }),
            &[r#""demo""#, r#""nodes""#],
        ),
        (
            "nodes not an object",
            r#"{"name": "demo", "nodes": [], "edges": {}}"#.to_owned(),
            |e| matches!(e, ImportError::InvalidField { field: "nodes", .. }),
            &[r#""demo""#, "an array"],
        ),
        (
            "name not a string",
            r#"{"name": 7, "nodes": {}, "edges": {}}"#.to_owned(),
            |e| matches!(e, ImportError::InvalidField { field: "name", .. }),
            &["a number"],
        ),
        (
            "no edges",
            r#"{"name": "demo", "nodes": {"1": {"label": "x", "terminal": true, "utterance": "y"}}}"#
                .to_owned(),
            |e| matches!(e, ImportError::MissingField { field: "edges", .. }),
            &[r#""demo""#, r#""edges""#],
        ),
        (
            "a node without terminal",
            r#"{"name": "demo", "nodes": {"1": {"label": "x", "utterance": "y"}}, "edges": {}}"#
                .to_owned(),
            |e| matches!(e, ImportError::InvalidNode { node, .. } if node == "1"),
            &[r#"chart "demo", node "1""#, r#""terminal" is missing"#],
        ),
        (
            "a label that is not a string",
            r#"{"name": "demo", "nodes": {"1": {"label": 3, "terminal": true, "utterance": "y"}}, "edges": {}}"#
                .to_owned(),
            |e| matches!(e, ImportError::InvalidNode { node, .. } if node == "1"),
            &[r#"node "1""#, r#""label" must be a string, found a number"#],
        ),
        (
            "a node that is not an object",
            r#"{"name": "demo", "nodes": {"1": "hello"}, "edges": {}}"#.to_owned(),
            |e| matches!(e, ImportError::InvalidNode { node, .. } if node == "1"),
            &[r#"node "1""#, "a string"],
        ),
        (
            "no root",
            chart(&[t("2", "Two.")], ""),
            |e| matches!(e, ImportError::MissingRoot { .. }),
            &[r#"chart "demo" has no root node "1""#],
        ),
        (
            "an edge to a missing node",
            chart(&two, r#""1": {"yes": "2", "no": "9"}"#),
            |e| {
                matches!(e, ImportError::EdgeToMissingNode { from, answer, to, .. }
                    if from == "1" && answer == "no" && to == "9")
            },
            &[r#"chart "demo", node "1""#, r#"the "no" edge"#, r#"node "9""#],
        ),
        (
            "edges from a missing node",
            chart(&two, r#""1": {"yes": "2", "no": "3"}, "7": {"yes": "2"}"#),
            |e| matches!(e, ImportError::EdgeFromMissingNode { node, .. } if node == "7"),
            &[r#""demo""#, r#"node "7""#],
        ),
        (
            "an edge key other than yes or no",
            chart(&two, r#""1": {"yes": "2", "maybe": "3"}"#),
            |e| matches!(e, ImportError::BadEdgeKey { node, key, .. } if node == "1" && key == "maybe"),
            &[r#"node "1""#, r#"edge key "maybe""#],
        ),
        (
            "an edge key in capitals",
            chart(&two, r#""1": {"Yes": "2", "no": "3"}"#),
            |e| matches!(e, ImportError::BadEdgeKey { key, .. } if key == "Yes"),
            &[r#""Yes""#],
        ),
        (
            "an edge target that is not an id",
            chart(&two, r#""1": {"yes": true, "no": "3"}"#),
            |e| matches!(e, ImportError::InvalidEdge { node, .. } if node == "1"),
            &[r#"node "1""#, r#"the "yes" edge must name a node id, found a boolean"#],
        ),
        (
            "edges that are not an object",
            chart(&two, r#""1": ["2", "3"]"#),
            |e| matches!(e, ImportError::InvalidEdge { node, .. } if node == "1"),
            &[r#"node "1""#, "an array"],
        ),
        (
            "a terminal node with edges",
            chart(
                &[q("1", "One?"), t("2", "Two."), t("3", "Three."), t("4", "Four.")],
                r#""1": {"yes": "2", "no": "3"}, "2": {"yes": "4"}"#,
            ),
            |e| matches!(e, ImportError::TerminalWithEdges { node, .. } if node == "2"),
            &[r#"node "2" is terminal"#],
        ),
        (
            "a node with two parents",
            chart(
                &[q("1", "One?"), t("2", "Two."), q("3", "Three?"), t("4", "Four.")],
                r#""1": {"yes": "2", "no": "3"}, "3": {"yes": "2", "no": "4"}"#,
            ),
            |e| {
                matches!(e, ImportError::TwoParents { node, first, second, .. }
                    if node == "2" && first == "1" && second == "3")
            },
            &[r#"chart "demo", node "2" has two parents, "1" and "3""#],
        ),
        (
            "both answers to one node",
            chart(&two, r#""1": {"yes": "2", "no": "2"}"#),
            |e| matches!(e, ImportError::SameTarget { node, target, .. } if node == "1" && target == "2"),
            &[r#"node "1": "yes" and "no" both lead to node "2""#],
        ),
        (
            "a node that is its own child",
            chart(
                &[q("1", "One?"), t("2", "Two."), q("3", "Three?"), t("4", "Four.")],
                r#""1": {"yes": "2", "no": "3"}, "3": {"yes": "3", "no": "4"}"#,
            ),
            |e| matches!(e, ImportError::Cycle { nodes, .. } if nodes == &["3", "3"]),
            &[r#"cycle "3" → "3""#],
        ),
        (
            "a cycle away from the root",
            chart(
                &[q("1", "One?"), t("2", "Two."), q("3", "Three?"), q("4", "Four?"), t("5", "Five.")],
                r#""1": {"yes": "2", "no": "5"}, "4": {"yes": "3"}, "3": {"no": "4"}"#,
            ),
            |e| matches!(e, ImportError::Cycle { nodes, .. } if nodes == &["3", "4", "3"]),
            &[r#"chart "demo": the edges form a cycle "3" → "4" → "3""#],
        ),
        (
            "a cycle through the root",
            chart(
                &[q("1", "One?"), q("2", "Two?"), t("3", "Three."), t("4", "Four.")],
                r#""1": {"yes": "2", "no": "3"}, "2": {"yes": "1", "no": "4"}"#,
            ),
            |e| matches!(e, ImportError::Cycle { nodes, .. } if nodes == &["1", "2", "1"]),
            &[r#"cycle "1" → "2" → "1""#],
        ),
        (
            "a node nothing leads to",
            chart(
                &[q("1", "One?"), t("2", "Two."), t("3", "Three."), q("6", "Six?"), t("7", "Seven.")],
                r#""1": {"yes": "2", "no": "3"}, "6": {"yes": "7"}"#,
            ),
            |e| matches!(e, ImportError::Unreachable { node, .. } if node == "6"),
            &[r#"chart "demo", node "6": no edge leads to it"#],
        ),
        (
            "an edge into the root from a second root",
            chart(
                &[q("1", "One?"), t("2", "Two."), t("3", "Three."), q("6", "Six?")],
                r#""1": {"yes": "2", "no": "3"}, "6": {"yes": "1"}"#,
            ),
            |e| matches!(e, ImportError::Unreachable { node, .. } if node == "6"),
            &[r#"node "6""#],
        ),
        (
            "an empty name",
            good().replace(r#""name": "demo""#, r#""name": """#),
            |e| matches!(e, ImportError::InvalidField { field: "name", .. }),
            &["non-empty"],
        ),
        (
            "no name",
            good().replace(r#""name": "demo","#, ""),
            |e| matches!(e, ImportError::MissingField { field: "name", .. }),
            &[r#"chart "(unnamed)" has no "name""#],
        ),
    ];
    let mut failures = Vec::new();
    for (what, json, expected, words) in cases {
        let err = import_err(&json);
        let message = err.to_string();
        if !expected(&err) {
            failures.push(format!("{what}: unexpected error {err:?}"));
        }
        for word in words {
            if !message.contains(word) {
                failures.push(format!("{what}: message {message:?} lacks {word:?}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_chart_without_a_name_imports_with_a_given_id() {
    let json = good().replace(r#""name": "demo","#, "");
    let imported = import(&json, &ImportOptions::new().tree_id("given")).expect("imports");
    assert_eq!(compile(&imported).id(), "given");
}

#[test]
fn oversized_charts_are_refused() {
    let nodes: Vec<String> = (1..=10_001).map(|i| t(&i.to_string(), "x")).collect();
    let err = import_err(&chart(&nodes, ""));
    assert!(
        matches!(err, ImportError::TooLarge { nodes: 10_001, .. }),
        "{err:?}"
    );
}

#[test]
fn a_long_chain_imports_without_deep_recursion() {
    // A chart 5,000 questions deep: every check walks it without recursion.
    let n = 5_000;
    let mut nodes: Vec<String> = (1..=n).map(|i| q(&i.to_string(), "Next?")).collect();
    let mut edges: Vec<String> = (1..n)
        .map(|i| format!(r#""{i}": {{"yes": "{}", "no": "end{i}"}}"#, i + 1))
        .collect();
    nodes.extend((1..n).map(|i| t(&format!("end{i}"), "Done.")));
    nodes.push(t("last", "Done."));
    edges.push(format!(r#""{n}": {{"yes": "last"}}"#));
    let imported =
        import(&chart(&nodes, &edges.join(", ")), &ImportOptions::new()).expect("imports");
    assert_eq!(imported.gaps.len(), 1);
    assert_eq!(imported.questions, n);
}

// --------------------------------------------------------------------------- replay

/// A dialogue on chart "demo" whose agent turns are grounded on these chart nodes.
fn dialogue(flowchart: &str, nodes: &[&str]) -> String {
    let mut turns = vec![
        r#"{"speaker": "user", "utterance": "It is broken.", "turn_id": 1, "grounded_doc_id": "chart-0"}"#
            .to_owned(),
    ];
    for node in nodes {
        for speaker in ["agent", "user"] {
            turns.push(format!(
                r#"{{"speaker": "{speaker}", "utterance": "...", "turn_id": 2, "grounded_doc_id": "chart-{node}"}}"#
            ));
        }
        turns.push(r#"{"speaker": "agent", "utterance": "See the FAQ.", "turn_id": 3, "grounded_doc_id": "faq-1"}"#.to_owned());
    }
    turns.push(r#"{"speaker": "user", "utterance": "Thanks!", "turn_id": 4}"#.to_owned());
    format!(
        r#"{{"flowchart": "{flowchart}", "utterences": [{}]}}"#,
        turns.join(", ")
    )
}

#[test]
fn replay_reproduces_dialogues_and_names_where_others_part() {
    let dialogues = format!(
        r#"{{"1": {}, "2": {}, "3": {}, "4": {}, "5": {}, "6": {}, "10": {}}}"#,
        dialogue("demo", &["1", "3", "4"]),
        // The opening message answered the first question: starts lower down.
        dialogue("demo", &["3", "5"]),
        // Skips a node: there is no edge from 1 to 4.
        dialogue("demo", &["1", "4"]),
        // Ends at a question.
        dialogue("demo", &["1", "3"]),
        dialogue("elsewhere", &["1"]),
        dialogue("demo", &["1", "9"]),
        dialogue("demo", &["1", "2"]),
    );
    let good = good();
    let report = replay([("demo.json", good.as_str())], &dialogues).expect("replays");
    assert_eq!(report.dialogues(), 7);
    assert_eq!(report.reproduced(), 3);
    assert!(!report.is_exact());
    assert_eq!(
        report.unknown_chart,
        [("5".to_owned(), "elsewhere".to_owned())]
    );
    let chart = &report.charts[0];
    assert_eq!((chart.dialogues, chart.reproduced), (6, 3));
    let parts: Vec<(&str, usize, Option<&str>, Option<&str>)> = chart
        .mismatches
        .iter()
        .map(|m| {
            (
                m.dialogue.as_str(),
                m.step,
                m.expected.as_deref(),
                m.walked.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        parts,
        [
            ("3", 1, Some("n4"), None),
            ("4", 2, None, Some("n3")),
            ("6", 1, Some("n9"), None),
        ]
    );
    let text = report.to_string();
    assert!(
        text.starts_with("demo: 6 dialogues, 3 reproduced, 3 mismatches; dialogue 3 first differs at step 1: expected n4"),
        "{text}"
    );
    assert!(
        text.contains(r#"dialogue 5: no chart named "elsewhere""#),
        "{text}"
    );
    assert!(
        text.ends_with("replayed: 3/7 dialogues reproduced exactly"),
        "{text}"
    );
}

#[test]
fn replay_reports_charts_that_do_not_import() {
    let broken = chart(&[t("2", "Two.")], "");
    let report = replay(
        [("broken.json", broken.as_str())],
        &format!(r#"{{"1": {}}}"#, dialogue("broken.json", &["2"])),
    )
    .expect("replays");
    assert!(matches!(
        report.charts[0].import_error,
        Some(ImportError::MissingRoot { .. })
    ));
    assert_eq!(report.reproduced(), 0);
    assert_eq!(report.dialogues(), 1);
}

#[test]
fn replay_refuses_malformed_dialogue_files_and_ambiguous_charts() {
    let good = good();
    for bad in [
        "[]",
        "{",
        r#"{"1": {"utterences": []}}"#,
        r#"{"1": {"flowchart": "demo"}}"#,
    ] {
        let err = replay([("demo.json", good.as_str())], bad).expect_err("refused");
        assert!(
            err.to_string()
                .starts_with("the dialogues are not in FloDial's format"),
            "{err}"
        );
    }
    let err =
        replay([("a.json", good.as_str()), ("b.json", good.as_str())], "{}").expect_err("refused");
    assert_eq!(
        err.to_string(),
        r#"charts a.json and b.json are both named "demo""#
    );
}

// --------------------------------------------------------------------------- corpus

fn corpus() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpora/flodial");
    if dir.join("knowledge-sources").is_dir() && dir.join("dialogs/test_dialogs.json").is_file() {
        Some(dir)
    } else {
        eprintln!(
            "note: FloDial corpus not found at {}; skipping (it is not part of this repository)",
            dir.display()
        );
        None
    }
}

#[test]
fn corpus_every_dialogue_is_reproduced_and_every_chart_checks_clean() {
    let Some(dir) = corpus() else { return };
    let report = replay_dir(
        dir.join("knowledge-sources"),
        dir.join("dialogs/test_dialogs.json"),
    )
    .expect("the corpus is readable");
    println!("{report}");
    assert_eq!(report.charts.len(), 10);
    for chart in &report.charts {
        assert!(chart.import_error.is_none(), "{chart}");
        assert!(chart.findings.is_empty(), "{chart}");
        assert!(chart.mismatches.is_empty(), "{chart}");
        assert!(chart.dialogues > 0, "{chart}");
    }
    assert!(report.unknown_chart.is_empty());
    assert_eq!(report.dialogues(), 396);
    assert_eq!(report.reproduced(), 396);
    assert!(report.is_exact());
    assert!(
        report
            .to_string()
            .ends_with("replayed: 396/396 dialogues reproduced exactly")
    );

    // What the validator finds in the raw charts: exactly the known one-armed questions,
    // each as W002 at its node, and nothing else.
    let gaps: Vec<(&str, Vec<(&str, &str)>)> = report
        .charts
        .iter()
        .filter(|c| !c.gaps.is_empty())
        .map(|c| {
            (
                c.chart.as_str(),
                c.gaps
                    .iter()
                    .map(|g| (g.node.as_str(), g.answer.as_str()))
                    .collect(),
            )
        })
        .collect();
    assert_eq!(
        gaps,
        [
            ("engine_overheats", vec![("n4", "no"), ("n26", "no")]),
            ("laptop_drive", vec![("n3", "no")]),
            ("ticking", vec![("n7", "yes")]),
        ]
    );
    for chart in &report.charts {
        let found: Vec<(Code, Option<&str>)> = chart
            .raw_findings
            .iter()
            .map(|f| (f.code, f.node.as_deref()))
            .collect();
        let expected: Vec<(Code, Option<&str>)> = chart
            .gaps
            .iter()
            .map(|g| (Code::UncoveredAnswer, Some(g.node.as_str())))
            .collect();
        assert_eq!(found, expected, "{}", chart.chart);
    }
}

#[test]
fn corpus_charts_import_alone_and_check_clean() {
    let Some(dir) = corpus() else { return };
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join("knowledge-sources"))
        .expect("readable")
        .map(|e| e.expect("readable").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 10);
    for file in files {
        let json = std::fs::read_to_string(&file).expect("readable");
        let imported = import(&json, &ImportOptions::new()).expect("imports");
        let report = Loader::new().tree(&file.display().to_string(), &imported.ron);
        assert!(
            report.findings.is_empty(),
            "{}: {:#?}",
            file.display(),
            report.findings
        );
        let tree = report.loaded.expect("compiles");
        assert_eq!(
            tree.node_count(),
            imported.questions + imported.resolutions + imported.gaps.len()
        );
        let title = tree.title("en").expect("a title");
        assert!(json.contains(title), "{}", file.display());
    }
}

//! `troubletree import flodial`: the tree on stdout or in a file, gaps on stderr, exit codes.

use std::path::PathBuf;
use std::process::{Command, Output};

fn dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("flodial_cli");
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    dir
}

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_troubletree"))
        .args(args)
        .output()
        .expect("the binary runs")
}

fn write(name: &str, text: &str) -> String {
    let path = dir().join(name);
    std::fs::write(&path, text).expect("writable");
    path.display().to_string()
}

#[test]
fn import_writes_the_tree_and_reports_gaps() {
    let chart = write("gappy.json", &gappy());
    let out = run(&["import", "flodial", &chart]);
    assert_eq!(out.status.code(), Some(0));
    let ron = String::from_utf8(out.stdout).expect("UTF-8");
    assert!(
        troubletree::Loader::new()
            .tree("x.ron", &ron)
            .findings
            .is_empty()
    );
    let err = String::from_utf8(out.stderr).expect("UTF-8");
    assert!(
        err.contains(r#"gap: question n2 ("Does the light come on?") has no step for "yes": escalates at escalate_n2_yes"#),
        "{err}"
    );
    assert!(
        err.contains(r#"imported tree "demo": 2 question(s), 2 resolution(s), 1 gap(s) repaired"#),
        "{err}"
    );

    let target = dir().join("gappy.ron");
    let target_text = target.display().to_string();
    let out = run(&["import", "flodial", &chart, "-o", &target_text]);
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty());
    assert_eq!(std::fs::read_to_string(&target).expect("written"), ron);

    let out = run(&["import", "flodial", "--raw", &chart]);
    assert_eq!(out.status.code(), Some(0));
    let raw = String::from_utf8(out.stdout).expect("UTF-8");
    let findings = troubletree::Loader::new().tree("x.ron", &raw).findings;
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].code, troubletree::Code::UncoveredAnswer);
}

#[test]
fn import_exit_codes() {
    let cyclic = write(
        "cyclic.json",
        &chart(
            &[q("1", "One?"), q("2", "Two?"), t("3", "Three.")],
            r#""1": {"yes": "2", "no": "3"}, "2": {"yes": "1"}"#,
        ),
    );
    let out = run(&["import", "flodial", &cyclic]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8(out.stderr).expect("UTF-8");
    assert!(
        err.contains("cyclic.json: chart \"demo\": the edges form a cycle"),
        "{err}"
    );

    let not_json = write("not.json", "{ nope");
    let out = run(&["import", "flodial", &not_json]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not valid JSON"));

    let not_utf8 = dir().join("latin1.json");
    std::fs::write(&not_utf8, b"{\"name\": \"caf\xe9\"}").expect("writable");
    let out = run(&["import", "flodial", &not_utf8.display().to_string()]);
    assert_eq!(out.status.code(), Some(1));

    let missing = dir().join("missing.json").display().to_string();
    let out = run(&["import", "flodial", &missing]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read"));

    let chart = write("good.json", &good());
    let out = run(&[
        "import",
        "flodial",
        &chart,
        "-o",
        &dir().join("no/such/dir/x.ron").display().to_string(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot write"));

    assert_eq!(run(&["import", "flodial"]).status.code(), Some(2));
    assert_eq!(run(&["import", "visio", &chart]).status.code(), Some(2));
}

// Charts, written as FloDial writes them.

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

//! Snapshots (insta) of what a person reads: `run` (each outcome, human and JSON),
//! `paths`, `test`, and the hostile fixtures with their characters neutralised.
//! `cargo insta review` shows a changed output as a diff; accept it only if the change is
//! meant.

use crate::cli::{AT, ESCAPE, RECHARGE, assert_terminal_safe, stdout, tt};

/// `troubletree ARGS` (a fixed time, English): stdout, the exit code and stderr if any.
fn shown(args: &[&str]) -> String {
    let mut all: Vec<&str> = args.to_vec();
    if args.first() == Some(&"run") {
        all.extend(["--at", AT, "--lang", "en"]);
    }
    let o = tt(&all);
    assert_terminal_safe(&o, &format!("{args:?}"));
    let mut out = stdout(&o);
    out.push_str(&format!("[exit {}]\n", o.status.code().unwrap_or(-1)));
    let err = String::from_utf8_lossy(&o.stderr);
    if !err.is_empty() {
        out.push_str("[stderr]\n");
        out.push_str(&err);
    }
    out
}

#[test]
fn run_endings() {
    let resolved = [
        "--answer",
        "check_debited=false",
        "--answer",
        "check_network=false",
        "--answer",
        "fix_network=solved",
    ];
    let escalated = [
        "--answer",
        "check_debited=true",
        "--answer",
        "debited_hours=50",
    ];
    for (name, answers) in [
        ("resolved", &resolved[..]),
        ("escalated", &escalated[..]),
        ("needs_answer", &["--answer", "check_debited=false"][..]),
    ] {
        let mut args = vec!["run", RECHARGE];
        args.extend(answers);
        insta::assert_snapshot!(format!("run_{name}"), shown(&args));
        args.push("--json");
        insta::assert_snapshot!(format!("run_{name}_json"), shown(&args));
    }
}

#[test]
fn run_refusals() {
    insta::assert_snapshot!(
        "run_not_offered",
        shown(&["run", RECHARGE, "--answer", "check_debited=maybe"])
    );
    insta::assert_snapshot!(
        "run_wrong_type",
        shown(&["run", RECHARGE, "--fact", "hours_since_debit=abc"])
    );
}

#[test]
fn paths_of_a_shipped_tree() {
    insta::assert_snapshot!("paths", shown(&["paths", RECHARGE]));
    insta::assert_snapshot!("paths_json", shown(&["paths", RECHARGE, "--json"]));
}

#[test]
fn scenarios_of_a_shipped_tree() {
    insta::assert_snapshot!(
        "test",
        shown(&["test", "tests/scenarios/recharge_failure.ron"])
    );
}

#[test]
fn hostile_texts_as_printed() {
    insta::assert_snapshot!(
        "hostile_run",
        shown(&[
            "run",
            ESCAPE,
            "--trees",
            ESCAPE,
            "--answer",
            "ask_network=false"
        ])
    );
    insta::assert_snapshot!(
        "hostile_run_json",
        shown(&["run", ESCAPE, "--trees", ESCAPE, "--json"])
    );
    insta::assert_snapshot!("hostile_paths", shown(&["paths", ESCAPE]));
    insta::assert_snapshot!(
        "hostile_findings",
        shown(&["check", "tests/data/hostile/escape_findings.ron"])
    );
}

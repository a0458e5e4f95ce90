//! `troubletree stats`, `export --traffic`, `explain` and `replay`, driven as a process.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;
use troubletree::{Catalogue, Session};

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");

fn tt(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_troubletree"))
        .args(args)
        .current_dir(ROOT)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("the binary runs")
}

fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}):\n{}\n{}",
            out(o),
            String::from_utf8_lossy(&o.stderr)
        )
    })
}

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a scratch folder");
    dir
}

/// Compares `actual` with the committed file `tests/data/events/NAME`; with
/// `UPDATE_EXPECT=1` in the environment, writes it instead.
fn expect_file(name: &str, actual: &str) {
    let path = Path::new(ROOT).join("tests/data/events").join(name);
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        std::fs::write(&path, actual).expect("writes the expected output");
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        expected == actual,
        "the output differs from {}; if the change is deliberate, rerun with UPDATE_EXPECT=1 and review the diff.\n--- actual ---\n{actual}",
        path.display()
    );
}

// ------------------------------------------------------------------------ stats

#[test]
fn stats_of_the_handmade_events_read_as_committed() {
    let o = tt(&["stats", "tests/data/events/handmade.jsonl"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    expect_file("handmade.stats.txt", &out(&o));
    let o = tt(&[
        "stats",
        "tests/data/events/handmade.jsonl",
        "--tree",
        "handmade",
        "--since",
        "2026-05-06T00:03:00Z",
        "--until",
        "2026-05-06T00:06:30Z",
        "--json",
    ]);
    let report = json(&o);
    let v = &report["versions"][0];
    assert_eq!(v["fingerprint"], "ce0a9fad70fa74ca");
    assert_eq!(v["sessions"]["started"], 4);
    assert_eq!(v["sessions"]["escalated"], 1);
    assert_eq!(v["sessions"]["handed_off"], 1);
    assert_eq!(v["sessions"]["in_progress"], 2);
}

#[test]
fn stats_read_standard_input_and_refuse_a_backwards_range() {
    let file =
        std::fs::read(Path::new(ROOT).join("tests/data/events/handmade.jsonl")).expect("readable");
    let mut child = Command::new(env!("CARGO_BIN_EXE_troubletree"))
        .args(["stats", "-", "--json"])
        .current_dir(ROOT)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("starts");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("stdin");
        stdin.write_all(&file).expect("writes");
    }
    let o = child.wait_with_output().expect("output");
    assert_eq!(json(&o)["versions"][0]["sessions"]["resolved"], 3);
    let o = tt(&[
        "stats",
        "tests/data/events/handmade.jsonl",
        "--since",
        "2026-05-07",
        "--until",
        "2026-05-06",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("the range is empty"));
}

#[test]
fn hostile_event_text_is_escaped_in_the_text_report() {
    let dir = scratch("stats-hostile");
    let line = r#"{"session":"s","seq":0,"at":"2026-05-06T00:00:00Z","tree":"t\u001b[2J","fingerprint":"f","kind":"started","node":"n\u0007"}"#;
    let file = dir.join("events.jsonl");
    std::fs::write(&file, format!("{line}\n")).expect("writes");
    let o = tt(&["stats", file.to_str().expect("utf-8")]);
    assert!(o.status.success());
    assert!(
        !o.stdout.contains(&0x1b) && !o.stdout.contains(&0x07),
        "{}",
        out(&o)
    );
}

#[test]
fn traffic_is_drawn_on_the_version_the_events_are_of() {
    let o = tt(&[
        "export",
        "tests/data/events/handmade.ron",
        "--format",
        "dot",
        "--traffic",
        "tests/data/events/handmade.jsonl",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    expect_file("handmade.traffic.dot", &out(&o));
    // Another version of the tree has no traffic in these events: said, not drawn.
    let o = tt(&[
        "export",
        "trees/refund.ron",
        "--format",
        "mermaid",
        "--traffic",
        "tests/data/events/handmade.jsonl",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("holds no event of this version"));
}

// ---------------------------------------------------------------------- explain

#[test]
fn explain_tells_each_decision_of_a_save_and_of_a_ticket() {
    let dir = scratch("explain");
    let save = dir.join("save.json");
    let o = tt(&[
        "run",
        "trees/recharge_failure.ron",
        "--lang",
        "en",
        "--fact",
        "money_debited=true",
        "--answer",
        "debited_hours=72",
        "--answer",
        "ask_debit_amount=120",
        "--at",
        "2026-11-22 10:00",
        "--json",
        "--save",
        save.to_str().expect("utf-8"),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let ticket = dir.join("ticket.json");
    std::fs::write(&ticket, json(&o)["ticket"].to_string()).expect("writes");

    let o = tt(&["explain", save.to_str().expect("utf-8")]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = out(&o);
    assert!(
        text.contains(
            "3. recharge_failure/debited_hours: decided debited_hours: hours since the debit = 72 → rule 1 (hours since the debit ≥ 48) → ask_debit_amount"
        ),
        "{text}"
    );
    assert!(text.contains("by the host's fact"), "{text}");
    let e = json(&tt(&["explain", save.to_str().expect("utf-8"), "--json"]));
    assert_eq!(e["status"], "escalated");
    let decision = &e["steps"][2]["decision"];
    assert_eq!(decision["rule"], 1);
    assert_eq!(decision["seen"][0]["fact"], "hours_since_debit");
    assert_eq!(decision["seen"][0]["value"], 72.0);
    assert_eq!(decision["next"], "ask_debit_amount");

    // The ticket says the same in its transcript.
    let t = json(&tt(&["explain", ticket.to_str().expect("utf-8"), "--json"]));
    assert_eq!(t["of"], "ticket");
    assert_eq!(t["steps"][2]["kind"], "decision");
    assert_eq!(t["steps"][2]["text"], e["steps"][2]["text"]);

    // On other trees, the save is not explained with the wrong rules.
    let o = tt(&[
        "explain",
        save.to_str().expect("utf-8"),
        "--trees",
        "tests/data/events/handmade.ron",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("give those versions with --trees"));
}

// ----------------------------------------------------------------------- replay

/// The shipped trees, copied to `dir`, with recharge_failure.ron changed by `edit`.
fn trees_with(dir: &Path, edit: impl Fn(&str) -> String) -> PathBuf {
    std::fs::create_dir_all(dir).expect("a folder");
    for entry in std::fs::read_dir(Path::new(ROOT).join("trees")).expect("trees/") {
        let path = entry.expect("an entry").path();
        let name = path.file_name().expect("a name");
        let text = std::fs::read_to_string(&path).expect("readable");
        let text = if name == "recharge_failure.ron" {
            edit(&text)
        } else {
            text
        };
        std::fs::write(dir.join(name), text).expect("writes");
    }
    dir.to_path_buf()
}

/// The text of the node `id` (from its kind to its closing parenthesis and comma).
fn node_span(text: &str, id: &str) -> std::ops::Range<usize> {
    let at = text
        .find(&format!("id: \"{id}\""))
        .unwrap_or_else(|| panic!("node {id} is in recharge_failure.ron"));
    // The node's kind opens the last parenthesis before its id.
    let paren = text[..at].rfind('(').expect("a node kind");
    let start = text[..paren].rfind('\n').map_or(0, |i| i + 1);
    span_from(text, start)
}

/// From `start` (before a `Kind(`), to just after the matching `),`.
fn span_from(text: &str, start: usize) -> std::ops::Range<usize> {
    let bytes = text.as_bytes();
    let (mut depth, mut i, mut in_string) = (0i32, start, false);
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if in_string => i += 1,
            b'"' => in_string = !in_string,
            b'(' | b'[' | b'{' if !in_string => depth += 1,
            b')' | b']' | b'}' if !in_string => {
                depth -= 1;
                if depth == 0 {
                    let end = i + 1 + usize::from(bytes.get(i + 1) == Some(&b','));
                    return start..end;
                }
            }
            _ => {}
        }
        i += 1;
    }
    panic!("unbalanced node")
}

fn reworded(text: &str) -> String {
    let old = "When the top-up failed, did the app or a text message from your bank point to the card or payment channel";
    assert!(
        text.contains(old),
        "check_bank's text changed; update this test"
    );
    text.replacen(
        old,
        "When the top-up failed, did the app or your bank's text message point to the card or the payment channel",
        1,
    )
}

fn new_question(text: &str) -> String {
    let bank = node_span(text, "check_bank");
    let block = &text[bank.clone()];
    assert!(block.contains("next: \"check_account\""));
    let block = block.replacen("next: \"check_account\"", "next: \"check_device\"", 1);
    let question = r#"
        Ask(id: "check_device", text: { "zh": "您是用手机充值的吗？", "en": "Did you top up on your phone?" }, answers: [
            Answer(value: "phone", text: { "zh": "是", "en": "Yes" }, next: "check_account"),
            Answer(value: "other", text: { "zh": "不是", "en": "No" }, next: "check_account"),
        ]),"#;
    format!(
        "{}{block}{question}{}",
        &text[..bank.start],
        &text[bank.end..]
    )
}

fn removed_branch(text: &str) -> String {
    let bank = node_span(text, "check_bank");
    let block = &text[bank.clone()];
    let yes = block
        .find("next: \"switch_channel\"")
        .expect("the yes answer");
    let answer_start = block[..yes].rfind("Answer(").expect("an Answer");
    let answer = span_from(block, answer_start);
    let block = format!("{}{}", &block[..answer.start], &block[answer.end..]);
    let mut text = format!("{}{block}{}", &text[..bank.start], &text[bank.end..]);
    for id in ["switch_channel", "contact_bank", "resolved_channel"] {
        let span = node_span(&text, id);
        text.replace_range(span, "");
    }
    text
}

/// Saves of sessions on the shipped trees, at known places (see the test).
fn saves(dir: &Path) {
    std::fs::create_dir_all(dir).expect("a folder");
    let catalogue = Catalogue::from_dir(Path::new(ROOT).join("trees")).expect("loads");
    let walks: [(&str, &[Value]); 7] = [
        ("a_at_check_bank", &[Value::Bool(false), Value::Bool(true)]),
        (
            "b_at_switch_channel",
            &[false.into(), true.into(), "yes".into()],
        ),
        (
            "c_at_check_account",
            &[false.into(), true.into(), "no".into()],
        ),
        (
            "d_resolved_channel",
            &[false.into(), true.into(), "yes".into(), "solved".into()],
        ),
        (
            "e_escalated_account",
            &[
                false.into(),
                true.into(),
                "no".into(),
                "restricted".into(),
                "not_solved".into(),
            ],
        ),
        (
            "f_resolved_network",
            &[false.into(), false.into(), "solved".into()],
        ),
        ("g_at_start", &[]),
    ];
    for (name, answers) in walks {
        let mut s = Session::builder(&catalogue)
            .tree("recharge_failure")
            .locale("en")
            .start()
            .expect("starts");
        for a in answers {
            let value: troubletree::Value = match a {
                Value::Bool(b) => (*b).into(),
                Value::String(t) => t.as_str().into(),
                other => panic!("{other}"),
            };
            s.answer(value).expect("an offered answer");
        }
        let text = serde_json::to_string(&s.save()).expect("serialises");
        std::fs::write(dir.join(format!("{name}.json")), text).expect("writes");
    }
}

fn verdicts(report: &Value) -> Vec<(String, String, String)> {
    report["verdicts"]
        .as_array()
        .expect("verdicts")
        .iter()
        .map(|v| {
            (
                v["session"]
                    .as_str()
                    .expect("a name")
                    .trim_end_matches(".json")
                    .to_owned(),
                v["state"].as_str().expect("a state").to_owned(),
                v["verdict"].as_str().expect("a verdict").to_owned(),
            )
        })
        .collect()
}

fn v(session: &str, state: &str, verdict: &str) -> (String, String, String) {
    (session.to_owned(), state.to_owned(), verdict.to_owned())
}

#[test]
fn replay_judges_each_stored_session_on_real_edits_of_a_shipped_tree() {
    let dir = scratch("replay");
    let saved = dir.join("saves");
    saves(&saved);
    let (saved, old) = (saved.to_str().expect("utf-8"), "trees");
    let run = |new: &Path, extra: &[&str]| {
        let mut args = vec![
            "replay",
            saved,
            "--trees",
            new.to_str().expect("utf-8"),
            "--from",
            old,
            "--json",
        ];
        args.extend_from_slice(extra);
        tt(&args)
    };

    // 1. A reworded question: every answer still fits; open sessions are replayed,
    //    finished ones keep their outcome.
    let new = trees_with(&dir.join("reworded"), reworded);
    let o = run(&new, &["--max-stranded", "10"]);
    assert!(o.status.success(), "{}", out(&o));
    let r = json(&o);
    assert_eq!(
        verdicts(&r),
        [
            v("a_at_check_bank", "open", "replayed"),
            v("b_at_switch_channel", "open", "replayed"),
            v("c_at_check_account", "open", "replayed"),
            v("d_resolved_channel", "finished", "kept"),
            v("e_escalated_account", "finished", "kept"),
            v("f_resolved_network", "finished", "kept"),
            v("g_at_start", "open", "replayed"),
        ]
    );
    assert_eq!(r["summary"]["stranded_percent"], 0.0);

    // 2. A new question after check_bank's "no": the session waiting past it is
    //    stranded (it would stand at the new question), the finished one through it
    //    loses its outcome; the gate fails at 10 %.
    let new = trees_with(&dir.join("new_question"), new_question);
    let o = run(&new, &["--max-stranded", "10"]);
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    let r = json(&o);
    assert_eq!(
        verdicts(&r),
        [
            v("a_at_check_bank", "open", "replayed"),
            v("b_at_switch_channel", "open", "replayed"),
            v("c_at_check_account", "open", "stranded"),
            v("d_resolved_channel", "finished", "kept"),
            v("e_escalated_account", "finished", "changed"),
            v("f_resolved_network", "finished", "kept"),
            v("g_at_start", "open", "replayed"),
        ]
    );
    let c = &r["verdicts"][2];
    assert_eq!(c["now"], "stopped at recharge_failure/check_device", "{c}");
    assert!(
        c["reason"]
            .as_str()
            .expect("a reason")
            .contains("check_device")
    );
    assert_eq!(
        (c["applied"].as_u64(), c["answers"].as_u64()),
        (Some(3), Some(3))
    );
    let e = &r["verdicts"][4];
    assert!(
        e["reason"]
            .as_str()
            .expect("a reason")
            .contains("after 3 of 5"),
        "{e}"
    );
    assert_eq!(r["summary"]["stranded_percent"], 25.0);
    assert_eq!(r["passed"], false);

    // 3. A removed branch (check_bank's "yes" and what followed it): the session that
    //    took it is stranded, the finished one cannot be replayed; within 30 % it ships.
    let new = trees_with(&dir.join("removed_branch"), removed_branch);
    let o = run(&new, &["--max-stranded", "30"]);
    assert!(o.status.success(), "{}", out(&o));
    let r = json(&o);
    assert_eq!(
        verdicts(&r),
        [
            v("a_at_check_bank", "open", "replayed"),
            v("b_at_switch_channel", "open", "stranded"),
            v("c_at_check_account", "open", "replayed"),
            v("d_resolved_channel", "finished", "changed"),
            v("e_escalated_account", "finished", "kept"),
            v("f_resolved_network", "finished", "kept"),
            v("g_at_start", "open", "replayed"),
        ]
    );
    let b = &r["verdicts"][1];
    assert!(
        b["reason"]
            .as_str()
            .expect("a reason")
            .contains("the answer \"yes\" is not offered at node \"check_bank\""),
        "{b}"
    );
    assert_eq!(b["now"], "stopped at recharge_failure/check_bank");

    // The unchanged trees restore every session as it was.
    let o = run(
        Path::new(ROOT).join("trees").as_path(),
        &["--max-stranded", "0"],
    );
    assert!(o.status.success(), "{}", out(&o));
    let r = json(&o);
    assert!(
        verdicts(&r)
            .iter()
            .all(|(_, _, verdict)| verdict == "restored" || verdict == "kept"),
        "{r}"
    );
    // And the text report names the stranded session and the gate.
    let new = dir.join("new_question");
    let o = tt(&[
        "replay",
        saved,
        "--trees",
        new.to_str().expect("utf-8"),
        "--from",
        old,
        "--max-stranded",
        "10",
    ]);
    let text = out(&o);
    assert!(
        text.contains("c_at_check_account.json: open stranded"),
        "{text}"
    );
    assert!(text.contains("> --max-stranded 10 %"), "{text}");
}

// ------------------------------------------------- the service's store (SQLite)

/// A SQLite file with the service's schema (its own migration file).
fn service_store(path: &Path) -> rusqlite::Connection {
    let schema =
        std::fs::read_to_string(Path::new(ROOT).join("crates/server/migrations/sqlite.sql"))
            .expect("the service's schema");
    let db = rusqlite::Connection::open(path).expect("creates the file");
    db.execute_batch(&schema).expect("the schema applies");
    db.execute_batch("CREATE INDEX events_at ON events (at, id);")
        .expect("the index applies");
    db.execute(
        "INSERT INTO catalogues (id, digest, manifest, directory, published_at) VALUES (1, 'd', '{}', '', 0)",
        (),
    )
    .expect("a version");
    db
}

#[test]
fn stats_read_the_services_sqlite_store_like_its_json_lines() {
    let dir = scratch("stats-sqlite");
    let file = dir.join("troubletree.db");
    let db = service_store(&file);
    let lines = std::fs::read_to_string(Path::new(ROOT).join("tests/data/events/handmade.jsonl"))
        .expect("readable");
    let mut at = 0i64;
    for line in lines.lines() {
        if let Ok(e) = troubletree::Event::parse(line) {
            at = e.at.unix_ms();
        }
        db.execute(
            "INSERT INTO events (session, seq, kind, payload, at) VALUES ('s', 0, 'k', ?1, ?2)",
            (line, at),
        )
        .expect("inserts");
    }
    drop(db);
    let from_lines = json(&tt(&[
        "stats",
        "tests/data/events/handmade.jsonl",
        "--json",
    ]));
    let url = format!("sqlite:{}", file.display());
    let from_store = json(&tt(&["stats", &url, "--json"]));
    assert_eq!(from_store, from_lines);
    // A plain path to the file is recognised as SQLite too, and the range is applied.
    let o = tt(&[
        "stats",
        file.to_str().expect("utf-8"),
        "--since",
        "2026-05-06T00:03:00Z",
        "--until",
        "2026-05-06T00:06:30Z",
        "--json",
    ]);
    assert_eq!(json(&o)["versions"][0]["sessions"]["started"], 4);
    // Not the service's database: said, exit 2.
    let other = dir.join("other.db");
    rusqlite::Connection::open(&other)
        .expect("creates")
        .execute_batch("CREATE TABLE t (x INTEGER);")
        .expect("a table");
    let o = tt(&["stats", &format!("sqlite:{}", other.display())]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("is it the service's database?"));
}

/// The saves in `saved` as rows of the service's `sessions` table, in name order: the
/// id (the file's name), the status its name says, and the stored state.
fn session_rows(saved: &Path) -> Vec<(String, &'static str, String)> {
    let mut names: Vec<PathBuf> = std::fs::read_dir(saved)
        .expect("saves")
        .map(|e| e.expect("entry").path())
        .collect();
    names.sort();
    names
        .iter()
        .map(|path| {
            let id = path
                .file_stem()
                .expect("a name")
                .to_string_lossy()
                .into_owned();
            let save: Value =
                serde_json::from_str(&std::fs::read_to_string(path).expect("read")).expect("JSON");
            let status = if id.contains("resolved") {
                "resolved"
            } else if id.contains("escalated") {
                "escalated"
            } else {
                "open"
            };
            let state = serde_json::json!({"save": save, "handoff": null}).to_string();
            (id, status, state)
        })
        .collect()
}

#[test]
fn replay_reads_the_sessions_of_the_services_store() {
    let dir = scratch("replay-sqlite");
    let saved = dir.join("saves");
    saves(&saved);
    let file = dir.join("troubletree.db");
    let db = service_store(&file);
    for (i, (name, status, state)) in session_rows(&saved).iter().enumerate() {
        db.execute(
            "INSERT INTO sessions (id, catalogue, tree, seq, status, state, created_at, updated_at) VALUES (?1, 1, 'recharge_failure', 1, ?2, ?3, ?4, ?4)",
            (name, status, state, i64::try_from(i).expect("small")),
        )
        .expect("inserts");
    }
    drop(db);
    let new = trees_with(&dir.join("new_question"), new_question);
    let o = tt(&[
        "replay",
        &format!("sqlite:{}", file.display()),
        "--trees",
        new.to_str().expect("utf-8"),
        "--json",
    ]);
    let r = json(&o);
    assert_eq!(
        verdicts(&r),
        [
            v("a_at_check_bank", "open", "replayed"),
            v("b_at_switch_channel", "open", "replayed"),
            v("c_at_check_account", "open", "stranded"),
            v("d_resolved_channel", "finished", "kept"),
            v("e_escalated_account", "finished", "changed"),
            v("f_resolved_network", "finished", "kept"),
            v("g_at_start", "open", "replayed"),
        ]
    );
}

// ----------------------------------------------- the service's store (PostgreSQL)

/// With `--features postgres` and `TROUBLETREE_TEST_DATABASE_URL` (`crates/server/tests/
/// pg.sh start`): the same figures and verdicts from a PostgreSQL store.
#[cfg(feature = "postgres")]
#[test]
// The skip note is the test's own constant text, not output of the command line.
#[allow(clippy::disallowed_macros)]
fn stats_and_replay_read_a_postgresql_store() {
    let Some(base) = std::env::var("TROUBLETREE_TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty())
    else {
        eprintln!("NOTE: PostgreSQL store test SKIPPED: TROUBLETREE_TEST_DATABASE_URL is not set");
        return;
    };
    let name = format!("tt_cli_{}", std::process::id());
    let mut admin = postgres::Client::connect(&base, postgres::NoTls).expect("connects");
    admin
        .batch_execute(&format!("DROP DATABASE IF EXISTS {name}"))
        .expect("no old database");
    admin
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .expect("a database");
    let url = match base.rsplit_once('/') {
        Some((head, _)) => format!("{head}/{name}"),
        None => panic!("a database URL"),
    };
    let mut db = postgres::Client::connect(&url, postgres::NoTls).expect("connects");
    let schema =
        std::fs::read_to_string(Path::new(ROOT).join("crates/server/migrations/postgres.sql"))
            .expect("the service's schema");
    db.batch_execute(&schema).expect("the schema applies");
    db.batch_execute(
        "CREATE INDEX events_at ON events (at, id); INSERT INTO catalogues (id, digest, manifest, directory, published_at) VALUES (1, 'd', '{}', '', 0);",
    )
    .expect("the index and a version");
    let lines = std::fs::read_to_string(Path::new(ROOT).join("tests/data/events/handmade.jsonl"))
        .expect("readable");
    let mut at = 0i64;
    for line in lines.lines() {
        if let Ok(e) = troubletree::Event::parse(line) {
            at = e.at.unix_ms();
        }
        db.execute(
            "INSERT INTO events (session, seq, kind, payload, at) VALUES ('s', 0, 'k', $1, $2)",
            &[&line, &at],
        )
        .expect("inserts");
    }
    let dir = scratch("replay-postgres");
    let saved = dir.join("saves");
    saves(&saved);
    for (i, (id, status, state)) in session_rows(&saved).iter().enumerate() {
        let created = i64::try_from(i).expect("small");
        db.execute(
            "INSERT INTO sessions (id, catalogue, tree, seq, status, state, created_at, updated_at) VALUES ($1, 1, 'recharge_failure', 1, $2, $3, $4, $4)",
            &[id, status, state, &created],
        )
        .expect("inserts");
    }
    let from_lines = json(&tt(&[
        "stats",
        "tests/data/events/handmade.jsonl",
        "--json",
    ]));
    assert_eq!(json(&tt(&["stats", &url, "--json"])), from_lines);
    let new = trees_with(&dir.join("removed_branch"), removed_branch);
    let r = json(&tt(&[
        "replay",
        &url,
        "--trees",
        new.to_str().expect("utf-8"),
        "--json",
    ]));
    assert_eq!(r["summary"]["stranded"], 1, "{r}");
    assert_eq!(r["summary"]["changed"], 1, "{r}");
    drop(db);
    let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name}"));
}

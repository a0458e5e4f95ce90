//! Hostile files and arguments, one test per class of issue 12 (docs/ROBUSTNESS.md lists
//! each guarantee with its test): directory loops, named pipes and devices, files over
//! the size limit, control and bidi characters in every output, terminal excerpts, and
//! the command line's contracts (answer spellings, bare file names, `--save`, `import`).
//!
//! Every command runs under the 60-second guard of [`execute`]: a hang fails the test
//! instead of stalling the run.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::cli::{
    AT, BIN, ROOT, Scratch, assert_exit, assert_terminal_safe, control_char, execute_in, findings,
    json, stderr, stdout, tt,
};

/// A small valid tree: one question, two ends.
fn small_tree(id: &str) -> String {
    format!(
        r#"Tree(id: "{id}", start: "q", nodes: [
    Ask(id: "q", text: "Fixed?", answers: [
        Answer(value: "yes", text: "Yes", next: "done"),
        Answer(value: "no", text: "No", next: "help"),
    ]),
    Resolve(id: "done", text: "Good."),
    Escalate(id: "help", reason: "Still broken.", priority: Normal),
])
"#
    )
}

/// A scenario file for [`small_tree`] that takes the `yes` answer only.
fn small_scenarios(id: &str) -> String {
    format!(
        r#"Scenarios(tree: "{id}", cases: [
    Case(name: "yes", answers: [("q", "yes")], expect: Resolved, node: "done"),
])
"#
    )
}

/// Runs `troubletree ARGS` from `dir`.
fn tt_in(dir: &Path, args: &[&str]) -> Output {
    execute_in(dir, args, None)
}

#[cfg(unix)]
fn symlink(target: &str, link: &Path) {
    std::os::unix::fs::symlink(target, link).expect("create a symbolic link");
}

#[cfg(unix)]
fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo runs");
    assert!(status.success(), "mkfifo {}", path.display());
}

/// A file of `len` bytes that takes no room on disk (all zeros).
fn sparse(path: &Path, len: u64) {
    let file = std::fs::File::create(path).expect("create a sparse file");
    file.set_len(len).expect("extend it");
}

// ------------------------------------------------------------------ hangs: loops, pipes

#[test]
#[cfg(unix)]
fn directory_symlink_loops_end_and_each_file_is_read_once() {
    let scratch = Scratch::new("loops");
    scratch.write("t.ron", small_tree("t"));
    // Two links to the directory itself: following them gives 2^depth paths.
    symlink(".", &scratch.path("a"));
    symlink(".", &scratch.path("b"));
    let o = tt(["check", &scratch.arg("")]);
    assert_exit(&o, 0, "check on a directory that links to itself");
    assert!(
        stderr(&o).contains("checked 1 file(s): 0 error(s)"),
        "one file, no false duplicate (E015): {}",
        stderr(&o)
    );
    // Scenarios are collected by the same walk.
    let scenarios = Scratch::new("loops-scenarios");
    scenarios.write("s.ron", small_scenarios("t"));
    symlink(".", &scenarios.path("again"));
    let o = tt(["test", &scenarios.arg(""), "--trees", &scratch.arg("")]);
    assert_exit(&o, 0, "test with looping directories");
    assert!(stdout(&o).contains("1 passed, 0 failed"), "{}", stdout(&o));
}

#[test]
#[cfg(unix)]
fn a_link_to_a_directory_is_not_followed_but_a_named_one_is_checked() {
    let outside = Scratch::new("outside");
    outside.write("broken.ron", "Tree(");
    let scratch = Scratch::new("linked");
    scratch.write("t.ron", small_tree("t"));
    symlink(&outside.arg(""), &scratch.path("elsewhere"));
    assert_exit(
        &tt(["check", &scratch.arg("")]),
        0,
        "a link inside a directory is not followed",
    );
    // Named on the command line, the link is the user's choice and is followed.
    assert_exit(
        &tt(["check", &scratch.arg("elsewhere")]),
        1,
        "a link given as a path is checked",
    );
}

#[test]
fn a_file_named_twice_is_checked_once() {
    let all = tt(["check", "--format", "json", "trees"]);
    let twice = tt([
        "check",
        "--format",
        "json",
        "trees",
        "trees/refund.ron",
        "./trees/refund.ron",
    ]);
    assert_exit(&twice, 0, "check trees trees/refund.ron");
    assert_eq!(
        findings(&twice),
        findings(&all),
        "no E015 for a file and itself"
    );
    let o = tt(["check", "trees", "trees/refund.ron"]);
    assert_eq!(
        stderr(&o).lines().last(),
        stderr(&tt(["check", "trees"])).lines().last(),
        "the same number of files"
    );
}

#[test]
#[cfg(unix)]
fn named_pipes_are_refused_never_opened() {
    let scratch = Scratch::new("fifo");
    scratch.write("t.ron", small_tree("t"));
    mkfifo(&scratch.path("p.ron"));
    for args in [
        vec!["check".to_owned(), scratch.arg("p.ron")],
        vec!["check".to_owned(), scratch.arg("")],
        vec!["run".to_owned(), scratch.arg("p.ron"), "--json".to_owned()],
        vec!["paths".to_owned(), scratch.arg("p.ron")],
    ] {
        let o = tt(&args);
        assert_exit(&o, 2, &format!("{args:?}"));
        assert!(
            stderr(&o).contains("p.ron") && stderr(&o).contains("not a regular file"),
            "{args:?}: {}",
            stderr(&o)
        );
    }
    // `run` loads the trees beside its own as its catalogue: the pipe among them is
    // refused, never opened.
    let o = tt(["run", &scratch.arg("t.ron"), "--json"]);
    assert_exit(&o, 2, "run beside a pipe");
    assert!(
        stderr(&o).contains("p.ron") && stderr(&o).contains("not a regular file"),
        "{}",
        stderr(&o)
    );
    // A service directory that is a pipe.
    mkfifo(&scratch.path("directory.ron"));
    std::fs::remove_file(scratch.path("p.ron")).expect("remove the first pipe");
    let o = tt(["run", &scratch.arg("t.ron"), "--json"]);
    assert_exit(&o, 2, "run beside a directory.ron pipe");
    assert!(
        stderr(&o).contains("directory.ron") && stderr(&o).contains("not a regular file"),
        "{}",
        stderr(&o)
    );
}

// ------------------------------------------------------------------ unbounded reads

/// Every file the command line reads, given a device or a file over the limit, is
/// refused before it is read.
#[test]
#[cfg(unix)]
fn every_file_read_is_bounded() {
    let scratch = Scratch::new("bounded");
    scratch.write("t.ron", small_tree("t"));
    let huge = scratch.path("huge.json");
    sparse(&huge, 1 << 30);
    let huge = huge.display().to_string();
    let tree = scratch.arg("t.ron");
    let cases: Vec<(&str, Vec<&str>)> = vec![
        (
            "--resume",
            vec!["run", &tree, "--json", "--resume", "/dev/zero"],
        ),
        ("--resume", vec!["run", &tree, "--json", "--resume", &huge]),
        (
            "--directory",
            vec!["run", &tree, "--json", "--directory", "/dev/zero"],
        ),
        (
            "--directory",
            vec!["run", &tree, "--json", "--directory", &huge],
        ),
        ("chart", vec!["import", "flodial", "/dev/zero"]),
        ("chart", vec!["import", "flodial", &huge]),
        ("scenarios", vec!["test", "/dev/zero", "--trees", &tree]),
        ("scenarios", vec!["test", &huge, "--trees", &tree]),
        ("tree", vec!["run", "/dev/zero", "--json"]),
    ];
    for (what, args) in cases {
        let o = tt(&args);
        assert_exit(&o, 2, &format!("{what}: {args:?}"));
        let err = stderr(&o);
        assert!(
            err.contains("not a regular file") || err.contains("larger than the limit"),
            "{what}: {args:?}: {err}"
        );
    }
    // A huge directory.ron beside the tree: `check` refused it (E016), `run` read it.
    // Now it is one of the catalogue's files: refused (E016), so no journey starts.
    let beside = Scratch::new("bounded-beside");
    beside.write("t.ron", small_tree("t"));
    sparse(&beside.path("directory.ron"), 1 << 30);
    let o = tt(["run", &beside.arg("t.ron"), "--json"]);
    assert_exit(&o, 1, "run beside a 1 GiB directory.ron");
    assert!(
        stderr(&o).contains("larger than the limit"),
        "{}",
        stderr(&o)
    );
}

// ------------------------------------------------------------------ raw characters

/// Every character that must not reach a terminal raw, in one string.
const HOSTILE: &str =
    "\u{1b}]0;PWNED\u{7}\u{1b}[2J\u{9b}31m\u{7f}\u{202e}\u{2066}\u{200b}\u{2028}\u{feff}";

#[test]
fn a_hostile_tree_id_never_reaches_stderr_raw() {
    // Whether the validator accepts such an id or not, nothing printed carries it raw.
    let id = format!("evil{HOSTILE}");
    let escaped = id
        .chars()
        .map(|c| format!("\\u{{{:x}}}", u32::from(c)))
        .collect::<String>();
    let trees = Scratch::new("hostile-id");
    trees.write("t.ron", small_tree(&escaped));
    let scenarios = Scratch::new("hostile-id-scenarios");
    scenarios.write("s.ron", small_scenarios(&escaped));
    let o = tt([
        "test",
        &scenarios.arg(""),
        "--trees",
        &trees.arg(""),
        "--min-coverage",
        "100",
    ]);
    assert_terminal_safe(&o, "test --min-coverage 100");
    assert_ne!(
        code(&o),
        0,
        "coverage is below 100% (or the tree is refused)"
    );
    for args in [
        vec!["check", "--format", "github"],
        vec!["check"],
        vec!["paths"],
    ] {
        let mut args: Vec<String> = args.into_iter().map(String::from).collect();
        args.push(trees.arg("t.ron"));
        assert_terminal_safe(&tt(&args), &format!("{args:?}"));
    }
}

fn code(o: &Output) -> i32 {
    o.status.code().expect("exited normally")
}

#[test]
fn json_output_escapes_del_c1_bidi_and_zero_width_characters() {
    // escape.ron's texts carry them all; the JSON keeps them as data, escaped.
    let o = tt([
        "run",
        "tests/data/hostile/escape.ron",
        "--trees",
        "tests/data/hostile/escape.ron",
        "--json",
        "--lang",
        "en",
    ]);
    assert_exit(&o, 0, "run --json on escape.ron");
    assert_terminal_safe(&o, "run --json");
    let v = json(&o);
    let text = v["question"]["text"].as_str().expect("question text");
    assert!(
        text.contains('\u{202e}') && text.contains('\u{85}'),
        "{text:?}"
    );
    let yes = v["question"]["answers"][0]["text"]
        .as_str()
        .expect("answer");
    assert!(yes.contains('\u{9b}') && yes.contains('\u{7f}') && yes.contains('\u{2028}'));
    assert!(stdout(&o).contains(r"\u009b") && stdout(&o).contains(r"\u202e"));

    // A finding whose message quotes a hostile reference.
    let scratch = Scratch::new("json-findings");
    scratch.write(
        "t.ron",
        r#"Tree(id: "t", start: "q", nodes: [
    Act(id: "q", text: "Go.", next: "gone\u{9b}\u{7f}\u{202e}\u{200b}"),
    Resolve(id: "end", text: "Done."),
])"#,
    );
    for format in ["json", "human", "github"] {
        let o = tt(["check", "--format", format, &scratch.arg("t.ron")]);
        assert_exit(&o, 1, &format!("check --format {format}"));
        assert_terminal_safe(&o, &format!("check --format {format}"));
    }
}

#[test]
fn import_never_prints_a_chart_id_raw() {
    let scratch = Scratch::new("import-ids");
    // Question 2's "yes" has no step: the gap is reported with its id, and the tree
    // named after the chart.
    let chart = format!(
        r#"{{"name": "demo{esc}", "category": "cars", "problem_description": "Broken{esc}.",
            "nodes": {{"1": {{"label": "L", "terminal": false, "utterance": "One?"}},
                       "2{esc}": {{"label": "L", "terminal": false, "utterance": "Two{esc}?"}},
                       "3": {{"label": "L", "terminal": true, "utterance": "Three."}},
                       "4": {{"label": "L", "terminal": true, "utterance": "Four."}}}},
            "edges": {{"1": {{"yes": "2{esc}", "no": "3"}}, "2{esc}": {{"no": "4"}}}},
            "supporting_faqs": []}}"#,
        esc = r"\u001b]0;PWNED\u0007\u009b\u202e"
    );
    let path = scratch.write("chart.json", chart);
    let o = tt(["import", "flodial", &path.display().to_string()]);
    assert_terminal_safe(&o, "import flodial");
}

// ------------------------------------------------------------------ terminal excerpts

/// Runs `troubletree ARGS` on a pseudo-terminal (util-linux `script`), from the
/// workspace root: its exit code and everything it printed, `\r\n` made `\n`.
fn on_a_terminal(args: &[&str]) -> (i32, String) {
    let quote = |a: &str| format!("'{}'", a.replace('\'', r"'\''"));
    let command = std::iter::once(BIN)
        .chain(args.iter().copied())
        .map(quote)
        .collect::<Vec<_>>()
        .join(" ");
    let mut child = Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .current_dir(ROOT)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("util-linux script(1) runs the command on a pseudo-terminal");
    let mut pipe = child.stdout.take().expect("stdout piped");
    let reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = std::io::Read::read_to_end(&mut pipe, &mut buf);
        buf
    });
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for script") {
            break status;
        }
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("troubletree {args:?} did not finish on a terminal within 60 s");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let out = reader.join().expect("the reader");
    let text = String::from_utf8_lossy(&out).replace("\r\n", "\n");
    (status.code().unwrap_or(-1), text)
}

#[test]
#[cfg(target_os = "linux")]
fn excerpts_on_a_terminal_are_cut_and_capped() {
    let scratch = Scratch::new("excerpts");
    // One line, 5,000 unreachable nodes: 5,000 warnings on a 160 KB line.
    let mut line =
        String::from(r#"Tree(id: "t", start: "a", nodes: [Resolve(id: "a", text: "A"),"#);
    for i in 0..5_000 {
        line.push_str(&format!(r#"Resolve(id: "u{i}", text: "unreachable"),"#));
    }
    line.push_str("])");
    let file = scratch.write("one_line.ron", &line);
    let (code, out) = on_a_terminal(&["check", &file.display().to_string()]);
    assert_eq!(code, 0, "warnings only\n{out}");
    assert!(out.len() < 64 * 1024, "{} bytes printed", out.len());
    assert!(
        out.contains("… and 4950 more finding(s) not shown (0 error(s), 4950 warning(s))"),
        "{}",
        &out[out.len().saturating_sub(600)..]
    );
    assert!(out.contains("warning[W001]"), "excerpts are shown: {out}");
    assert!(out.contains('…'), "the line is cut: {out}");
    assert!(out.contains("checked 1 file(s): 0 error(s), 5000 warning(s)"));
    assert!(control_char(&out.replace('\r', "")).is_none(), "{out}");
}

#[test]
#[cfg(target_os = "linux")]
fn a_file_over_the_limit_is_not_read_again_for_its_excerpt() {
    let scratch = Scratch::new("excerpt-huge");
    let file = scratch.path("big.ron");
    sparse(&file, 100 << 20);
    let (code, out) = on_a_terminal(&["check", &file.display().to_string()]);
    assert_eq!(code, 1, "E016\n{out}");
    assert!(out.contains("E016"), "{out}");
    assert!(out.len() < 4 * 1024, "{} bytes printed", out.len());
}

/// The column (in characters) of the first `^` under a source line of an excerpt, and
/// the column where `token` starts in that source line.
fn caret_and_token(out: &str, token: &str) -> (usize, usize) {
    let lines: Vec<&str> = out.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.contains(token) && l.contains('│'))
        .unwrap_or_else(|| panic!("a source line with {token}:\n{out}"));
    let source = lines[at];
    let caret = lines[at + 1];
    let byte = source.find(token).expect("the token");
    let token_column = source[..byte].chars().count();
    let caret_column = caret
        .chars()
        .position(|c| c == '^')
        .unwrap_or_else(|| panic!("a caret under the line:\n{out}"));
    (caret_column, token_column)
}

#[test]
#[cfg(target_os = "linux")]
fn excerpt_carets_are_right_on_bom_and_crlf_files() {
    let scratch = Scratch::new("excerpt-bom");
    let file = scratch.write(
        "bom.ron",
        "\u{feff}Tree(id: \"t\", start: \"nowhere\", nodes: [\r\n    Resolve(id: \"end\", text: \"x\"),\r\n])\r\n",
    );
    let (code, out) = on_a_terminal(&["check", &file.display().to_string()]);
    assert_eq!(code, 1, "{out}");
    let (caret, token) = caret_and_token(&out, "\"nowhere\"");
    assert_eq!(caret, token, "the caret is under the token\n{out}");
    assert!(
        !out.contains('\u{fffd}'),
        "no stand-in for CR or the BOM\n{out}"
    );
}

// ------------------------------------------------------------------ contracts

/// A question offering answers whose plain text would be ambiguous.
const MIXED: &str = r#"Tree(id: "mixed", start: "q", nodes: [
    Ask(id: "q", text: "Which?", answers: [
        Answer(value: 1, text: "number one", next: "a"),
        Answer(value: "1", text: "text one", next: "b"),
        Answer(value: true, text: "boolean", next: "c"),
        Answer(value: "true", text: "text true", next: "d"),
        Answer(value: " padded ", text: "padded", next: "e"),
        Answer(value: "plain", text: "plain", next: "f"),
    ]),
    Resolve(id: "a", text: "A"),
    Resolve(id: "b", text: "B"),
    Resolve(id: "c", text: "C"),
    Resolve(id: "d", text: "D"),
    Resolve(id: "e", text: "E"),
    Resolve(id: "f", text: "F"),
])"#;

#[test]
fn every_offered_answer_has_a_spelling_that_is_accepted_back() {
    let scratch = Scratch::new("spellings");
    let tree = scratch.write("mixed.ron", MIXED).display().to_string();
    let o = tt(["run", &tree, "--json"]);
    assert_exit(&o, 0, "run --json");
    let v = json(&o);
    let offered = v["question"]["answers"].as_array().expect("answers");
    let spelled: Vec<&str> = offered
        .iter()
        .map(|a| a["answer"].as_str().expect("a spelling"))
        .collect();
    assert_eq!(
        spelled,
        ["1", r#""1""#, "true", r#""true""#, r#"" padded ""#, "plain"]
    );
    // `value` and `text` stay as the contract has them.
    assert_eq!(offered[0]["value"], 1.0);
    assert_eq!(offered[1]["value"], "1");
    assert_eq!(offered[4]["value"], " padded ");
    for (a, end) in offered.iter().zip(["a", "b", "c", "d", "e", "f"]) {
        let spelling = a["answer"].as_str().expect("a spelling");
        let o = tt(["run", &tree, "--json", "--answer", &format!("q={spelling}")]);
        assert_exit(&o, 0, &format!("--answer q={spelling}"));
        assert_eq!(json(&o)["node"], end, "--answer q={spelling}");
    }
    let o = tt(["run", &tree, "--json", "--answer", "q=nothing"]);
    assert_exit(&o, 1, "an answer not offered");
    assert!(
        stderr(&o).contains(r#"accepted: 1, "1", true, "true", " padded ", plain"#),
        "{}",
        stderr(&o)
    );
    // The human hint shows the same spellings, quoted for a shell.
    let o = tt(["run", &tree, "--answer", "x=1"]);
    assert!(
        stdout(&o).contains(r#"--answer 'q=" padded "'"#),
        "{}",
        stdout(&o)
    );
}

#[test]
fn a_bare_file_name_is_read_in_the_current_directory() {
    let trees = Path::new(ROOT).join("trees");
    // payment_failure hands over to account_stolen, loaded from beside it.
    let o = tt_in(
        &trees,
        &[
            "run",
            "payment_failure.ron",
            "--json",
            "--at",
            AT,
            "--answer",
            "check_unauthorized=true",
        ],
    );
    assert_exit(&o, 0, "run payment_failure.ron from trees/");
    let v: Value = json(&o);
    assert!(
        v["path"]
            .as_array()
            .expect("a path")
            .iter()
            .any(|n| n.as_str().is_some_and(|n| n.starts_with("account_stolen/"))),
        "{v}"
    );
    let o = tt_in(
        &trees,
        &[
            "export",
            "card_unbinding.ron",
            "--format",
            "dot",
            "--coverage",
            "../tests/scenarios",
        ],
    );
    assert_exit(&o, 0, "export card_unbinding.ron --coverage");
    assert!(stdout(&o).contains("// coverage: nodes"), "{}", stdout(&o));
}

#[test]
fn import_refuses_to_write_a_tree_that_does_not_check() {
    let scratch = Scratch::new("import-check");
    let long = "x".repeat(30_000);
    let chart = format!(
        r#"{{"name": "demo", "category": "cars", "problem_description": "Broken.",
            "nodes": {{"1": {{"label": "L", "terminal": false, "utterance": "{long}"}},
                       "2": {{"label": "L", "terminal": true, "utterance": "Two."}},
                       "3": {{"label": "L", "terminal": true, "utterance": "Three."}}}},
            "edges": {{"1": {{"yes": "2", "no": "3"}}}}, "supporting_faqs": []}}"#
    );
    let chart = scratch.write("chart.json", chart).display().to_string();
    let o = tt(["import", "flodial", &chart]);
    assert_exit(&o, 1, "import of a chart whose tree has errors");
    assert!(stdout(&o).is_empty(), "no tree on stdout");
    assert!(stderr(&o).contains("E016"), "{}", stderr(&o));
    let target = scratch.path("out.ron");
    let o = tt([
        "import",
        "flodial",
        &chart,
        "-o",
        &target.display().to_string(),
    ]);
    assert_exit(&o, 1, "import -o");
    assert!(!target.exists(), "nothing written");
}

#[test]
fn run_save_never_overwrites_what_the_walk_reads() {
    let scratch = Scratch::new("save-target");
    let tree = scratch.write("t.ron", small_tree("t"));
    let other = scratch.write("other.ron", small_tree("other"));
    let directory = scratch.write(
        "directory.ron",
        std::fs::read(Path::new(ROOT).join("trees/directory.ron")).expect("the directory"),
    );
    let tree_arg = tree.display().to_string();
    for target in [&tree, &other, &directory] {
        let before = std::fs::read(target).expect("readable");
        let o = tt([
            "run",
            &tree_arg,
            "--json",
            "--answer",
            "q=no",
            "--save",
            &target.display().to_string(),
        ]);
        assert_exit(&o, 2, &format!("--save {}", target.display()));
        assert!(stderr(&o).contains("would overwrite"), "{}", stderr(&o));
        assert_eq!(
            std::fs::read(target).expect("readable"),
            before,
            "unchanged"
        );
    }
    // Another spelling of the same file, through `..`.
    let sub = scratch.path("sub");
    std::fs::create_dir_all(&sub).expect("a subdirectory");
    let o = tt([
        "run",
        &tree_arg,
        "--json",
        "--save",
        &sub.join("../t.ron").display().to_string(),
    ]);
    assert_exit(&o, 2, "--save sub/../t.ron");
    let save = scratch.path("walk.json");
    let o = tt([
        "run",
        &tree_arg,
        "--json",
        "--save",
        &save.display().to_string(),
    ]);
    assert_exit(&o, 0, "--save to a new file");
    assert!(save.is_file());
}

#[test]
fn a_missing_scenario_path_is_named_before_the_trees() {
    let empty = Scratch::new("no-trees-here");
    let o = tt_in(&empty.path(""), &["test", "/nonexistent"]);
    assert_exit(&o, 2, "test /nonexistent");
    assert!(
        stderr(&o).contains("/nonexistent") && !stderr(&o).contains("cannot read trees"),
        "{}",
        stderr(&o)
    );
    // And where the trees are missing, the message says where they were looked for.
    let scenarios = Scratch::new("scenarios-only");
    scenarios.write("s.ron", small_scenarios("t"));
    let o = tt_in(&empty.path(""), &["test", &scenarios.arg("")]);
    assert_exit(&o, 2, "test without ./trees");
    assert!(stderr(&o).contains("--trees"), "{}", stderr(&o));
}

#[test]
fn clap_errors_never_echo_an_argument_raw() {
    let o = tt(["check", &format!("--{HOSTILE}")]);
    assert_exit(&o, 2, "an unknown flag");
    assert_terminal_safe(&o, "clap's error");
    let o = tt(["--help"]);
    assert_exit(&o, 0, "--help");
    assert!(stdout(&o).contains("Usage"), "{}", stdout(&o));
}

#[test]
fn a_goto_never_names_a_file_outside_the_trees_directory() {
    let scratch = Scratch::new("goto-path");
    std::fs::create_dir_all(scratch.path("trees")).expect("a subdirectory");
    scratch.write("other.ron", small_tree("other"));
    let tree = scratch.write(
        "trees/t.ron",
        r#"Tree(id: "t", start: "g", nodes: [Goto(id: "g", tree: "../other")])"#,
    );
    let o = tt(["run", &tree.display().to_string(), "--json"]);
    assert_exit(&o, 1, "a Goto to ../other");
    // Links are followed by tree id inside the catalogue: "../other" is no tree's id,
    // and cannot be one (a tree id holds no `/`: E016).
    assert!(
        stderr(&o).contains("E016") && stderr(&o).contains("../other"),
        "{}",
        stderr(&o)
    );
}

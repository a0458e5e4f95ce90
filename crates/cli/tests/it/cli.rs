//! The command line, driven as a process: the contract of PRODUCT.md, section "Command
//! line" (flags, JSON shapes, exit codes), plus output safety and robustness.
//!
//! Snapshots (insta) of `check` for every fixture under `tests/data/invalid` live in
//! `tests/it/snapshots/it__cli__check@<fixture>.<format>.snap`; review changes with
//! `cargo insta review` (or write them with `INSTA_UPDATE=always cargo test -p
//! troubletree-cli` and read the diff).

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsStr;
use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;

// ---------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------

pub(crate) const BIN: &str = env!("CARGO_BIN_EXE_troubletree");
/// The workspace root: the commands run there, on `trees/` and `tests/data/`.
pub(crate) const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
/// A fixed "now" so that tickets (channel choice, creation time) are reproducible.
pub(crate) const AT: &str = "2026-11-22 10:00";
pub(crate) const RECHARGE: &str = "trees/recharge_failure.ron";
pub(crate) const ESCAPE: &str = "tests/data/hostile/escape.ron";
pub(crate) const ESCAPE_IDS: &str = "tests/data/hostile/escape_ids.ron";
const ESCAPE_FINDINGS: &str = "tests/data/hostile/escape_findings.ron";
/// Longer than any command should take; a hang is a failure, not a stuck test run.
const TIMEOUT: Duration = Duration::from_secs(60);

/// Runs `troubletree ARGS` from the crate root with an empty stdin.
pub(crate) fn tt<I, S>(args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    execute(args, None)
}

/// Runs `troubletree ARGS` from the crate root with `input` piped to stdin (then closed).
pub(crate) fn tt_stdin<I, S>(args: I, input: impl AsRef<[u8]>) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    execute(args, Some(input.as_ref().to_vec()))
}

pub(crate) fn execute<I, S>(args: I, input: Option<Vec<u8>>) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    execute_in(Path::new(ROOT), args, input)
}

/// [`execute`] from another working directory.
pub(crate) fn execute_in<I, S>(dir: &Path, args: I, input: Option<Vec<u8>>) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let args: Vec<_> = args.into_iter().map(|a| a.as_ref().to_owned()).collect();
    let mut child = Command::new(BIN)
        .args(&args)
        .current_dir(dir)
        .env_remove("RUST_BACKTRACE")
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the troubletree binary starts");
    let writer = child.stdin.take().zip(input).map(|(mut stdin, bytes)| {
        // A closed pipe (the program quit early) is not an error here.
        std::thread::spawn(move || drop(stdin.write_all(&bytes)))
    });
    let reader = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = pipe.read_to_end(&mut buf);
            buf
        })
    };
    let out = reader(Box::new(child.stdout.take().expect("stdout piped")));
    let err = reader(Box::new(child.stderr.take().expect("stderr piped")));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for troubletree") {
            break status;
        }
        if started.elapsed() > TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("troubletree {args:?} did not finish within {TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    if let Some(writer) = writer {
        let _ = writer.join();
    }
    Output {
        status,
        stdout: out.join().expect("stdout reader"),
        stderr: err.join().expect("stderr reader"),
    }
}

pub(crate) fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("stdout is UTF-8")
}

pub(crate) fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).expect("stderr is UTF-8")
}

pub(crate) fn code(o: &Output) -> i32 {
    o.status.code().expect("exited normally, not by a signal")
}

/// Asserts the exit code, showing both streams when it differs; never a panic inside.
#[track_caller]
pub(crate) fn assert_exit(o: &Output, expected: i32, what: &str) {
    let err = stderr(o);
    assert!(
        !err.contains("panicked"),
        "{what}: troubletree panicked\n--- stderr\n{err}"
    );
    assert_eq!(
        code(o),
        expected,
        "{what}: exit code\n--- stdout\n{}\n--- stderr\n{err}",
        stdout(o)
    );
}

/// Parses stdout as exactly one JSON value.
#[track_caller]
pub(crate) fn json(o: &Output) -> Value {
    let text = stdout(o);
    serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("stdout is not one JSON value: {e}\n--- stdout\n{text}"))
}

pub(crate) fn keys(v: &Value) -> BTreeSet<&str> {
    v.as_object()
        .unwrap_or_else(|| panic!("not a JSON object: {v}"))
        .keys()
        .map(String::as_str)
        .collect()
}

/// An offered answer value as `--answer NODE=VALUE` takes it.
fn value_arg(v: &Value) -> String {
    match v {
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        other => panic!("an answer value is a bool, number or string, not {other}"),
    }
}

pub(crate) fn str_vec(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap_or_else(|| panic!("not an array: {v}"))
        .iter()
        .map(|s| s.as_str().expect("a string").to_owned())
        .collect()
}

/// `run TREE --json --at AT --lang en` plus answers and extra flags.
pub(crate) fn run_json(tree: &str, answers: &[(String, String)], extra: &[String]) -> Output {
    let mut args: Vec<String> = ["run", tree, "--json", "--at", AT, "--lang", "en"]
        .map(String::from)
        .to_vec();
    for (node, value) in answers {
        args.push("--answer".into());
        args.push(format!("{node}={value}"));
    }
    args.extend(extra.iter().cloned());
    tt(args)
}

pub(crate) fn answers(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
        .collect()
}

/// A scratch directory under the system temp dir, unique per test, removed on drop.
pub(crate) struct Scratch(PathBuf);

impl Scratch {
    pub(crate) fn new(name: &str) -> Scratch {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "troubletree-cli-{}-{}-{name}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("create a scratch directory");
        Scratch(dir)
    }

    pub(crate) fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    pub(crate) fn write(&self, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.path(name);
        fs::write(&path, contents).expect("write a scratch file");
        path
    }

    pub(crate) fn arg(&self, name: &str) -> String {
        self.path(name).display().to_string()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// The fixtures under tests/data/invalid: (snapshot name, relative path), sorted.
fn invalid_fixtures() -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = fs::read_dir(Path::new(ROOT).join("tests/data/invalid"))
        .expect("tests/data/invalid exists")
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.is_dir() || p.extension().is_some_and(|x| x == "ron"))
        .map(|p| {
            let file = p
                .file_name()
                .expect("a name")
                .to_string_lossy()
                .into_owned();
            let name = file.strip_suffix(".ron").unwrap_or(&file).to_owned();
            (name, format!("tests/data/invalid/{file}"))
        })
        .collect();
    out.sort();
    assert!(out.len() >= 20, "the invalid fixtures are there: {out:?}");
    out
}

/// The `// expect: CODE LINE:COL` headers of a fixture (file, or every .ron in a
/// directory), sorted.
fn expectations(fixture: &str) -> Vec<(String, u64, u64)> {
    let path = Path::new(ROOT).join(fixture);
    let files: Vec<PathBuf> = if path.is_dir() {
        fs::read_dir(&path)
            .expect("a fixture directory")
            .map(|e| e.expect("an entry").path())
            .filter(|p| p.extension().is_some_and(|x| x == "ron"))
            .collect()
    } else {
        vec![path]
    };
    let mut out = Vec::new();
    for file in files {
        for line in fs::read_to_string(&file).expect("a fixture").lines() {
            let Some(rest) = line.trim().strip_prefix("// expect:") else {
                continue;
            };
            let (code, pos) = rest.trim().split_once(' ').expect("CODE LINE:COL");
            let (l, c) = pos.trim().split_once(':').expect("LINE:COL");
            out.push((
                code.to_owned(),
                l.parse().expect("a line"),
                c.parse().expect("a column"),
            ));
        }
    }
    out.sort();
    assert!(!out.is_empty(), "{fixture} has `// expect:` headers");
    out
}

/// The first character that must not reach a terminal raw (a control character other
/// than `\n`, a C1 control, a bidi override, a zero-width character...), with its
/// position.
pub(crate) fn control_char(text: &str) -> Option<(usize, char)> {
    text.char_indices()
        .find(|&(_, c)| troubletree::text::is_unprintable(c))
}

/// Asserts that neither stream carries a raw control character (only `\n` allowed).
#[track_caller]
pub(crate) fn assert_terminal_safe(o: &Output, what: &str) {
    for (name, bytes) in [("stdout", &o.stdout), ("stderr", &o.stderr)] {
        let text = String::from_utf8_lossy(bytes);
        if let Some((at, c)) = control_char(&text) {
            let from = text[..at]
                .char_indices()
                .rev()
                .nth(60)
                .map_or(0, |(i, _)| i);
            panic!(
                "{what}: {name} carries the raw control character {c:?} at byte {at}: \
                 ...{:?}",
                &text[from..(at + 20).min(text.len())]
            );
        }
    }
}

/// Asserts that the raw ESC byte appears in neither stream (JSON escapes it).
#[track_caller]
fn assert_no_raw_escape(o: &Output, what: &str) {
    for (name, bytes) in [("stdout", &o.stdout), ("stderr", &o.stderr)] {
        assert!(
            !bytes.contains(&0x1b),
            "{what}: {name} carries a raw ESC byte\n{}",
            String::from_utf8_lossy(bytes)
        );
    }
}

/// Node ids of a tree, from the library (ground truth for the export and paths tests).
fn node_ids(path: &str) -> Vec<String> {
    let tree = troubletree::Tree::from_path(Path::new(ROOT).join(path)).expect("a valid tree");
    tree.node_ids().map(str::to_owned).collect()
}

/// Terminal nodes of a tree: those no edge leaves.
fn terminals(path: &str) -> Vec<String> {
    let tree = troubletree::Tree::from_path(Path::new(ROOT).join(path)).expect("a valid tree");
    let edges = tree.edges();
    let sources: BTreeSet<&str> = edges.iter().map(|e| e.from).collect();
    tree.node_ids()
        .filter(|id| !sources.contains(id))
        .map(str::to_owned)
        .collect()
}

// ---------------------------------------------------------------------------------
// 1. check
// ---------------------------------------------------------------------------------

/// One finding of `check --format json`, type-checked against the contract.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Finding {
    pub(crate) code: String,
    pub(crate) severity: String,
    pub(crate) message: String,
    pub(crate) path: String,
    pub(crate) line: u64,
    pub(crate) column: u64,
    pub(crate) node: Option<String>,
}

#[track_caller]
pub(crate) fn findings(o: &Output) -> Vec<Finding> {
    let v = json(o);
    let array = v
        .as_array()
        .unwrap_or_else(|| panic!("one JSON array: {v}"));
    array
        .iter()
        .map(|f| {
            assert_eq!(
                keys(f),
                BTreeSet::from([
                    "code", "severity", "message", "path", "line", "column", "node"
                ]),
                "finding keys: {f}"
            );
            let code = f["code"].as_str().expect("code is a string").to_owned();
            assert!(
                code.len() == 4
                    && (code.starts_with('E') || code.starts_with('W'))
                    && code[1..].chars().all(|c| c.is_ascii_digit()),
                "code looks like E001/W001: {code}"
            );
            let severity = f["severity"]
                .as_str()
                .expect("severity is a string")
                .to_owned();
            let expected = if code.starts_with('E') {
                "error"
            } else {
                "warning"
            };
            assert_eq!(severity, expected, "severity of {code}");
            let message = f["message"]
                .as_str()
                .expect("message is a string")
                .to_owned();
            assert!(!message.trim().is_empty(), "message is not empty");
            let path = f["path"].as_str().expect("path is a string").to_owned();
            let line = f["line"].as_u64().expect("line is an unsigned integer");
            let column = f["column"].as_u64().expect("column is an unsigned integer");
            assert!(line >= 1 && column >= 1, "1-based line and column: {f}");
            let node = match &f["node"] {
                Value::Null => None,
                Value::String(s) => Some(s.clone()),
                other => panic!("node is a string or null, not {other}"),
            };
            Finding {
                code,
                severity,
                message,
                path,
                line,
                column,
                node,
            }
        })
        .collect()
}

#[test]
fn check_shipped_trees_exit_0() {
    let o = tt(["check", "trees"]);
    assert_exit(&o, 0, "check trees");
    assert!(
        stderr(&o).contains("0 error(s)"),
        "summary on stderr: {}",
        stderr(&o)
    );
    let o = tt(["check", "--format", "json", "trees"]);
    assert_exit(&o, 0, "check --format json trees");
    assert!(
        findings(&o).iter().all(|f| f.severity == "warning"),
        "no error in trees/"
    );
}

#[test]
fn check_each_fixture_exit_code_follows_its_severity() {
    // Warnings are allowed (exit 0); any error fails (exit 1).
    for (name, fixture) in invalid_fixtures() {
        let has_error = expectations(&fixture)
            .iter()
            .any(|(c, _, _)| c.starts_with('E'));
        for format in ["human", "json", "github"] {
            let o = tt(["check", "--format", format, &fixture]);
            assert_exit(
                &o,
                i32::from(has_error),
                &format!("check --format {format} {name}"),
            );
        }
    }
}

#[test]
fn check_findings_match_each_fixtures_expect_headers() {
    for (name, fixture) in invalid_fixtures() {
        let o = tt(["check", "--format", "json", &fixture]);
        let mut got: Vec<(String, u64, u64)> = findings(&o)
            .into_iter()
            .map(|f| (f.code, f.line, f.column))
            .collect();
        got.sort();
        assert_eq!(got, expectations(&fixture), "findings of {name}");
        // Findings about one node name it.
        for f in findings(&o) {
            let about_a_node = [
                "E003", "E006", "E007", "E008", "E009", "E010", "E011", "E012", "E013", "W001",
                "W002",
            ];
            if about_a_node.contains(&f.code.as_str()) {
                assert!(f.node.is_some(), "{name}: {} names its node", f.code);
            }
        }
        // The fixture's own code names the slug in its file name: E006_dangling-reference...
        let (code, slug) = name.split_once('_').expect("CODE_slug");
        let gh = stdout(&tt(["check", "--format", "github", &fixture]));
        assert!(
            gh.lines()
                .any(|l| l.contains(&format!("title={code} ")) && {
                    let title = l.split("title=").nth(1).unwrap_or("");
                    let title = title.split("::").next().unwrap_or("");
                    let s = title.split_once(' ').map_or("", |(_, s)| s);
                    !s.is_empty() && slug.starts_with(s)
                }),
            "{name}: a github annotation titled `{code} <slug>` with {slug} starting with \
             the slug\n{gh}"
        );
    }
}

#[test]
fn check_missing_path_bad_flag_and_no_path_exit_2() {
    let o = tt(["check", "tests/data/no-such-dir"]);
    assert_exit(&o, 2, "check on a missing path");
    assert!(
        stderr(&o).contains("no-such-dir"),
        "the message names the path: {}",
        stderr(&o)
    );
    assert!(stdout(&o).is_empty(), "nothing on stdout");
    // A missing path beside a good one is still an I/O problem.
    assert_exit(
        &tt(["check", "trees", "nope.ron"]),
        2,
        "check trees nope.ron",
    );
    assert_exit(&tt(["check", "--bogus", "trees"]), 2, "check --bogus");
    assert_exit(
        &tt(["check", "--format", "xml", "trees"]),
        2,
        "check --format xml",
    );
    assert_exit(&tt(["check"]), 2, "check without a path");
    assert_exit(&tt(["frobnicate"]), 2, "an unknown subcommand");
}

#[test]
fn check_human_is_one_line_per_finding() {
    // Non-terminal stdout (a pipe): no excerpt, exactly `path:line:col: severity[CODE]:
    // message` per finding, in the order of the JSON array.
    for (name, fixture) in invalid_fixtures() {
        let human = tt(["check", &fixture]);
        let list = findings(&tt(["check", "--format", "json", &fixture]));
        let text = stdout(&human);
        assert!(text.ends_with('\n'), "{name}: newline-terminated");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines.len(),
            list.len(),
            "{name}: one line per finding\n{text}"
        );
        for (line, f) in lines.iter().zip(&list) {
            assert_eq!(
                *line,
                format!(
                    "{}:{}:{}: {}[{}]: {}",
                    f.path, f.line, f.column, f.severity, f.code, f.message
                ),
                "{name}"
            );
            // Parse it back the way a CI log scraper would.
            let mut parts = line.splitn(4, ':');
            let path = parts.next().expect("path");
            let l: u64 = parts.next().expect("line").parse().expect("a line number");
            let c: u64 = parts.next().expect("col").parse().expect("a column number");
            let rest = parts.next().expect("the rest");
            assert!(
                rest.starts_with(" error[") || rest.starts_with(" warning["),
                "{name}: severity[CODE] after the position: {line}"
            );
            assert!(
                Path::new(path).is_relative() && Path::new(ROOT).join(path).is_file(),
                "{name}: {path} is the relative path of a file"
            );
            assert_eq!((l, c), (f.line, f.column));
        }
        let errors = list.iter().filter(|f| f.severity == "error").count();
        assert!(
            stderr(&human).contains(&format!(
                "{errors} error(s), {} warning(s)",
                list.len() - errors
            )),
            "{name}: summary on stderr: {}",
            stderr(&human)
        );
    }
}

#[test]
fn check_json_is_one_array_with_typed_findings() {
    for (name, fixture) in invalid_fixtures() {
        let o = tt(["check", "--format", "json", &fixture]);
        let list = findings(&o);
        assert!(!list.is_empty(), "{name} has findings");
        for f in &list {
            assert!(
                Path::new(&f.path).is_relative() && Path::new(ROOT).join(&f.path).is_file(),
                "{name}: path {} is the relative path of a checked file",
                f.path
            );
            assert!(
                f.path.starts_with(&fixture),
                "{name}: path {} lies in the fixture",
                f.path
            );
        }
        assert!(
            stderr(&o).is_empty(),
            "{name}: json mode keeps stderr quiet"
        );
    }
    // No finding: still one (empty) array.
    assert_eq!(
        json(&tt(["check", "--format", "json", RECHARGE])),
        Value::Array(vec![])
    );
}

#[test]
fn check_github_annotations() {
    for (name, fixture) in invalid_fixtures() {
        let o = tt(["check", "--format", "github", &fixture]);
        let list = findings(&tt(["check", "--format", "json", &fixture]));
        let text = stdout(&o);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines.len(),
            list.len(),
            "{name}: one annotation per finding"
        );
        for (line, f) in lines.iter().zip(&list) {
            let (level, rest) = line
                .strip_prefix("::")
                .and_then(|l| l.split_once(' '))
                .unwrap_or_else(|| panic!("{name}: `::level ...`: {line}"));
            assert_eq!(level, f.severity, "{name}: ::error / ::warning");
            let (props, message) = rest
                .split_once("::")
                .unwrap_or_else(|| panic!("{name}: `props::message`: {line}"));
            let props: BTreeMap<&str, &str> = props
                .split(',')
                .map(|p| p.split_once('=').expect("key=value"))
                .collect();
            assert_eq!(
                props.keys().copied().collect::<Vec<_>>(),
                ["col", "file", "line", "title"],
                "{name}: properties file, line, col, title"
            );
            assert_eq!(
                props["file"],
                f.path.replace(':', "%3A").replace(',', "%2C")
            );
            assert_eq!(props["line"], f.line.to_string());
            assert_eq!(props["col"], f.column.to_string());
            let (code, slug) = props["title"].split_once(' ').expect("title=CODE slug");
            assert_eq!(code, f.code, "{name}");
            assert!(
                !slug.is_empty()
                    && slug
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "{name}: a kebab-case slug: {slug}"
            );
            let escaped = f
                .message
                .replace('%', "%25")
                .replace('\r', "%0D")
                .replace('\n', "%0A");
            assert_eq!(message, escaped, "{name}: the message");
        }
    }
}

#[test]
fn check_snapshots() {
    // One snapshot per fixture and format, in `snapshots/it__cli__check@NAME.FORMAT.snap`.
    let mut names = BTreeSet::new();
    for (name, fixture) in invalid_fixtures() {
        for format in ["human", "json", "github"] {
            let o = tt(["check", "--format", format, &fixture]);
            let snapshot = format!("{name}.{format}");
            insta::with_settings!({ snapshot_suffix => snapshot.clone(), prepend_module_to_snapshot => true }, {
                insta::assert_snapshot!("check", stdout(&o));
            });
            names.insert(format!("it__cli__check@{snapshot}.snap"));
        }
    }
    // A snapshot whose fixture is gone is stale.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/snapshots");
    let stale: Vec<String> = fs::read_dir(&dir)
        .expect("the snapshots directory")
        .map(|e| {
            e.expect("an entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|f| f.starts_with("it__cli__check@") && !names.contains(f))
        .collect();
    assert!(stale.is_empty(), "stale snapshots: {stale:?}");
}

// ---------------------------------------------------------------------------------
// 2. run
// ---------------------------------------------------------------------------------

#[track_caller]
fn assert_needs_answer_shape(v: &Value) {
    assert!(
        ["outcome", "node", "path", "question"]
            .iter()
            .all(|k| keys(v).contains(k)),
        "needs_answer keys: {v}"
    );
    assert!(
        v.get("ticket").is_none(),
        "no ticket while a question is open"
    );
    assert_eq!(v["outcome"], "needs_answer");
    let q = &v["question"];
    assert_eq!(
        keys(q),
        BTreeSet::from(["node", "fact", "kind", "text", "answers"]),
        "question keys"
    );
    assert_eq!(q["node"], v["node"], "the question is at the final node");
    assert!(
        q["fact"].is_null() || q["fact"].is_string(),
        "fact: string or null"
    );
    let kind = q["kind"].as_str().expect("kind is a string");
    assert!(
        ["bool", "choice", "number", "text"].contains(&kind),
        "kind: {kind}"
    );
    assert!(
        !q["text"].as_str().expect("text is a string").is_empty(),
        "question text"
    );
    let answers = q["answers"].as_array().expect("answers is an array");
    for a in answers {
        assert_eq!(
            keys(a),
            BTreeSet::from(["value", "text", "answer"]),
            "answer keys"
        );
        assert!(a["text"].is_string(), "answer text");
        // The spelling `--answer` takes back: the value itself in the shipped trees.
        assert_eq!(a["answer"].as_str(), Some(value_arg(&a["value"]).as_str()));
        match kind {
            "bool" => assert!(a["value"].is_boolean(), "bool answer values are booleans"),
            "choice" => assert!(a["value"].is_string(), "choice answer values are strings"),
            _ => {}
        }
    }
    match kind {
        "number" | "text" => assert!(answers.is_empty(), "no offered answers for {kind}"),
        _ => assert!(!answers.is_empty(), "a {kind} question offers answers"),
    }
    let path = str_vec(&v["path"]);
    assert_eq!(
        path.last().map(|n| n.rsplit('/').next().unwrap_or(n)),
        v["node"].as_str(),
        "the path ends at the final node"
    );
}

#[test]
fn run_json_needs_answer_contract() {
    let o = run_json(RECHARGE, &[], &[]);
    assert_exit(&o, 0, "run --json without answers");
    let v = json(&o);
    assert_needs_answer_shape(&v);
    assert_eq!(v["node"], "check_debited");
    assert_eq!(str_vec(&v["path"]), ["check_debited"]);
    let q = &v["question"];
    assert_eq!(q["fact"], "money_debited");
    assert_eq!(q["kind"], "bool");
    let values: Vec<&Value> = q["answers"]
        .as_array()
        .expect("answers")
        .iter()
        .map(|a| &a["value"])
        .collect();
    assert_eq!(values, [&Value::Bool(true), &Value::Bool(false)]);

    // An Act: `fact` is null, the answers are solved / not_solved.
    let v = json(&run_json(
        RECHARGE,
        &answers(&[("check_debited", "false"), ("check_network", "false")]),
        &[],
    ));
    assert_needs_answer_shape(&v);
    assert_eq!(v["node"], "fix_network");
    assert!(v["question"]["fact"].is_null());
    let values: Vec<String> = v["question"]["answers"]
        .as_array()
        .expect("answers")
        .iter()
        .map(|a| value_arg(&a["value"]))
        .collect();
    assert_eq!(values, ["solved", "not_solved"]);

    // A number question (a Decide needing a fact): no offered answers.
    let v = json(&run_json(
        RECHARGE,
        &answers(&[("check_debited", "true")]),
        &[],
    ));
    assert_needs_answer_shape(&v);
    assert_eq!(v["question"]["kind"], "number");
    assert_eq!(v["question"]["fact"], "hours_since_debit");
}

#[test]
fn run_json_resolved_contract() {
    let o = run_json(
        RECHARGE,
        &answers(&[
            ("check_debited", "false"),
            ("check_network", "false"),
            ("fix_network", "solved"),
        ]),
        &[],
    );
    assert_exit(&o, 0, "a resolved walk");
    let v = json(&o);
    assert_eq!(v["outcome"], "resolved");
    assert_eq!(v["node"], "resolved_network");
    assert_eq!(
        str_vec(&v["path"]),
        [
            "check_debited",
            "check_network",
            "fix_network",
            "resolved_network"
        ]
    );
    assert!(
        v.get("question").is_none() && v.get("ticket").is_none(),
        "{v}"
    );
}

#[test]
fn run_json_escalated_contract() {
    let args = answers(&[
        ("check_debited", "true"),
        ("debited_hours", "50"),
        ("ask_debit_amount", "100"),
    ]);
    let o = run_json(RECHARGE, &args, &[]);
    assert_exit(&o, 0, "an escalated walk");
    let v = json(&o);
    assert_eq!(v["outcome"], "escalated");
    assert_eq!(v["node"], "escalate_unreconciled");
    assert_eq!(
        str_vec(&v["path"]),
        [
            "check_debited",
            "debited_hours",
            "ask_debit_amount",
            "escalate_unreconciled"
        ]
    );
    assert!(v.get("question").is_none(), "no question once escalated");
    let ticket = &v["ticket"];
    assert!(ticket.is_object(), "a ticket object: {v}");
    let channel = &ticket["channel"];
    assert!(channel.is_object(), "ticket.channel is an object: {ticket}");
    assert!(channel["kind"].is_string(), "channel.kind");
    assert_eq!(
        channel["open_now"], true,
        "the hotline is open at 10:00: {channel}"
    );
    let facts = ticket["facts"].as_array().expect("ticket.facts is a list");
    let fact = |name: &str| {
        facts
            .iter()
            .find(|f| f["name"] == name)
            .unwrap_or_else(|| panic!("{name} is in the ticket: {ticket}"))
    };
    assert_eq!(fact("money_debited")["value"], true);
    assert_eq!(fact("money_debited")["source"], "user");
    assert_eq!(fact("hours_since_debit")["value"].as_f64(), Some(50.0));
    let transcript = ticket["transcript"].as_array().expect("ticket.transcript");
    assert!(transcript.len() >= 2, "every step is in the transcript");
    assert_eq!(transcript[0]["node"], "check_debited");
    assert_eq!(ticket["node"], "escalate_unreconciled");
    assert_eq!(ticket["tree"], "recharge_failure");
    assert!(
        !str_vec(&ticket["prepare"]).is_empty(),
        "what to have ready: {ticket}"
    );
    // --at makes it reproducible.
    assert_eq!(stdout(&o), stdout(&run_json(RECHARGE, &args, &[])));
}

/// Walks every question reachable in `tree` and feeds back every offered value (and a
/// number for a number question): each is accepted and moves the walk on; a question
/// that fills a fact ends the same way when the value is given with `--fact`. Returns
/// the kinds of question met and the number of Act questions.
fn feed_back_every_offered_value(tree: &str) -> (BTreeSet<String>, usize) {
    let mut kinds = BTreeSet::new();
    let mut acts = 0;
    let mut expanded = BTreeSet::new();
    let mut stack: Vec<Vec<(String, String)>> = vec![Vec::new()];
    while let Some(prefix) = stack.pop() {
        let o = run_json(tree, &prefix, &[]);
        assert_exit(&o, 0, &format!("{tree} with {prefix:?}"));
        let v = json(&o);
        if v["outcome"] != "needs_answer" {
            assert!(
                v["outcome"] == "resolved" || v["outcome"] == "escalated",
                "outcome: {v}"
            );
            continue;
        }
        assert_needs_answer_shape(&v);
        let path = str_vec(&v["path"]);
        // `tree/node` after a Goto: answer under the qualified key.
        let key = path.last().expect("a path").clone();
        let q = &v["question"];
        // A Decide may ask for several facts in turn: one question per (node, fact).
        if !expanded.insert((key.clone(), q["fact"].clone().to_string())) {
            continue;
        }
        let kind = q["kind"].as_str().expect("kind").to_owned();
        let offered: Vec<String> = match kind.as_str() {
            "number" => vec!["3".into(), "72".into()],
            "text" => vec!["some text".into()],
            _ => q["answers"]
                .as_array()
                .expect("answers")
                .iter()
                .map(|a| a["answer"].as_str().expect("an answer spelling").to_owned())
                .collect(),
        };
        if offered == ["solved", "not_solved"] && q["fact"].is_null() {
            acts += 1;
        }
        kinds.insert(kind);
        for value in offered {
            let mut next = prefix.clone();
            next.push((key.clone(), value.clone()));
            let child = run_json(tree, &next, &[]);
            let what = format!("{tree}: --answer {key}={value} after {prefix:?}");
            assert_exit(&child, 0, &what);
            let after = json(&child);
            let child_path = str_vec(&after["path"]);
            let next_fact_same_node = child_path == path
                && after["outcome"] == "needs_answer"
                && after["question"]["fact"] != q["fact"];
            assert!(
                (child_path.len() > path.len() && child_path.starts_with(&path))
                    || next_fact_same_node,
                "{what}: the walk moves on from {path:?} to {child_path:?}"
            );
            // A fact of a tree reached by a Goto is given with --fact just the same.
            if let Some(fact) = q["fact"].as_str() {
                let by_fact =
                    run_json(tree, &prefix, &["--fact".into(), format!("{fact}={value}")]);
                assert_exit(&by_fact, 0, &format!("{tree}: --fact {fact}={value}"));
                let by_fact = json(&by_fact);
                for k in ["outcome", "node", "path"] {
                    assert_eq!(
                        by_fact[k], after[k],
                        "{tree}: --fact {fact}={value} ends like --answer {key}={value} ({k})"
                    );
                }
            }
            stack.push(next);
        }
    }
    (kinds, acts)
}

#[test]
fn run_every_offered_value_is_accepted_back() {
    let (kinds, acts) = feed_back_every_offered_value(RECHARGE);
    for kind in ["bool", "choice", "number"] {
        assert!(
            kinds.contains(kind),
            "a {kind} question was exercised: {kinds:?}"
        );
    }
    assert!(acts >= 5, "Act questions were exercised: {acts}");
}

#[test]
fn run_every_offered_value_is_accepted_back_across_a_goto() {
    // payment_failure hands over to account_stolen: answers keyed `tree/node` there.
    let (kinds, _) = feed_back_every_offered_value("trees/payment_failure.ron");
    assert!(
        kinds.contains("bool") && kinds.contains("choice"),
        "{kinds:?}"
    );
}

#[test]
fn run_fact_for_a_goto_target_tree() {
    // payment_failure hands over to account_stolen, whose first question fills
    // `can_log_in`: the JSON offers that question with "fact": "can_log_in", so
    // `--fact can_log_in=...` must be accepted like `--answer`.
    let goto = answers(&[("check_unauthorized", "true")]);
    let v = json(&run_json("trees/payment_failure.ron", &goto, &[]));
    assert_eq!(v["question"]["fact"], "can_log_in", "{v}");
    let mut by_answer = goto.clone();
    by_answer.push(("account_stolen/check_login".into(), "true".into()));
    let by_answer = json(&run_json("trees/payment_failure.ron", &by_answer, &[]));
    let o = run_json(
        "trees/payment_failure.ron",
        &goto,
        &["--fact".into(), "can_log_in=true".into()],
    );
    assert_exit(&o, 0, "--fact can_log_in=true");
    assert_eq!(json(&o)["path"], by_answer["path"]);
}

#[test]
fn run_fact_answers_a_question_like_answer_does() {
    let by_answer = json(&run_json(
        RECHARGE,
        &answers(&[("check_debited", "true")]),
        &[],
    ));
    let by_fact = json(&run_json(
        RECHARGE,
        &[],
        &["--fact".into(), "money_debited=true".into()],
    ));
    assert_eq!(by_answer["path"], by_fact["path"]);
    assert_eq!(by_fact["node"], "debited_hours");
    // A number fact, asked by a Decide.
    let o = run_json(
        RECHARGE,
        &answers(&[("check_debited", "true")]),
        &["--fact".into(), "hours_since_debit=3".into()],
    );
    assert_exit(&o, 0, "--fact hours_since_debit=3");
    assert_eq!(json(&o)["node"], "check_records");
}

#[test]
fn run_answer_not_offered_exits_1_naming_accepted_values() {
    /// The answers given, and the words stderr must contain.
    type Case<'a> = (&'a [(&'a str, &'a str)], &'a [&'a str]);
    let cases: [Case<'_>; 3] = [
        (&[("check_debited", "maybe")], &["maybe", "true", "false"]),
        (
            &[
                ("check_debited", "false"),
                ("check_network", "false"),
                ("fix_network", "yes"),
            ],
            &["yes", "solved", "not_solved"],
        ),
        (
            &[
                ("check_debited", "false"),
                ("check_network", "true"),
                ("check_bank", "no"),
                ("check_account", "banned"),
            ],
            &["banned", "normal", "restricted", "unverified"],
        ),
    ];
    for (given, named) in cases {
        let o = run_json(RECHARGE, &answers(given), &[]);
        let what = format!("answers {given:?}");
        assert_exit(&o, 1, &what);
        assert!(stdout(&o).is_empty(), "{what}: no JSON on failure");
        let err = stderr(&o);
        for word in named {
            assert!(err.contains(word), "{what}: stderr names {word}: {err}");
        }
    }
}

#[test]
fn run_wrong_typed_value_exits_1() {
    let o = run_json(
        RECHARGE,
        &[],
        &["--fact".into(), "hours_since_debit=abc".into()],
    );
    assert_exit(&o, 1, "--fact hours_since_debit=abc");
    let err = stderr(&o);
    assert!(
        err.contains("hours_since_debit") && err.contains("number") && err.contains("abc"),
        "the message names the fact, its type and the value: {err}"
    );
    let o = run_json(
        RECHARGE,
        &answers(&[("check_debited", "true"), ("debited_hours", "abc")]),
        &[],
    );
    assert_exit(&o, 1, "--answer debited_hours=abc");
    assert!(stderr(&o).contains("number"), "{}", stderr(&o));
    let o = run_json(
        RECHARGE,
        &[],
        &["--fact".into(), "account_status=banana".into()],
    );
    assert_exit(&o, 1, "--fact account_status=banana");
    assert!(stderr(&o).contains("normal"), "{}", stderr(&o));
    let o = run_json(RECHARGE, &[], &["--fact".into(), "no_such_fact=1".into()]);
    assert_exit(&o, 1, "--fact for an undeclared fact");
    assert!(stderr(&o).contains("no_such_fact"), "{}", stderr(&o));
}

#[test]
fn run_usage_errors_exit_2() {
    let bad: [&[&str]; 7] = [
        &["run", RECHARGE, "--json", "--answer", "check_debited"],
        &["run", RECHARGE, "--json", "--answer", "=true"],
        &["run", RECHARGE, "--json", "--fact", "money_debited"],
        &["run", RECHARGE, "--json", "--at", "tomorrow"],
        &["run", RECHARGE, "--bogus"],
        &["run"],
        &["run", "trees/no_such_tree.ron", "--json"],
    ];
    for args in bad {
        let o = tt(args);
        assert_exit(&o, 2, &format!("{args:?}"));
        assert!(!stderr(&o).is_empty(), "{args:?}: a message");
    }
    let o = tt(["run", RECHARGE, "--json", "--answer", "check_debited"]);
    assert!(stderr(&o).contains("check_debited"), "{}", stderr(&o));
}

#[test]
fn run_lang_en_and_zh() {
    let en = json(&run_json(RECHARGE, &[], &[]));
    let zh = json(&tt(["run", RECHARGE, "--json", "--lang", "zh"]));
    let default = json(&tt(["run", RECHARGE, "--json"]));
    let en_text = en["question"]["text"].as_str().expect("text");
    let zh_text = zh["question"]["text"].as_str().expect("text");
    assert!(en_text.starts_with("First, one quick check"), "{en_text}");
    assert!(zh_text.starts_with("先确认一件事"), "{zh_text}");
    assert_eq!(
        default["question"]["text"], zh["question"]["text"],
        "zh is the default"
    );
    assert_ne!(
        en["question"]["answers"][0]["text"],
        zh["question"]["answers"][0]["text"]
    );
    // Values do not depend on the language.
    assert_eq!(
        en["question"]["answers"][0]["value"],
        zh["question"]["answers"][0]["value"]
    );
    // The human ending, too.
    let ticket = |lang: &str| {
        stdout(&tt([
            "run",
            RECHARGE,
            "--lang",
            lang,
            "--at",
            AT,
            "--answer",
            "check_debited=true",
            "--answer",
            "debited_hours=50",
            "--answer",
            "ask_debit_amount=100",
        ]))
    };
    let (en, zh) = (ticket("en"), ticket("zh"));
    assert!(
        en.contains("Support ticket") && en.contains("Please have ready"),
        "{en}"
    );
    assert!(
        zh.contains("客服工单") && !zh.contains("Support ticket"),
        "{zh}"
    );
    // A locale the tree does not have is refused.
    let o = tt(["run", RECHARGE, "--json", "--lang", "fr"]);
    assert!(code(&o) != 0, "--lang fr is refused");
    assert!(stderr(&o).contains("fr"), "{}", stderr(&o));
}

#[test]
fn run_save_then_resume_continues() {
    let scratch = Scratch::new("resume");
    let file = scratch.arg("session.json");
    let o = run_json(
        RECHARGE,
        &answers(&[("check_debited", "false")]),
        &["--save".into(), file.clone()],
    );
    assert_exit(&o, 0, "run --save");
    assert_eq!(json(&o)["node"], "check_network");
    let saved: Value =
        serde_json::from_str(&fs::read_to_string(&file).expect("the session is saved"))
            .expect("the saved session is JSON");
    assert!(saved.is_object(), "{saved}");

    let o = run_json(
        RECHARGE,
        &answers(&[("check_network", "false")]),
        &["--resume".into(), file.clone()],
    );
    assert_exit(&o, 0, "run --resume");
    let v = json(&o);
    assert_eq!(v["node"], "fix_network");
    assert_eq!(
        str_vec(&v["path"]),
        ["check_debited", "check_network", "fix_network"],
        "the resumed walk keeps what was answered before"
    );
    // Resume, answer, save again, resume again: to the end.
    let again = scratch.arg("again.json");
    let o = run_json(
        RECHARGE,
        &answers(&[("check_network", "false")]),
        &[
            "--resume".into(),
            file.clone(),
            "--save".into(),
            again.clone(),
        ],
    );
    assert_exit(&o, 0, "resume and save");
    let o = run_json(
        RECHARGE,
        &answers(&[("fix_network", "solved")]),
        &["--resume".into(), again],
    );
    assert_eq!(json(&o)["outcome"], "resolved");

    // The saved session belongs to its tree.
    let o = tt([
        "run",
        "trees/payment_failure.ron",
        "--json",
        "--resume",
        &file,
    ]);
    assert_exit(&o, 1, "resume on another tree");
    assert!(stderr(&o).contains("recharge_failure"), "{}", stderr(&o));
    // Not a session: exit 1; no file: exit 2.
    let garbage = scratch.write("garbage.json", "this is not JSON");
    let o = tt([
        "run",
        RECHARGE,
        "--json",
        "--resume",
        &garbage.display().to_string(),
    ]);
    assert_exit(&o, 1, "resume from garbage");
    let o = tt([
        "run",
        RECHARGE,
        "--json",
        "--resume",
        &scratch.arg("missing.json"),
    ]);
    assert_exit(&o, 2, "resume from a missing file");
}

#[test]
fn run_resume_with_fact_answers_or_is_refused() {
    let scratch = Scratch::new("resume-fact");
    let file = scratch.arg("session.json");
    assert_exit(
        &run_json(RECHARGE, &[], &["--save".into(), file.clone()]),
        0,
        "save at the first question",
    );
    // The open question fills money_debited: `--fact money_debited=false` must either
    // answer it (contract: a question that fills a fact may equally be answered with
    // --fact) or be refused as a usage error; not be dropped without a word.
    let o = run_json(
        RECHARGE,
        &[],
        &[
            "--resume".into(),
            file,
            "--fact".into(),
            "money_debited=false".into(),
        ],
    );
    if code(&o) == 0 {
        assert_ne!(
            json(&o)["node"],
            "check_debited",
            "--fact money_debited=false after --resume was ignored"
        );
    } else {
        assert_exit(&o, 2, "--fact with --resume refused as usage");
    }
}

#[test]
fn run_resume_with_lang_switches_or_is_refused() {
    let scratch = Scratch::new("resume-lang");
    let file = scratch.arg("session.json");
    let o = tt(["run", RECHARGE, "--json", "--lang", "zh", "--save", &file]);
    assert_exit(&o, 0, "save in zh");
    let o = tt(["run", RECHARGE, "--json", "--lang", "en", "--resume", &file]);
    if code(&o) == 0 {
        let text = json(&o)["question"]["text"]
            .as_str()
            .unwrap_or("")
            .to_owned();
        assert!(
            text.starts_with("First"),
            "--lang en after --resume: {text}"
        );
    } else {
        assert_exit(&o, 2, "--lang with --resume refused as usage");
    }
}

#[test]
fn run_missing_directory_file_exits_2() {
    let o = run_json(
        RECHARGE,
        &answers(&[("check_debited", "true"), ("debited_hours", "50")]),
        &["--directory".into(), "trees/no_such_directory.ron".into()],
    );
    assert_exit(&o, 2, "--directory on a missing file");
}

#[test]
fn run_scripted_human_endings() {
    // Resolved: the resolution and the path.
    let o = tt([
        "run",
        RECHARGE,
        "--lang",
        "en",
        "--answer",
        "check_debited=false",
        "--answer",
        "check_network=false",
        "--answer",
        "fix_network=solved",
    ]);
    assert_exit(&o, 0, "scripted, resolved");
    let out = stdout(&o);
    assert!(out.contains("The top-up went through"), "{out}");
    assert!(
        out.contains("check_debited → check_network → fix_network → resolved_network"),
        "{out}"
    );
    // Needs an answer: the ending shows how to give one.
    let o = tt([
        "run",
        RECHARGE,
        "--lang",
        "en",
        "--answer",
        "check_debited=false",
    ]);
    assert_exit(&o, 0, "scripted, needs an answer");
    let out = stdout(&o);
    for wanted in [
        "check_network",
        "--answer check_network=true",
        "--answer check_network=false",
        "--fact network_ok=",
    ] {
        assert!(out.contains(wanted), "{wanted}: {out}");
    }
}

/// The English texts of recharge_failure's first questions, as the interactive mode
/// shows them.
const Q_DEBITED: &str = "? First, one quick check";
const Q_NETWORK: &str = "? Is your internet connection stable";
const Q_BANK: &str = "? When the top-up failed";

fn interactive(input: &str) -> (Output, String) {
    let o = tt_stdin(["run", RECHARGE, "--lang", "en", "--at", AT], input);
    let out = stdout(&o);
    (o, out)
}

#[test]
fn run_interactive_numbered_answers() {
    let (o, out) = interactive("2\n1\n");
    assert_exit(&o, 0, "interactive, then EOF");
    assert!(out.starts_with("== Top-up failed =="), "{out}");
    assert!(out.contains("  1. Yes, I was charged") && out.contains("  2. No, nothing"));
    let (a, b, c) = (
        out.find(Q_DEBITED).expect("first question"),
        out.find(Q_NETWORK).expect("second question"),
        out.find(Q_BANK).expect("third question"),
    );
    assert!(a < b && b < c, "asked in order\n{out}");
    // A value typed out works as well as its number.
    let (o, out) = interactive("false\ntrue\n");
    assert_exit(&o, 0, "typed values");
    assert!(out.contains(Q_BANK), "{out}");
}

#[test]
fn run_interactive_back_shows_the_previous_question_again() {
    let (o, out) = interactive("2\nb\n");
    assert_exit(&o, 0, "interactive back");
    assert_eq!(
        out.matches(Q_DEBITED).count(),
        2,
        "asked again after b\n{out}"
    );
    assert_eq!(out.matches(Q_NETWORK).count(), 1, "{out}");
    assert!(
        out.rfind(Q_DEBITED) > out.find(Q_NETWORK),
        "the previous question comes back after b\n{out}"
    );
    // And the walk goes on from there.
    let (_, out) = interactive("2\nb\n1\n");
    assert!(out.contains("? Roughly how many hours"), "{out}");
}

#[test]
fn run_interactive_invalid_entry_reasks() {
    let (o, out) = interactive("xyz\n9\n\n2\n");
    assert_exit(&o, 0, "invalid entries");
    // Each refusal is in the user's words: what to type, not the tree's internals.
    assert_eq!(
        out.matches("! Please type one of the numbers above (1–2).")
            .count(),
        3,
        "an error for each invalid entry\n{out}"
    );
    assert!(
        !out.contains("check_debited") && !out.contains("true, false"),
        "no node ids or internal values on screen\n{out}"
    );
    // The keys are shown with every question.
    assert!(
        out.contains("(type the number of an answer; b: back; q: quit)"),
        "{out}"
    );
    assert_eq!(
        out.matches(Q_DEBITED).count(),
        4,
        "re-asked after each error\n{out}"
    );
    assert!(
        out.contains(Q_NETWORK),
        "a valid entry still moves on\n{out}"
    );
}

#[test]
fn run_interactive_q_and_eof_exit_0() {
    // After q, an empty line declines the offer to save; nothing else is read.
    let (o, out) = interactive("2\nq\n\n1\n");
    assert_exit(&o, 0, "q");
    assert!(out.contains(Q_NETWORK), "{out}");
    assert!(!out.contains(Q_BANK), "nothing is read after q\n{out}");
    assert!(out.contains("Not saved."), "{out}");
    let (o, out) = interactive("");
    assert_exit(&o, 0, "EOF at once");
    assert!(out.contains(Q_DEBITED), "{out}");
    let (o, _) = interactive("2\n");
    assert_exit(&o, 0, "EOF mid-walk");
}

#[test]
fn run_interactive_escalation_prints_the_ticket() {
    let (o, out) = interactive("1\n50\n100\n");
    assert_exit(&o, 0, "interactive escalation");
    assert!(
        out.contains("? Roughly how many hours"),
        "the number question\n{out}"
    );
    for wanted in [
        "Support ticket",
        "Priority: high",
        "Please have ready:",
        "hours since the debit = 50",
        "Created: 2026-11-22 10:00",
    ] {
        assert!(out.contains(wanted), "{wanted}\n{out}");
    }
    // And a resolution prints the resolution text.
    let (o, out) = interactive("2\n2\n1\n");
    assert_exit(&o, 0, "interactive resolution");
    assert!(out.contains("✔ The top-up went through"), "{out}");
}

// ---------------------------------------------------------------------------------
// 3. test
// ---------------------------------------------------------------------------------

const PARTIAL_SCENARIO: &str = r#"// Covers one walk of recharge_failure only.
Scenarios(
    tree: "recharge_failure",
    cases: [
        Case(
            name: "network fix works",
            facts: { "network_ok": false },
            answers: [("check_debited", false), ("fix_network", "solved")],
            expect: Resolved,
            node: "resolved_network",
        ),
    ],
)
"#;

const FAILING_SCENARIO: &str = r#"Scenarios(
    tree: "recharge_failure",
    cases: [
        Case(
            name: "passes",
            answers: [("check_debited", true), ("debited_hours", 60), ("ask_debit_amount", 100)],
            expect: Escalated,
            node: "escalate_unreconciled",
        ),
        Case(
            name: "expects the wrong end",
            facts: { "network_ok": false },
            answers: [("check_debited", false), ("fix_network", "solved")],
            expect: Escalated,
            node: "escalate_account",
        ),
    ],
)
"#;

fn recharge_trees() -> [&'static str; 4] {
    ["--trees", RECHARGE, "--trees", "trees/directory.ron"]
}

#[test]
fn test_shipped_scenarios_pass() {
    let o = tt(["test", "tests/scenarios"]);
    assert_exit(&o, 0, "test tests/scenarios");
    let out = stdout(&o);
    assert!(out.contains(" 0 failed"), "{out}");
    assert!(out.contains("coverage recharge_failure: nodes"), "{out}");
    assert!(!out.contains("FAIL"), "{out}");
}

#[test]
fn test_failing_scenario_exits_1() {
    let scratch = Scratch::new("failing");
    scratch.write("failing.ron", FAILING_SCENARIO);
    let mut args = vec!["test".to_owned(), scratch.0.display().to_string()];
    args.extend(recharge_trees().map(String::from));
    let o = tt(&args);
    assert_exit(&o, 1, "a failing scenario");
    let out = stdout(&o);
    assert!(
        out.contains("FAIL recharge_failure :: expects the wrong end"),
        "{out}"
    );
    assert!(out.contains("ok   recharge_failure :: passes"), "{out}");
    assert!(out.contains("1 passed, 1 failed"), "{out}");

    args.push("--json".into());
    let o = tt(&args);
    assert_exit(&o, 1, "a failing scenario, --json");
    let v = json(&o);
    assert_eq!(v["passed"], 1);
    assert_eq!(v["failed"], 1);
    let failed = v["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .find(|c| c["passed"] == false)
        .expect("the failing case");
    assert_eq!(failed["name"], "expects the wrong end");
    assert!(failed["failure"].is_string(), "the reason: {failed}");
    assert_eq!(failed["outcome"], "resolved", "what happened instead");
}

#[test]
fn test_json_shape() {
    let o = tt(["test", "tests/scenarios", "--json"]);
    assert_exit(&o, 0, "test --json");
    let v = json(&o);
    for k in [
        "passed",
        "failed",
        "min_coverage",
        "below_min_coverage",
        "cases",
        "coverage",
    ] {
        assert!(keys(&v).contains(k), "test --json has {k}: {:?}", keys(&v));
    }
    assert!(v["passed"].as_u64().expect("passed is a count") > 0);
    assert_eq!(v["failed"], 0);
    assert!(v["min_coverage"].is_null());
    let cases = v["cases"].as_array().expect("cases");
    for c in cases {
        for k in [
            "file", "tree", "name", "passed", "failure", "outcome", "node", "path",
        ] {
            assert!(keys(c).contains(k), "case has {k}: {c}");
        }
        assert!(c["passed"].is_boolean() && c["path"].is_array(), "{c}");
        let outcome = c["outcome"].as_str().expect("an outcome");
        assert!(
            ["resolved", "escalated", "needs_answer", "goto"].contains(&outcome),
            "{outcome}"
        );
    }
    let coverage = v["coverage"].as_array().expect("coverage");
    let recharge = coverage
        .iter()
        .find(|c| c["tree"] == "recharge_failure")
        .expect("coverage of recharge_failure");
    for k in [
        "nodes_covered",
        "nodes_total",
        "node_percent",
        "edges_covered",
        "edges_total",
        "edge_percent",
        "uncovered_nodes",
        "uncovered_edges",
    ] {
        assert!(keys(recharge).contains(k), "coverage has {k}: {recharge}");
    }
    assert!(recharge["node_percent"].is_number() && recharge["uncovered_edges"].is_array());
    assert_eq!(
        recharge["nodes_total"].as_u64(),
        Some(node_ids(RECHARGE).len() as u64),
        "every node counts"
    );
}

#[test]
fn test_min_coverage() {
    let scratch = Scratch::new("coverage");
    scratch.write("partial.ron", PARTIAL_SCENARIO);
    let dir = scratch.0.display().to_string();
    let run = |extra: &[&str]| {
        let mut args = vec!["test", dir.as_str()];
        args.extend(recharge_trees());
        args.extend(extra);
        tt(args)
    };
    assert_exit(&run(&[]), 0, "partial coverage, no minimum");
    assert_exit(
        &run(&["--min-coverage", "0"]),
        0,
        "partial coverage, minimum 0",
    );
    assert_exit(
        &run(&["--min-coverage", "10"]),
        1,
        "3/34 edges is below 10%",
    );
    let o = run(&["--min-coverage", "100"]);
    assert_exit(&o, 1, "partial coverage, minimum 100");
    assert!(
        stderr(&o).contains("recharge_failure"),
        "names the tree below the minimum: {}",
        stderr(&o)
    );
    let o = run(&["--min-coverage", "100", "--json"]);
    assert_exit(&o, 1, "--min-coverage 100 --json");
    let v = json(&o);
    assert_eq!(v["min_coverage"], 100);
    assert_eq!(str_vec(&v["below_min_coverage"]), ["recharge_failure"]);
    assert_eq!(v["failed"], 0, "the case itself passes");
    // Out of range, or not a number: usage.
    assert_exit(&run(&["--min-coverage", "101"]), 2, "--min-coverage 101");
    assert_exit(&run(&["--min-coverage", "lots"]), 2, "--min-coverage lots");
}

#[test]
fn test_bad_paths_exit_2() {
    assert_exit(
        &tt(["test", "tests/no-such-scenarios"]),
        2,
        "missing scenarios",
    );
    assert_exit(
        &tt(["test", "tests/scenarios", "--trees", "no-such-trees"]),
        2,
        "missing trees",
    );
    let scratch = Scratch::new("malformed");
    scratch.write(
        "bad.ron",
        "Scenarios(tree: \"recharge_failure\", cases: [Case(",
    );
    let mut args = vec!["test".to_owned(), scratch.0.display().to_string()];
    args.extend(recharge_trees().map(String::from));
    assert_exit(&tt(&args), 2, "a malformed scenario file");
    // Trees with errors: the trees are the problem (exit 1).
    let o = tt([
        "test",
        "tests/scenarios/recharge_failure.ron",
        "--trees",
        "tests/data/invalid/E009_no-exit.ron",
    ]);
    assert!(code(&o) == 1 || code(&o) == 2, "broken trees fail the run");
    assert!(!stderr(&o).contains("panicked"));
}

// ---------------------------------------------------------------------------------
// 4. paths and export
// ---------------------------------------------------------------------------------

#[test]
fn export_dot_and_mermaid() {
    let ids = node_ids(RECHARGE);
    assert!(ids.len() > 20, "{ids:?}");
    for lang in ["zh", "en"] {
        let o = tt(["export", RECHARGE, "--format", "dot", "--lang", lang]);
        assert_exit(&o, 0, "export --format dot");
        let dot = stdout(&o);
        assert!(dot.trim_start().starts_with("digraph"), "{dot}");
        assert!(dot.trim_end().ends_with('}'), "{dot}");
        // Braces of the graph's syntax (labels are text, and may hold `{hotline.hours}`).
        let syntax: String = dot.lines().filter(|l| !l.contains("label=")).collect();
        assert_eq!(
            syntax.matches('{').count(),
            syntax.matches('}').count(),
            "balanced braces"
        );
        for id in &ids {
            assert!(dot.contains(id.as_str()), "dot names node {id}");
        }
        assert!(dot.contains("->"), "edges");

        let o = tt(["export", RECHARGE, "--format", "mermaid", "--lang", lang]);
        assert_exit(&o, 0, "export --format mermaid");
        let mermaid = stdout(&o);
        assert!(mermaid.starts_with("flowchart"), "{mermaid}");
        for id in &ids {
            assert!(mermaid.contains(id.as_str()), "mermaid names node {id}");
        }
        assert!(mermaid.contains("-->"), "edges");
    }
    let en = stdout(&tt(["export", RECHARGE, "--format", "dot", "--lang", "en"]));
    assert!(en.contains("Top-up failed"), "English labels");
    assert_exit(
        &tt(["export", RECHARGE, "--format", "svg"]),
        2,
        "export --format svg",
    );
    assert_exit(&tt(["export", RECHARGE]), 2, "export without --format");
    assert_exit(
        &tt(["export", RECHARGE, "--format", "dot", "--lang", "fr"]),
        2,
        "export --lang fr",
    );
    assert_exit(
        &tt(["export", "trees/no_such_tree.ron", "--format", "dot"]),
        2,
        "export a missing tree",
    );
}

#[test]
fn export_with_coverage() {
    let ids = node_ids(RECHARGE);
    for format in ["dot", "mermaid"] {
        let plain = stdout(&tt(["export", RECHARGE, "--format", format]));
        let o = tt([
            "export",
            RECHARGE,
            "--format",
            format,
            "--coverage",
            "tests/scenarios",
        ]);
        assert_exit(&o, 0, &format!("export --format {format} --coverage"));
        let covered = stdout(&o);
        for id in &ids {
            assert!(covered.contains(id.as_str()), "{format} names {id}");
        }
        assert_ne!(plain, covered, "{format}: --coverage changes the picture");
    }
    // Partial coverage marks something differently from full coverage.
    let scratch = Scratch::new("export-coverage");
    scratch.write("partial.ron", PARTIAL_SCENARIO);
    let dir = scratch.0.display().to_string();
    let full = stdout(&tt([
        "export",
        RECHARGE,
        "--format",
        "dot",
        "--coverage",
        "tests/scenarios",
    ]));
    let partial = stdout(&tt([
        "export",
        RECHARGE,
        "--format",
        "dot",
        "--coverage",
        &dir,
    ]));
    assert_ne!(full, partial, "partial coverage is drawn differently");
}

#[test]
fn export_coverage_missing_dir_exits_2() {
    let o = tt([
        "export",
        RECHARGE,
        "--format",
        "dot",
        "--coverage",
        "tests/no-such-scenarios",
    ]);
    assert_exit(&o, 2, "export --coverage on a missing directory");
}

#[test]
fn paths_human() {
    let o = tt(["paths", RECHARGE]);
    assert_exit(&o, 0, "paths");
    let out = stdout(&o);
    assert!(out.starts_with("tree recharge_failure: "), "{out}");
    assert!(out.contains("distinct walks"), "{out}");
    assert!(out.contains("shortest walk to each end:"), "{out}");
    assert!(out.contains("longest walk:"), "{out}");
    for t in terminals(RECHARGE) {
        assert!(
            out.contains(&format!("  {t}: ")),
            "a shortest walk to {t}\n{out}"
        );
    }
    // The count agrees with --json.
    let walks = json(&tt(["paths", RECHARGE, "--json"]))["walks"].to_string();
    assert!(
        out.starts_with(&format!("tree recharge_failure: {walks} distinct walks\n")),
        "{walks}: {out}"
    );
}

/// Asserts that each consecutive pair of `path` is a step of the tree: an edge, or (as
/// the session records it) an edge into a used-up limited node, which sends the walk
/// straight on to its `then` without being listed.
#[track_caller]
fn assert_walk(tree: &str, path: &[String]) {
    let tree = troubletree::Tree::from_path(Path::new(ROOT).join(tree)).expect("a valid tree");
    let edges = tree.edges();
    let step = |from: &str, to: &str| {
        edges.iter().any(|e| {
            e.from == from
                && (e.to == to
                    || edges.iter().any(|l| {
                        l.from == e.to && l.to == to && l.label == troubletree::EdgeLabel::Limit
                    }))
        })
    };
    for pair in path.windows(2) {
        assert!(
            step(&pair[0], &pair[1]),
            "{} -> {} is a step of the tree ({path:?})",
            pair[0],
            pair[1]
        );
    }
}

/// A walk of `paths --json` (`{len, head, tail}`) listed whole: its ids.
#[track_caller]
fn whole_walk(walk: &Value) -> Vec<String> {
    assert_eq!(
        keys(walk),
        BTreeSet::from(["len", "head", "tail"]),
        "{walk}"
    );
    let head = str_vec(&walk["head"]);
    assert_eq!(
        Some(head.len() as u64),
        walk["len"].as_u64(),
        "listed whole: {walk}"
    );
    assert!(str_vec(&walk["tail"]).is_empty(), "{walk}");
    head
}

#[test]
fn paths_json() {
    let o = tt(["paths", RECHARGE, "--json"]);
    assert_exit(&o, 0, "paths --json");
    let v = json(&o);
    for k in ["walks", "saturated", "walks_log2", "shortest", "longest"] {
        assert!(keys(&v).contains(k), "paths --json has {k}: {v}");
    }
    assert!(
        v["walks"].as_f64().is_some_and(|w| w >= 1.0),
        "a count: {v}"
    );
    assert_eq!(v["saturated"], false);
    let shortest = v["shortest"].as_array().expect("shortest");
    let ends: BTreeSet<String> = shortest
        .iter()
        .map(|w| w["terminal"].as_str().expect("terminal").to_owned())
        .collect();
    assert_eq!(
        ends,
        terminals(RECHARGE).into_iter().collect(),
        "one shortest walk per terminal"
    );
    for w in shortest {
        let path = whole_walk(&w["path"]);
        assert_eq!(
            path.first().map(String::as_str),
            Some("check_debited"),
            "{w}"
        );
        assert_eq!(
            path.last(),
            w["terminal"].as_str().map(String::from).as_ref()
        );
        assert_walk(RECHARGE, &path);
    }
    let longest = whole_walk(&v["longest"]);
    assert_eq!(longest.first().map(String::as_str), Some("check_debited"));
    assert_walk(RECHARGE, &longest);
    assert!(
        longest.len()
            >= shortest
                .iter()
                .map(|w| whole_walk(&w["path"]).len())
                .max()
                .unwrap_or(0)
    );
    assert_exit(
        &tt(["paths", "trees/no_such_tree.ron"]),
        2,
        "paths on a missing tree",
    );
}

// ---------------------------------------------------------------------------------
// 5. Output safety
// ---------------------------------------------------------------------------------

#[test]
fn hostile_fixtures_are_valid_trees() {
    let o = tt(["check", "--format", "json", ESCAPE]);
    assert_exit(&o, 0, ESCAPE);
    assert_eq!(
        json(&o),
        Value::Array(vec![]),
        "{ESCAPE}: no finding at all"
    );
    // Control characters in ids are refused (E016): such a tree never loads, so its ids
    // only ever reach a terminal inside finding messages, cleaned.
    let o = tt(["check", "--format", "json", ESCAPE_IDS]);
    assert_exit(&o, 1, ESCAPE_IDS);
    let findings = json(&o);
    let codes: Vec<&str> = findings
        .as_array()
        .expect("an array")
        .iter()
        .filter_map(|f| f["code"].as_str())
        .collect();
    assert!(
        !codes.is_empty() && codes.iter().all(|c| *c == "E016"),
        "{codes:?}"
    );
    // The JSON carries the hostile text faithfully, escaped.
    let v = json(&tt([
        "run", ESCAPE, "--trees", ESCAPE, "--json", "--lang", "en",
    ]));
    let text = v["question"]["text"].as_str().expect("text");
    assert!(
        text.contains("\u{1b}[2J") && text.contains('\r'),
        "{text:?}"
    );
}

/// Scripted walks of a hostile tree (the `--answer` arguments) reaching each kind of
/// ending, plus refused answers that carry control characters.
fn hostile_scripts(ids: bool) -> Vec<Vec<String>> {
    let (ask, act, dec) = if ids {
        ("ask\u{1b}[2J", "act\u{7}", "dec\r")
    } else {
        ("ask_network", "fix_network", "check_account")
    };
    let (normal, restricted) = if ids {
        ("ok\u{1b}[2J", "bad\u{7}")
    } else {
        ("normal", "restricted")
    };
    let a = |node: &str, value: &str| vec!["--answer".to_owned(), format!("{node}={value}")];
    vec![
        // Needs an answer at the first question.
        Vec::new(),
        a(ask, "false"),
        [a(ask, "false"), a(act, "solved")].concat(),
        [a(ask, "false"), a(act, "not_solved")].concat(),
        [a(ask, "true"), a(dec, restricted)].concat(),
        [a(ask, "true"), a(dec, normal)].concat(),
        // An answer that is not offered, with control characters in it (stderr).
        a(ask, "\u{1b}[2Jnope\r\u{7}"),
        [a(ask, "true"), a(dec, "\u{1b}]0;t\u{7}")].concat(),
    ]
}

fn hostile_run(tree: &str, ids: bool) {
    for lang in ["zh", "en"] {
        for script in hostile_scripts(ids) {
            // The fixture alone: the other files of its folder are broken on purpose.
            let mut human = vec!["run", tree, "--trees", tree, "--lang", lang, "--at", AT];
            human.extend(script.iter().map(String::as_str));
            if script.is_empty() {
                // No answer: interactive; EOF at once.
                let o = tt_stdin(&human, "");
                assert_terminal_safe(&o, &format!("interactive {tree} {lang}"));
                continue;
            }
            let o = tt(&human);
            assert!(code(&o) == 0 || code(&o) == 1, "{human:?}");
            assert_terminal_safe(&o, &format!("run {tree} {lang} {script:?}"));
            let mut as_json = human.clone();
            as_json.push("--json");
            let o = tt(&as_json);
            assert_no_raw_escape(&o, &format!("run --json {tree} {lang} {script:?}"));
            if code(&o) == 0 {
                json(&o);
            }
        }
        // Interactive, through every kind of ending and error.
        for input in [
            "2\n2\n2\n".as_bytes(),
            b"2\n1\n",
            b"1\n1\n",
            b"1\n2\n",
            b"\x1b[2J\r\x07\nb\nb\n1\nb\n9\n1\n2\n",
            b"1\n\x1b]0;t\x07\n2\n",
            b"2\nq\n",
        ] {
            let o = tt_stdin(
                ["run", tree, "--trees", tree, "--lang", lang, "--at", AT],
                input,
            );
            assert_exit(&o, 0, &format!("interactive {tree} {lang}"));
            assert_terminal_safe(
                &o,
                &format!(
                    "interactive {tree} {lang} {:?}",
                    String::from_utf8_lossy(input)
                ),
            );
        }
    }
}

#[test]
fn hostile_texts_never_reach_the_terminal_run() {
    hostile_run(ESCAPE, false);
    // The escalation was reached and its ticket printed, escaped.
    let out = stdout(&tt_stdin(
        ["run", ESCAPE, "--trees", ESCAPE, "--lang", "en", "--at", AT],
        "2\n2\n2\n",
    ));
    assert!(
        out.contains("Needs an agent"),
        "the ticket was printed\n{out}"
    );
    assert!(out.contains("Phone number"), "{out}");
}

#[test]
fn hostile_ids_are_refused_without_reaching_the_terminal() {
    // A tree whose ids hold escape sequences does not load: every command that takes it
    // exits 1, and what it prints is safe for a terminal.
    for args in [
        vec!["run", ESCAPE_IDS, "--lang", "en"],
        vec!["run", ESCAPE_IDS, "--json"],
        vec!["paths", ESCAPE_IDS],
        vec!["export", ESCAPE_IDS, "--format", "dot"],
        vec!["export", ESCAPE_IDS, "--format", "mermaid"],
        vec!["check", ESCAPE_IDS],
        vec!["check", "--format", "github", ESCAPE_IDS],
    ] {
        let o = tt_stdin(&args, "1\n1\n");
        assert_exit(&o, 1, &format!("{args:?}"));
        assert_terminal_safe(&o, &format!("{args:?}"));
    }
}

#[test]
fn hostile_texts_never_reach_the_terminal_check() {
    for tree in [ESCAPE, ESCAPE_IDS, ESCAPE_FINDINGS, "tests/data/hostile"] {
        for format in ["human", "github"] {
            let o = tt(["check", "--format", format, tree]);
            assert!(!stderr(&o).contains("panicked"));
            assert_terminal_safe(&o, &format!("check --format {format} {tree}"));
        }
        let o = tt(["check", "--format", "json", tree]);
        assert_no_raw_escape(&o, &format!("check --format json {tree}"));
        findings(&o);
    }
    // The hostile findings are there, and say what they are about.
    let o = tt(["check", ESCAPE_FINDINGS]);
    assert_exit(&o, 1, "check escape_findings.ron");
    let out = stdout(&o);
    for code in ["E006", "E007", "W004"] {
        assert!(out.contains(&format!("[{code}]")), "{code}\n{out}");
    }
    let list = findings(&tt(["check", "--format", "json", ESCAPE_FINDINGS]));
    // Messages quote ids with their control characters replaced (by the library).
    assert!(
        list.iter().any(|f| f.message.contains("acc\u{fffd}]0;t")),
        "the JSON message names the id, cleaned: {list:?}"
    );
    assert!(
        list.iter().all(|f| !f.message.contains('\u{1b}')),
        "{list:?}"
    );
}

#[test]
fn hostile_texts_never_reach_the_terminal_export() {
    let tree = ESCAPE;
    {
        for format in ["dot", "mermaid"] {
            for lang in ["zh", "en"] {
                let o = tt(["export", tree, "--format", format, "--lang", lang]);
                assert_exit(&o, 0, &format!("export {format} {tree}"));
                assert_terminal_safe(&o, &format!("export --format {format} {tree} {lang}"));
            }
        }
    }
}

#[test]
fn hostile_texts_never_reach_the_terminal_paths() {
    let tree = ESCAPE;
    {
        let o = tt(["paths", tree]);
        assert_exit(&o, 0, &format!("paths {tree}"));
        assert_terminal_safe(&o, &format!("paths {tree}"));
        let o = tt(["paths", tree, "--json"]);
        assert_exit(&o, 0, &format!("paths --json {tree}"));
        assert_no_raw_escape(&o, &format!("paths --json {tree}"));
    }
}

// ---------------------------------------------------------------------------------
// 6. Bad input never panics
// ---------------------------------------------------------------------------------

/// Garbage inputs, written into `scratch`: (label, path).
fn garbage(scratch: &Scratch) -> Vec<(&'static str, String)> {
    let mut binary: Vec<u8> = (0..=255u8).cycle().take(4096).collect();
    binary.extend_from_slice(b"\xff\xfe\x00Tree(");
    let nest = 100_000;
    let deep_brackets = format!("Tree(id: {}{})", "[".repeat(nest), "]".repeat(nest));
    let deep_condition = format!(
        "Tree(format: 1, id: \"deep\", locales: [\"en\"], \
         facts: [Fact(name: \"ok\", type: Bool, ask: \"ok?\")], start: \"d\", nodes: [\
         Decide(id: \"d\", rules: [Rule(when: {}Eq(\"ok\", true){}, next: \"r\")], \
         otherwise: \"r\"), Resolve(id: \"r\", text: \"done\")])",
        "Not(".repeat(nest),
        ")".repeat(nest)
    );
    let unclosed = "Tree(".repeat(nest);
    let deep_scenarios = format!(
        "Scenarios(tree: \"recharge_failure\", cases: {})",
        "[".repeat(nest)
    );
    fs::create_dir_all(scratch.path("no-ron")).expect("a directory");
    scratch.write("no-ron/readme.txt", "nothing to see");
    vec![
        ("empty file", scratch.write("empty.ron", "")),
        ("binary bytes", scratch.write("binary.ron", binary)),
        ("NUL bytes", scratch.write("nul.ron", [0u8; 64])),
        ("directory without .ron", scratch.path("no-ron")),
        (
            "deep brackets",
            scratch.write("brackets.ron", deep_brackets),
        ),
        (
            "deep condition",
            scratch.write("condition.ron", deep_condition),
        ),
        ("unclosed nesting", scratch.write("unclosed.ron", unclosed)),
        (
            "deep scenarios",
            scratch.write("scenarios.ron", deep_scenarios),
        ),
    ]
    .into_iter()
    .map(|(label, path)| (label, path.display().to_string()))
    .collect()
}

#[test]
fn garbage_never_panics() {
    let scratch = Scratch::new("garbage");
    for (label, path) in garbage(&scratch) {
        let is_dir = Path::new(&path).is_dir();
        let mut commands: Vec<Vec<&str>> = vec![
            vec!["run", &path],
            vec!["run", &path, "--json"],
            vec!["paths", &path],
            vec!["paths", &path, "--json"],
            vec!["export", &path, "--format", "dot"],
            vec!["export", &path, "--format", "mermaid"],
            vec![
                "test",
                "tests/scenarios/recharge_failure.ron",
                "--trees",
                &path,
            ],
            vec!["run", RECHARGE, "--json", "--resume", &path],
            vec![
                "run",
                RECHARGE,
                "--json",
                "--directory",
                &path,
                "--answer",
                "check_debited=true",
                "--answer",
                "debited_hours=50",
            ],
            vec!["export", RECHARGE, "--format", "dot", "--coverage", &path],
        ];
        if !is_dir {
            // An empty directory is its own (ignored) test below.
            commands.extend([
                vec!["check", &path],
                vec!["check", "--format", "json", &path],
                vec!["check", "--format", "github", &path],
                vec!["test", &path],
            ]);
        }
        for args in commands {
            let o = tt_stdin(&args, "1\n2\nq\n");
            let what = format!("{label}: troubletree {}", args.join(" "));
            let err = stderr(&o);
            assert!(!err.contains("panicked"), "{what} panicked\n{err}");
            if args.contains(&"--coverage") && is_dir {
                // No scenario at all: an uncoloured picture is a fair answer.
                assert!([0, 1, 2].contains(&code(&o)), "{what}: exit {}", code(&o));
                continue;
            }
            assert!(
                code(&o) == 1 || code(&o) == 2,
                "{what}: exit 1 or 2, not {}\n--- stderr\n{err}",
                code(&o)
            );
            assert!(
                !err.trim().is_empty() || !stdout(&o).trim().is_empty(),
                "{what}: a message"
            );
        }
    }
}

#[test]
fn check_directory_without_trees_fails() {
    let scratch = Scratch::new("no-trees");
    scratch.write("readme.txt", "nothing to see");
    let o = tt(["check", &scratch.0.display().to_string()]);
    assert!(!stderr(&o).contains("panicked"));
    assert!(code(&o) == 1 || code(&o) == 2, "exit {}", code(&o));
}

#[test]
fn test_directory_without_scenarios_fails() {
    let scratch = Scratch::new("no-scenarios");
    scratch.write("readme.txt", "nothing to see");
    let o = tt(["test", &scratch.0.display().to_string()]);
    assert!(!stderr(&o).contains("panicked"));
    assert!(code(&o) == 1 || code(&o) == 2, "exit {}", code(&o));
}

/// `q` offers to save: a file name saves the walk and says how to go on; `--resume`
/// then continues at the same question.
#[test]
fn run_interactive_quit_offers_to_save() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("quit_offers_to_save");
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("a scratch folder");
    let file = dir.join("walk.json");
    let file_text = file.display().to_string();
    let (o, out) = interactive(&format!("2\nq\n{file_text}\n"));
    assert_exit(&o, 0, "q, then a file name");
    assert!(out.contains("Save this walk to continue later?"), "{out}");
    assert!(out.contains(&format!("--resume {file_text}")), "{out}");
    assert!(file.is_file(), "the save was written");
    let o = tt_stdin(
        [
            "run", RECHARGE, "--lang", "en", "--at", AT, "--resume", &file_text,
        ],
        "",
    );
    assert_exit(&o, 0, "resumed");
    assert!(stdout(&o).contains(Q_NETWORK), "{}", stdout(&o));
    // Enter leaves without saving.
    let (o, out) = interactive("2\nq\n\n");
    assert_exit(&o, 0, "q, then Enter");
    assert!(out.contains("Not saved."), "{out}");
}

/// A Chinese walk speaks Chinese at the terminal, refusals included.
#[test]
fn run_interactive_speaks_the_users_language() {
    let o = tt_stdin(["run", RECHARGE, "--lang", "zh", "--at", AT], "9\nb\n");
    assert_exit(&o, 0, "zh");
    let out = stdout(&o);
    assert!(
        out.contains("（输入编号作答；b 返回上一步；q 退出）"),
        "{out}"
    );
    assert!(out.contains("! 请输入上面列出的编号（1–2）。"), "{out}");
    assert!(
        out.contains("! 这已经是第一个问题，没有可以返回的步骤。"),
        "{out}"
    );
}

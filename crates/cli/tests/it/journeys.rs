//! `troubletree run` walks journeys: `Goto` links are followed by tree id inside the
//! catalogue of the tree's folder (or `--trees`), never to a file a tree names; a
//! catalogue that does not check is refused; one save holds the whole journey.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use serde_json::Value;

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
const AT: &str = "2026-11-22 10:00";

fn tt(args: &[&str]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_troubletree"))
        .args(args)
        .current_dir(ROOT)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the binary starts");
    // A journey that loops is a failure, not a stuck test run.
    for _ in 0..600 {
        if child.try_wait().expect("waits").is_some() {
            return child.wait_with_output().expect("output");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    panic!("troubletree {args:?} did not finish within a minute");
}

fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}\n{}", out(o), err(o)))
}

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a scratch folder");
    dir
}

#[test]
fn a_goto_loop_is_refused_instead_of_spinning() {
    let o = tt(&[
        "run",
        "tests/data/journeys/loop/spin.ron",
        "--json",
        "--answer",
        "ask=yes",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}{}", out(&o), err(&o));
    assert!(err(&o).contains("E013"), "{}", err(&o));
}

#[test]
fn a_goto_never_opens_the_file_it_names() {
    let o = tt(&[
        "run",
        "tests/data/journeys/hidden_path/trees/start.ron",
        "--json",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}{}", out(&o), err(&o));
    let text = format!("{}{}", out(&o), err(&o));
    // A path is not a tree id: the Goto is refused (E016) before any link is followed.
    assert!(text.contains("E016"), "{text}");
    assert!(!text.contains("SECRET_TOKEN"), "{text}");
}

#[test]
fn check_and_run_resolve_a_goto_by_tree_id() {
    let check = tt(&["check", "tests/data/journeys/by_id"]);
    assert_eq!(check.status.code(), Some(0), "{}", out(&check));
    let v = json(&tt(&["run", "tests/data/journeys/by_id/a.ron", "--json"]));
    assert_eq!(v["outcome"], "resolved", "{v}");
    assert_eq!(v["tree"], "bee");
    assert_eq!(v["node"], "done");
    assert_eq!(v["path"], serde_json::json!(["go", "bee/done"]));
    assert_eq!(
        v["journey"],
        serde_json::json!([{"tree": "a", "node": "go"}, {"tree": "bee", "node": "done"}])
    );
}

/// A save made after a `Goto` holds the whole journey: resumed, it still has the first
/// tree's answers, and `back` returns into the first tree.
#[test]
fn one_save_holds_the_whole_journey() {
    let dir = scratch("journey_save");
    let file = dir.join("journey.json");
    let file = file.to_str().expect("a UTF-8 path");
    let o = tt(&[
        "run",
        "trees/payment_failure.ron",
        "--json",
        "--at",
        AT,
        "--answer",
        "check_unauthorized=true",
        "--save",
        file,
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let before = json(&o);
    assert_eq!(before["tree"], "account_stolen", "{before}");
    let saved: Value =
        serde_json::from_str(&std::fs::read_to_string(file).expect("saved")).expect("JSON");
    let trees: Vec<&str> = saved["trees"]
        .as_array()
        .expect("trees")
        .iter()
        .filter_map(|t| t["id"].as_str())
        .collect();
    assert_eq!(trees, ["payment_failure", "account_stolen"]);
    assert_eq!(saved["transcript"][0]["node"], "check_unauthorized");

    let o = tt(&[
        "run",
        "trees/payment_failure.ron",
        "--json",
        "--at",
        AT,
        "--resume",
        file,
        "--answer",
        "account_stolen/check_login=false",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let after = json(&o);
    assert_eq!(after["outcome"], "escalated", "{after}");
    assert_eq!(after["path"][0], "check_unauthorized");
    // The ticket tells the whole story, from the user's first complaint.
    let ticket = &after["ticket"];
    assert_eq!(ticket["started"]["tree"], "payment_failure");
    assert_eq!(ticket["transcript"][0]["tree"], "payment_failure");
    assert_eq!(ticket["transcript"][0]["node"], "check_unauthorized");
    assert_eq!(
        ticket["trees"],
        serde_json::json!(["payment_failure", "account_stolen"])
    );
}

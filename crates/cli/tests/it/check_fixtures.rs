//! `troubletree check` on every broken fixture of the engine: exit codes and one
//! rustc-like line per expected finding.

use std::process::Command;

use std::path::Path;

use troubletree::Code;
use troubletree_testkit::fixtures::{Expected, expectations, file_name, fixtures};

/// The workspace root, where `tests/data/invalid` lives.
fn manifest_dir() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

fn check(args: &[&str]) -> (Option<i32>, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_troubletree"))
        .arg("check")
        .args(args)
        .current_dir(manifest_dir())
        .output()
        .expect("the binary runs");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn check_exits_1_on_errors_and_prints_rustc_like_lines() {
    let path = "tests/data/invalid/E006_dangling-reference.ron";
    let (code, stdout, stderr) = check(&[path]);
    assert_eq!(code, Some(1), "stdout:\n{stdout}\nstderr:\n{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1, "{stdout}");
    assert!(
        lines[0].starts_with(&format!("{path}:30:21: error[E006]: ")),
        "{stdout}"
    );
}

#[test]
fn check_prints_every_finding_of_a_fixture() {
    for fixture in fixtures(&manifest_dir().join("tests/data/invalid")) {
        let relative = fixture
            .strip_prefix(manifest_dir())
            .expect("fixtures are in the crate");
        let relative = relative.to_string_lossy().into_owned();
        let expected = expectations(&fixture).expect("well-formed expectations");
        let (code, stdout, stderr) = check(&[&relative]);
        let errors = expected.iter().any(|e| e.code.starts_with('E'));
        assert_eq!(
            code,
            Some(i32::from(errors)),
            "{relative}\nstdout:\n{stdout}\nstderr:\n{stderr}"
        );
        let mut seen = Vec::new();
        for line in stdout.lines() {
            let (location, rest) = line
                .split_once(": ")
                .unwrap_or_else(|| panic!("{relative}: odd line {line:?}"));
            let mut parts = location.rsplitn(3, ':');
            let (Some(column), Some(line_no), Some(file)) =
                (parts.next(), parts.next(), parts.next())
            else {
                panic!("{relative}: no path:line:col in {line:?}");
            };
            assert!(
                file.starts_with(relative.as_str()),
                "{relative}: path {file:?} in {line:?}"
            );
            let (severity, rest) = rest
                .split_once('[')
                .unwrap_or_else(|| panic!("{relative}: no [CODE] in {line:?}"));
            let (code_str, message) = rest
                .split_once("]: ")
                .unwrap_or_else(|| panic!("{relative}: no ]: in {line:?}"));
            let code = Code::ALL
                .iter()
                .find(|c| c.as_str() == code_str)
                .unwrap_or_else(|| panic!("{relative}: unknown code in {line:?}"));
            assert_eq!(
                severity,
                code.severity().to_string(),
                "{relative}: {line:?}"
            );
            assert!(!message.is_empty(), "{relative}: empty message in {line:?}");
            seen.push(Expected {
                code: code_str.to_owned(),
                file: file_name(Path::new(file)),
                line: line_no.parse().expect("a line number"),
                column: column.parse().expect("a column number"),
            });
        }
        seen.sort();
        assert_eq!(
            seen, expected,
            "{relative}: printed (left) vs expected (right)\nstdout:\n{stdout}"
        );
    }
}

#[test]
fn check_exits_0_on_the_shipped_trees() {
    let (code, stdout, stderr) = check(&["trees"]);
    assert_eq!(code, Some(0), "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(!stdout.contains("error["), "{stdout}");
}

#[test]
fn check_exits_2_on_a_missing_path() {
    let missing = "tests/data/invalid/no-such-tree.ron";
    let (code, stdout, stderr) = check(&[missing]);
    assert_eq!(code, Some(2), "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(stderr.contains("no-such-tree.ron"), "{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
}

//! Robustness: hostile input never panics, a failed operation loses nothing, and a shared
//! tree gives the same results on any number of threads.
//!
//! 1. Regressions: every file under `tests/data/regressions/` (crash inputs found by the
//!    fuzz targets, and edge inputs kept on purpose) replays through the same harness
//!    code as `cargo fuzz` (`fuzz/src/lib.rs`, included below), and through the loader
//!    or `Session::resume` with the outcome its name promises.
//! 2. Concurrency: one `Arc<Tree>` shared by 8 threads, each running 10 000 randomly
//!    answered sessions, gives exactly the results of running them one after another.
//! 3. `Tree` and `Session` are `Send + Sync`, checked at compile time.
//! 4. Near-valid trees: shipped trees with small corruptions at the RON-token level never
//!    panic the loader; every finding points into the text; a tree comes out iff there
//!    is no error; a BOM and CRLF line ends change nothing.
//! 5. Nothing lost: every failing session operation leaves `save()` byte-identical.
//!
//! Regression file names say what to do with the file and what to expect:
//!
//! | name                  | replayed through                                         |
//! |-----------------------|----------------------------------------------------------|
//! | `*.ron`, `*.bin`      | the `load` harness, `check_str` and `Tree::from_path`    |
//! | `*.session.json`      | the `resume` harness and a resume on the harness trees   |
//! | `*.resume`            | the `resume` harness (raw fuzzer bytes)                  |
//! | `*.drive`             | the `drive` harness (raw fuzzer bytes)                   |
//! | `*.files`             | the `files` harness (a size limit, then the file's bytes) |
//! | `*.printers`          | the `printers` harness (raw fuzzer bytes)                |
//!
//! and `.err.` in a name means the input must be refused (an error finding, or a resume
//! error), `.ok.` that it must be accepted. Saved sessions are kept in serde_json's pretty
//! form (re-serialising one must give back its bytes); `"fingerprint": "current"`
//! stands for the fingerprint of the shipped tree as it is now, and `"checksum":
//! "current"` for the checksum of the save as it reads then.
//!
//! Property tests run a few dozen cases by default; a long run sets their number:
//!
//! ```text
//! PROPTEST_CASES=100000 cargo test --release -p troubletree robustness::
//! ```

#[path = "../../fuzz/src/lib.rs"]
mod harness;

use std::collections::{BTreeMap, BTreeSet};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::Path;
use std::sync::{Arc, Barrier};
use std::time::Instant;

use proptest::collection::vec;
use proptest::prelude::*;
use troubletree::{
    AnswerError, AnswerKind, Code, FactType, Loader, Report, Resume, Resumed, SavedSession,
    Session, Step, Tree, Value,
};

const REGRESSIONS: &str = "tests/data/regressions";

/// `cases`, unless `PROPTEST_CASES` asks for another number.
fn config(cases: u32) -> ProptestConfig {
    let default = ProptestConfig::default();
    ProptestConfig {
        cases: if std::env::var_os("PROPTEST_CASES").is_some() {
            default.cases
        } else {
            cases
        },
        failure_persistence: None,
        ..default
    }
}

fn recharge() -> &'static Tree {
    harness::catalogue()
        .get("recharge_failure")
        .expect("in the harness catalogue")
}

fn payment() -> &'static Tree {
    harness::catalogue()
        .get("payment_failure")
        .expect("in the harness catalogue")
}

// ------------------------------------------------------------------ 1. regressions

/// What a regression file's name promises.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Expect {
    Refused,
    Accepted,
    Anything,
}

fn expectation(name: &str) -> Expect {
    if name.contains(".err.") {
        Expect::Refused
    } else if name.contains(".ok.") {
        Expect::Accepted
    } else {
        Expect::Anything
    }
}

/// Replays one regression file; `Err` says what went wrong.
fn replay(path: &Path) -> Result<(), String> {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("?");
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    let expect = expectation(name);
    if name.ends_with(".drive") {
        harness::drive(&bytes);
    } else if name.ends_with(".files") {
        harness::files(&bytes);
    } else if name.ends_with(".printers") {
        harness::printers(&bytes);
    } else if name.ends_with(".resume") {
        harness::resume(&bytes);
    } else if name.ends_with(".session.json") {
        harness::resume(&bytes);
        // The files are kept in serde_json's pretty form: read and written again, a save
        // must give back the same bytes (a number that moved by one ulp would not).
        let parsed: SavedSession =
            serde_json::from_slice(&bytes).map_err(|e| format!("not a saved session: {e}"))?;
        let again = serde_json::to_string_pretty(&parsed).map_err(|e| e.to_string())? + "\n";
        let text = String::from_utf8_lossy(&bytes);
        if let Some((n, (was, is))) = text
            .lines()
            .zip(again.lines())
            .enumerate()
            .find(|(_, (a, b))| a != b)
        {
            return Err(format!(
                "the save does not come back byte for byte: line {} `{}` became `{}`",
                n + 1,
                was.trim(),
                is.trim()
            ));
        }
        if again != text {
            return Err("the save does not come back byte for byte".into());
        }
        // `"fingerprint": "current"` stands for the tree as it is now and `"checksum":
        // "current"` for the checksum of the file as it reads then, so that editing a
        // shipped tree does not turn a tampered save into a replayed one.
        let mut json: serde_json::Value =
            serde_json::from_slice(&bytes).map_err(|e| e.to_string())?;
        if let Some(trees) = json["trees"].as_array_mut() {
            for t in trees {
                if t["fingerprint"] == "current"
                    && let Some(tree) = t["id"].as_str().and_then(|id| harness::catalogue().get(id))
                {
                    t["fingerprint"] = format!("{:016x}", tree.fingerprint()).into();
                }
            }
        }
        let reseal = json["checksum"] == "current";
        let mut saved: SavedSession = serde_json::from_value(json).map_err(|e| e.to_string())?;
        if reseal {
            saved.reseal();
        }
        harness::resume_saved(&saved);
        // The host keeps these saves itself, so it trusts their host facts.
        let resumed = Resume::new(harness::catalogue())
            .trust_saved_facts()
            .resume(&saved);
        match (expect, resumed) {
            (Expect::Refused, Ok((_, how))) => {
                return Err(format!("resumed ({how:?}) but must be refused"));
            }
            (Expect::Accepted, Err(e)) => return Err(format!("refused: {e}")),
            _ => {}
        }
    } else if name.ends_with(".ron") || name.ends_with(".bin") {
        harness::load(&bytes);
        let text = String::from_utf8_lossy(&bytes);
        harness::check_report(&text, &Loader::new().tree(name, &text))?;
        // The file loader: invalid UTF-8 is refused, not decoded lossily.
        let loaded = Tree::from_path(path);
        if std::str::from_utf8(&bytes).is_err() && loaded.is_ok() {
            return Err("a file that is not UTF-8 was accepted".into());
        }
        match (expect, loaded) {
            (Expect::Refused, Ok(_)) => return Err("accepted but must be refused".into()),
            (Expect::Accepted, Err(e)) => return Err(format!("refused: {e}")),
            _ => {}
        }
        if text.contains('\r')
            && let Some((lf, crlf)) = harness::crlf_positions(&text)
        {
            return Err(format!(
                "with CRLF line ends the findings move: LF {lf:?}, CRLF {crlf:?}"
            ));
        }
    } else {
        return Err("unknown kind of regression file (see tests/robustness.rs)".into());
    }
    Ok(())
}

/// Every file in `tests/data/regressions/` replays without a panic and with the outcome
/// its name promises. All files are replayed; the failures are listed together.
#[test]
fn regressions_replay() {
    let mut files: Vec<_> = std::fs::read_dir(REGRESSIONS)
        .expect("tests/data/regressions exists")
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no regression files");
    let mut failures = Vec::new();
    for path in &files {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("?");
        let outcome = std::panic::catch_unwind(|| replay(path));
        match outcome {
            Ok(Ok(())) => {}
            Ok(Err(why)) => failures.push(format!("{name}: {why}")),
            Err(panic) => {
                let message = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                    .unwrap_or_default();
                failures.push(format!("{name}: panicked: {message}"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} regression files fail:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}

/// Found by the `drive` target: the message of `NoSuchAnswer` for `choose(usize::MAX)`
/// computed `index + 1` and overflowed (a panic in debug builds).
/// Input: `tests/data/regressions/drive-choose-usize-max-error-message.drive`.
#[test]
fn choose_with_the_largest_index_is_a_clear_error() {
    let mut session = Session::new(recharge()).expect("starts");
    let before = session.save();
    for index in [usize::MAX, usize::MAX - 1, 1 << 40, 2] {
        let err = session.choose(index).expect_err("no such answer");
        assert!(matches!(err, AnswerError::NoSuchAnswer { .. }), "{err:?}");
        let message = err.to_string();
        assert!(message.contains("offers 2 answer(s)"), "{message}");
    }
    assert_eq!(session.save(), before);
}

/// Found by the `load` target: ron counts the `\r` of a CRLF line end as a character, so
/// a syntax error at the end of a line is one column further right than in the same file
/// with LF line ends, past the end of the line as an editor shows it.
/// Input: `tests/data/regressions/load-crlf-comment-only-column.err.ron`.
#[test]
fn crlf_line_ends_do_not_move_syntax_errors() {
    for text in [
        "//\n",
        "// a comment and nothing else\n",
        "Tree(id: \"x\",\n",
        "Tree(\n  id: \"x\", // no start\n",
        "Tree(\n  id: 5\n)",
    ] {
        assert_eq!(
            harness::crlf_positions(text),
            None,
            "findings of {text:?} with LF / CRLF line ends"
        );
    }
}

/// Found by the `resume` target: serde_json's default float parser is not exact, so a
/// number saved as JSON may come back one ulp away (about one in seven amounts computed
/// with a multiplication, such as `34.6 * 1.07`). A session whose walk turned on that
/// number is then refused as corrupt, or continues with a different fact.
#[test]
fn a_json_save_keeps_numbers_exactly() {
    let tree = Tree::from_str(
        r#"Tree(id: "amounts", locales: ["en"],
            facts: [Fact(name: "amount", type: Number)],
            start: "big",
            nodes: [
                Decide(id: "big", rules: [Rule(when: Ge("amount", 37.02), next: "agent")],
                       otherwise: "self"),
                Resolve(id: "self", text: "Wait for the refund."),
                Escalate(id: "agent", reason: "A large amount.", priority: High),
            ])"#,
    )
    .expect("a valid tree");
    let amount = 37.019_999_999_999_996_f64;
    assert!(amount < 37.02);
    let session = Session::builder(&tree)
        .fact("amount", amount)
        .start()
        .expect("starts");
    assert_eq!(session.current().node(), "self");
    let json = serde_json::to_string(&session.save()).expect("serialises");
    let saved: SavedSession = serde_json::from_str(&json).expect("parses");
    let (resumed, how) = Resume::new(&tree)
        .fact("amount", amount)
        .resume(&saved)
        .unwrap_or_else(|e| panic!("a fresh JSON save is refused: {e}\n{json}"));
    assert_eq!(how, Resumed::Restored);
    assert_eq!(resumed.fact("amount"), Some(Value::Number(amount)));
    assert!(resumed == session);
}

/// A million open brackets of each kind, at the top and where a condition nests, are
/// refused with one positioned syntax error, never a stack overflow.
#[test]
fn a_million_open_brackets_are_refused() {
    let deep_condition =
        "Tree(id: \"deep\", start: \"d\", nodes: [Decide(id: \"d\", rules: [Rule(when: ";
    for (prefix, open) in [
        ("", "["),
        ("", "("),
        ("", "{\"a\":"),
        ("", "Some("),
        ("Tree(title: ", "{\"zh\": "),
        (deep_condition, "Not("),
        (deep_condition, "All(["),
    ] {
        let text = format!("{prefix}{}", open.repeat(1_000_000));
        let report = Loader::new().tree("deep.ron", &text);
        harness::check_report(&text, &report).unwrap_or_else(|e| panic!("{open}: {e}"));
        assert_eq!(report.findings.len(), 1, "{open}: {:?}", report.findings);
        assert_eq!(report.findings[0].code, Code::Syntax, "{open}");
    }
}

// ------------------------------------------------------------------ 2. concurrency

/// SplitMix64: a small deterministic generator, one per session.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed ^ 0x5851_f42d_4c95_7f2d)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        // n is small: the modulo bias is irrelevant here.
        usize::try_from(self.next() % n as u64).unwrap_or(0)
    }
}

/// How one session ended: final node, a hash of the path, path and transcript lengths.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Outcome {
    node: String,
    path: u64,
    path_len: usize,
    transcript: usize,
}

/// Runs session number `index` on `tree`: the locale, the answers (a random offered one,
/// a random number for a number question, text for a text question) and the occasional
/// `back` all come from a generator seeded by `index`.
fn run_session(tree: &Tree, index: u64) -> Outcome {
    let mut rng = Rng::new(index);
    let locales: Vec<&str> = tree.locales().collect();
    let mut session = Session::builder(tree)
        .locale(locales[rng.below(locales.len())])
        .start()
        .expect("a shipped tree starts");
    for _ in 0..400 {
        if rng.below(12) == 0 && session.back().is_ok() {
            continue;
        }
        let value = match session.current() {
            Step::Ask(q) | Step::Act(q) => match q.kind {
                // Amounts are at least 0.01: a number from 1.
                AnswerKind::Number => Value::Number((rng.below(96) + 1) as f64),
                AnswerKind::Text => Value::Text(format!("note {}", rng.below(10))),
                _ => {
                    let pick = rng.below(q.answers().len());
                    q.answers().nth(pick).expect("offered").value.clone()
                }
            },
            _ => break,
        };
        session
            .answer(value)
            .expect("an offered answer is accepted");
    }
    let path = session.path_ids();
    let mut hasher = DefaultHasher::new();
    path.hash(&mut hasher);
    Outcome {
        node: session.current().node().to_owned(),
        path: hasher.finish(),
        path_len: path.len(),
        transcript: session.transcript().len(),
    }
}

/// Runs `threads × per_thread` sessions on one `Arc<Tree>`, on that many threads started
/// together, and one after another; the outcomes must be identical, session by session.
fn same_results_on_threads(tree: &Tree, threads: usize, per_thread: usize) -> Vec<Outcome> {
    let total = (threads * per_thread) as u64;
    let started = Instant::now();
    let sequential: Vec<Outcome> = (0..total).map(|i| run_session(tree, i)).collect();
    let sequential_time = started.elapsed();

    let shared = Arc::new(tree.clone());
    let barrier = Barrier::new(threads);
    let started = Instant::now();
    let parallel: Vec<Outcome> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let tree = Arc::clone(&shared);
                let barrier = &barrier;
                scope.spawn(move || {
                    barrier.wait();
                    let first = (t * per_thread) as u64;
                    (first..first + per_thread as u64)
                        .map(|i| run_session(&tree, i))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("a session thread"))
            .collect()
    });
    let parallel_time = started.elapsed();
    eprintln!(
        "{}: {total} sessions, sequential {sequential_time:?}, {threads} threads {parallel_time:?}",
        tree.id()
    );
    assert_eq!(parallel.len(), sequential.len());
    for (i, (a, b)) in sequential.iter().zip(&parallel).enumerate() {
        assert_eq!(a, b, "session {i} on {}", tree.id());
    }
    sequential
}

/// Enough variety that the comparison means something: many paths, several ends.
fn assert_varied(tree: &Tree, outcomes: &[Outcome]) {
    let ends: BTreeSet<&str> = outcomes.iter().map(|o| o.node.as_str()).collect();
    let paths: BTreeSet<u64> = outcomes.iter().map(|o| o.path).collect();
    assert!(ends.len() >= 5, "{}: only ends {ends:?}", tree.id());
    assert!(
        paths.len() >= outcomes.len().min(200) / 2,
        "{}: only {} distinct paths",
        tree.id(),
        paths.len()
    );
}

/// 8 threads × 10 000 sessions on one `Arc<Tree>`, for two shipped trees (recharge
/// failure, with limits and a number question; payment failure, with limits and a
/// `Goto`), give exactly the results of the same 80 000 sessions run one after another.
#[test]
fn shared_tree_gives_the_same_results_on_8_threads() {
    for tree in [recharge(), payment()] {
        let outcomes = same_results_on_threads(tree, 8, 10_000);
        assert_varied(tree, &outcomes);
    }
}

// ------------------------------------------------------------------ 3. Send + Sync

const _: () = {
    const fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Tree>();
    assert_send_sync::<Session>();
    assert_send_sync::<Arc<Tree>>();
};

fn assert_send_sync<T: Send + Sync>() {}

/// `Tree` and `Session` (and what travels with them) can be shared and sent across
/// threads; the `const` block above makes this a compile-time check as well.
#[test]
fn trees_and_sessions_are_send_and_sync() {
    assert_send_sync::<Tree>();
    assert_send_sync::<Session>();
    assert_send_sync::<Arc<Tree>>();
    assert_send_sync::<SavedSession>();
    assert_send_sync::<troubletree::AnswerError>();
    assert_send_sync::<troubletree::ResumeError>();
    assert_send_sync::<troubletree::StartError>();
    assert_send_sync::<Report<Tree>>();
    assert_send_sync::<troubletree::Catalogue>();
}

// ------------------------------------------------------------------ 4. near-valid trees

/// The shipped trees: valid, bilingual, commented, with every node kind.
const BASES: [(&str, &str); 10] = [
    (
        "account_cancellation",
        include_str!("../../trees/account_cancellation.ron"),
    ),
    (
        "account_stolen",
        include_str!("../../trees/account_stolen.ron"),
    ),
    (
        "card_unbinding",
        include_str!("../../trees/card_unbinding.ron"),
    ),
    (
        "cross_bank_transfer",
        include_str!("../../trees/cross_bank_transfer.ron"),
    ),
    (
        "forgot_password",
        include_str!("../../trees/forgot_password.ron"),
    ),
    ("overseas_use", include_str!("../../trees/overseas_use.ron")),
    (
        "payment_failure",
        include_str!("../../trees/payment_failure.ron"),
    ),
    (
        "recharge_failure",
        include_str!("../../trees/recharge_failure.ron"),
    ),
    ("refund", include_str!("../../trees/refund.ron")),
    (
        "transaction_dispute",
        include_str!("../../trees/transaction_dispute.ron"),
    ),
];

#[derive(Debug, Clone, Copy, PartialEq)]
enum Tok {
    Str,
    Ident,
    Num,
    Punct,
    Comment,
    Space,
}

#[derive(Debug, Clone, Copy)]
struct Token {
    kind: Tok,
    start: usize,
    end: usize,
}

/// A small RON lexer: strings (with escapes, raw strings), identifiers, numbers,
/// comments (nested block comments too), whitespace, and single-character punctuation.
/// It never fails; it only needs to be right on valid trees.
fn lex(text: &str) -> Vec<Token> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let start = i;
        let c = bytes[i];
        let kind = if c.is_ascii_whitespace() {
            while i < bytes.len() && bytes[i].is_ascii_whitespace() {
                i += 1;
            }
            Tok::Space
        } else if bytes[i..].starts_with(b"//") {
            while i < bytes.len() && bytes[i] != b'\n' {
                i += 1;
            }
            Tok::Comment
        } else if bytes[i..].starts_with(b"/*") {
            let mut depth = 0;
            while i < bytes.len() {
                if bytes[i..].starts_with(b"/*") {
                    depth += 1;
                    i += 2;
                } else if bytes[i..].starts_with(b"*/") {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            Tok::Comment
        } else if c == b'"' {
            i += 1;
            while i < bytes.len() && bytes[i] != b'"' {
                i += if bytes[i] == b'\\' { 2 } else { 1 };
            }
            i = (i + 1).min(bytes.len());
            Tok::Str
        } else if c == b'r' && matches!(bytes.get(i + 1), Some(b'"' | b'#')) {
            let hashes = bytes[i + 1..].iter().take_while(|&&b| b == b'#').count();
            let close: Vec<u8> = std::iter::once(b'"')
                .chain(std::iter::repeat_n(b'#', hashes))
                .collect();
            i += 2 + hashes;
            while i < bytes.len() && !bytes[i..].starts_with(&close) {
                i += 1;
            }
            i = (i + close.len()).min(bytes.len());
            Tok::Str
        } else if c.is_ascii_alphabetic() || c == b'_' {
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                i += 1;
            }
            Tok::Ident
        } else if c.is_ascii_digit()
            || (matches!(c, b'-' | b'+') && bytes.get(i + 1).is_some_and(u8::is_ascii_digit))
        {
            i += 1;
            while i < bytes.len()
                && (bytes[i].is_ascii_alphanumeric()
                    || matches!(bytes[i], b'.' | b'_')
                    || (matches!(bytes[i], b'-' | b'+') && matches!(bytes[i - 1], b'e' | b'E')))
            {
                i += 1;
            }
            Tok::Num
        } else {
            // One character, whole (ids and texts are full of CJK characters).
            i += text[i..].chars().next().map_or(1, char::len_utf8);
            Tok::Punct
        };
        // Stay on character boundaries whatever happened above.
        while !text.is_char_boundary(i.min(text.len())) {
            i += 1;
        }
        let end = i.min(text.len());
        out.push(Token { kind, start, end });
        i = end;
    }
    out
}

/// One corruption at the token level; the numbers pick the token and the variant.
#[derive(Debug, Clone)]
enum Corruption {
    DeleteComma(usize),
    SwapIds(usize, usize),
    CopyId(usize, usize),
    DuplicateNode(usize),
    Unterminated(usize),
    WrongVariant(usize, usize),
    BadNumber(usize, usize),
    HugeInteger(usize),
    NulInString(usize, usize),
    ControlInString(usize, usize),
    DeleteToken(usize),
    DuplicateToken(usize),
    SwapTokens(usize),
    Truncate(usize),
    LongString(usize, usize),
}

const NODE_KINDS: [&str; 6] = ["Ask", "Act", "Decide", "Resolve", "Escalate", "Goto"];
const WRONG_VARIANTS: [&str; 16] = [
    "Ask", "Act", "Decide", "Resolve", "Escalate", "Goto", "Answer", "Rule", "Fact", "Limit",
    "Tree", "Some", "None", "Bool", "ask", "Urgentt",
];
const BAD_NUMBERS: [&str; 14] = [
    "NaN",
    "inf",
    "-inf",
    "1e999",
    "-1e999",
    "99999999999999999999999",
    "-99999999999999999999999",
    "340282366920938463463374607431768211456",
    "4294967296",
    "65536",
    "-1",
    "0",
    "1.5",
    "0x7fffffffffffffff",
];
const CONTROLS: [&str; 6] = ["\u{1b}[31m", "\u{7}", "\u{8}", "\r", "\u{202e}", "\u{feff}"];

fn corruption() -> impl Strategy<Value = Corruption> {
    let n = any::<usize>;
    prop_oneof![
        n().prop_map(Corruption::DeleteComma),
        (n(), n()).prop_map(|(a, b)| Corruption::SwapIds(a, b)),
        (n(), n()).prop_map(|(a, b)| Corruption::CopyId(a, b)),
        n().prop_map(Corruption::DuplicateNode),
        n().prop_map(Corruption::Unterminated),
        (n(), n()).prop_map(|(a, b)| Corruption::WrongVariant(a, b)),
        (n(), n()).prop_map(|(a, b)| Corruption::BadNumber(a, b)),
        n().prop_map(Corruption::HugeInteger),
        (n(), n()).prop_map(|(a, b)| Corruption::NulInString(a, b)),
        (n(), n()).prop_map(|(a, b)| Corruption::ControlInString(a, b)),
        n().prop_map(Corruption::DeleteToken),
        n().prop_map(Corruption::DuplicateToken),
        n().prop_map(Corruption::SwapTokens),
        n().prop_map(Corruption::Truncate),
        (n(), 1usize..20_000).prop_map(|(a, b)| Corruption::LongString(a, b)),
    ]
}

/// The tokens (indices into `tokens`) that satisfy `keep`.
fn select(tokens: &[Token], keep: impl Fn(usize, &Token) -> bool) -> Vec<usize> {
    tokens
        .iter()
        .enumerate()
        .filter(|(i, t)| keep(*i, t))
        .map(|(i, _)| i)
        .collect()
}

/// The next token after `i` that is not space or a comment.
fn next_solid(tokens: &[Token], i: usize) -> Option<usize> {
    (i + 1..tokens.len()).find(|&j| !matches!(tokens[j].kind, Tok::Space | Tok::Comment))
}

/// The string tokens that are node ids (`id: "..."`).
fn id_tokens(text: &str, tokens: &[Token]) -> Vec<usize> {
    select(tokens, |i, t| {
        t.kind == Tok::Ident
            && &text[t.start..t.end] == "id"
            && next_solid(tokens, i).is_some_and(|c| &text[tokens[c].start..tokens[c].end] == ":")
    })
    .into_iter()
    .filter_map(|i| next_solid(tokens, next_solid(tokens, i)?))
    .filter(|&s| tokens[s].kind == Tok::Str)
    .collect()
}

/// Applies one corruption; `None` when the text has nothing it applies to.
fn corrupt(text: &str, c: &Corruption) -> Option<String> {
    let tokens = lex(text);
    let slice = |t: &Token| &text[t.start..t.end];
    let pick = |items: &[usize], k: usize| -> Option<usize> {
        (!items.is_empty()).then(|| items[k % items.len()])
    };
    let replace = |t: &Token, with: &str| format!("{}{with}{}", &text[..t.start], &text[t.end..]);
    let strings = select(&tokens, |_, t| t.kind == Tok::Str && t.end - t.start >= 2);
    // A string's content, split at a character boundary chosen by `k`.
    let insert_in_string = |k: usize, at: usize, what: &str| -> Option<String> {
        let t = &tokens[pick(&strings, k)?];
        let inner = &text[t.start + 1..t.end - 1];
        let cut = inner
            .char_indices()
            .map(|(i, _)| i)
            .chain(std::iter::once(inner.len()))
            .nth(at % (inner.chars().count() + 1))
            .unwrap_or(0);
        let at = t.start + 1 + cut;
        Some(format!("{}{what}{}", &text[..at], &text[at..]))
    };
    let solid = select(&tokens, |_, t| !matches!(t.kind, Tok::Space | Tok::Comment));
    Some(match *c {
        Corruption::DeleteComma(k) => {
            let commas = select(&tokens, |_, t| slice(t) == ",");
            replace(&tokens[pick(&commas, k)?], "")
        }
        Corruption::SwapIds(a, b) => {
            let ids = id_tokens(text, &tokens);
            let (x, y) = (pick(&ids, a)?, pick(&ids, b)?);
            let (x, y) = (x.min(y), x.max(y));
            if x == y {
                return None;
            }
            let (tx, ty) = (&tokens[x], &tokens[y]);
            format!(
                "{}{}{}{}{}",
                &text[..tx.start],
                slice(ty),
                &text[tx.end..ty.start],
                slice(tx),
                &text[ty.end..]
            )
        }
        Corruption::CopyId(a, b) => {
            let ids = id_tokens(text, &tokens);
            let (x, y) = (pick(&ids, a)?, pick(&ids, b)?);
            replace(&tokens[x], slice(&tokens[y]))
        }
        Corruption::DuplicateNode(k) => {
            let nodes = select(&tokens, |i, t| {
                t.kind == Tok::Ident
                    && NODE_KINDS.contains(&slice(t))
                    && next_solid(&tokens, i).is_some_and(|p| slice(&tokens[p]) == "(")
            });
            let first = pick(&nodes, k)?;
            let mut depth = 0i32;
            let mut close = None;
            for (j, t) in tokens.iter().enumerate().skip(first + 1) {
                match slice(t) {
                    "(" | "[" | "{" => depth += 1,
                    ")" | "]" | "}" => {
                        depth -= 1;
                        if depth == 0 {
                            close = Some(j);
                            break;
                        }
                    }
                    _ => {}
                }
            }
            let end = tokens[close?].end;
            let node = &text[tokens[first].start..end];
            format!("{}, {node}{}", &text[..end], &text[end..])
        }
        Corruption::Unterminated(k) => {
            let t = &tokens[pick(&strings, k)?];
            format!("{}{}", &text[..t.end - 1], &text[t.end..])
        }
        Corruption::WrongVariant(k, w) => {
            let variants = select(&tokens, |_, t| {
                t.kind == Tok::Ident && slice(t).starts_with(|c: char| c.is_ascii_uppercase())
            });
            let t = &tokens[pick(&variants, k)?];
            let wrong = match w % 3 {
                0 => WRONG_VARIANTS[w / 3 % WRONG_VARIANTS.len()].to_owned(),
                1 => slice(t).to_lowercase(),
                _ => format!("{}x", slice(t)),
            };
            replace(t, &wrong)
        }
        Corruption::BadNumber(k, w) => {
            let values = select(&tokens, |_, t| {
                t.kind == Tok::Num || matches!(slice(t), "true" | "false")
            });
            replace(
                &tokens[pick(&values, k)?],
                BAD_NUMBERS[w % BAD_NUMBERS.len()],
            )
        }
        Corruption::HugeInteger(k) => {
            let numbers = select(&tokens, |_, t| t.kind == Tok::Num);
            replace(&tokens[pick(&numbers, k)?], "99999999999999999999999")
        }
        Corruption::NulInString(k, at) => insert_in_string(k, at, "\0")?,
        Corruption::ControlInString(k, at) => {
            insert_in_string(k, at, CONTROLS[at % CONTROLS.len()])?
        }
        Corruption::DeleteToken(k) => replace(&tokens[pick(&solid, k)?], ""),
        Corruption::DuplicateToken(k) => {
            let t = &tokens[pick(&solid, k)?];
            replace(t, &slice(t).repeat(2))
        }
        Corruption::SwapTokens(k) => {
            let x = pick(&solid, k)?;
            let y = next_solid(&tokens, x)?;
            let (tx, ty) = (&tokens[x], &tokens[y]);
            format!(
                "{}{}{}{}{}",
                &text[..tx.start],
                slice(ty),
                &text[tx.end..ty.start],
                slice(tx),
                &text[ty.end..]
            )
        }
        Corruption::Truncate(k) => text[..tokens[pick(&solid, k)?].start].to_owned(),
        Corruption::LongString(k, len) => {
            let t = &tokens[pick(&strings, k)?];
            replace(t, &format!("\"{}\"", "长".repeat(len)))
        }
    })
}

/// A near-valid tree: a shipped tree, its corruptions, then optionally a BOM and CRLF
/// line ends. Also returns the text before the layout changes.
#[derive(Debug, Clone)]
struct NearValid {
    base: usize,
    corruptions: Vec<Corruption>,
    bom: bool,
    crlf: bool,
}

impl NearValid {
    /// The text with its corruptions (`.0`), and with its layout changes too (`.1`).
    fn render(&self) -> (String, String) {
        let mut text = BASES[self.base].1.to_owned();
        for c in &self.corruptions {
            if let Some(next) = corrupt(&text, c) {
                text = next;
            }
        }
        let mut laid_out = text.clone();
        if self.crlf {
            laid_out = laid_out.replace("\r\n", "\n").replace('\n', "\r\n");
        }
        if self.bom {
            laid_out.insert(0, '\u{feff}');
        }
        (text, laid_out)
    }
}

fn near_valid() -> impl Strategy<Value = NearValid> {
    (
        0..BASES.len(),
        vec(corruption(), 0..4),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(base, corruptions, bom, crlf)| NearValid {
            base,
            corruptions,
            bom,
            crlf,
        })
}

/// Every property of one near-valid case except the CRLF equivalence.
fn check_near_valid(case: &NearValid) -> Result<(), TestCaseError> {
    let (_, text) = case.render();
    let report = std::panic::catch_unwind(|| harness::load_text(&text))
        .map_err(|_| TestCaseError::fail("the loader or an accepted tree's walk panicked"))?;
    harness::check_report(&text, &report).map_err(TestCaseError::fail)?;
    prop_assert_eq!(Tree::from_str(&text).is_ok(), report.loaded.is_some());
    if case.corruptions.is_empty() {
        // A BOM and CRLF line ends are layout: the tree loads, and is the same tree.
        let tree = report.loaded.as_ref().ok_or_else(|| {
            TestCaseError::fail(format!(
                "a shipped tree with layout changes is refused: {:?}",
                report.findings
            ))
        })?;
        let plain = Tree::from_str(BASES[case.base].1).expect("a shipped tree");
        prop_assert_eq!(tree.fingerprint(), plain.fingerprint());
    }
    Ok(())
}

/// With CRLF line ends and a BOM, every finding is where it is with LF ends.
fn check_layout_neutral(case: &NearValid) -> Result<(), TestCaseError> {
    let (plain, laid_out) = case.render();
    let key = |text: &str| -> Vec<(String, u32, u32)> {
        Loader::new()
            .tree("near.ron", text)
            .findings
            .iter()
            .map(|f| (f.code.to_string(), f.line, f.column))
            .collect()
    };
    prop_assert_eq!(key(&plain), key(&laid_out), "{:?}", case);
    Ok(())
}

proptest! {
    #![proptest_config(config(48))]

    /// Near-valid trees never panic the loader; findings point into the text; a tree
    /// comes out iff there is no error, walks, and resumes; layout alone changes nothing.
    #[test]
    fn near_valid_trees_are_checked_without_panic(case in near_valid()) {
        check_near_valid(&case)?;
    }

    /// A BOM and CRLF line ends move no finding.
    #[test]
    fn bom_and_crlf_move_no_finding(case in near_valid()) {
        check_layout_neutral(&case)?;
    }
}

// ------------------------------------------------------------------ 5. nothing lost

/// The kinds of failure the battery below must provoke at least once.
const KINDS: [&str; 7] = [
    "NotOffered",
    "WrongType",
    "NothingToUndo",
    "StepLimit",
    "NoSuchAnswer",
    "Ended",
    // A number outside its fact's range (`answer_str("0")` for an amount).
    "OutOfRange",
];

fn kind(e: &AnswerError) -> &'static str {
    match e {
        AnswerError::NotOffered { .. } => "NotOffered",
        AnswerError::WrongType { .. } => "WrongType",
        AnswerError::NothingToUndo => "NothingToUndo",
        AnswerError::StepLimit { .. } => "StepLimit",
        AnswerError::NoSuchAnswer { .. } => "NoSuchAnswer",
        AnswerError::Ended { .. } => "Ended",
        AnswerError::OutOfRange { .. } => "OutOfRange",
        _ => "other",
    }
}

type Op = fn(&mut Session) -> Result<(), AnswerError>;

/// Operations that may fail at any stop: answers that are not offered, values of the
/// wrong type, non-finite numbers, indices out of range, `back`.
const BATTERY: [(&str, Op); 14] = [
    ("answer_str(unknown)", |s| {
        s.answer_str("definitely not offered").map(|_| ())
    }),
    ("answer_str(empty)", |s| s.answer_str("").map(|_| ())),
    ("answer_str(NaN)", |s| s.answer_str("NaN").map(|_| ())),
    ("answer_str(1e400)", |s| s.answer_str("1e400").map(|_| ())),
    ("answer(text)", |s| s.answer("???").map(|_| ())),
    ("answer(number)", |s| s.answer(12.5).map(|_| ())),
    ("answer(NaN)", |s| s.answer(f64::NAN).map(|_| ())),
    ("answer(inf)", |s| s.answer(f64::INFINITY).map(|_| ())),
    ("answer(bool)", |s| s.answer(true).map(|_| ())),
    ("choose(9)", |s| s.choose(9).map(|_| ())),
    ("choose(MAX)", |s| s.choose(usize::MAX).map(|_| ())),
    ("choose(0)", |s| s.choose(0).map(|_| ())),
    ("back", Session::back),
    ("answer_str(0)", |s| s.answer_str("0").map(|_| ())),
];

fn save_bytes(s: &Session) -> Vec<u8> {
    serde_json::to_vec(&s.save()).expect("a save serialises")
}

/// Runs `op` on `session`; if it fails, the save must be byte-identical and the session
/// equal. Returns the failure kind.
fn fails_unchanged(session: &mut Session, what: &str, op: Op) -> Option<&'static str> {
    let before = save_bytes(session);
    let copy = session.clone();
    let err = op(session).err()?;
    assert_eq!(
        save_bytes(session),
        before,
        "{what} failed ({err:?}) and changed the save at {}",
        session.current().node()
    );
    assert!(
        session == &copy,
        "{what} failed ({err:?}) and changed the session"
    );
    Some(kind(&err))
}

/// Every failing operation (an answer that is not offered, a value of the wrong type, a
/// non-finite number, `back` at the start, a move over the step bound, `choose` out of
/// range, an answer after the end) leaves `save()` byte-identical as JSON, at every stop
/// of 300 random walks on two trees, and under a step bound tightened to every value
/// that makes the next answer fail.
#[test]
fn every_failing_operation_leaves_the_save_byte_identical() {
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    let mut stops = 0;
    for tree in [recharge(), payment()] {
        for seed in 0..150u64 {
            let mut rng = Rng::new(seed);
            // Journeys: payment failure hands over to the stolen-account flow.
            let mut builder = Session::builder(harness::catalogue()).tree(tree.id());
            if seed % 5 == 1
                && let Some(fact) = tree.facts().find(|f| f.kind() == FactType::Bool)
            {
                let name = fact.name();
                // A fact known up front: its question is answered automatically, and
                // `back` still has nothing to undo before the first given answer.
                builder = builder.fact(name, seed % 2 == 0);
            }
            let Ok(mut session) = builder.start() else {
                continue;
            };
            loop {
                stops += 1;
                for (what, op) in BATTERY {
                    let mut trial = session.clone();
                    if let Some(k) = fails_unchanged(&mut trial, what, op) {
                        *seen.entry(k).or_default() += 1;
                    }
                }
                // The same stop under every tighter bound: the next answer moves too far.
                let value = match session.current() {
                    Step::Ask(q) | Step::Act(q) => match q.kind {
                        // Amounts are at least 0.01: a number from 1.
                        AnswerKind::Number => Value::Number((rng.below(96) + 1) as f64),
                        AnswerKind::Text => Value::from("note"),
                        _ => {
                            let pick = rng.below(q.answers().len());
                            q.answers().nth(pick).expect("offered").value.clone()
                        }
                    },
                    _ => break,
                };
                for extra in 0..4 {
                    let saved = session.save();
                    let (mut tight, _) = Resume::new(harness::catalogue())
                        .trust_saved_facts()
                        .step_limit(saved.steps() + extra)
                        .resume(&saved)
                        .expect("a tighter bound");
                    let before = save_bytes(&tight);
                    if let Err(e) = tight.answer(value.clone()) {
                        assert!(matches!(e, AnswerError::StepLimit { .. }), "{e:?}");
                        assert_eq!(
                            save_bytes(&tight),
                            before,
                            "a refused move changed the save"
                        );
                        *seen.entry(kind(&e)).or_default() += 1;
                    }
                }
                session.answer(value).expect("an offered answer");
            }
            // After the end: every answer is refused, nothing changes.
            for (what, op) in BATTERY {
                let mut trial = session.clone();
                if let Some(k) = fails_unchanged(&mut trial, what, op) {
                    *seen.entry(k).or_default() += 1;
                }
            }
        }
    }
    eprintln!("nothing lost: {stops} stops, failures by kind: {seen:?}");
    for k in KINDS {
        assert!(
            seen.contains_key(k),
            "no {k} failure was provoked: {seen:?}"
        );
    }
    assert!(!seen.contains_key("other"), "{seen:?}");
}

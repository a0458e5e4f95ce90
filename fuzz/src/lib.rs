//! The fuzz harnesses for troubletree, one per cargo-fuzz target (`fuzz_targets/*.rs`).
//!
//! Each harness takes arbitrary bytes and panics only when a guarantee of PRODUCT.md's
//! quality bars is broken. `tests/robustness.rs` includes this file with `#[path]` and
//! replays every input kept under `tests/data/regressions/` through the same code, so a
//! crash found here stays fixed in `cargo test`.
//!
//! - [`load`]: bytes → `check_str` (strict UTF-8, and lossy); every finding points into
//!   the text; a tree comes out iff no finding is an error; an accepted tree walks, and
//!   its saves resume exactly.
//! - [`resume`]: bytes → `SavedSession` (JSON and RON) → `Session::resume` on shipped
//!   trees; and the same bytes as a tape that walks a session, tampers with its save and
//!   resumes it. A resume is refused with a reason, or continues exactly as saved.
//! - [`drive`]: bytes → a sequence of operations on a session; a failing operation
//!   leaves the save byte-identical, a successful answer is undone exactly by `back`,
//!   and a save resumes to an equal session at every point.
//! - [`files`]: bytes and a size limit → a file read by the bounded reader
//!   (`Limits::read`, which every file the library and the command line open goes
//!   through) and by the loaders: the bytes come back exactly when they fit, the file is
//!   refused as too large when they do not, a directory is refused, nothing panics.
//! - [`printers`]: arbitrary text → `printable`, the command line's JSON writer
//!   (`crates/cli/src/json.rs`, included below) and the DOT and Mermaid exports: none
//!   ever emits a raw control, C1, bidi, zero-width or line-separator character, the JSON
//!   reads back to the same text, and no text adds a line to an export.

use std::borrow::Cow;
use std::sync::OnceLock;

/// The command line's JSON writer, shared as a file so that it can be fuzzed here.
#[path = "../../crates/cli/src/json.rs"]
mod cli_json;

use troubletree::{
    AnswerKind, Catalogue, Loader, Report, Resume, Resumed, SavedSession, Session, Step, Tree,
    Value,
};

/// The trees the session harnesses walk, as one catalogue: recharge failure (limits, a
/// number fact asked by a `Decide`), payment failure (limits, a `Goto`) and the stolen
/// account flow its `Goto` leads to, so that journeys cross trees.
pub const TREES: [(&str, &str); 3] = [
    (
        "trees/recharge_failure.ron",
        include_str!("../../trees/recharge_failure.ron"),
    ),
    (
        "trees/payment_failure.ron",
        include_str!("../../trees/payment_failure.ron"),
    ),
    (
        "trees/account_stolen.ron",
        include_str!("../../trees/account_stolen.ron"),
    ),
];

/// The trees journeys start in.
pub const STARTS: [&str; 2] = ["recharge_failure", "payment_failure"];

/// The catalogue of [`TREES`], loaded once.
pub fn catalogue() -> &'static Catalogue {
    static ONCE: OnceLock<Catalogue> = OnceLock::new();
    ONCE.get_or_init(|| {
        Catalogue::from_texts(&TREES)
            .unwrap_or_else(|e| panic!("the harness trees do not load: {e}"))
    })
}

/// The number of edges of each tree, by id.
fn edge_counts() -> Vec<(String, usize)> {
    catalogue()
        .trees()
        .map(|t| (t.id().to_owned(), t.edges().len()))
        .collect()
}

/// Every edge a session reports taking exists in its tree.
fn edges_exist(session: &Session) -> bool {
    let counts = edge_counts();
    session.edges_taken().iter().all(|(tree, e)| {
        counts
            .iter()
            .chain(std::iter::once(&(
                session.tree().id().to_owned(),
                session.tree().edges().len(),
            )))
            .any(|(t, n)| t == tree && e < n)
    })
}

// ------------------------------------------------------------------------- bytes

/// Reads choices from the fuzzer's bytes; past the end every read is 0.
pub struct Bytes<'a> {
    data: &'a [u8],
}

impl<'a> Bytes<'a> {
    /// A reader over `data`.
    pub fn new(data: &'a [u8]) -> Self {
        Bytes { data }
    }

    /// Whether every byte was read.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// The next byte (0 past the end).
    pub fn byte(&mut self) -> u8 {
        match self.data.split_first() {
            Some((&b, rest)) => {
                self.data = rest;
                b
            }
            None => 0,
        }
    }

    fn array<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0; N];
        for b in &mut out {
            *b = self.byte();
        }
        out
    }

    /// A number in `0..n` (`n > 0`).
    pub fn pick(&mut self, n: usize) -> usize {
        usize::from(u16::from_le_bytes(self.array())) % n
    }

    fn u32(&mut self) -> u32 {
        u32::from_le_bytes(self.array())
    }

    /// Any `f64`, NaN and infinities included.
    fn f64(&mut self) -> f64 {
        f64::from_le_bytes(self.array())
    }

    /// Up to 63 bytes as text (lossy UTF-8).
    fn text(&mut self) -> String {
        let len = usize::from(self.byte() % 64).min(self.data.len());
        let (head, rest) = self.data.split_at(len);
        self.data = rest;
        String::from_utf8_lossy(head).into_owned()
    }

    /// A value of any type, with the awkward ones (NaN, infinities, -0, empty and
    /// control text) well represented.
    fn value(&mut self) -> Value {
        match self.byte() % 8 {
            0 => Value::Bool(self.byte() & 1 == 0),
            1 => Value::Number(self.f64()),
            2 => Value::Number(f64::from(self.byte())),
            3 => Value::Number(
                [
                    f64::NAN,
                    f64::INFINITY,
                    f64::NEG_INFINITY,
                    -0.0,
                    48.0,
                    1e300,
                ][self.pick(6)],
            ),
            4 => Value::Text(String::new()),
            5 => Value::Text(
                ["true", "false", "yes", "no", "solved", "\0", "48"][self.pick(7)].into(),
            ),
            _ => Value::Text(self.text()),
        }
    }
}

// ------------------------------------------------------------------------- load

/// Every finding of `report` points into `text` (1-based line and column, the column at
/// most one past the end of its line), carries its code's severity, and a tree was
/// produced iff no finding is an error.
///
/// The `\r` of a CRLF line end counts as a character here (the column may point at the
/// `\n` after it); `crlf_positions` asks for the stricter rule.
///
/// # Errors
///
/// A description of the first broken rule.
pub fn check_report(text: &str, report: &Report<Tree>) -> Result<(), String> {
    let body = text.strip_prefix('\u{feff}').unwrap_or(text);
    let lines: Vec<&str> = body.split('\n').collect();
    for f in &report.findings {
        if f.line < 1 || f.column < 1 {
            return Err(format!("finding without a position: {f}"));
        }
        let Some(line) = lines.get(f.line as usize - 1) else {
            return Err(format!(
                "line {} is past the end of the text ({} lines): {f}",
                f.line,
                lines.len()
            ));
        };
        let width = line.chars().count();
        if f.column as usize > width + 1 {
            return Err(format!(
                "column {} is past the end of line {} ({width} characters): {f}",
                f.column, f.line
            ));
        }
        if f.severity != f.code.severity() {
            return Err(format!("severity {} for code {}: {f}", f.severity, f.code));
        }
        if f.message.is_empty() {
            return Err(format!("finding without a message: {f:?}"));
        }
        // Messages quote strings from the tree cut and cleaned, so they stay short and
        // safe for a terminal whatever the text holds (ron's own syntax messages aside).
        if f.code != troubletree::Code::Syntax
            && (f.message.len() > 2_000 || f.message.chars().any(char::is_control))
        {
            return Err(format!(
                "a message is too long or holds a control character: {f:?}"
            ));
        }
    }
    if report.loaded.is_some() == report.has_errors() {
        return Err(format!(
            "tree produced: {}, errors: {}: {:?}",
            report.loaded.is_some(),
            report.has_errors(),
            report.findings
        ));
    }
    Ok(())
}

/// The findings of `text` as `(code, line, column)`, and those of the same text with
/// every line end turned into CRLF, when they differ: a file saved with CRLF line ends
/// must be reported exactly as the same file with LF ends.
pub fn crlf_positions(text: &str) -> Option<(Vec<String>, Vec<String>)> {
    let lf = text.replace("\r\n", "\n");
    let crlf = lf.replace('\n', "\r\n");
    let positions = |text: &str| -> Vec<String> {
        Loader::new()
            .tree("fuzz.ron", text)
            .findings
            .iter()
            .map(|f| format!("{}:{}:{}", f.code, f.line, f.column))
            .collect()
    };
    let (a, b) = (positions(&lf), positions(&crlf));
    (a != b).then_some((a, b))
}

/// Checks `text`, asserts [`check_report`], and walks an accepted tree a little.
pub fn load_text(text: &str) -> Report<Tree> {
    let report = Loader::new().tree("fuzz.ron", text);
    if let Err(broken) = check_report(text, &report) {
        panic!("{broken}");
    }
    if let Some(tree) = &report.loaded {
        walk_accepted(tree);
    }
    report
}

/// The `load` target: the bytes as strict UTF-8 (skipped when invalid) and as lossy
/// UTF-8 (when that differs).
pub fn load(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        load_text(text);
    }
    if let Cow::Owned(lossy) = String::from_utf8_lossy(data) {
        load_text(&lossy);
    }
}

/// An accepted tree walks without panicking, and its save resumes to an equal session,
/// directly and through JSON.
fn walk_accepted(tree: &Tree) {
    let Ok(mut session) = Session::builder(tree).step_limit(200).start() else {
        return;
    };
    for i in 0u8..64 {
        let result = match session.current() {
            Step::Ask(q) | Step::Act(q) => match q.kind {
                AnswerKind::Number => session.answer(f64::from(i)),
                AnswerKind::Text => session.answer("x"),
                _ => session.choose(usize::from(i % 2)),
            },
            _ => break,
        };
        if result.is_err() {
            break;
        }
    }
    assert_resumes(&Catalogue::from(tree), &session, 200);
}

/// The resume a host would do: the same catalogue, step bound and host facts.
fn resumer(catalogue: &Catalogue, session: &Session, limit: u32) -> Resume {
    let mut resume = Resume::new(catalogue).step_limit(limit);
    for (name, value) in session.host_facts() {
        resume = resume.fact(name, value.clone());
    }
    resume
}

/// `session`'s save resumes exactly, as a value and through JSON.
fn assert_resumes(catalogue: &Catalogue, session: &Session, limit: u32) {
    let saved = session.save();
    let json = serde_json::to_string(&saved).expect("a save serialises to JSON");
    let back: SavedSession = serde_json::from_str(&json).expect("a save parses back from JSON");
    assert_eq!(back, saved, "JSON round trip of {json}");
    match resumer(catalogue, session, limit).resume(&back) {
        Ok((resumed, how)) => {
            assert_eq!(how, Resumed::Restored);
            assert!(resumed == *session, "resumed session differs: {json}");
            assert_eq!(resumed.save(), saved);
        }
        Err(e) => panic!("a fresh save is refused: {e}\n{json}"),
    }
}

// ------------------------------------------------------------------------- resume

/// Resumes `saved` on the harness catalogue, trusting its host facts as a host that
/// stores saves itself would: refused with a reason, or continued exactly as saved
/// (unchanged trees), or at the node it stopped at (changed trees).
pub fn resume_saved(saved: &SavedSession) {
    for resume in [
        Resume::new(catalogue()).trust_saved_facts(),
        Resume::new(catalogue()),
    ] {
        match resume.resume(saved) {
            Ok((mut session, how)) => {
                match how {
                    Resumed::Restored => assert_eq!(session.save(), *saved, "restored save"),
                    _ => assert_eq!(session.current().node(), saved.node(), "replayed node"),
                }
                let _ = session.transcript().count();
                let _ = session.path();
                assert!(edges_exist(&session));
                // It goes on walking.
                for i in 0..8 {
                    if session.choose(i % 3).is_err() && session.answer(1.0).is_err() {
                        break;
                    }
                }
            }
            Err(e) => assert!(!e.to_string().is_empty(), "a refusal gives a reason"),
        }
    }
}

/// The `resume` target: the bytes as a JSON save and as a RON save, then as a tape that
/// walks a session, tampers with its save and resumes it.
pub fn resume(data: &[u8]) {
    if let Ok(saved) = serde_json::from_slice::<SavedSession>(data) {
        resume_saved(&saved);
    }
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(saved) = ron::from_str::<SavedSession>(text)
    {
        resume_saved(&saved);
    }
    tamper_and_resume(data);
}

/// Walks a session chosen by the tape, saves it, applies up to 8 edits to its JSON form
/// and resumes. Without edits, the save must resume exactly. An edited save is resealed
/// (its checksum recomputed) half the time, so that the checks behind the checksum are
/// exercised too.
pub fn tamper_and_resume(data: &[u8]) {
    let mut t = Bytes::new(data);
    let Some((mut session, limit)) = start(&mut t) else {
        return;
    };
    for _ in 0..t.pick(24) {
        let Some(value) = valid_value(&session, &mut t) else {
            break;
        };
        let _ = session.answer(value);
    }
    let saved = session.save();
    let edits = t.pick(9);
    if edits == 0 {
        assert_resumes(catalogue(), &session, limit);
        return;
    }
    let mut json = serde_json::to_value(&saved).expect("serialises");
    for _ in 0..edits {
        tamper(&mut json, &session, &mut t);
    }
    let Ok(mut edited) = serde_json::from_value::<SavedSession>(json) else {
        return;
    };
    if t.byte() % 2 == 0 {
        edited.reseal();
    } else if edited != saved {
        // Not resealed: the checksum catches any change.
        assert!(
            resumer(catalogue(), &session, limit)
                .resume(&edited)
                .is_err(),
            "an edited save with its old checksum was accepted"
        );
    }
    resume_saved(&edited);
}

fn node_name(session: &Session, t: &mut Bytes<'_>) -> String {
    let tree = &catalogue()
        .trees()
        .nth(t.pick(catalogue().len()))
        .unwrap_or(session.tree());
    let ids: Vec<&str> = tree.node_ids().collect();
    match t.pick(ids.len() + 2) {
        i if i < ids.len() => ids[i].to_owned(),
        i if i == ids.len() => String::new(),
        _ => t.text(),
    }
}

fn tree_name(t: &mut Bytes<'_>) -> String {
    let ids: Vec<&str> = catalogue().trees().map(Tree::id).collect();
    match t.pick(ids.len() + 1) {
        i if i < ids.len() => ids[i].to_owned(),
        _ => t.text(),
    }
}

fn fact_name(tree: &Tree, t: &mut Bytes<'_>) -> String {
    let names: Vec<&str> = tree.facts().map(|f| f.name()).collect();
    match t.pick(names.len() + 1) {
        i if i < names.len() => names[i].to_owned(),
        _ => t.text(),
    }
}

/// A value as a save writes it.
fn saved_value(t: &mut Bytes<'_>) -> serde_json::Value {
    match t.value() {
        Value::Bool(b) => serde_json::Value::Bool(b),
        Value::Text(s) => serde_json::Value::String(s),
        Value::Number(n) => serde_json::json!({ "number": format!("{n:?}") }),
    }
}

/// One hand edit of a save's JSON, as a user with a text editor might make.
fn tamper(saved: &mut serde_json::Value, session: &Session, t: &mut Bytes<'_>) {
    use serde_json::Value as J;
    let tree = session.tree();
    let len = saved["transcript"].as_array().map_or(0, Vec::len);
    let at = t.pick(len.max(1));
    let op = t.byte() % 20;
    let node = node_name(session, t);
    let transcript = saved["transcript"].as_array_mut();
    match (op, transcript) {
        (0, _) => saved["at"]["node"] = J::from(node),
        (1, _) => saved["steps"] = J::from(t.u32()),
        (2, _) => saved["at"]["tree"] = J::from(tree_name(t)),
        (3, _) => saved["visits"][node] = J::from(u16::from_le_bytes([t.byte(), t.byte()])),
        (4, _) => saved["visits"] = serde_json::json!({}),
        (5, Some(list)) if len > 0 => {
            list.remove(at);
        }
        (6, Some(list)) if len > 0 => {
            let copy = list[at].clone();
            list.insert(at, copy);
        }
        (7, Some(list)) if len > 1 => list.swap(at, t.pick(len)),
        (8, Some(list)) if len > 0 => list[at]["value"] = saved_value(t),
        (9, Some(list)) if len > 0 => {
            let origin = if list[at]["origin"] == "given" {
                "auto"
            } else {
                "given"
            };
            list[at]["origin"] = J::from(origin);
        }
        (10, Some(list)) if len > 0 => list[at]["node"] = J::from(node),
        (11, Some(list)) if len > 0 => list[at]["rule"] = J::from(t.u32() % 8),
        (12, Some(list)) if len > 0 => {
            list[at]["fact"] = match t.byte() % 2 {
                0 => J::Null,
                _ => J::from(fact_name(tree, t)),
            }
        }
        (13, Some(list)) if len > 0 => list[at]["tree"] = J::from(tree_name(t)),
        (14, _) => saved["facts"][fact_name(tree, t)] = saved_value(t),
        (15, _) => saved["host_facts"][fact_name(tree, t)] = saved_value(t),
        (16, _) => saved["locale"] = J::from(["", "en", "zh", "fr", "EN"][t.pick(5)]),
        (17, _) => saved["start"]["node"] = J::from(node),
        (18, _) => {
            if let Some(first) = saved["trees"].as_array_mut().and_then(|l| l.first_mut()) {
                first["fingerprint"] = match t.byte() % 3 {
                    0 => J::from(format!("{:016x}", t.u32())),
                    1 => J::from(t.text()),
                    _ => J::from(format!(
                        "{:016x}",
                        catalogue()
                            .trees()
                            .nth(t.pick(catalogue().len()))
                            .map_or(0, Tree::fingerprint)
                    )),
                };
            }
        }
        _ => saved["format"] = J::from(t.u32() % 4),
    }
}

// ------------------------------------------------------------------------- drive

/// A journey on the harness catalogue set up from the tape: start tree, step bound,
/// locale, host facts; and its step bound. `None` when the builder refuses the setup
/// (which must give a reason).
fn start(t: &mut Bytes<'_>) -> Option<(Session, u32)> {
    let first = STARTS[t.pick(STARTS.len())];
    let tree = catalogue().get(first)?;
    let mut builder = Session::builder(catalogue()).tree(first);
    let bound = t.byte();
    let limit = if bound < 48 {
        u32::from(bound)
    } else {
        troubletree::DEFAULT_STEP_LIMIT
    };
    builder = builder.step_limit(limit);
    if t.byte() % 2 == 1 {
        builder = builder.locale(["en", "zh", "fr"][t.pick(3)]);
    }
    for _ in 0..t.pick(3) {
        let name = fact_name(tree, t);
        builder = builder.fact(&name, t.value());
    }
    match builder.start() {
        Ok(session) => Some((session, limit)),
        Err(e) => {
            assert!(!e.to_string().is_empty());
            None
        }
    }
}

/// An offered answer to the current question, or a plausible input for a free one;
/// `None` at an end.
fn valid_value(session: &Session, t: &mut Bytes<'_>) -> Option<Value> {
    match session.current() {
        Step::Ask(q) | Step::Act(q) => match q.kind {
            AnswerKind::Number => Some(Value::Number(f64::from(t.byte()))),
            AnswerKind::Text => Some(Value::Text(t.text())),
            _ => {
                let n = q.answers().len();
                q.answers().nth(t.pick(n.max(1))).map(|a| a.value.clone())
            }
        },
        _ => None,
    }
}

fn json(session: &Session) -> Vec<u8> {
    serde_json::to_vec(&session.save()).expect("a save serialises to JSON")
}

/// The `drive` target: a session on a harness tree, then one operation per input byte
/// (with its arguments read from the bytes after it) until the bytes run out.
///
/// After a failing operation the save is byte-identical (as JSON) and the session equal
/// to what it was; after an accepted answer, `back` returns to the state before it; a
/// save resumes, through JSON or RON, to an equal session, which the walk continues on.
pub fn drive(data: &[u8]) {
    let mut t = Bytes::new(data);
    let Some((mut session, limit)) = start(&mut t) else {
        return;
    };
    let mut ops = 0;
    while !t.is_empty() && ops < 512 {
        ops += 1;
        let before = json(&session);
        let copy = session.clone();
        let op = t.byte() % 12;
        let result = match op {
            0 => session.choose(usize::from(t.byte() % 8)),
            1 => session.choose(usize::MAX - usize::from(t.byte())),
            2 => {
                let text = t.text();
                session.answer_str(&text)
            }
            3 => {
                // The text of an offered value, or a number typed with spaces.
                let typed = match session.current() {
                    Step::Ask(q) | Step::Act(q) if q.answers().len() > 0 => {
                        let n = q.answers().len();
                        q.answers().nth(t.pick(n)).map(|a| a.value.to_string())
                    }
                    _ => None,
                };
                let typed = typed.unwrap_or_else(|| format!(" {} ", t.byte()));
                session.answer_str(&typed)
            }
            4 => session.answer(t.f64()),
            5 => {
                let value = t.value();
                session.answer(value)
            }
            6 => {
                let value = valid_value(&session, &mut t).unwrap_or(Value::Bool(true));
                session.answer(value)
            }
            7 => session.back(),
            8 | 9 => {
                // Save, serialise, parse, resume: an equal session, which goes on.
                let saved = session.save();
                let parsed: SavedSession = if op == 8 {
                    serde_json::from_slice(&before).expect("a save parses back from JSON")
                } else {
                    let text = ron::to_string(&saved).expect("a save serialises to RON");
                    ron::from_str(&text)
                        .unwrap_or_else(|e| panic!("a save parses back from RON: {e}\n{text}"))
                };
                assert_eq!(parsed, saved, "serialisation round trip");
                let (resumed, how) = resumer(catalogue(), &session, limit)
                    .resume(&parsed)
                    .unwrap_or_else(|e| panic!("a fresh save is refused: {e}"));
                assert_eq!(how, Resumed::Restored);
                assert!(resumed == session, "resumed session differs");
                session = resumed;
                Ok(())
            }
            10 => {
                let name = fact_name(session.tree(), &mut t);
                let value = t.value();
                // A fact may only be given through the builder: this starts a fresh session.
                let start = session.start().tree.to_owned();
                match Session::builder(catalogue())
                    .tree(start)
                    .step_limit(limit)
                    .fact(&name, value)
                    .start()
                {
                    Ok(fresh) => {
                        assert!(fresh.steps() <= limit);
                        Ok(())
                    }
                    Err(_) => Ok(()),
                }
            }
            _ => session.answer(Value::Bool(t.byte() & 1 == 0)),
        };
        match result {
            Err(e) => {
                assert!(!e.to_string().is_empty());
                assert_eq!(
                    json(&session),
                    before,
                    "op {op} failed with \"{e}\" and changed the save"
                );
                assert!(
                    session == copy,
                    "op {op} failed with \"{e}\" and changed the session"
                );
            }
            Ok(()) if matches!(op, 0..=6 | 11) => {
                // An accepted answer is undone exactly by `back`.
                let mut undone = session.clone();
                undone
                    .back()
                    .unwrap_or_else(|e| panic!("op {op}: back after an accepted answer: {e}"));
                assert_eq!(
                    json(&undone),
                    before,
                    "op {op}: back after an accepted answer"
                );
            }
            Ok(()) => {}
        }
        assert!(session.steps() <= limit);
        assert_eq!(
            session.path().last().copied(),
            Some(session.current().place())
        );
        assert!(edges_exist(&session));
        let _ = session.transcript().count();
        let _ = session.facts().count();
    }
}

// ------------------------------------------------------------------------- files

/// A file of the fuzzer's bytes, read with a size limit the fuzzer chooses (the first
/// two bytes; the rest is the content): `Limits::read` returns the bytes exactly when
/// they fit and refuses them as too large otherwise; the loaders never panic on them.
pub fn files(data: &[u8]) {
    use troubletree::{Directory, Limits, LoadError, Tree};
    let mut bytes = Bytes::new(data);
    let limit = u64::from(u16::from_le_bytes(bytes.array())) % 4096;
    let content = bytes.data;
    let dir = std::env::temp_dir().join(format!("troubletree-fuzz-files-{}", std::process::id()));
    if std::fs::create_dir_all(&dir).is_err() {
        return;
    }
    let path = dir.join("file.ron");
    if std::fs::write(&path, content).is_err() {
        return;
    }
    let limits = Limits::default().max_file_bytes(limit);
    match limits.read(&path) {
        Ok(read) => {
            assert!(
                content.len() as u64 <= limit,
                "read {} bytes over a limit of {limit}",
                content.len()
            );
            assert_eq!(read, content, "the bytes come back exactly");
        }
        Err(LoadError::TooLarge { limit: l, .. }) => {
            assert_eq!(l, limit);
            assert!(
                content.len() as u64 > limit,
                "{} bytes refused under a limit of {limit}",
                content.len()
            );
        }
        Err(e) => panic!("an ordinary file is read or refused as too large, not: {e}"),
    }
    assert!(matches!(limits.read(&dir), Err(LoadError::NotAFile { .. })));
    // The loaders on the same file: a result, never a panic.
    let _ = Tree::from_path(&path);
    let _ = Directory::from_path(&path);
    if let Ok(report) = troubletree::Loader::new()
        .limits(limits.clone())
        .check(&[&path])
    {
        let text = String::from_utf8_lossy(content);
        for f in &report.findings {
            assert!(f.line >= 1 && f.column >= 1, "{f}");
        }
        if content.len() as u64 > limit {
            assert!(
                report
                    .findings
                    .iter()
                    .any(|f| f.code == troubletree::Code::LimitExceeded)
            );
        } else {
            let _ = text;
        }
    }
}

// ------------------------------------------------------------------------- printers

/// Whether a printer let a character through that must not reach a terminal raw.
fn leaks(out: &str, newlines_allowed: bool) -> Option<char> {
    out.chars()
        .find(|&c| troubletree::text::is_unprintable(c) || (c == '\n' && !newlines_allowed))
}

/// `text` as a RON string's content: `\` and `"` escaped, everything else raw.
fn ron_string(text: &str) -> String {
    text.replace('\\', "\\\\").replace('"', "\\\"")
}

/// A tree whose id, title, node ids, texts and answer value are `text` (where the tree
/// stays valid), loaded without the default limits, as a host that lifts them would.
fn tree_of(text: &str) -> Option<troubletree::Tree> {
    let t = ron_string(text);
    let end = if text.is_empty() || text == "a" {
        "end".to_owned()
    } else {
        t.clone()
    };
    let ron = format!(
        r#"Tree(id: "{t}", title: "{t}", start: "a", nodes: [
            Ask(id: "a", text: "{t}", answers: [Answer(value: "{t}", text: "{t}", next: "{end}")]),
            Resolve(id: "{end}", text: "{t}"),
        ])"#
    );
    troubletree::Loader::new()
        .limits(troubletree::Limits::unlimited())
        .tree("printers.ron", &ron)
        .loaded
}

/// Arbitrary text through every printer: none lets an unprintable character through.
pub fn printers(data: &[u8]) {
    let mut texts = vec![String::from_utf8_lossy(data).into_owned()];
    // The same bytes as UTF-16 code units: C1 controls, bidi overrides and zero-width
    // characters are then as likely as any other.
    texts.push(
        data.chunks(2)
            .map(|pair| u32::from(pair[0]) | pair.get(1).map_or(0, |&b| u32::from(b) << 8))
            .filter_map(char::from_u32)
            .collect(),
    );
    for text in &texts {
        let shown = troubletree::text::printable(text);
        if let Some(c) = leaks(&shown, true) {
            panic!("printable let {c:?} through: {shown:?}");
        }
        assert_eq!(
            shown.chars().count(),
            text.chars().count(),
            "one character for one"
        );

        for (pretty, json) in [
            (true, cli_json::to_string_pretty(text)),
            (false, cli_json::to_string(text)),
        ] {
            let json = json.expect("a string always serialises");
            if let Some(c) = leaks(&json, pretty) {
                panic!("the JSON writer let {c:?} through: {json:?}");
            }
            let back: String = serde_json::from_str(&json).expect("the JSON reads back");
            assert_eq!(&back, text, "the JSON holds the same text");
        }

        if let Some(tree) = tree_of(text) {
            let plain = tree_of("x").expect("a plain tree");
            for (name, out, expected) in [
                (
                    "dot",
                    troubletree::analysis::export::dot(&tree, "en", None),
                    troubletree::analysis::export::dot(&plain, "en", None),
                ),
                (
                    "mermaid",
                    troubletree::analysis::export::mermaid(&tree, "en", None),
                    troubletree::analysis::export::mermaid(&plain, "en", None),
                ),
            ] {
                if let Some(c) = leaks(&out, true) {
                    panic!("{name} let {c:?} through: {out:?}");
                }
                assert_eq!(
                    out.lines().count(),
                    expected.lines().count(),
                    "{name}: a text added or removed a line\n{out}"
                );
            }
        }
    }
}

//! Model → [`Tree`]: parse the text, resolve every id, type every value, build the graph,
//! and run every check. All findings are collected; a `Tree` comes out only if none of
//! them is an error.
//!
//! The pipeline, one module per concern:
//!
//! - this module: the entry points behind [`crate::Loader`], `Tree::from_str` and
//!   `Tree::from_path` ([`check_str`], [`check_str_with`], [`check_bytes`]), the [`Report`], parsing, and the driver
//!   ([`Compiler::compile`]) that runs the phases below in order;
//! - [`resolve`]: names to indices — node ids to `NodeIndex`, fact names to slots, texts
//!   to one string per declared locale, written values to their stored form;
//! - [`lower`]: node definitions to compiled nodes, conditions to typed `Cond`s, and the
//!   checks on answers (duplicates, types, coverage);
//! - [`graph`]: the checks on the whole graph — reachability (W001), a way out from
//!   every node (E009), bounded cycles (E010);
//! - [`hints`]: "did you mean" suggestions for ids that name no node.
//!
//! Findings are reported by *path* (see [`At`]) and located in the text in one scan at
//! the end ([`locate`]).

mod fill;
mod graph;
mod hints;
mod lower;
mod resolve;

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use petgraph::graph::NodeIndex;

use crate::diagnostic::{At, Code, Finding, Pending, locate};
use crate::error::LoadError;
use crate::limits::{Limits, Quoted, bad_name};
use crate::model::{FORMAT_VERSION, Parser, RECURSION_LIMIT, TreeFile, parse};
use crate::report::Report;
use crate::source::{Position, Source, syntax_position};
use crate::tree::{FactDecl, FactSlot, FactTy, Graph, IdIndex, Tree, TreeData};
use crate::value::Value;

pub(crate) use fill::fill;
use graph::{Edges, Marks};
use hints::Hints;

/// Checks a tree given as text. `name` is used in findings (a path, or `<string>`).
///
/// This is the whole validator: parse, resolve, type-check, analyse the graph. It never
/// panics, whatever the text, and its time and memory are linear in the size of the text.
pub(crate) fn check_str(name: &str, text: &str) -> Report<Tree> {
    check_str_with(name, text, &Limits::default())
}

/// [`check_str`] with other [`Limits`].
pub(crate) fn check_str_with(name: &str, text: &str, limits: &Limits) -> Report<Tree> {
    check_str_by(name, text, limits, Parser::Fast)
}

/// [`check_str_with`], parsing with the given parser.
pub(crate) fn check_str_by(
    name: &str,
    text: &str,
    limits: &Limits,
    parser: Parser,
) -> Report<Tree> {
    let source = Source::new(name, text);
    if source.text.len() < PARALLEL_FINGERPRINT {
        return check_source(&source, limits, parser, || source.fingerprint());
    }
    // A large file's fingerprint (a hash of every token) is computed on a second thread
    // while the first one parses and checks; without a thread, it is computed after.
    // When the checks fail, the hash is abandoned.
    let stop = AtomicBool::new(false);
    std::thread::scope(|scope| {
        let hashing = std::thread::Builder::new()
            .spawn_scoped(scope, || source.fingerprint_unless(&stop))
            .ok();
        let report = check_source(&source, limits, parser, || {
            hashing
                .and_then(|thread| thread.join().ok().flatten())
                .unwrap_or_else(|| source.fingerprint())
        });
        stop.store(true, Ordering::Relaxed);
        report
    })
}

/// From this many bytes of text on, [`check_str`] hashes the fingerprint on a second
/// thread: about a millisecond of hashing, far more than starting a thread costs.
const PARALLEL_FINGERPRINT: usize = 1 << 20;

/// Parses and checks; `fingerprint` is called once, only if the tree is valid.
fn check_source(
    source: &Source<'_>,
    limits: &Limits,
    parser: Parser,
    fingerprint: impl FnOnce() -> u64,
) -> Report<Tree> {
    let name = source.name;
    let file = match parse(source.text, parser) {
        Ok(file) => file,
        Err(err) => {
            let pos = syntax_position(source.text, err.span.start.line, err.span.start.col);
            let message = syntax_message(&err.code);
            return Report::new(
                None,
                vec![Finding::new(Code::Syntax, name, pos, message, None)],
            );
        }
    };
    let id = file.id.to_string();
    let mut compiler = Compiler {
        limits: limits.clone(),
        ..Compiler::default()
    };
    // The model is consumed a chunk of nodes at a time: what the nodes held as written is
    // freed as soon as they are compiled, so the two forms of a large tree are never in
    // memory at once.
    let data = compiler.compile(file);
    let findings = locate(source, compiler.pending);
    let tree = match data {
        Some(mut data) if !findings.iter().any(Finding::is_error) => {
            data.file = name.into();
            data.fingerprint = fingerprint();
            data.warnings.clone_from(&findings);
            Some(Tree(Arc::new(data)))
        }
        _ => None,
    };
    Report {
        id: Some(id),
        ..Report::new(tree, findings)
    }
}

/// Checks a file's bytes: invalid UTF-8 is a syntax finding at the first bad byte.
pub(crate) fn check_bytes(name: &str, bytes: &[u8], limits: &Limits) -> Report<Tree> {
    match std::str::from_utf8(bytes) {
        Ok(text) => check_str_with(name, text, limits),
        Err(err) => {
            let valid = String::from_utf8_lossy(&bytes[..err.valid_up_to()]);
            // Columns do not count a byte order mark, as for every other finding.
            let valid = valid.strip_prefix('\u{feff}').unwrap_or(&valid);
            let line = valid.matches('\n').count() + 1;
            let column = valid.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            let pos = Position {
                line: u32::try_from(line).unwrap_or(u32::MAX),
                column: u32::try_from(column).unwrap_or(u32::MAX),
            };
            let message = "the file is not valid UTF-8; save it as UTF-8".to_owned();
            Report::new(
                None,
                vec![Finding::new(Code::Syntax, name, pos, message, None)],
            )
        }
    }
}

fn syntax_message(code: &ron::Error) -> String {
    match code {
        ron::Error::ExceededRecursionLimit => {
            // Each level of a condition costs the parser two (`Not(...)`) to four
            // (`All([...])`) levels of RON nesting: say what that means for conditions.
            format!(
                "values are nested too deeply: a tree file may nest at most {RECURSION_LIMIT} levels of brackets, which allows conditions about {} levels of All/Any or {} of Not, and conditions are held to {} levels anyway",
                condition_levels(4),
                condition_levels(2),
                Limits::default().max_condition_depth
            )
        }
        other => {
            let text = other.to_string();
            let mut chars = text.chars();
            match chars.next() {
                Some(first) => first.to_lowercase().chain(chars).collect(),
                None => "the text is not valid RON".to_owned(),
            }
        }
    }
}

/// How many levels of a condition the parser's nesting bound allows when each level
/// costs `cost` levels of RON nesting (`All([...])` costs 4 levels, `Not(...)` 2): what
/// surrounds the outermost condition (the tree, its node list, the `Decide`, its rule
/// list, the rule, the innermost comparison) takes 14. `tests/it/limits.rs` checks the
/// numbers against the parser.
fn condition_levels(cost: usize) -> usize {
    RECURSION_LIMIT.saturating_sub(14) / cost
}

impl Tree {
    /// Loads a tree from RON text. Warnings are kept (see [`Tree::warnings`]); any error
    /// refuses the tree.
    ///
    /// # Errors
    ///
    /// [`LoadError::Invalid`] with every finding, errors and warnings, in file order.
    #[allow(clippy::should_implement_trait)]
    pub fn from_str(text: &str) -> Result<Tree, LoadError> {
        check_str("<string>", text).into_result()
    }

    /// Loads a tree from a file; findings name the file as given.
    ///
    /// # Errors
    ///
    /// [`LoadError::Io`] if the file cannot be read, [`LoadError::Invalid`] as for
    /// [`Tree::from_str`].
    pub fn from_path(path: impl AsRef<Path>) -> Result<Tree, LoadError> {
        load_file(path.as_ref(), &Limits::default())
    }
}

/// Reads a tree file through the bounded reader and checks it.
pub(crate) fn load_file(path: &Path, limits: &Limits) -> Result<Tree, LoadError> {
    match crate::limits::read_file(path, limits)? {
        Ok(bytes) => check_bytes(&path.display().to_string(), &bytes, limits).into_result(),
        Err(finding) => Err(LoadError::Invalid {
            findings: vec![finding],
        }),
    }
}

/// The state of one compilation: what the phases have resolved so far, and the findings
/// they reported. The phases are `impl` blocks in [`resolve`] and [`lower`]; the graph
/// checks in [`graph`] take only what they need.
#[derive(Default)]
struct Compiler<'t> {
    locales: Vec<Box<str>>,
    pending: Vec<Pending>,
    /// Declared facts by name; becomes the tree's index as it is.
    fact_index: HashMap<Box<str>, FactSlot>,
    facts: Vec<FactDecl>,
    /// For each fact slot with many choices, each choice's index (the first, if repeated).
    choice_index: Vec<Option<HashMap<Box<str>, u16>>>,
    /// Nodes by id (the first node with each id); becomes the tree's index as it is.
    node_index: IdIndex,
    /// Each node's id as a slice of the text (`None` for an id with escapes), to find
    /// nearby targets without hashing: see [`Compiler::reference`].
    ids: Vec<Option<&'t str>>,
    /// Nodes with a reference that names nothing: the graph checks skip them.
    broken: Vec<bool>,
    /// For each fact slot, its index in the file's `facts` list.
    fact_positions: Vec<usize>,
    /// Facts that a `Decide` compares, with the first node that does: the walker asks
    /// for them with their `ask` text.
    decided: BTreeMap<FactSlot, String>,
    /// Nodes whose id an earlier node already has. Every reference goes to the first, so
    /// the later ones are unreachable by construction; E003 says so, W001 would repeat it.
    duplicates: Vec<bool>,
    /// "Did you mean" hints for ids that name no node, within a budget.
    hints: Hints,
    /// Bounds on ids, texts, answers and locales.
    limits: Limits,
    /// Whether some text names a directory value (`{hotline.hours}`).
    directory_refs: bool,
    /// Each distinct text once.
    texts: resolve::Texts,
}

impl<'t> Compiler<'t> {
    fn report(&mut self, code: Code, path: String, node: Option<&str>, message: String) {
        // A node id over the limit (itself a finding) is cut in every finding that names
        // its node, so that findings stay small however long the id.
        let keep = self.limits.max_id_chars.max(crate::limits::QUOTED_CHARS);
        let node = node.map(|id| match id.char_indices().nth(keep) {
            Some((end, _)) => format!("{}…", &id[..end]),
            None => id.to_owned(),
        });
        self.pending.push(Pending {
            code,
            path,
            message,
            node,
        });
    }

    /// Runs the phases in order; the tree's data if no finding is an error.
    fn compile(&mut self, file: TreeFile<'t>) -> Option<TreeData> {
        let TreeFile {
            format,
            id,
            version,
            title,
            locales,
            facts,
            start,
            nodes,
        } = file;
        if format != FORMAT_VERSION {
            self.report(
                Code::UnsupportedFormat,
                "format".into(),
                None,
                format!("this tree is written in format {format}, but this version of troubletree reads format {FORMAT_VERSION}"),
            );
            return None;
        }
        if id.trim().is_empty() {
            self.report(
                Code::InvalidDefinition,
                "id".into(),
                None,
                "the tree id is empty; use the file name, e.g. id: \"recharge_failure\"".into(),
            );
        } else if let Some(why) = bad_name(&id, &self.limits) {
            self.report(
                Code::LimitExceeded,
                "id".into(),
                None,
                format!("the tree id {} {why}", Quoted(&id)),
            );
        }
        self.locales(&locales);
        let title = title
            .as_ref()
            .map(|t| self.text(t, &At::root("title"), None));
        for (i, fact) in facts.iter().enumerate() {
            self.fact(i, fact);
        }
        drop(facts);
        self.index_nodes(&nodes);
        let start = match self.node_index.get(&*start) {
            Some(start) => start,
            None => {
                let hint = self.hints.suggest(&start, &self.node_index);
                self.report(
                    Code::MissingStart,
                    "start".into(),
                    None,
                    format!(
                        "start names {}, but no node has that id{hint}",
                        Quoted(&start)
                    ),
                );
                NodeIndex::end()
            }
        };
        let mut limit_slots = 0usize;
        // The graph grows as the model's chunks are freed, rather than taking its full
        // size while the whole model is still in memory (the peak of a large check).
        let mut graph = Graph::with_capacity(0, 0);
        let mut edges = Edges::with_capacity(nodes.len());
        for chunk in nodes.into_chunks() {
            for def in chunk {
                let i = graph.node_count();
                let node = self.node(i, &def, &mut limit_slots);
                edges.add(&node);
                graph.add_node(node);
            }
        }
        edges.finish();
        graph.shrink_to_fit_nodes();
        self.node_index.shrink_to_fit();
        self.ids = Vec::new();
        let mut walk_bound = 0;
        if start != NodeIndex::end() {
            walk_bound = graph::check(
                &graph,
                &self.node_index,
                &edges,
                start,
                &Marks {
                    broken: &self.broken,
                    duplicates: &self.duplicates,
                },
                self.limits.max_walk_steps,
                &mut self.pending,
            )
            .unwrap_or(u64::MAX);
        }
        self.missing_asks();
        if self
            .pending
            .iter()
            .any(|p| p.code.severity() == crate::Severity::Error)
        {
            return None;
        }
        // The tree's own edges come last, once the checks have freed what they used.
        edges.into_graph(&mut graph);
        Some(TreeData {
            id: (*id).into(),
            version,
            file: "".into(),
            title,
            locales: std::mem::take(&mut self.locales).into(),
            facts: std::mem::take(&mut self.facts).into(),
            fact_index: std::mem::take(&mut self.fact_index),
            graph,
            node_index: std::mem::take(&mut self.node_index),
            start,
            limit_slots,
            walk_bound,
            fingerprint: 0,
            warnings: Vec::new(),
            directory_refs: self.directory_refs,
            written: None,
        })
    }
}

/// At most this many items of a list are named in a message; a longer list ends with
/// "and N more", so that messages stay short however large the tree.
const LISTED: usize = 32;

/// At most about this many characters of a list are written in a message: a list of
/// long items stops sooner than [`LISTED`], with "and N more".
const LISTED_CHARS: usize = 400;

/// Items separated by commas: at most [`LISTED`] of them and about [`LISTED_CHARS`]
/// characters, then "and N more". Items from the tree should be [`Quoted`], so that each
/// is short too: a message is then bounded whatever the tree holds.
fn listed<T: fmt::Display>(
    items: impl IntoIterator<Item = T, IntoIter: ExactSizeIterator>,
) -> String {
    use fmt::Write as _;
    let items = items.into_iter();
    let total = items.len();
    let mut out = String::new();
    let mut written = 0;
    for (i, item) in items.take(LISTED).enumerate() {
        if i > 0 {
            if out.len() >= LISTED_CHARS {
                break;
            }
            out.push_str(", ");
        }
        let _ = write!(out, "{item}");
        written += 1;
    }
    if total > written {
        let _ = write!(out, " and {} more", total - written);
    }
    out
}

fn describe(ty: &FactTy) -> String {
    match ty {
        FactTy::Bool => "Bool (true or false)".into(),
        FactTy::Number => "Number".into(),
        FactTy::Text => "Text".into(),
        FactTy::Choice(options) => {
            format!("a Choice of {}", listed(options.iter().map(|o| Quoted(o))))
        }
    }
}

/// A value as a message shows it: text [`Quoted`] (so cut), numbers and booleans bare.
fn show(value: &Value) -> String {
    match value {
        Value::Text(t) => Quoted(t).to_string(),
        other => other.to_string(),
    }
}

/// Parses and checks a tree, as [`Tree::from_str`].
impl std::str::FromStr for Tree {
    type Err = crate::LoadError;

    fn from_str(text: &str) -> Result<Tree, crate::LoadError> {
        Tree::from_str(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One edge order: the petgraph edges the compiler adds, `Tree::edges` and
    /// `Node::edges` agree, rules before `otherwise` and the limit's `then` last.
    #[test]
    fn one_edge_order_everywhere() {
        let text = r#"Tree(id: "t", start: "d", facts: [Fact(name: "n", type: Number, ask: "?")], nodes: [
            Decide(id: "d", rules: [Rule(when: Gt("n", 1), next: "a"), Rule(when: Lt("n", 0), next: "b")],
                   otherwise: "c", limit: Limit(times: 2, then: "b")),
            Resolve(id: "a", text: "a"),
            Resolve(id: "b", text: "b"),
            Act(id: "c", text: "c", next: "d", solved: "a"),
        ])"#;
        let tree = check_str("t.ron", text)
            .into_result()
            .expect("a valid tree");
        let graph = &tree.0.graph;
        let added: Vec<(usize, usize)> = graph
            .raw_edges()
            .iter()
            .map(|e| (e.source().index(), e.target().index()))
            .collect();
        let declared: Vec<(usize, usize)> = graph
            .node_indices()
            .flat_map(|v| graph[v].edges().map(move |(_, to)| (v.index(), to.index())))
            .collect();
        assert_eq!(added, declared);
        let edges: Vec<String> = tree.edges().iter().map(ToString::to_string).collect();
        assert_eq!(
            edges,
            [
                "d --rule 1--> a",
                "d --rule 2--> b",
                "d --otherwise--> c",
                "d --limit--> b",
                "c --solved--> a",
                "c --not_solved--> d",
            ]
        );
    }

    /// Trees made to make a naive validator quadratic: long lists in messages are cut,
    /// and every check stays linear (these would take minutes otherwise).
    #[test]
    fn large_hostile_trees_stay_linear_and_messages_short() {
        use std::fmt::Write as _;
        let n = 1_500;
        // A Choice of n values, and n questions offering one each.
        let mut text =
            String::from("Tree(id: \"t\", start: \"q0\", facts: [Fact(name: \"c\", type: Choice([");
        for j in 0..n {
            let _ = write!(text, "\"v{j}\", ");
        }
        text.push_str("]), ask: \"?\")], nodes: [");
        for j in 0..n {
            let next = if j + 1 < n {
                format!("q{}", j + 1)
            } else {
                "end".into()
            };
            let _ = write!(
                text,
                "Ask(id: \"q{j}\", text: \"?\", fact: \"c\", answers: [Answer(value: \"v{j}\", text: \"x\", next: \"{next}\")]), "
            );
        }
        // A circle of n limits, and n references to nothing.
        for j in 0..n {
            let _ = write!(
                text,
                "Act(id: \"a{j}\", text: \"x\", next: \"gone{j}\", limit: Limit(times: 1, then: \"a{}\")), ",
                (j + 1) % n
            );
        }
        text.push_str("Resolve(id: \"end\", text: \"x\")])");
        let report = check_str("hostile.ron", &text);
        let count = |code| report.findings.iter().filter(|f| f.code == code).count();
        assert_eq!(count(Code::UncoveredAnswer), n);
        assert_eq!(count(Code::UnboundedCycle), n);
        assert_eq!(count(Code::DanglingReference), n);
        for finding in &report.findings {
            assert!(finding.message.len() < 1_000, "{}", finding.message);
        }
        let uncovered = report
            .findings
            .iter()
            .find(|f| f.code == Code::UncoveredAnswer)
            .map(|f| f.message.as_str());
        assert!(
            // The first question offers "v0": the 32 after it are named.
            uncovered.is_some_and(|m| m.contains("\"v32\" and more")),
            "{uncovered:?}"
        );
        let circle = report
            .findings
            .iter()
            .find(|f| f.code == Code::UnboundedCycle);
        assert!(circle.is_some_and(|f| f.message.contains(&format!("and {} more", n - LISTED))));
    }
}

//! Scenario files: walks written as data (facts given, answers given, outcome expected),
//! run against a catalogue, with node and edge coverage per tree.
//!
//! ```ron
//! Scenarios(
//!     tree: "recharge_failure",
//!     cases: [
//!         Case(
//!             name: "the network was the problem",
//!             facts: { "network_ok": false },
//!             answers: [("check_debited", false), ("fix_network", "solved")],
//!             expect: Resolved,
//!             node: "resolved_network",
//!             path: ["check_debited", "check_network", "fix_network", "resolved_network"],
//!         ),
//!     ],
//! )
//! ```
//!
//! Answers are keyed by the node that asks: at each stop the next unused answer for
//! that node is given (a node asked twice, in a retry loop, takes its answers in
//! order). A stop with no answer left ends the walk as `NeedsAnswer`. An answer that is
//! never asked for fails the case, so a scenario cannot silently drift from its tree.
//!
//! A walk follows `Goto` links into the other trees of the catalogue. A node of another
//! tree is written `tree/node` (in `answers`, `node` and `path`); a plain id is a node of
//! the scenario's own tree (in `answers`, of any tree). Coverage counts each tree's
//! edges wherever the walk started.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::Value;
use crate::catalogue::Catalogue;
use crate::diagnostic::{Code, Finding};
use crate::error::LoadError;
use crate::session::{Place, Session, Step};

/// How a walk ended, as a scenario expects it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, serde::Serialize)]
#[non_exhaustive]
pub enum Outcome {
    /// At a `Resolve`.
    Resolved,
    /// At an `Escalate`.
    Escalated,
    /// At a question or instruction with no answer given for it.
    NeedsAnswer,
    /// At a `Goto` into a tree the catalogue does not hold.
    Goto,
}

impl Outcome {
    /// `"resolved"`, `"escalated"`, `"needs_answer"` or `"goto"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Resolved => "resolved",
            Outcome::Escalated => "escalated",
            Outcome::NeedsAnswer => "needs_answer",
            Outcome::Goto => "goto",
        }
    }

    /// The outcome of a step.
    pub fn of(step: &Step<'_>) -> Outcome {
        match step {
            Step::Resolved(_) => Outcome::Resolved,
            Step::Escalated(_) => Outcome::Escalated,
            Step::Goto(_) => Outcome::Goto,
            _ => Outcome::NeedsAnswer,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename = "Scenarios", deny_unknown_fields)]
struct ScenarioFile {
    tree: String,
    #[serde(default)]
    locale: Option<String>,
    cases: Vec<CaseDef>,
}

#[derive(Debug, Deserialize)]
#[serde(rename = "Case", deny_unknown_fields)]
struct CaseDef {
    name: String,
    #[serde(default)]
    facts: BTreeMap<String, Value>,
    #[serde(default)]
    answers: Vec<(String, Value)>,
    expect: Outcome,
    node: String,
    #[serde(default)]
    path: Option<Vec<String>>,
}

/// The result of one case.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct CaseResult {
    /// The scenario file.
    pub file: PathBuf,
    /// The tree walked.
    pub tree: String,
    /// The case's name.
    pub name: String,
    /// Why the case failed; `None` when it passed.
    pub failure: Option<String>,
    /// How the walk ended.
    pub outcome: Option<Outcome>,
    /// The node the walk ended at.
    pub node: Option<String>,
    /// The nodes visited.
    pub path: Vec<String>,
}

impl CaseResult {
    /// Whether the case passed.
    pub fn passed(&self) -> bool {
        self.failure.is_none()
    }
}

/// Node and edge coverage of one tree by the scenarios run.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Coverage {
    /// The tree.
    pub tree: String,
    /// Nodes visited by at least one case.
    pub nodes_covered: usize,
    /// All nodes.
    pub nodes_total: usize,
    /// Edges taken by at least one case.
    pub edges_covered: usize,
    /// All edges.
    pub edges_total: usize,
    /// Ids of the nodes no case visited.
    pub uncovered_nodes: Vec<String>,
    /// The edges no case took, written `from --label--> to`.
    pub uncovered_edges: Vec<String>,
    /// For each node in file order, whether it was visited.
    pub node_hits: Vec<bool>,
    /// For each edge in [`crate::Tree::edges`] order, whether it was taken.
    pub edge_hits: Vec<bool>,
}

impl Coverage {
    /// Covered nodes in percent (100 for a tree with none).
    pub fn node_percent(&self) -> f64 {
        percent(self.nodes_covered, self.nodes_total)
    }

    /// Covered edges in percent (100 for a tree with none).
    pub fn edge_percent(&self) -> f64 {
        percent(self.edges_covered, self.edges_total)
    }
}

#[allow(clippy::cast_precision_loss)]
fn percent(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        100.0
    } else {
        part as f64 * 100.0 / whole as f64
    }
}

/// Every case run, and coverage for every tree of the catalogue.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ScenarioReport {
    /// Each case, in file order.
    pub cases: Vec<CaseResult>,
    /// Each tree of the catalogue, by id.
    pub coverage: Vec<Coverage>,
}

impl ScenarioReport {
    /// Number of cases that failed.
    pub fn failed(&self) -> usize {
        self.cases.iter().filter(|c| !c.passed()).count()
    }
}

/// Runs every scenario file under `paths` (files, or directories searched for `*.ron`)
/// against the catalogue.
///
/// ```
/// let catalogue = troubletree::Catalogue::from_dir("trees")?;
/// let report = troubletree::Loader::new().scenarios(&catalogue, &["tests/scenarios"])?;
/// assert_eq!(report.failed(), 0);
/// # Ok::<(), troubletree::LoadError>(())
/// ```
///
/// # Errors
///
/// As [`crate::Limits::read`] (with the default limits) when a path cannot be read;
/// [`LoadError::Invalid`] when a scenario
/// file is not valid RON of the scenario shape, or names a tree the catalogue does not
/// hold (findings with file, line and column).
pub(crate) fn run<P: AsRef<Path>>(
    catalogue: &Catalogue,
    paths: &[P],
    limits: &crate::Limits,
) -> Result<ScenarioReport, LoadError> {
    let files = crate::catalogue::collect(paths)?;
    let mut parsed = Vec::with_capacity(files.len());
    let mut findings = Vec::new();
    for file in &files {
        let text = crate::limits::read_text(file, limits)?;
        let name = file.display().to_string();
        let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
        match crate::model::ron_options().from_str::<ScenarioFile>(text) {
            Ok(scenarios) => {
                if catalogue.get(&scenarios.tree).is_none() {
                    let pos = crate::source::Source::new(&name, text).locate(&["tree"])[0];
                    let known: Vec<&str> = catalogue.trees().map(crate::Tree::id).collect();
                    findings.push(Finding::new(
                        Code::UnknownTree,
                        &name,
                        pos,
                        format!(
                            "scenarios for tree \"{}\", which is not in the catalogue (known: {})",
                            scenarios.tree,
                            known.join(", ")
                        ),
                        None,
                    ));
                }
                parsed.push((file.clone(), scenarios));
            }
            Err(err) => {
                let pos =
                    crate::source::syntax_position(text, err.span.start.line, err.span.start.col);
                findings.push(Finding::new(
                    Code::Syntax,
                    &name,
                    pos,
                    err.code.to_string(),
                    None,
                ));
            }
        }
    }
    if !findings.is_empty() {
        return Err(LoadError::Invalid { findings });
    }
    let mut hits: HashMap<&str, (Vec<bool>, Vec<bool>)> = catalogue
        .trees()
        .map(|t| {
            (
                t.id(),
                (vec![false; t.node_count()], vec![false; t.edges().len()]),
            )
        })
        .collect();
    let mut cases = Vec::new();
    for (file, scenarios) in &parsed {
        let Some(tree) = catalogue.get(&scenarios.tree) else {
            continue;
        };
        for case in &scenarios.cases {
            let (result, session) =
                run_case(catalogue, tree, file, scenarios.locale.as_deref(), case);
            if let Some(session) = session {
                for place in session.path() {
                    let Some((nodes, _)) = hits.get_mut(place.tree) else {
                        continue;
                    };
                    let Some(tree) = catalogue.get(place.tree) else {
                        continue;
                    };
                    if let Some(i) = tree.node_ids().position(|id| id == place.node) {
                        nodes[i] = true;
                    }
                }
                for (tree, e) in session.edges_taken() {
                    if let Some(hit) = hits.get_mut(tree).and_then(|(_, edges)| edges.get_mut(e)) {
                        *hit = true;
                    }
                }
            }
            cases.push(result);
        }
    }
    let coverage = catalogue
        .trees()
        .map(|tree| {
            let (node_hits, edge_hits) = hits.remove(tree.id()).unwrap_or_default();
            let uncovered_nodes = tree
                .node_ids()
                .zip(&node_hits)
                .filter(|(_, hit)| !**hit)
                .map(|(id, _)| id.to_owned())
                .collect();
            let uncovered_edges = tree
                .edges()
                .iter()
                .zip(&edge_hits)
                .filter(|(_, hit)| !**hit)
                .map(|(e, _)| e.to_string())
                .collect();
            Coverage {
                tree: tree.id().to_owned(),
                nodes_covered: node_hits.iter().filter(|h| **h).count(),
                nodes_total: node_hits.len(),
                edges_covered: edge_hits.iter().filter(|h| **h).count(),
                edges_total: edge_hits.len(),
                uncovered_nodes,
                uncovered_edges,
                node_hits,
                edge_hits,
            }
        })
        .collect();
    Ok(ScenarioReport { cases, coverage })
}

fn run_case(
    catalogue: &Catalogue,
    tree: &crate::Tree,
    file: &Path,
    locale: Option<&str>,
    case: &CaseDef,
) -> (CaseResult, Option<Session>) {
    let mut result = CaseResult {
        file: file.to_owned(),
        tree: tree.id().to_owned(),
        name: case.name.clone(),
        failure: None,
        outcome: None,
        node: None,
        path: Vec::new(),
    };
    let mut builder = Session::builder(catalogue).tree(tree.id());
    if let Some(locale) = locale {
        builder = builder.locale(locale);
    }
    for (name, value) in &case.facts {
        builder = builder.fact(name, value.clone());
    }
    let mut session = match builder.start() {
        Ok(session) => session,
        Err(err) => {
            result.failure = Some(format!("the session could not start: {err}"));
            return (result, None);
        }
    };
    let mut queues: HashMap<&str, VecDeque<&Value>> = HashMap::new();
    for (node, value) in &case.answers {
        queues.entry(node.as_str()).or_default().push_back(value);
    }
    // A place as the scenario writes it: plain in the scenario's tree, `tree/node`
    // elsewhere.
    let written = |place: Place<'_>| {
        if place.tree == tree.id() {
            place.node.to_owned()
        } else {
            place.to_string()
        }
    };
    loop {
        let step = session.current();
        if step.is_end() {
            break;
        }
        let place = step.place();
        let shown = written(place);
        let qualified = place.to_string();
        let key = if queues
            .get(qualified.as_str())
            .is_some_and(|q| !q.is_empty())
        {
            qualified
        } else {
            place.node.to_owned()
        };
        let Some(value) = queues.get_mut(key.as_str()).and_then(VecDeque::pop_front) else {
            break;
        };
        if let Err(err) = session.answer(value.clone()) {
            result.failure = Some(format!(
                "answering {value} at node \"{shown}\" failed: {err}"
            ));
            break;
        }
    }
    let step = session.current();
    let outcome = Outcome::of(&step);
    let end = written(step.place());
    result.outcome = Some(outcome);
    result.node = Some(end.clone());
    result.path = session.path().into_iter().map(written).collect();
    if result.failure.is_none() {
        let mut problems = Vec::new();
        if outcome != case.expect || end != case.node {
            problems.push(format!(
                "expected {} at \"{}\", got {} at \"{end}\"",
                case.expect.as_str(),
                case.node,
                outcome.as_str(),
            ));
        }
        if let Some(path) = &case.path
            && *path != result.path
        {
            problems.push(format!(
                "expected path {}, got {}",
                path.join(" → "),
                result.path.join(" → ")
            ));
        }
        let unused: Vec<String> = case
            .answers
            .iter()
            .filter(|(node, _)| queues.get(node.as_str()).is_some_and(|q| !q.is_empty()))
            .map(|(node, _)| node.clone())
            .collect();
        if !unused.is_empty() {
            let mut unused = unused;
            unused.dedup();
            problems.push(format!("answers never asked for: {}", unused.join(", ")));
        }
        if !problems.is_empty() {
            result.failure = Some(problems.join("; "));
        }
    }
    (result, Some(session))
}

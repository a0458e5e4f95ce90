//! FloDial troubleshooting flowcharts, imported as trees, and their dialogues replayed.
//!
//! [FloDial](https://github.com/dair-iitd/FloDial) (Raghu et al., EMNLP 2021) holds car
//! and laptop troubleshooting flowcharts and crowd-sourced dialogues in which an agent
//! followed them. A chart is one JSON object:
//!
//! ```json
//! {
//!   "name": "wont_boot",
//!   "category": "laptops",
//!   "problem_description": "Your laptop does not boot.",
//!   "nodes": {
//!     "1": { "label": "Power light?", "terminal": false, "utterance": "Is the power light on?" },
//!     "2": { "label": "Reseat RAM", "terminal": true, "utterance": "Reseat the memory modules." },
//!     "3": { "label": "Charge", "terminal": true, "utterance": "Charge it for an hour." }
//!   },
//!   "edges": { "1": { "yes": "2", "no": "3" } }
//! }
//! ```
//!
//! [`import`] turns it into a tree: every question (`terminal: false`) becomes an `Ask`
//! with the answers `"yes"` and `"no"`, filling a `Choice(["yes", "no"])` fact named like
//! the node (so a host that already knows an answer can supply it and the question is
//! skipped); every terminal node becomes a `Resolve`. Chart node `"12"` becomes tree node
//! `n12`; the node's `utterance` (the agent's wording) is the text, and its `label` (the
//! box of the drawn chart) is kept in a comment. The chart's `problem_description` is the
//! title; the tree id is the chart's `name`. Texts are plain English strings
//! (`locales: ["en"]`).
//!
//! A question with no edge for one answer is a **gap**: the chart does not know what to
//! do. By default the import repairs it with an `Escalate` node (`escalate_n4_no`), so the
//! walk hands over to customer service there, and reports it in [`Imported::gaps`].
//! Imported raw ([`ImportOptions::raw`]), the gap is left as it is, and
//! [`troubletree::Loader::tree`] reports it as [`Code::UncoveredAnswer`] (W002) at that question.
//!
//! ```
//! use troubletree_import::flodial::{ImportOptions, import};
//! use troubletree::{Code, Loader, Session, Step};
//!
//! let chart = r#"{
//!     "name": "wont_boot",
//!     "problem_description": "Your laptop does not boot.",
//!     "nodes": {
//!         "1": {"label": "Power light?", "terminal": false, "utterance": "Is the power light on?"},
//!         "2": {"label": "Reseat RAM", "terminal": true, "utterance": "Reseat the memory."}
//!     },
//!     "edges": {"1": {"yes": "2"}}
//! }"#;
//!
//! // Repaired (the default): clean, and "no" hands over to customer service.
//! let imported = import(chart, &ImportOptions::new())?;
//! assert_eq!(imported.tree_id, "wont_boot");
//! assert_eq!(imported.gaps[0].to_string(), r#"question n1 has no step for "no"; it escalates at escalate_n1_no"#);
//! let report = Loader::new().tree("wont_boot.ron", &imported.ron);
//! assert!(report.findings.is_empty());
//! let tree = report.loaded.ok_or("refused")?;
//! let mut session = Session::builder(&tree).start()?;
//! session.answer("no")?;
//! assert!(matches!(session.current(), Step::Escalated(e) if e.node == "escalate_n1_no"));
//!
//! // Raw: the validator finds the gap.
//! let raw = import(chart, &ImportOptions::raw())?;
//! let findings = Loader::new().tree("wont_boot.ron", &raw.ron).findings;
//! assert_eq!(findings[0].code, Code::UncoveredAnswer);
//! assert_eq!(findings[0].node.as_deref(), Some("n1"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! A chart that is not a tree rooted at `"1"` is refused with an [`ImportError`] naming
//! the chart and the node: no root, an edge to or from a node that does not exist, an
//! edge key other than `yes`/`no`, a node with two parents, a question whose two answers
//! lead to one node, a cycle, a node the root does not lead to, a terminal node with
//! outgoing edges, a key given twice.
//!
//! The crate's `flodial_replay` example imports a set of charts and walks every recorded
//! dialogue through a session, checking that the walker visits exactly the dialogue's
//! nodes (`cargo run --release -p troubletree-import --example flodial_replay --
//! CHARTS_DIR DIALOGS_JSON`).
//!
//! The FloDial data is licensed CDLA-Sharing-1.0: a tree imported from one of its charts
//! is data derived from it, to be shared under the same terms. The output says so in its
//! header comment.

use std::collections::{HashMap, HashSet};
use std::fmt::{self, Write as _};

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value as Json;

#[cfg(doc)]
use troubletree::Loader;

#[cfg(doc)]
use troubletree::Code;

/// The id of a chart's root node.
pub const ROOT: &str = "1";

/// The most nodes a chart may have. FloDial's charts have 24 to 37; the bound keeps a
/// hostile file from producing an unbounded tree.
pub const MAX_NODES: usize = 10_000;

/// The answers of every question, in the order they are written.
const ANSWERS: [&str; 2] = ["yes", "no"];

/// How a chart is named in messages when it has no `name`.
const UNNAMED: &str = "(unnamed)";

/// How [`import`] writes the tree.
///
/// ```
/// use troubletree_import::flodial::ImportOptions;
/// let repaired = ImportOptions::new();               // gaps escalate
/// let raw = ImportOptions::raw();                    // gaps stay, for `check` to find
/// let renamed = ImportOptions::new().tree_id("flodial_power");
/// # let _ = (repaired, raw, renamed);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ImportOptions {
    /// Whether a question's missing answer gets an `Escalate` node (default `true`).
    pub repair: bool,
    /// The tree id; when `None`, the chart's `name` with every character outside the
    /// identifier alphabet (ASCII letters, digits, `_`, `-`, `.`) written as `_`.
    pub tree_id: Option<String>,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            repair: true,
            tree_id: None,
        }
    }
}

impl ImportOptions {
    /// Repair gaps, name the tree after the chart.
    pub fn new() -> Self {
        Self::default()
    }

    /// Leave gaps as they are: the output then has a question with one answer (W002), or
    /// with none (E014) when the chart gives a question no edge at all.
    pub fn raw() -> Self {
        ImportOptions {
            repair: false,
            tree_id: None,
        }
    }

    /// Sets whether gaps are repaired.
    #[must_use]
    pub fn repair(mut self, repair: bool) -> Self {
        self.repair = repair;
        self
    }

    /// Sets the tree id instead of the chart's `name`.
    #[must_use]
    pub fn tree_id(mut self, id: impl Into<String>) -> Self {
        self.tree_id = Some(id.into());
        self
    }
}

/// A chart imported as a tree.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Imported {
    /// The tree file's text (RON, with comments), ending with a newline.
    pub ron: String,
    /// The tree's id.
    pub tree_id: String,
    /// The questions that had no edge for an answer, in file order.
    pub gaps: Vec<Gap>,
    /// How many `Ask` nodes the chart's questions became.
    pub questions: usize,
    /// How many `Resolve` nodes the chart's terminal nodes became.
    pub resolutions: usize,
}

/// A question for which the chart has no step after one of its answers.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Gap {
    /// The question's id in the tree (`n4`).
    pub node: String,
    /// The question's id in the chart (`4`).
    pub chart_node: String,
    /// The answer without an edge: `"yes"` or `"no"`.
    pub answer: String,
    /// The question as asked (the node's utterance).
    pub question: String,
    /// The `Escalate` node the repair added (`escalate_n4_no`), `None` in a raw import.
    pub escalate: Option<String>,
}

impl fmt::Display for Gap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "question {} has no step for \"{}\"",
            self.node, self.answer
        )?;
        if let Some(escalate) = &self.escalate {
            write!(f, "; it escalates at {escalate}")?;
        }
        Ok(())
    }
}

/// Why a chart was refused. Each message names the chart (its `name`) and, where it
/// applies, the chart's node id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ImportError {
    /// The text is not JSON, nests too deep, or repeats a key in an object.
    #[error("the chart is not valid JSON: {message}")]
    Json {
        /// What the JSON parser said, with line and column.
        message: String,
    },
    /// The JSON is not an object.
    #[error("a FloDial chart is a JSON object with \"nodes\" and \"edges\", found {found}")]
    NotObject {
        /// What it is instead: `an array`, `a string`...
        found: &'static str,
    },
    /// A required top-level field is absent.
    #[error("chart \"{chart}\" has no \"{field}\"")]
    MissingField {
        /// The chart's name.
        chart: String,
        /// The field.
        field: &'static str,
    },
    /// A top-level field has the wrong type.
    #[error("chart \"{chart}\": \"{field}\" must be {expected}, found {found}")]
    InvalidField {
        /// The chart's name.
        chart: String,
        /// The field.
        field: &'static str,
        /// What it must be.
        expected: &'static str,
        /// What it is.
        found: &'static str,
    },
    /// The chart has more nodes than [`MAX_NODES`].
    #[error("chart \"{chart}\" has {nodes} nodes; at most {MAX_NODES} are accepted")]
    TooLarge {
        /// The chart's name.
        chart: String,
        /// How many nodes it has.
        nodes: usize,
    },
    /// A node is not an object with a string `label`, a string `utterance` and a
    /// boolean `terminal`.
    #[error("chart \"{chart}\", node \"{node}\": {reason}")]
    InvalidNode {
        /// The chart's name.
        chart: String,
        /// The chart's node id.
        node: String,
        /// What is wrong.
        reason: String,
    },
    /// There is no node `"1"` to start from.
    #[error("chart \"{chart}\" has no root node \"{ROOT}\"")]
    MissingRoot {
        /// The chart's name.
        chart: String,
    },
    /// `edges` has an entry for a node that does not exist.
    #[error("chart \"{chart}\" has edges from node \"{node}\", but no such node")]
    EdgeFromMissingNode {
        /// The chart's name.
        chart: String,
        /// The id in `edges`.
        node: String,
    },
    /// An edge leads to a node that does not exist.
    #[error(
        "chart \"{chart}\", node \"{from}\": the \"{answer}\" edge leads to node \"{to}\", but there is no such node"
    )]
    EdgeToMissingNode {
        /// The chart's name.
        chart: String,
        /// The node the edge leaves.
        from: String,
        /// The edge's key.
        answer: String,
        /// The missing node.
        to: String,
    },
    /// An edge key is neither `yes` nor `no`.
    #[error(
        "chart \"{chart}\", node \"{node}\": edge key \"{key}\" is not an answer; the keys are \"yes\" and \"no\""
    )]
    BadEdgeKey {
        /// The chart's name.
        chart: String,
        /// The node the edge leaves.
        node: String,
        /// The key.
        key: String,
    },
    /// A node's edges are not an object of node ids.
    #[error("chart \"{chart}\", node \"{node}\": {reason}")]
    InvalidEdge {
        /// The chart's name.
        chart: String,
        /// The node the edges leave.
        node: String,
        /// What is wrong.
        reason: String,
    },
    /// A terminal node (a resolution) has outgoing edges.
    #[error("chart \"{chart}\", node \"{node}\" is terminal but has outgoing edges")]
    TerminalWithEdges {
        /// The chart's name.
        chart: String,
        /// The node.
        node: String,
    },
    /// Edges from two nodes lead to the same node.
    #[error(
        "chart \"{chart}\", node \"{node}\" has two parents, \"{first}\" and \"{second}\"; a chart must be a tree"
    )]
    TwoParents {
        /// The chart's name.
        chart: String,
        /// The node with two parents.
        node: String,
        /// The parent whose edge comes first in chart order.
        first: String,
        /// The other parent.
        second: String,
    },
    /// Both answers of a question lead to the same node.
    #[error(
        "chart \"{chart}\", node \"{node}\": \"yes\" and \"no\" both lead to node \"{target}\"; a chart must be a tree"
    )]
    SameTarget {
        /// The chart's name.
        chart: String,
        /// The question.
        node: String,
        /// The node both edges lead to.
        target: String,
    },
    /// Edges go round in a circle.
    #[error("chart \"{chart}\": the edges form a cycle {}; a chart must be a tree rooted at \"{ROOT}\"", cycle_text(.nodes))]
    Cycle {
        /// The nodes of the cycle in edge order, the first repeated at the end.
        nodes: Vec<String>,
        /// The chart's name.
        chart: String,
    },
    /// No path from the root leads to this node (and it is on no cycle).
    #[error(
        "chart \"{chart}\", node \"{node}\": no edge leads to it, so the root \"{ROOT}\" does not reach it"
    )]
    Unreachable {
        /// The chart's name.
        chart: String,
        /// The node.
        node: String,
    },
}

fn cycle_text(nodes: &[String]) -> String {
    nodes
        .iter()
        .map(|n| format!("\"{n}\""))
        .collect::<Vec<_>>()
        .join(" → ")
}

/// Imports one FloDial chart (its JSON text) as a tree file.
///
/// The output checks clean with [`troubletree::Loader::tree`] (no error, no warning) when gaps are
/// repaired; see the [module documentation](self) for the mapping.
///
/// # Errors
///
/// An [`ImportError`] when the text is not a chart, or the chart is not a tree rooted at
/// `"1"` with yes/no edges.
pub fn import(json: &str, options: &ImportOptions) -> Result<Imported, ImportError> {
    let chart = Chart::parse(json)?;
    chart.render(options)
}

// ------------------------------------------------------------------------ the chart

/// A chart, checked to be a tree rooted at [`ROOT`], its nodes in chart order.
#[derive(Debug)]
struct Chart {
    /// The `name` field, if any.
    name: Option<String>,
    /// The name for messages.
    label: String,
    category: Option<String>,
    description: Option<String>,
    nodes: Vec<ChartNode>,
}

#[derive(Debug)]
struct ChartNode {
    id: String,
    label: String,
    utterance: String,
    terminal: bool,
    /// The child after "yes" and after "no".
    next: [Option<usize>; 2],
    /// The parent and the answer (index into [`ANSWERS`]) that leads here.
    parent: Option<(usize, usize)>,
}

impl ChartNode {
    /// The node's id in the tree.
    fn tree_id(&self) -> String {
        format!("n{}", self.id)
    }
}

/// The order nodes are written in: numeric ids by value, then the others by text.
fn chart_order(id: &str) -> (bool, u64, &str) {
    match id.parse::<u64>() {
        Ok(n) => (false, n, id),
        Err(_) => (true, 0, id),
    }
}

fn kind(value: &Json) -> &'static str {
    match value {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "an array",
        Json::Object(_) => "an object",
    }
}

fn json_error(err: &serde_json::Error) -> ImportError {
    ImportError::Json {
        message: err.to_string(),
    }
}

impl Chart {
    fn parse(json: &str) -> Result<Chart, ImportError> {
        let json = json.strip_prefix('\u{feff}').unwrap_or(json);
        // serde_json's `Value` keeps the last of two equal keys silently; a chart with
        // two entries for one node must be refused, not half-read.
        serde_json::from_str::<UniqueKeys>(json).map_err(|e| json_error(&e))?;
        let value: Json = serde_json::from_str(json).map_err(|e| json_error(&e))?;
        let Json::Object(top) = value else {
            return Err(ImportError::NotObject {
                found: kind(&value),
            });
        };

        let optional = |field: &'static str, chart: &str| match top.get(field) {
            None => Ok(None),
            Some(Json::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(ImportError::InvalidField {
                chart: chart.to_owned(),
                field,
                expected: "a string",
                found: kind(other),
            }),
        };
        let name = optional("name", UNNAMED)?;
        let label = name.clone().unwrap_or_else(|| UNNAMED.to_owned());
        let category = optional("category", &label)?;
        let description = optional("problem_description", &label)?;
        let object = |field: &'static str| match top.get(field) {
            None => Err(ImportError::MissingField {
                chart: label.clone(),
                field,
            }),
            Some(Json::Object(map)) => Ok(map),
            Some(other) => Err(ImportError::InvalidField {
                chart: label.clone(),
                field,
                expected: "an object",
                found: kind(other),
            }),
        };
        let node_map = object("nodes")?;
        if node_map.len() > MAX_NODES {
            return Err(ImportError::TooLarge {
                chart: label,
                nodes: node_map.len(),
            });
        }

        let mut ids: Vec<&String> = node_map.keys().collect();
        ids.sort_by_key(|id| chart_order(id));
        let mut nodes = Vec::with_capacity(ids.len());
        for id in ids {
            let invalid = |reason: String| ImportError::InvalidNode {
                chart: label.clone(),
                node: id.clone(),
                reason,
            };
            let Json::Object(fields) = &node_map[id] else {
                return Err(invalid(format!(
                    "a node is an object with \"label\", \"terminal\" and \"utterance\", found {}",
                    kind(&node_map[id])
                )));
            };
            let text = |field: &str| match fields.get(field) {
                Some(Json::String(s)) => Ok(s.clone()),
                None => Err(invalid(format!("\"{field}\" is missing"))),
                Some(other) => Err(invalid(format!(
                    "\"{field}\" must be a string, found {}",
                    kind(other)
                ))),
            };
            let terminal = match fields.get("terminal") {
                Some(Json::Bool(b)) => *b,
                None => return Err(invalid("\"terminal\" is missing".to_owned())),
                Some(other) => {
                    return Err(invalid(format!(
                        "\"terminal\" must be true or false, found {}",
                        kind(other)
                    )));
                }
            };
            nodes.push(ChartNode {
                id: id.clone(),
                label: text("label")?,
                utterance: text("utterance")?,
                terminal,
                next: [None, None],
                parent: None,
            });
        }
        let index: HashMap<String, usize> = nodes
            .iter()
            .enumerate()
            .map(|(i, n)| (n.id.clone(), i))
            .collect();
        let Some(&root) = index.get(ROOT) else {
            return Err(ImportError::MissingRoot { chart: label });
        };

        let edge_map = object("edges")?;
        let mut parents: Vec<&String> = edge_map.keys().collect();
        parents.sort_by_key(|id| chart_order(id));
        for parent in parents {
            let Some(&p) = index.get(parent) else {
                return Err(ImportError::EdgeFromMissingNode {
                    chart: label,
                    node: parent.clone(),
                });
            };
            let Json::Object(edges) = &edge_map[parent] else {
                return Err(ImportError::InvalidEdge {
                    chart: label,
                    node: parent.clone(),
                    reason: format!(
                        "its edges must be an object such as {{\"yes\": \"2\", \"no\": \"3\"}}, found {}",
                        kind(&edge_map[parent])
                    ),
                });
            };
            if nodes[p].terminal && !edges.is_empty() {
                return Err(ImportError::TerminalWithEdges {
                    chart: label,
                    node: parent.clone(),
                });
            }
            // "yes" before "no", whatever the order in the file.
            let mut keys: Vec<&String> = edges.keys().collect();
            keys.sort_by_key(|k| ANSWERS.iter().position(|a| a == k));
            for key in keys {
                let Some(a) = ANSWERS.iter().position(|x| x == key) else {
                    return Err(ImportError::BadEdgeKey {
                        chart: label,
                        node: parent.clone(),
                        key: key.clone(),
                    });
                };
                let child = match &edges[key] {
                    Json::String(s) => s.clone(),
                    Json::Number(n) if n.is_u64() => n.to_string(),
                    other => {
                        return Err(ImportError::InvalidEdge {
                            chart: label,
                            node: parent.clone(),
                            reason: format!(
                                "the \"{key}\" edge must name a node id, found {}",
                                kind(other)
                            ),
                        });
                    }
                };
                let Some(&c) = index.get(&child) else {
                    return Err(ImportError::EdgeToMissingNode {
                        chart: label,
                        from: parent.clone(),
                        answer: key.clone(),
                        to: child,
                    });
                };
                if c == p {
                    return Err(ImportError::Cycle {
                        nodes: vec![child.clone(), child],
                        chart: label,
                    });
                }
                if let Some((q, _)) = nodes[c].parent {
                    return Err(if q == p {
                        ImportError::SameTarget {
                            chart: label,
                            node: parent.clone(),
                            target: child,
                        }
                    } else {
                        ImportError::TwoParents {
                            chart: label,
                            node: child,
                            first: nodes[q].id.clone(),
                            second: parent.clone(),
                        }
                    });
                }
                nodes[c].parent = Some((p, a));
                nodes[p].next[a] = Some(c);
            }
        }

        let chart = Chart {
            name,
            label,
            category,
            description,
            nodes,
        };
        chart.check_tree(root)?;
        Ok(chart)
    }

    /// With at most one parent per node (checked while reading edges), the chart is a
    /// tree rooted at `root` exactly when the root has no parent and reaches every node.
    /// A node it does not reach is either on a cycle or below a second root.
    fn check_tree(&self, root: usize) -> Result<(), ImportError> {
        let mut reached = vec![false; self.nodes.len()];
        let mut todo = vec![root];
        reached[root] = true;
        while let Some(at) = todo.pop() {
            for child in self.nodes[at].next.into_iter().flatten() {
                // Only the root can be met twice: every other node has one parent.
                if !reached[child] {
                    reached[child] = true;
                    todo.push(child);
                }
            }
        }
        let start = if self.nodes[root].parent.is_some() {
            Some(root)
        } else {
            reached.iter().position(|r| !r)
        };
        let Some(start) = start else {
            return Ok(());
        };
        // Climb from the node through its parents: either a node is met again (a cycle)
        // or a node without a parent is found (a second root, which nothing reaches).
        let mut chain = vec![start];
        let mut on_chain = HashSet::from([start]);
        let mut at = start;
        while let Some((parent, _)) = self.nodes[at].parent {
            if !on_chain.insert(parent) {
                // `chain` runs child to parent, so the cycle's edges run the other way.
                // Start it at its first node in chart order, for a stable message.
                let from = chain.iter().position(|&n| n == parent).unwrap_or(0);
                let mut cycle: Vec<usize> = chain[from..].iter().rev().copied().collect();
                let first = (0..cycle.len()).min_by_key(|&i| cycle[i]).unwrap_or(0);
                cycle.rotate_left(first);
                let mut nodes: Vec<String> =
                    cycle.iter().map(|&n| self.nodes[n].id.clone()).collect();
                nodes.push(nodes[0].clone());
                return Err(ImportError::Cycle {
                    nodes,
                    chart: self.label.clone(),
                });
            }
            chain.push(parent);
            at = parent;
        }
        Err(ImportError::Unreachable {
            chart: self.label.clone(),
            node: self.nodes[at].id.clone(),
        })
    }

    fn render(&self, options: &ImportOptions) -> Result<Imported, ImportError> {
        let tree_id = match (&options.tree_id, &self.name) {
            (Some(id), _) => id.clone(),
            // Tree ids keep to the identifier alphabet; a chart's name is free text.
            (None, Some(name)) => name
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.') {
                        c
                    } else {
                        '_'
                    }
                })
                .collect(),
            (None, None) => {
                return Err(ImportError::MissingField {
                    chart: self.label.clone(),
                    field: "name",
                });
            }
        };
        if tree_id.is_empty() {
            return Err(ImportError::InvalidField {
                chart: self.label.clone(),
                field: "name",
                expected: "a non-empty string (it becomes the tree id)",
                found: "an empty string",
            });
        }

        let mut gaps = Vec::new();
        for node in self.nodes.iter().filter(|n| !n.terminal) {
            for (a, next) in node.next.iter().enumerate() {
                if next.is_none() {
                    gaps.push(Gap {
                        node: node.tree_id(),
                        chart_node: node.id.clone(),
                        answer: ANSWERS[a].to_owned(),
                        question: node.utterance.clone(),
                        escalate: options
                            .repair
                            .then(|| escalate_id(&node.tree_id(), ANSWERS[a])),
                    });
                }
            }
        }
        let questions = self.nodes.iter().filter(|n| !n.terminal).count();
        let resolutions = self.nodes.len() - questions;

        let mut out = String::new();
        self.header(&mut out, &gaps, options.repair);
        out.push_str("Tree(\n    format: 1,\n");
        let _ = writeln!(out, "    id: {},", ron_string(&tree_id));
        if let Some(title) = &self.description {
            let _ = writeln!(out, "    title: {},", ron_string(title));
        }
        out.push_str("    locales: [\"en\"],\n");
        if questions > 0 {
            out.push_str(
                "    // One fact per question, filled by its answer: a host that already knows an\n    // answer can supply it, and the question is skipped.\n    facts: [\n",
            );
            for node in self.nodes.iter().filter(|n| !n.terminal) {
                let _ = writeln!(
                    out,
                    "        Fact(name: {}, type: Choice([\"yes\", \"no\"])),",
                    ron_string(&node.tree_id())
                );
            }
            out.push_str("    ],\n");
        }
        let _ = writeln!(out, "    start: {},", ron_string(&format!("n{ROOT}")));
        out.push_str("    nodes: [\n");
        for node in &self.nodes {
            self.node(&mut out, node, options.repair);
        }
        out.push_str("    ],\n)\n");
        Ok(Imported {
            ron: out,
            tree_id,
            gaps,
            questions,
            resolutions,
        })
    }

    fn header(&self, out: &mut String, gaps: &[Gap], repair: bool) {
        let category = self
            .category
            .as_deref()
            .map(|c| format!(" ({})", comment(c)))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "// FloDial chart \"{}\"{category}, imported by `troubletree import flodial`.",
            comment(&self.label)
        );
        out.push_str(
            "// FloDial: https://github.com/dair-iitd/FloDial (Raghu et al., EMNLP 2021). Its data is\n\
             // licensed CDLA-Sharing-1.0; a tree imported from it is shared under the same terms.\n\
             // Chart node \"N\" is tree node \"nN\"; each node's label in the chart is kept in the\n\
             // comment above it.\n",
        );
        if gaps.is_empty() {
            out.push_str("// Every question of the chart has a step for \"yes\" and for \"no\".\n");
            return;
        }
        let list: Vec<String> = gaps
            .iter()
            .map(|g| format!("{} \"{}\"", comment(&g.node), g.answer))
            .collect();
        if repair {
            let _ = writeln!(
                out,
                "// The chart has no step for {} answer(s): {}. Each now escalates to customer\n// service (an Escalate node after its question).",
                gaps.len(),
                list.join(", ")
            );
        } else {
            let _ = writeln!(
                out,
                "// Imported raw: the chart has no step for {} answer(s): {}. `troubletree check`\n// reports each (W002).",
                gaps.len(),
                list.join(", ")
            );
        }
    }

    fn node(&self, out: &mut String, node: &ChartNode, repair: bool) {
        let id = ron_string(&node.tree_id());
        let _ = writeln!(
            out,
            "        // {}: {}",
            comment(&node.id),
            comment(&node.label)
        );
        if node.terminal {
            let _ = writeln!(
                out,
                "        Resolve(\n            id: {id},\n            text: {},\n        ),",
                ron_string(&node.utterance)
            );
            return;
        }
        let _ = writeln!(
            out,
            "        Ask(\n            id: {id},\n            text: {},\n            fact: {id},\n            answers: [",
            ron_string(&node.utterance)
        );
        let mut escalations = Vec::new();
        for (a, next) in node.next.iter().enumerate() {
            let answer = ANSWERS[a];
            let target = match next {
                Some(child) => self.nodes[*child].tree_id(),
                None if repair => {
                    let target = escalate_id(&node.tree_id(), answer);
                    escalations.push((answer, target.clone()));
                    out.push_str("                // The chart has no step for this answer.\n");
                    target
                }
                None => continue,
            };
            let _ = writeln!(
                out,
                "                Answer(value: \"{answer}\", text: \"{}\", next: {}),",
                if a == 0 { "Yes" } else { "No" },
                ron_string(&target)
            );
        }
        out.push_str("            ],\n        ),\n");
        for (answer, target) in escalations {
            let reason = format!(
                "The troubleshooting chart has no step after the answer \"{answer}\" to \"{}\"; customer service has to take over.",
                node.utterance.trim()
            );
            let _ = writeln!(
                out,
                "        Escalate(\n            id: {},\n            reason: {},\n            priority: Normal,\n        ),",
                ron_string(&target),
                ron_string(&reason)
            );
        }
    }
}

/// The id of the `Escalate` node that repairs a gap. Chart nodes all become `n...`, so
/// this never collides with one.
fn escalate_id(question: &str, answer: &str) -> String {
    format!("escalate_{question}_{answer}")
}

/// Characters escaped in strings and dropped from comments, besides control characters:
/// line and paragraph separators, the byte order mark, zero-width characters and the
/// bidirectional overrides that can make a reviewed file read differently from what it
/// says.
fn invisible(c: char) -> bool {
    matches!(c, '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}')
}

/// `text` as a RON string literal.
fn ron_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() || invisible(c) => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `text` made safe for a `//` comment: one line, nothing invisible.
fn comment(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() || invisible(c) {
                ' '
            } else {
                c
            }
        })
        .collect::<String>()
        .trim()
        .to_owned()
}

/// A JSON document visited only to refuse an object that repeats a key.
struct UniqueKeys;

impl<'de> Deserialize<'de> for UniqueKeys {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(UniqueKeysVisitor)
    }
}

struct UniqueKeysVisitor;

impl<'de> Visitor<'de> for UniqueKeysVisitor {
    type Value = UniqueKeys;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }

    fn visit_i64<E>(self, _: i64) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }

    fn visit_u64<E>(self, _: u64) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }

    fn visit_f64<E>(self, _: f64) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }

    fn visit_str<E>(self, _: &str) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }

    fn visit_unit<E>(self) -> Result<UniqueKeys, E> {
        Ok(UniqueKeys)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<UniqueKeys, A::Error> {
        while seq.next_element::<UniqueKeys>()?.is_some() {}
        Ok(UniqueKeys)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<UniqueKeys, A::Error> {
        let mut seen = HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if !seen.insert(key.clone()) {
                return Err(de::Error::custom(format!("duplicate key \"{key}\"")));
            }
            map.next_value::<UniqueKeys>()?;
        }
        Ok(UniqueKeys)
    }
}

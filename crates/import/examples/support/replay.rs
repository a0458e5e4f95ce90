//! The replay of FloDial's recorded dialogues through the walker, shared by the
//! `flodial_replay` example and the crate's tests (it is not public API).
//!
//! Every chart is imported (raw and repaired) and checked; every dialogue is walked
//! through a session on its chart, through the public API only: the path a dialogue
//! takes is read off the tree's own edges.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde_json::Value as Json;
use troubletree::{EdgeLabel, Finding, Loader, Session, Step, Tree, Value};
use troubletree_import::flodial::{Gap, ImportError, ImportOptions, import};

/// Why a replay could not run at all. Problems with one chart or one dialogue do not
/// stop it: they are reported in [`ChartReplay`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReplayError {
    /// A file or directory could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The dialogue file is not in FloDial's shape.
    #[error("the dialogues are not in FloDial's format: {message}")]
    Dialogues {
        /// What is wrong, naming the dialogue where it applies.
        message: String,
    },
    /// Two chart files have the same `name`, so dialogues cannot tell them apart.
    #[error("charts {first} and {second} are both named \"{name}\"")]
    DuplicateChart {
        /// The name.
        name: String,
        /// The first file.
        first: String,
        /// The second file.
        second: String,
    },
}

/// How many mismatches a chart's line shows.
const SHOWN_MISMATCHES: usize = 3;

/// The outcome of a replay: one entry per chart, sorted by chart name.
#[derive(Debug)]
#[non_exhaustive]
pub struct ReplayReport {
    /// One entry per chart file.
    pub charts: Vec<ChartReplay>,
    /// Dialogues whose `flowchart` is none of the charts: dialogue id and chart name.
    pub unknown_chart: Vec<(String, String)>,
}

impl ReplayReport {
    /// How many dialogues the file held.
    pub fn dialogues(&self) -> usize {
        self.charts.iter().map(|c| c.dialogues).sum::<usize>() + self.unknown_chart.len()
    }

    /// How many were reproduced exactly.
    pub fn reproduced(&self) -> usize {
        self.charts.iter().map(|c| c.reproduced).sum()
    }

    /// Whether every dialogue was reproduced, and every chart imported clean.
    pub fn is_exact(&self) -> bool {
        self.unknown_chart.is_empty()
            && self.charts.iter().all(|c| {
                c.import_error.is_none() && c.findings.is_empty() && c.mismatches.is_empty()
            })
    }
}

/// One line per chart, then the line `replayed: N/M dialogues reproduced exactly`.
impl fmt::Display for ReplayReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for chart in &self.charts {
            writeln!(f, "{chart}")?;
        }
        for (dialogue, chart) in &self.unknown_chart {
            writeln!(f, "dialogue {dialogue}: no chart named \"{chart}\"")?;
        }
        write!(
            f,
            "replayed: {}/{} dialogues reproduced exactly",
            self.reproduced(),
            self.dialogues()
        )
    }
}

/// The replay of one chart's dialogues, and what the validator says about the chart.
#[derive(Debug)]
#[non_exhaustive]
pub struct ChartReplay {
    /// The chart file, as it was named.
    pub file: String,
    /// The chart's `name` (what dialogues call it); the file if it could not be read.
    pub chart: String,
    /// Why the chart was not imported; its dialogues then all count as not reproduced.
    pub import_error: Option<ImportError>,
    /// The gaps the import repaired.
    pub gaps: Vec<Gap>,
    /// What [`check_str`] reports on the raw import (W002 at each gap).
    pub raw_findings: Vec<Finding>,
    /// What [`check_str`] reports on the repaired import (nothing, for a good chart).
    pub findings: Vec<Finding>,
    /// Dialogues on this chart.
    pub dialogues: usize,
    /// Dialogues the walker reproduced exactly.
    pub reproduced: usize,
    /// The others, with where they first differ.
    pub mismatches: Vec<Mismatch>,
}

impl fmt::Display for ChartReplay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} dialogues, {} reproduced, {} mismatches",
            self.chart,
            self.dialogues,
            self.reproduced,
            self.mismatches.len()
        )?;
        if let Some(err) = &self.import_error {
            write!(f, "; not imported ({}): {err}", self.file)?;
        }
        // The first few show where the walk parts from the dialogues; the struct has all.
        for m in self.mismatches.iter().take(SHOWN_MISMATCHES) {
            write!(f, "; {m}")?;
        }
        if self.mismatches.len() > SHOWN_MISMATCHES {
            let more = self.mismatches.len() - SHOWN_MISMATCHES;
            write!(f, "; and {more} more")?;
        }
        if !self.gaps.is_empty() {
            let gaps: Vec<String> = self
                .gaps
                .iter()
                .map(|g| format!("{} \"{}\"", g.node, g.answer))
                .collect();
            let found: Vec<String> = self
                .raw_findings
                .iter()
                .map(|x| format!("{} at {}", x.code, x.node.as_deref().unwrap_or("?")))
                .collect();
            write!(
                f,
                "; gaps repaired: {} (raw check: {})",
                gaps.join(", "),
                found.join(", ")
            )?;
        }
        if !self.findings.is_empty() {
            let found: Vec<String> = self.findings.iter().map(ToString::to_string).collect();
            write!(f, "; after repair: {}", found.join(", "))?;
        }
        Ok(())
    }
}

/// Where a dialogue and the walk first part.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Mismatch {
    /// The dialogue's id.
    pub dialogue: String,
    /// The position in the dialogue's path (0 is the root) where they differ.
    pub step: usize,
    /// The tree node the dialogue has there (`None`: the dialogue has ended).
    pub expected: Option<String>,
    /// The tree node the walk is at (`None`: the walk has ended, or could not go on).
    pub walked: Option<String>,
    /// Why, in words.
    pub detail: String,
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "dialogue {} first differs at step {}: expected {}, walked {} ({})",
            self.dialogue,
            self.step,
            self.expected.as_deref().unwrap_or("the end"),
            self.walked.as_deref().unwrap_or("nothing"),
            self.detail
        )
    }
}

/// Replays the dialogues of a FloDial dialogue file through the charts in a directory.
///
/// Every `*.json` file in `charts_dir` is read as a chart (FloDial's
/// `knowledge-sources/` also hold the FAQs inside each chart file; they are ignored).
/// See [`replay`].
///
/// # Errors
///
/// [`ReplayError::Io`] when the directory or a file cannot be read, and the errors of
/// [`replay`].
pub fn replay_dir(
    charts_dir: impl AsRef<Path>,
    dialogues: impl AsRef<Path>,
) -> Result<ReplayReport, ReplayError> {
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| ReplayError::Io { path, source }
    };
    let charts_dir = charts_dir.as_ref();
    let mut files = Vec::new();
    for entry in std::fs::read_dir(charts_dir).map_err(io(charts_dir))? {
        let path = entry.map_err(io(charts_dir))?.path();
        if path.extension().is_some_and(|e| e == "json") && path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    let mut charts = Vec::with_capacity(files.len());
    for path in files {
        let text = std::fs::read_to_string(&path).map_err(io(&path))?;
        charts.push((path.display().to_string(), text));
    }
    let dialogues = dialogues.as_ref();
    let text = std::fs::read_to_string(dialogues).map_err(io(dialogues))?;
    replay(
        charts
            .iter()
            .map(|(file, json)| (file.as_str(), json.as_str())),
        &text,
    )
}

/// Imports every chart and walks every dialogue through a [`Session`] on its chart.
///
/// `charts` are pairs of a file name (for messages) and the chart's JSON. `dialogues` is
/// a FloDial dialogue file: an object from dialogue id to
/// `{"flowchart": NAME, "utterences": [{"grounded_doc_id": "chart-N", ...}, ...]}`.
///
/// A dialogue's path is its `chart-N` grounded turns in order, repeats dropped
/// (`chart-0`, the user's problem statement, is not a node). When the opening message
/// already answered the first questions the path starts lower down; its skipped prefix
/// is the unique path from the root. The session is started at the root and given, at
/// each question, the answer whose edge in the chart leads to the dialogue's next node.
/// The dialogue is reproduced when the session visits exactly the path's nodes and ends
/// with the resolution at its last node.
///
/// Each chart is also checked as imported raw and as repaired ([`ChartReplay`]).
///
/// ```
/// let chart = r#"{"name": "c", "nodes": {
///     "1": {"label": "On?", "terminal": false, "utterance": "Is it on?"},
///     "2": {"label": "Fine", "terminal": true, "utterance": "Good."},
///     "3": {"label": "Plug", "terminal": true, "utterance": "Plug it in."}},
///     "edges": {"1": {"yes": "2", "no": "3"}}}"#;
/// let dialogues = r#"{"7": {"flowchart": "c", "utterences": [
///     {"speaker": "user", "utterance": "It won't work", "grounded_doc_id": "chart-0"},
///     {"speaker": "agent", "utterance": "Is it on?", "grounded_doc_id": "chart-1"},
///     {"speaker": "user", "utterance": "No", "grounded_doc_id": "chart-1"},
///     {"speaker": "agent", "utterance": "Plug it in.", "grounded_doc_id": "chart-3"}]}}"#;
/// let report = replay([("c.json", chart)], dialogues)?;
/// assert_eq!(report.reproduced(), 1);
/// assert!(report.to_string().ends_with("replayed: 1/1 dialogues reproduced exactly"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
///
/// [`ReplayError::Dialogues`] when the dialogue file is not in FloDial's shape,
/// [`ReplayError::DuplicateChart`] when two charts share a name. A chart that does not
/// import, or a dialogue that cannot be walked, is reported in the result instead.
pub fn replay<'a>(
    charts: impl IntoIterator<Item = (&'a str, &'a str)>,
    dialogues: &str,
) -> Result<ReplayReport, ReplayError> {
    let mut loaded: Vec<Loaded> = Vec::new();
    let mut by_name: HashMap<String, usize> = HashMap::new();
    for (file, json) in charts {
        let entry = Loaded::new(file, json);
        if let Some(&other) = by_name.get(&entry.replay.chart) {
            return Err(ReplayError::DuplicateChart {
                name: entry.replay.chart,
                first: loaded[other].replay.file.clone(),
                second: file.to_owned(),
            });
        }
        by_name.insert(entry.replay.chart.clone(), loaded.len());
        loaded.push(entry);
    }

    let mut unknown_chart = Vec::new();
    for dialogue in parse_dialogues(dialogues)? {
        let Some(&i) = by_name.get(&dialogue.flowchart) else {
            unknown_chart.push((dialogue.id, dialogue.flowchart));
            continue;
        };
        loaded[i].walk(&dialogue);
    }

    let mut charts: Vec<ChartReplay> = loaded.into_iter().map(|l| l.replay).collect();
    charts.sort_by(|a, b| a.chart.cmp(&b.chart));
    Ok(ReplayReport {
        charts,
        unknown_chart,
    })
}

/// A chart ready for replay: imported and compiled, with the tree's parent links.
struct Loaded {
    replay: ChartReplay,
    tree: Option<Tree>,
    /// For each node, the question before it and the answer that leads here.
    parent: HashMap<String, (String, Value)>,
}

impl Loaded {
    fn new(file: &str, json: &str) -> Loaded {
        let mut replay = ChartReplay {
            file: file.to_owned(),
            chart: file.to_owned(),
            import_error: None,
            gaps: Vec::new(),
            raw_findings: Vec::new(),
            findings: Vec::new(),
            dialogues: 0,
            reproduced: 0,
            mismatches: Vec::new(),
        };
        let imported = import(json, &ImportOptions::raw())
            .and_then(|raw| Ok((raw, import(json, &ImportOptions::new())?)));
        let (raw, repaired) = match imported {
            Ok(parts) => parts,
            Err(err) => {
                replay.import_error = Some(err);
                return Loaded {
                    replay,
                    tree: None,
                    parent: HashMap::new(),
                };
            }
        };
        replay.chart.clone_from(&repaired.tree_id);
        let ron_name = format!("{}.ron", repaired.tree_id);
        replay.raw_findings = Loader::new().tree(&ron_name, &raw.ron).findings;
        let report = Loader::new().tree(&ron_name, &repaired.ron);
        replay.findings = report.findings;
        replay.gaps = repaired.gaps;
        let mut parent = HashMap::new();
        if let Some(tree) = &report.loaded {
            for edge in tree.edges() {
                if let EdgeLabel::Answer(value) = edge.label {
                    parent.insert(edge.to.to_owned(), (edge.from.to_owned(), value.clone()));
                }
            }
        }
        Loaded {
            replay,
            tree: report.loaded,
            parent,
        }
    }

    /// Walks one dialogue and records the outcome.
    fn walk(&mut self, dialogue: &Dialogue) {
        self.replay.dialogues += 1;
        match self.try_walk(dialogue) {
            Ok(()) => self.replay.reproduced += 1,
            Err(mismatch) => self.replay.mismatches.push(mismatch),
        }
    }

    /// The nodes from the tree's start down to `node`, following parent links (an
    /// imported chart is a tree: every node but the root has exactly one parent).
    fn path_from_root(&self, node: &str) -> Vec<String> {
        let mut path = vec![node.to_owned()];
        while let Some((up, _)) = self.parent.get(path.last().map_or("", String::as_str)) {
            if path.len() > self.parent.len() {
                break; // not a tree after all; the walk below reports where it differs
            }
            path.push(up.clone());
        }
        path.reverse();
        path
    }

    fn try_walk(&self, dialogue: &Dialogue) -> Result<(), Mismatch> {
        let mismatch =
            |step: usize, expected: Option<String>, walked: Option<&str>, detail| Mismatch {
                dialogue: dialogue.id.clone(),
                step,
                expected,
                walked: walked.map(str::to_owned),
                detail,
            };
        let Some(tree) = &self.tree else {
            return Err(mismatch(
                0,
                None,
                None,
                "the chart did not import clean".to_owned(),
            ));
        };

        // The dialogue's nodes, then the path from the root to the first of them.
        let mut explicit = Vec::new();
        for id in &dialogue.nodes {
            let node = format!("n{id}");
            if !tree.has_node(&node) {
                return Err(mismatch(
                    explicit.len(),
                    Some(node),
                    None,
                    format!(
                        "the dialogue grounds a turn on chart-{id}, which the chart does not have"
                    ),
                ));
            }
            explicit.push(node);
        }
        let Some(first) = explicit.first() else {
            return Err(mismatch(
                0,
                None,
                None,
                "no turn of the dialogue is grounded on a chart node".to_owned(),
            ));
        };
        let mut expected = self.path_from_root(first);
        expected.extend_from_slice(&explicit[1..]);

        let mut session = Session::builder(tree)
            .start()
            .map_err(|e| mismatch(0, expected.first().cloned(), None, e.to_string()))?;
        for (i, want) in expected.iter().enumerate() {
            let step = session.current();
            if step.node() != want {
                return Err(mismatch(
                    i,
                    Some(want.clone()),
                    Some(step.node()),
                    "the walk is elsewhere".to_owned(),
                ));
            }
            let Some(next) = expected.get(i + 1) else {
                if matches!(step, Step::Resolved(_)) {
                    break;
                }
                return Err(mismatch(
                    i + 1,
                    None,
                    Some(step.node()),
                    "the dialogue ends, the walk does not end with a resolution here".to_owned(),
                ));
            };
            if !matches!(step, Step::Ask(_)) {
                return Err(mismatch(
                    i + 1,
                    Some(next.clone()),
                    None,
                    format!("the walk ended at {want}"),
                ));
            }
            let answer = match self.parent.get(next) {
                Some((from, value)) if from == want => value.clone(),
                _ => {
                    return Err(mismatch(
                        i + 1,
                        Some(next.clone()),
                        None,
                        format!("the chart has no edge from {want} to the dialogue's next node"),
                    ));
                }
            };
            if let Err(err) = session.answer(answer.clone()) {
                return Err(mismatch(
                    i + 1,
                    Some(next.clone()),
                    None,
                    format!("answering \"{answer}\" at {want} failed: {err}"),
                ));
            }
        }
        let walked = session.path_ids();
        if walked != expected {
            let at = walked
                .iter()
                .zip(&expected)
                .position(|(w, e)| w != e)
                .unwrap_or(walked.len().min(expected.len()));
            return Err(mismatch(
                at,
                expected.get(at).cloned(),
                walked.get(at).copied(),
                "the session's path differs".to_owned(),
            ));
        }
        Ok(())
    }
}

/// One recorded dialogue, reduced to what the replay needs.
struct Dialogue {
    id: String,
    flowchart: String,
    /// The chart node ids of its grounded turns, in order, each once.
    nodes: Vec<String>,
}

fn parse_dialogues(text: &str) -> Result<Vec<Dialogue>, ReplayError> {
    let fail = |message: String| ReplayError::Dialogues { message };
    let value: Json = serde_json::from_str(text).map_err(|e| fail(e.to_string()))?;
    let Json::Object(all) = value else {
        return Err(fail(format!(
            "the file must be an object from dialogue id to dialogue, found {}",
            kind(&value)
        )));
    };
    let mut out = Vec::with_capacity(all.len());
    for (id, dialogue) in &all {
        let Some(flowchart) = dialogue.get("flowchart").and_then(Json::as_str) else {
            return Err(fail(format!("dialogue {id} has no \"flowchart\" string")));
        };
        // The source spells it "utterences"; accept the correct spelling too.
        let Some(turns) = dialogue
            .get("utterences")
            .or_else(|| dialogue.get("utterances"))
            .and_then(Json::as_array)
        else {
            return Err(fail(format!("dialogue {id} has no \"utterences\" list")));
        };
        let mut nodes: Vec<String> = Vec::new();
        for turn in turns {
            let grounded = turn.get("grounded_doc_id").and_then(Json::as_str);
            let Some(node) = grounded.and_then(|g| g.strip_prefix("chart-")) else {
                continue;
            };
            if node != "0" && !nodes.iter().any(|n| n == node) {
                nodes.push(node.to_owned());
            }
        }
        out.push(Dialogue {
            id: id.clone(),
            flowchart: flowchart.to_owned(),
            nodes,
        });
    }
    out.sort_by(|a, b| chart_order(&a.id).cmp(&chart_order(&b.id)));
    Ok(out)
}

/// The order dialogues are walked in: numeric ids by value, then the others by text.
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

//! The figures a count gives: per tree version, per question, per node and edge.

use super::*;

/// The figures of a [`Stats`] count.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct Report {
    /// Sessions started from this instant on, if bounded.
    pub since: Option<Timestamp>,
    /// Sessions started before this instant, if bounded.
    pub until: Option<Timestamp>,
    /// The end of the data: `until`, else the last event counted. Idleness is measured
    /// up to here.
    pub end: Option<Timestamp>,
    /// The idle time, in minutes, after which a session counts as abandoned.
    pub idle_minutes: u64,
    /// Events counted.
    pub events: u64,
    /// Events not counted, and why.
    pub skipped: Skipped,
    /// One entry per tree version seen, by tree id, then by first event.
    pub versions: Vec<VersionReport>,
}

impl Report {
    /// Keeps only the versions of one tree.
    pub fn retain_tree(&mut self, tree: &str) {
        self.versions.retain(|v| v.tree == tree);
    }
}

/// Events that were not counted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Skipped {
    /// Lines that are not events.
    pub unreadable: u64,
    /// Events before `since` (the later events of sessions started before it are
    /// `orphans`).
    pub before_range: u64,
    /// Events at or after `until`.
    pub after_range: u64,
    /// Events of sessions whose `started` event was not counted (before the range, or
    /// missing), or that came after the session had been idle for the window.
    pub orphans: u64,
    /// Events more than the idle window older than an event before them (the data is
    /// not in time order; figures may be off).
    pub late: u64,
    /// `started` events for a session id already in progress (the earlier one is
    /// finished as it stood).
    pub restarted: u64,
    /// User answers at a node other than the question shown (counted as steps only).
    pub unmatched: u64,
}

impl Skipped {
    pub(super) fn add(&mut self, other: &Skipped) {
        self.unreadable += other.unreadable;
        self.before_range += other.before_range;
        self.after_range += other.after_range;
        self.orphans += other.orphans;
        self.late += other.late;
        self.restarted += other.restarted;
        self.unmatched += other.unmatched;
    }
}

/// The figures of one tree version (one fingerprint).
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct VersionReport {
    /// The tree id.
    pub tree: String,
    /// The fingerprint, 16 hex digits.
    pub fingerprint: String,
    /// The tree's `version` field, when the events carry it.
    pub version: Option<u32>,
    /// The first event seen for this version.
    pub first_event: Timestamp,
    /// The last.
    pub last_event: Timestamp,
    /// The sessions that started here, by outcome.
    pub sessions: SessionFigures,
    /// Sessions (from any tree) that passed through this version.
    pub visitors: u64,
    /// Where the sessions that started here ended: each resolution, escalation,
    /// hand-off and abandonment node, with its count (a journey may end in another
    /// tree).
    pub ends: Vec<EndCount>,
    /// Each question of this version shown to a user (or answered by the host), most
    /// shown first, whatever tree the sessions started in.
    pub questions: Vec<QuestionFigures>,
    /// User actions (answers, backs, hand-off) from the start to each outcome.
    pub steps: Outcomes,
    /// Seconds from the start to each outcome (exact up to an hour, then to the minute
    /// up to a day, then to the hour).
    pub seconds: Outcomes,
    /// Sessions that passed each node of this version, for traffic pictures.
    pub passes: Vec<NodePass>,
    /// Sessions that took each edge of this version.
    pub edges: Vec<EdgePass>,
}

impl VersionReport {
    /// The traffic over `tree` (the tree of this version: same id and fingerprint) for
    /// [`crate::analysis::export::dot_traffic`] and
    /// [`crate::analysis::export::mermaid_traffic`]. Nodes and edges the tree does not
    /// have are left out.
    pub fn traffic(&self, tree: &crate::Tree) -> Traffic {
        let index: HashMap<&str, usize> =
            tree.node_ids().enumerate().map(|(i, id)| (id, i)).collect();
        let edges = tree.edges();
        // The index of each node's first edge in `Tree::edges` order, and its count.
        let mut first = vec![(usize::MAX, 0usize); index.len()];
        for (i, e) in edges.iter().enumerate() {
            if let Some(&n) = index.get(e.from) {
                let f = &mut first[n];
                if f.0 == usize::MAX {
                    f.0 = i;
                }
                f.1 += 1;
            }
        }
        let mut traffic = Traffic {
            sessions: self.visitors,
            nodes: vec![0; index.len()],
            dropped: vec![0; index.len()],
            edges: vec![0; edges.len()],
        };
        for p in &self.passes {
            if let Some(&n) = index.get(p.node.as_str()) {
                traffic.nodes[n] = p.sessions;
            }
        }
        for q in &self.questions {
            if let Some(&n) = index.get(q.node.as_str()) {
                traffic.dropped[n] = q.dropped;
            }
        }
        for e in &self.edges {
            if let Some(&n) = index.get(e.node.as_str()) {
                let (start, count) = first[n];
                if (e.edge as usize) < count {
                    traffic.edges[start + e.edge as usize] = e.sessions;
                }
            }
        }
        traffic
    }
}

/// Sessions by outcome, and the rates over decided sessions (`None` when none is).
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct SessionFigures {
    /// Sessions started here in the range.
    pub started: u64,
    /// Neither ended nor idle for the window at the end of the data.
    pub in_progress: u64,
    /// Resolved + escalated + handed off + abandoned.
    pub decided: u64,
    /// Ended at a `Resolve` (contained).
    pub resolved: u64,
    /// Of which at a `Fixed` resolution.
    pub fixed: u64,
    /// At an `Informed` one.
    pub informed: u64,
    /// At a `Waiting` one.
    pub waiting: u64,
    /// Ended at an `Escalate`.
    pub escalated: u64,
    /// The user asked for a person.
    pub handed_off: u64,
    /// Given up: an `abandoned` event, or idle for the window.
    pub abandoned: u64,
    /// Of which without a single answer from the user (Copilot Studio would call them
    /// unengaged and leave them out of its rates).
    pub abandoned_unanswered: u64,
    /// resolved / decided.
    pub containment: Option<f64>,
    /// fixed / decided.
    pub containment_fixed: Option<f64>,
    /// informed / decided.
    pub containment_informed: Option<f64>,
    /// waiting / decided.
    pub containment_waiting: Option<f64>,
    /// escalated / decided.
    pub escalation_rate: Option<f64>,
    /// handed off / decided.
    pub handoff_rate: Option<f64>,
    /// abandoned / decided.
    pub abandonment_rate: Option<f64>,
}

/// Sessions that ended at one node, one way.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct EndCount {
    /// `resolved`, `escalated`, `handed_off` or `abandoned`.
    pub outcome: &'static str,
    /// The node's tree.
    pub tree: String,
    /// The node.
    pub node: String,
    /// For `resolved`: the resolution's kind.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resolution: Option<ResolutionKind>,
    /// How many sessions.
    pub sessions: u64,
}

/// What happened at one question. Every visit (`shown`) ends in exactly one way, so
/// `shown = answered + went_back + handed_off + dropped + in_progress + other`.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct QuestionFigures {
    /// The node.
    pub node: String,
    /// Sessions that reached it (each once, however often it was shown).
    pub sessions: u64,
    /// Times it was shown.
    pub shown: u64,
    /// Visits ended by the user's answer.
    pub answered: u64,
    /// Visits ended by going back.
    pub went_back: u64,
    /// Visits ended by the user asking for a person.
    pub handed_off: u64,
    /// Visits where the session was abandoned.
    pub dropped: u64,
    /// Visits still open at the end of the data.
    pub in_progress: u64,
    /// Visits ended otherwise (an event missing from the data).
    pub other: u64,
    /// Times the host's facts answered it without showing it.
    pub by_host: u64,
    /// The user's answers by value, most frequent first, with their share of the
    /// answers.
    pub answers: Vec<AnswerShare>,
    /// Answers beyond 32 distinct values (free input): the values kept are the first
    /// in value order (`false`, `true`, numbers by size, text alphabetically), so that
    /// counts made in parts merge exactly.
    pub other_values: u64,
}

/// One answer value and how often it was given.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct AnswerShare {
    /// The value.
    pub value: Value,
    /// How many times.
    pub count: u64,
    /// Its share of the question's answers.
    pub share: f64,
}

/// A figure per outcome.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct Outcomes {
    /// For resolved sessions.
    pub resolved: Option<Quantiles>,
    /// For escalated sessions.
    pub escalated: Option<Quantiles>,
    /// For handed-off sessions.
    pub handed_off: Option<Quantiles>,
}

/// How many, the median and the 90th percentile (nearest rank: the smallest value
/// with at least half, or 90 %, of the values at or below it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Quantiles {
    /// How many values.
    pub count: u64,
    /// The median.
    pub median: u64,
    /// The 90th percentile.
    pub p90: u64,
}

impl Quantiles {
    /// The figures as given (for comparisons in tests).
    pub fn from_parts(count: u64, median: u64, p90: u64) -> Quantiles {
        Quantiles { count, median, p90 }
    }
}

/// Sessions that passed a node.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct NodePass {
    /// The node.
    pub node: String,
    /// How many sessions.
    pub sessions: u64,
}

/// Sessions that took an edge.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct EdgePass {
    /// The node the edge leaves.
    pub node: String,
    /// Its position among the node's edges ([`crate::Tree::edges`] order).
    pub edge: u32,
    /// How many sessions.
    pub sessions: u64,
}

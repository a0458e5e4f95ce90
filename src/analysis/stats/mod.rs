//! Is the flow working? Containment, escalation, hand-offs, abandonment, drop-off per
//! question and time to an outcome, per tree version, from [`Event`]s.
//!
//! [`Stats`] reads events one at a time, in one pass, and keeps only counters per tree
//! version and node plus the sessions still active (seen within the idle window): its
//! memory grows with trees × nodes and with concurrent sessions, never with the number
//! of events. Events must come in time order (as the service writes and exports them,
//! and as a [`crate::Recorder`] produces them); a session idle for the window is
//! finished on the spot.
//!
//! Every figure is defined in `docs/ANALYTICS.md`, next to the published definitions it
//! follows (Dialogflow CX's containment, Copilot Studio's resolved / escalated /
//! abandoned) and where it differs from them. In short:
//!
//! - A **session** belongs to the tree and version (fingerprint) it started in, and to
//!   the range if its `started` event is in it. Its **outcome** is where it stands at its
//!   last event: resolved, escalated (at an `Escalate`), handed off (the user asked for
//!   a person), abandoned (an `abandoned` event, or no event for the idle window, 30
//!   minutes by default, before the end of the data), or in progress.
//! - **Containment** is resolved sessions over decided ones (resolved + escalated +
//!   handed off + abandoned), split by resolution kind.
//! - Each time a **question** is shown is a visit, and every visit ends in exactly one
//!   way: answered, went back, handed off, dropped (the session was abandoned there), or
//!   still open; so the figures of a question always add up.
//!
//! ```
//! use troubletree::analysis::stats::{Stats, StatsOptions};
//!
//! let mut stats = Stats::new(StatsOptions::default());
//! for line in [
//!     r#"{"session":"a","seq":0,"at":"2026-05-06T02:00:00Z","tree":"t","fingerprint":"f","kind":"started","node":"q"}"#,
//!     r#"{"session":"a","seq":1,"at":"2026-05-06T02:00:00Z","tree":"t","fingerprint":"f","kind":"shown","node":"q"}"#,
//!     r#"{"session":"a","seq":1,"at":"2026-05-06T02:00:20Z","tree":"t","fingerprint":"f","kind":"answered","node":"q","value":true,"origin":"user"}"#,
//!     r#"{"session":"a","seq":2,"at":"2026-05-06T02:00:20Z","tree":"t","fingerprint":"f","kind":"resolved","node":"ok","resolution":"fixed"}"#,
//! ] {
//!     stats.add_line(line)?;
//! }
//! let report = stats.finish();
//! let version = &report.versions[0];
//! assert_eq!(version.sessions.resolved, 1);
//! assert_eq!(version.sessions.containment, Some(1.0));
//! assert_eq!(version.seconds.resolved.as_ref().map(|q| q.median), Some(20));
//! # Ok::<(), troubletree::event::EventError>(())
//! ```

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use crate::analysis::export::Traffic;
use crate::event::{Actor, Event, EventError, EventKind, Passed, Timestamp};
use crate::{ResolutionKind, Value};

mod report;
mod session;

/// A map. The keys come from the events (hostile until checked), so the standard
/// library's keyed hash, which resists chosen collisions.
type Map<K, V> = HashMap<K, V>;

pub use report::{
    AnswerShare, EdgePass, EndCount, NodePass, Outcomes, Quantiles, QuestionFigures, Report,
    SessionFigures, Skipped, VersionReport,
};

/// The idle time after which a session counts as abandoned: 30 minutes, as Copilot
/// Studio's sessions time out.
pub const DEFAULT_IDLE_MS: i64 = 30 * 60 * 1000;

/// At most this many distinct answer values are counted per question; the rest (free
/// input: amounts, order numbers) are counted together as other values, so that memory
/// does not grow with the sessions.
const MAX_VALUES: usize = 32;

/// A session's list of nodes and edges passed is deduplicated beyond this length.
const MAX_MARKS: usize = 256;

/// How often (in events) sessions idle for the window are finished.
const SWEEP_EVERY: u64 = 1 << 16;

/// What to count.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct StatsOptions {
    /// Only sessions that started at or after this instant.
    pub since: Option<Timestamp>,
    /// Only sessions that started before this instant; events from this instant on are
    /// ignored, so figures are as they stood then.
    pub until: Option<Timestamp>,
    /// Milliseconds without an event after which an unfinished session is abandoned.
    pub idle_ms: i64,
}

impl Default for StatsOptions {
    fn default() -> Self {
        StatsOptions {
            since: None,
            until: None,
            idle_ms: DEFAULT_IDLE_MS,
        }
    }
}

impl StatsOptions {
    /// Only sessions started in `[since, until)` (either bound may be open).
    #[must_use]
    pub fn range(mut self, since: Option<Timestamp>, until: Option<Timestamp>) -> Self {
        self.since = since;
        self.until = until;
        self
    }

    /// The idle time after which a session is abandoned, in milliseconds.
    #[must_use]
    pub fn idle_ms(mut self, ms: i64) -> Self {
        self.idle_ms = ms.max(1);
        self
    }
}

/// A streaming count of events into the figures of a [`Report`].
#[derive(Debug)]
pub struct Stats {
    options: StatsOptions,
    acc: Acc,
    /// Active sessions: their slot in `slots`.
    live: Map<Box<str>, usize>,
    slots: Vec<Live>,
    free: Vec<usize>,
    watermark: Option<i64>,
    since_sweep: u64,
}

/// The counters: per version and node, and what was not counted.
#[derive(Debug)]
struct Acc {
    idle_ms: i64,
    /// Versions by fingerprint (several only if trees share one, which a hostile file
    /// may claim).
    by_fingerprint: Map<Box<str>, Vec<u32>>,
    versions: Vec<VersionAcc>,
    events: u64,
    skipped: Skipped,
}

/// A node of a version: (version, node) indices.
type NodeRef = (u32, u32);

/// Sessions in progress: where each stands, and what it passed.
#[derive(Debug, Default)]
struct Live {
    entry: u32,
    started: i64,
    last: i64,
    steps: u32,
    given: u32,
    stop: Option<NodeRef>,
    visit_open: bool,
    outcome: Outcome,
    end: Option<End>,
    abandoned: bool,
    /// Nodes passed (`edge` = `u32::MAX`) and edges taken: (version, node, edge).
    marks: Vec<(u32, u32, u32)>,
    /// The version of the session's last event: most events are in the same one.
    recent: u32,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum Outcome {
    #[default]
    Open,
    Resolved(ResolutionKind),
    Escalated,
    HandedOff,
}

#[derive(Debug, Clone, Copy)]
struct End {
    node: NodeRef,
    at: i64,
    steps: u32,
}

/// How a visit to a question ended.
#[derive(Debug, Clone, Copy)]
enum Close {
    Answered,
    Back,
    Handoff,
    Dropped,
    Open,
    Other,
}

#[derive(Debug)]
struct VersionAcc {
    tree: Box<str>,
    fingerprint: Box<str>,
    version: Option<u32>,
    first: i64,
    last: i64,
    nodes: Map<Box<str>, u32>,
    names: Vec<Box<str>>,
    node_accs: Vec<NodeAcc>,
    started: u64,
    visitors: u64,
    in_progress: u64,
    resolved: [u64; 3],
    escalated: u64,
    handed_off: u64,
    abandoned: u64,
    unengaged: u64,
    /// Sessions that entered here, by how and where they ended.
    ends: BTreeMap<(u8, NodeRef, u8), u64>,
    steps: [Histogram; 3],
    seconds: [Histogram; 3],
}

#[derive(Debug, Default)]
struct NodeAcc {
    sessions: u64,
    shown: u64,
    answered: u64,
    back: u64,
    handoff: u64,
    dropped: u64,
    open: u64,
    other: u64,
    host: u64,
    answers: Vec<(Value, u64)>,
    other_values: u64,
    edges: Vec<u64>,
}

impl NodeAcc {
    /// Counts `n` answers of `value`. Beyond [`MAX_VALUES`] distinct values, the first
    /// ones in value order are kept (`false` < `true` < numbers by size < text), the
    /// others counted together: the same values whatever order the answers come in, so
    /// that counts made in parts merge exactly.
    fn count_answer(&mut self, value: &Value, n: u64) {
        if let Some((_, count)) = self.answers.iter_mut().find(|(v, _)| v == value) {
            *count += n;
            return;
        }
        if self.answers.len() < MAX_VALUES {
            self.answers.push((value.clone(), n));
            return;
        }
        let last = self
            .answers
            .iter()
            .enumerate()
            .max_by(|a, b| value_order(&(a.1).0, &(b.1).0))
            .map(|(i, _)| i);
        match last {
            Some(i) if value_order(value, &self.answers[i].0).is_lt() => {
                self.other_values += self.answers[i].1;
                self.answers[i] = (value.clone(), n);
            }
            _ => self.other_values += n,
        }
    }

    fn merge(&mut self, other: NodeAcc) {
        self.sessions += other.sessions;
        self.shown += other.shown;
        self.answered += other.answered;
        self.back += other.back;
        self.handoff += other.handoff;
        self.dropped += other.dropped;
        self.open += other.open;
        self.other += other.other;
        self.host += other.host;
        self.other_values += other.other_values;
        for (value, n) in &other.answers {
            self.count_answer(value, *n);
        }
        if self.edges.len() < other.edges.len() {
            self.edges.resize(other.edges.len(), 0);
        }
        for (mine, theirs) in self.edges.iter_mut().zip(&other.edges) {
            *mine += theirs;
        }
    }
}

/// A total order on values: `false` < `true` < numbers by size < text.
fn value_order(a: &Value, b: &Value) -> std::cmp::Ordering {
    let rank = |v: &Value| match v {
        Value::Bool(_) => 0,
        Value::Number(_) => 1,
        Value::Text(_) => 2,
    };
    match (a, b) {
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        (Value::Number(x), Value::Number(y)) => x.total_cmp(y),
        (Value::Text(x), Value::Text(y)) => x.cmp(y),
        _ => rank(a).cmp(&rank(b)),
    }
}

/// Exact counts of whole values (steps, seconds in buckets).
#[derive(Debug, Default)]
struct Histogram(BTreeMap<u64, u64>);

impl Histogram {
    fn add(&mut self, v: u64) {
        *self.0.entry(v).or_insert(0) += 1;
    }

    fn merge(&mut self, other: &Histogram) {
        for (&v, &n) in &other.0 {
            *self.0.entry(v).or_insert(0) += n;
        }
    }

    /// Count, median and 90th percentile by nearest rank.
    fn quantiles(&self) -> Option<Quantiles> {
        let count: u64 = self.0.values().sum();
        if count == 0 {
            return None;
        }
        let rank = |p: u64| {
            // The smallest value with at least p % of the values at or below it.
            let need = (count * p).div_ceil(100).max(1);
            let mut seen = 0;
            for (&v, &n) in &self.0 {
                seen += n;
                if seen >= need {
                    return v;
                }
            }
            0
        };
        Some(Quantiles {
            count,
            median: rank(50),
            p90: rank(90),
        })
    }
}

/// Seconds kept exactly up to an hour, then to the minute up to a day, then to the hour:
/// the histogram's size stays bounded.
fn seconds_bucket(ms: i64) -> u64 {
    let s = u64::try_from(ms.max(0) / 1000).unwrap_or(0);
    match s {
        0..3_600 => s,
        3_600..86_400 => s / 60 * 60,
        _ => s / 3_600 * 3_600,
    }
}

impl Stats {
    /// An empty count.
    pub fn new(options: StatsOptions) -> Stats {
        Stats {
            acc: Acc {
                idle_ms: options.idle_ms,
                by_fingerprint: Map::default(),
                versions: Vec::new(),
                events: 0,
                skipped: Skipped::default(),
            },
            options,
            live: Map::default(),
            slots: Vec::new(),
            free: Vec::new(),
            watermark: None,
            since_sweep: 0,
        }
    }

    /// Reads one line of JSON Lines and counts its event. A blank line is skipped.
    ///
    /// # Errors
    ///
    /// The line is not an event; it is counted as unreadable and nothing else changes.
    pub fn add_line(&mut self, line: &str) -> Result<(), EventError> {
        if line.trim().is_empty() {
            return Ok(());
        }
        match Event::parse(line) {
            Ok(event) => {
                self.add(&event);
                Ok(())
            }
            Err(e) => {
                self.acc.skipped.unreadable += 1;
                Err(e)
            }
        }
    }

    /// Counts a line that could not be read at all (not UTF-8, too long): the caller
    /// read it and refused it.
    pub fn count_unreadable(&mut self) {
        self.acc.skipped.unreadable += 1;
    }

    /// Counts one event.
    pub fn add(&mut self, e: &Event<'_>) {
        let at = e.at.unix_ms();
        if self.options.until.is_some_and(|u| at >= u.unix_ms()) {
            self.acc.skipped.after_range += 1;
            return;
        }
        if self.options.since.is_some_and(|s| at < s.unix_ms()) {
            self.acc.skipped.before_range += 1;
            return;
        }
        match self.watermark {
            Some(w) if at + self.options.idle_ms < w => self.acc.skipped.late += 1,
            Some(w) if at <= w => {}
            _ => self.watermark = Some(at),
        }
        self.since_sweep += 1;
        if self.since_sweep >= SWEEP_EVERY {
            self.since_sweep = 0;
            self.sweep();
        }
        if e.kind == EventKind::Started {
            let entry = self.acc.version(&e.tree, &e.fingerprint, e.version, at);
            let start = self.acc.node(entry, &e.node);
            let live = Live {
                entry,
                started: at,
                last: at,
                steps: 0,
                given: 0,
                stop: None,
                visit_open: false,
                outcome: Outcome::Open,
                end: None,
                abandoned: false,
                marks: vec![(entry, start, u32::MAX)],
                recent: entry,
            };
            if let Some(&slot) = self.live.get(e.session.as_ref()) {
                self.acc.skipped.restarted += 1;
                let old = std::mem::replace(&mut self.slots[slot], live);
                let end = self.watermark.unwrap_or(at);
                self.acc.finish_session(old, end);
            } else {
                let slot = self.slot(live);
                self.live.insert(e.session.as_ref().into(), slot);
            }
            self.acc.events += 1;
            return;
        }
        let Some(&slot) = self.live.get(e.session.as_ref()) else {
            if e.kind != EventKind::Abandoned {
                self.acc.skipped.orphans += 1;
            }
            return;
        };
        if at - self.slots[slot].last >= self.options.idle_ms {
            // Back after the idle window: the session was abandoned (or ended) then,
            // whether or not a sweep has finished it yet; this event comes too late.
            let live = std::mem::take(&mut self.slots[slot]);
            self.live.remove(e.session.as_ref());
            self.free.push(slot);
            self.acc.finish_session(live, at);
            if e.kind != EventKind::Abandoned {
                self.acc.skipped.orphans += 1;
            }
            return;
        }
        let live = &mut self.slots[slot];
        let acc = &mut self.acc;
        // Most events are in the session's last version, many at the node it stands
        // at: compared first, looked up only when different.
        let recent = &acc.versions[live.recent as usize];
        let ver = if *recent.fingerprint == *e.fingerprint && *recent.tree == *e.tree {
            let v = &mut acc.versions[live.recent as usize];
            v.first = v.first.min(at);
            v.last = v.last.max(at);
            live.recent
        } else {
            acc.version(&e.tree, &e.fingerprint, e.version, at)
        };
        let node = match live.stop {
            Some((v, n)) if v == ver && *acc.versions[v as usize].names[n as usize] == *e.node => n,
            _ => acc.node(ver, &e.node),
        };
        live.recent = ver;
        acc.step(live, e, (ver, node), at);
    }

    /// Adds the counts of `other` to these: for counting in parallel, split the events
    /// by session (every event of a session in the same part, in order), count each part
    /// with its own `Stats`, merge them, and [`Stats::finish`] once. The figures are
    /// the ones one `Stats` would give over all the events (a session idle for the
    /// window is found idle in its own part as in the whole).
    ///
    /// ```
    /// use troubletree::analysis::stats::{Stats, StatsOptions};
    /// let lines = [
    ///     r#"{"session":"a","seq":0,"at":"2026-05-06T02:00:00Z","tree":"t","fingerprint":"f","kind":"started","node":"q"}"#,
    ///     r#"{"session":"b","seq":0,"at":"2026-05-06T02:00:01Z","tree":"t","fingerprint":"f","kind":"started","node":"q"}"#,
    ///     r#"{"session":"a","seq":1,"at":"2026-05-06T02:00:09Z","tree":"t","fingerprint":"f","kind":"resolved","node":"ok"}"#,
    /// ];
    /// let (mut one, mut other) = (Stats::new(StatsOptions::default()), Stats::new(StatsOptions::default()));
    /// for line in lines {
    ///     let part = if line.contains(r#""session":"a""#) { &mut one } else { &mut other };
    ///     part.add_line(line)?;
    /// }
    /// one.merge(other);
    /// let report = one.finish();
    /// assert_eq!(report.versions[0].sessions.started, 2);
    /// assert_eq!(report.versions[0].sessions.resolved, 1);
    /// # Ok::<(), troubletree::event::EventError>(())
    /// ```
    pub fn merge(&mut self, other: Stats) {
        let Stats {
            acc: theirs,
            live,
            mut slots,
            watermark,
            ..
        } = other;
        // Their version and node indices, in ours.
        let mut versions: Vec<u32> = Vec::with_capacity(theirs.versions.len());
        let mut nodes: Vec<Vec<u32>> = Vec::with_capacity(theirs.versions.len());
        for v in &theirs.versions {
            let ix = self
                .acc
                .version(&v.tree, &v.fingerprint, v.version, v.first);
            let ours = &mut self.acc.versions[ix as usize];
            ours.last = ours.last.max(v.last);
            versions.push(ix);
            nodes.push(v.names.iter().map(|n| self.acc.node(ix, n)).collect());
        }
        let map =
            |(ver, node): NodeRef| (versions[ver as usize], nodes[ver as usize][node as usize]);
        for (i, v) in theirs.versions.into_iter().enumerate() {
            let ours = &mut self.acc.versions[versions[i] as usize];
            ours.started += v.started;
            ours.visitors += v.visitors;
            ours.in_progress += v.in_progress;
            for k in 0..3 {
                ours.resolved[k] += v.resolved[k];
                ours.steps[k].merge(&v.steps[k]);
                ours.seconds[k].merge(&v.seconds[k]);
            }
            ours.escalated += v.escalated;
            ours.handed_off += v.handed_off;
            ours.abandoned += v.abandoned;
            ours.unengaged += v.unengaged;
            for ((how, at, kind), n) in v.ends {
                *ours.ends.entry((how, map(at), kind)).or_insert(0) += n;
            }
            for (j, acc) in v.node_accs.into_iter().enumerate() {
                let (ver, node) = map((
                    u32::try_from(i).unwrap_or(u32::MAX),
                    u32::try_from(j).unwrap_or(u32::MAX),
                ));
                let mine = &mut self.acc.versions[ver as usize].node_accs[node as usize];
                mine.merge(acc);
            }
        }
        self.acc.events += theirs.events;
        self.acc.skipped.add(&theirs.skipped);
        self.watermark = self.watermark.max(watermark);
        let mut moved: Vec<(Box<str>, Live)> = live
            .into_iter()
            .map(|(id, slot)| (id, std::mem::take(&mut slots[slot])))
            .collect();
        moved.sort_by_key(|(_, l)| l.started);
        for (id, mut l) in moved {
            l.entry = versions[l.entry as usize];
            l.recent = versions[l.recent as usize];
            l.stop = l.stop.map(map);
            if let Some(end) = &mut l.end {
                end.node = map(end.node);
            }
            for mark in &mut l.marks {
                let (ver, node) = map((mark.0, mark.1));
                *mark = (ver, node, mark.2);
            }
            if let Some(&slot) = self.live.get(&id) {
                // The same id in both parts: the parts were not split by session.
                self.acc.skipped.restarted += 1;
                let old = std::mem::replace(&mut self.slots[slot], l);
                let end = self.watermark.unwrap_or(old.last);
                self.acc.finish_session(old, end);
            } else {
                let slot = self.slot(l);
                self.live.insert(id, slot);
            }
        }
    }

    fn slot(&mut self, live: Live) -> usize {
        match self.free.pop() {
            Some(slot) => {
                self.slots[slot] = live;
                slot
            }
            None => {
                self.slots.push(live);
                self.slots.len() - 1
            }
        }
    }

    /// The counts so far, with every session still in progress counted as it stands
    /// at the end of the data (`until`, else the last event).
    pub fn finish(mut self) -> Report {
        let end = self
            .options
            .until
            .map(Timestamp::unix_ms)
            .or(self.watermark);
        let index = std::mem::take(&mut self.live);
        let mut slots = std::mem::take(&mut self.slots);
        let mut live: Vec<Live> = index
            .into_values()
            .map(|slot| std::mem::take(&mut slots[slot]))
            .collect();
        live.sort_by_key(|l| l.started);
        for session in live {
            let end = end.unwrap_or(session.last);
            self.acc.finish_session(session, end);
        }
        self.report(end.map(Timestamp::from_unix_ms))
    }

    /// Finishes the sessions idle for the window.
    fn sweep(&mut self) {
        let Some(now) = self.watermark else {
            return;
        };
        let idle = self.options.idle_ms;
        let slots = &self.slots;
        let mut done: Vec<usize> = Vec::new();
        self.live.retain(|_, &mut slot| {
            let idle = now - slots[slot].last >= idle;
            if idle {
                done.push(slot);
            }
            !idle
        });
        // In start order, so that the figures do not depend on the map's order.
        done.sort_by_key(|&slot| self.slots[slot].started);
        for slot in done {
            let live = std::mem::take(&mut self.slots[slot]);
            self.free.push(slot);
            self.acc.finish_session(live, now);
        }
    }

    fn report(self, end: Option<Timestamp>) -> Report {
        let mut order: Vec<usize> = (0..self.acc.versions.len()).collect();
        order.sort_by(|&a, &b| {
            let (x, y) = (&self.acc.versions[a], &self.acc.versions[b]);
            (&x.tree, x.first, &x.fingerprint).cmp(&(&y.tree, y.first, &y.fingerprint))
        });
        let names: Vec<Vec<&str>> = self
            .acc
            .versions
            .iter()
            .map(|v| v.names.iter().map(|n| &**n).collect())
            .collect();
        let place = |(ver, node): NodeRef| {
            let v = &self.acc.versions[ver as usize];
            (
                v.tree.to_string(),
                names[ver as usize][node as usize].to_owned(),
            )
        };
        let versions = order
            .into_iter()
            .map(|i| {
                let v = &self.acc.versions[i];
                let resolved: u64 = v.resolved.iter().sum();
                let decided = resolved + v.escalated + v.handed_off + v.abandoned;
                let rate = |n: u64| (decided > 0).then(|| n as f64 / decided as f64);
                let mut ends: Vec<EndCount> = v
                    .ends
                    .iter()
                    .map(|(&(how, at, kind), &sessions)| {
                        let (tree, node) = place(at);
                        EndCount {
                            outcome: ["resolved", "escalated", "handed_off", "abandoned"]
                                [how as usize],
                            tree,
                            node,
                            resolution: (how == 0).then_some(match kind {
                                1 => ResolutionKind::Informed,
                                2 => ResolutionKind::Waiting,
                                _ => ResolutionKind::Fixed,
                            }),
                            sessions,
                        }
                    })
                    .collect();
                ends.sort_by(|a, b| {
                    (a.outcome, std::cmp::Reverse(a.sessions), &a.tree, &a.node).cmp(&(
                        b.outcome,
                        std::cmp::Reverse(b.sessions),
                        &b.tree,
                        &b.node,
                    ))
                });
                let mut questions = Vec::new();
                let mut passes = Vec::new();
                let mut edges = Vec::new();
                for (ix, acc) in v.node_accs.iter().enumerate() {
                    let node = names[i][ix].to_owned();
                    if acc.sessions > 0 {
                        passes.push(NodePass {
                            node: node.clone(),
                            sessions: acc.sessions,
                        });
                    }
                    for (edge, &sessions) in acc.edges.iter().enumerate() {
                        if sessions > 0 {
                            edges.push(EdgePass {
                                node: node.clone(),
                                edge: u32::try_from(edge).unwrap_or(u32::MAX),
                                sessions,
                            });
                        }
                    }
                    if acc.shown == 0 && acc.host == 0 {
                        continue;
                    }
                    let counted: u64 =
                        acc.answers.iter().map(|(_, n)| n).sum::<u64>() + acc.other_values;
                    let mut answers: Vec<AnswerShare> = acc
                        .answers
                        .iter()
                        .map(|(value, count)| AnswerShare {
                            value: value.clone(),
                            count: *count,
                            share: *count as f64 / counted.max(1) as f64,
                        })
                        .collect();
                    answers.sort_by(|a, b| {
                        b.count
                            .cmp(&a.count)
                            .then_with(|| value_order(&a.value, &b.value))
                    });
                    questions.push(QuestionFigures {
                        node,
                        sessions: acc.sessions,
                        shown: acc.shown,
                        answered: acc.answered,
                        went_back: acc.back,
                        handed_off: acc.handoff,
                        dropped: acc.dropped,
                        in_progress: acc.open,
                        other: acc.other,
                        by_host: acc.host,
                        answers,
                        other_values: acc.other_values,
                    });
                }
                questions.sort_by(|a, b| b.shown.cmp(&a.shown).then(a.node.cmp(&b.node)));
                passes.sort_by(|a, b| a.node.cmp(&b.node));
                edges.sort_by(|a, b| (&a.node, a.edge).cmp(&(&b.node, b.edge)));
                let three = |h: &[Histogram; 3]| Outcomes {
                    resolved: h[0].quantiles(),
                    escalated: h[1].quantiles(),
                    handed_off: h[2].quantiles(),
                };
                VersionReport {
                    tree: v.tree.to_string(),
                    fingerprint: v.fingerprint.to_string(),
                    version: v.version,
                    first_event: Timestamp::from_unix_ms(v.first),
                    last_event: Timestamp::from_unix_ms(v.last),
                    sessions: SessionFigures {
                        started: v.started,
                        in_progress: v.in_progress,
                        decided,
                        resolved,
                        fixed: v.resolved[0],
                        informed: v.resolved[1],
                        waiting: v.resolved[2],
                        escalated: v.escalated,
                        handed_off: v.handed_off,
                        abandoned: v.abandoned,
                        abandoned_unanswered: v.unengaged,
                        containment: rate(resolved),
                        containment_fixed: rate(v.resolved[0]),
                        containment_informed: rate(v.resolved[1]),
                        containment_waiting: rate(v.resolved[2]),
                        escalation_rate: rate(v.escalated),
                        handoff_rate: rate(v.handed_off),
                        abandonment_rate: rate(v.abandoned),
                    },
                    visitors: v.visitors,
                    ends,
                    questions,
                    steps: three(&v.steps),
                    seconds: three(&v.seconds),
                    passes,
                    edges,
                }
            })
            .collect();
        Report {
            since: self.options.since,
            until: self.options.until,
            end,
            idle_minutes: u64::try_from(self.options.idle_ms / 60_000).unwrap_or(0),
            events: self.acc.events,
            skipped: self.acc.skipped,
            versions,
        }
    }
}

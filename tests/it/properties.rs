//! Property tests for the whole pipeline.
//!
//! 1. Generated valid trees check clean: a tree and no finding at all.
//! 2. Random walks over them end at a `Resolve` or `Escalate` within a bound computed
//!    from the tree, along its edges, never passing a limited node more often than its
//!    limit allows.
//! 3. One mutation of a valid tree is reported with the right code, node and position.
//! 4. Neither arbitrary bytes nor damaged trees make the loader panic, and every finding
//!    points into the file.
//! 5. Arbitrary answers never panic a session, and a refused answer leaves it unchanged
//!    (an accepted one is undone exactly by `back`).
//! 6. On trees with back-edges and limits anywhere, the validator agrees with a
//!    brute-force model of the walker: an accepted tree has no endless walk, and an E010
//!    tree has one from some state.
//! 7. A save resumes exactly on its tree, replays onto a retitled tree, and is refused or
//!    continued consistently on another tree or after tampering.
//!
//! Trees are built from a *tape* of random numbers ([`Tape`]) into a small description
//! ([`Spec`]) that renders to RON with one node per line, so that a finding's line can be
//! asserted exactly. Shrinking the tape towards zeros (and towards a shorter tape) shrinks
//! the tree towards its simplest shape: a chain of `Act` nodes ending in a `Resolve`.

use std::collections::BTreeMap;
use std::fmt;

use proptest::collection::vec;
use proptest::prelude::*;
use troubletree::{
    AnswerKind, Code, Loader, Report, Resume, Resumed, Session, Severity, Step, Tree, Value,
};

/// The name every generated tree is checked under.
const FILE: &str = "gen.ron";

/// An id no generated node has.
const MISSING: &str = "nowhere";

/// `cases` per property, unless `PROPTEST_CASES` asks for another number (for a long
/// hunt: `PROPTEST_CASES=20000 cargo test --test properties`).
fn config(cases: u32) -> ProptestConfig {
    let default = ProptestConfig::default();
    let cases = if std::env::var_os("PROPTEST_CASES").is_some() {
        default.cases
    } else {
        cases
    };
    // Two properties skip trees without the feature they mutate (about one in five).
    ProptestConfig {
        cases,
        max_global_rejects: cases.saturating_mul(2),
        failure_persistence: None,
        ..default
    }
}

// ------------------------------------------------------------------------------ tape

/// Random choices for the builder, read in order. Past its end every choice is 0, and 0
/// is always the simplest option, so proptest's shrinking simplifies the tree.
struct Tape<'a> {
    data: &'a [u32],
    at: usize,
}

impl<'a> Tape<'a> {
    fn new(data: &'a [u32]) -> Self {
        Tape { data, at: 0 }
    }

    /// A number in `0..n` (`n > 0`).
    fn pick(&mut self, n: usize) -> usize {
        let raw = self.data.get(self.at).copied().unwrap_or(0);
        self.at += 1;
        usize::try_from(raw).unwrap_or(0) % n
    }

    /// True with about `percent` % probability; false on a zero tape.
    fn chance(&mut self, percent: usize) -> bool {
        self.pick(100) >= 100 - percent
    }

    fn choose<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.pick(items.len())]
    }
}

fn tape(len: std::ops::Range<usize>) -> impl Strategy<Value = Vec<u32>> {
    vec(any::<u32>(), len)
}

// ----------------------------------------------------------------------- description

const BOOL_FACTS: [&str; 2] = ["money_debited", "network_ok"];
const NUMBER_FACT: &str = "hours_since_debit";
const TEXT_FACT: &str = "order_note";
const CHOICE_FACT: &str = "pay_method";
const CHOICES: [&str; 3] = ["bank_card", "balance", "credit"];
const ANSWER_VALUES: [&str; 4] = ["yes", "no", "not_sure", "later"];
const NUMBERS: [f64; 6] = [0.0, 2.5, 24.0, 48.0, -1.0, 100.0];
const TEXTS: [&str; 3] = ["", "refund", "订单 42"];
const PRIORITIES: [&str; 4] = ["Low", "Normal", "High", "Urgent"];
const CHANNELS: [&str; 4] = ["Hotline", "InApp", "Chat", "Email"];

/// Bilingual phrases, some with characters that must be escaped in RON.
const PHRASES: [(&str, &str); 6] = [
    ("请检查网络连接", "Check your network connection"),
    ("换一张银行卡再试", "Try another bank card"),
    (
        "页面提示\"系统繁忙\"吗？",
        "Does the page say \"system busy\"?",
    ),
    ("请等待 48 小时", "Please wait 48 hours"),
    ("联系客服：9:00–21:00", "Contact support: 09:00–21:00"),
    ("日志在 C:\\钱包\\log", "Logs are in C:\\wallet\\log"),
];

#[derive(Debug, Clone)]
struct Text {
    zh: String,
    en: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
enum Val {
    Bool(bool),
    Num(f64),
    Str(String),
}

#[derive(Debug, Clone)]
enum Cond {
    /// `Eq`, `Ne`, `Lt`, `Le`, `Gt` or `Ge`.
    Cmp(&'static str, &'static str, Val),
    In(&'static str, Vec<Val>),
    Known(&'static str),
    All(Vec<Cond>),
    Any(Vec<Cond>),
    Not(Box<Cond>),
}

#[derive(Debug, Clone)]
struct AnswerSpec {
    value: Val,
    text: Text,
    next: String,
}

#[derive(Debug, Clone)]
enum Kind {
    /// An `Ask` with offered answers, on a Bool or Choice fact or on none.
    Ask {
        text: Text,
        fact: Option<&'static str>,
        answers: Vec<AnswerSpec>,
    },
    /// An `Ask` on a Number or Text fact: free input, one `next`.
    Input {
        text: Text,
        fact: &'static str,
        next: String,
    },
    Act {
        text: Text,
        next: String,
        solved: Option<String>,
    },
    Decide {
        rules: Vec<(Cond, String)>,
        otherwise: String,
    },
    Resolve {
        text: Text,
    },
    Escalate {
        reason: Text,
        priority: Option<&'static str>,
        channel: Option<&'static str>,
        prepare: Vec<Text>,
    },
}

#[derive(Debug, Clone)]
struct Limit {
    times: u32,
    then: String,
}

#[derive(Debug, Clone)]
struct NodeSpec {
    id: String,
    kind: Kind,
    limit: Option<Limit>,
}

#[derive(Debug, Clone)]
enum FactTy {
    Bool,
    Number,
    Text,
    Choice,
}

#[derive(Debug, Clone)]
struct FactSpec {
    name: &'static str,
    ty: FactTy,
    ask: Option<Text>,
    labels: Vec<(&'static str, Text)>,
}

/// A whole tree. Its `Debug` is the rendered RON, which is what one wants to read when a
/// property fails.
#[derive(Clone)]
struct Spec {
    title: Text,
    facts: Vec<FactSpec>,
    start: String,
    nodes: Vec<NodeSpec>,
}

impl fmt::Debug for Spec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\n{}", self.render().text)
    }
}

impl NodeSpec {
    /// The nodes this one leads to, in file order (not counting its limit's `then`).
    fn successors(&self) -> Vec<&str> {
        match &self.kind {
            Kind::Ask { answers, .. } => answers.iter().map(|a| a.next.as_str()).collect(),
            Kind::Input { next, .. } => vec![next],
            Kind::Act { next, solved, .. } => std::iter::once(next)
                .chain(solved)
                .map(String::as_str)
                .collect(),
            Kind::Decide { rules, otherwise } => rules
                .iter()
                .map(|r| &r.1)
                .chain(std::iter::once(otherwise))
                .map(String::as_str)
                .collect(),
            Kind::Resolve { .. } | Kind::Escalate { .. } => Vec::new(),
        }
    }

    /// Every id this node names: its successors, then its limit's `then`.
    fn references(&self) -> Vec<&str> {
        let mut out = self.successors();
        out.extend(self.limit.as_ref().map(|l| l.then.as_str()));
        out
    }

    fn references_mut(&mut self) -> Vec<&mut String> {
        let mut out: Vec<&mut String> = match &mut self.kind {
            Kind::Ask { answers, .. } => answers.iter_mut().map(|a| &mut a.next).collect(),
            Kind::Input { next, .. } => vec![next],
            Kind::Act { next, solved, .. } => {
                std::iter::once(next).chain(solved.as_mut()).collect()
            }
            Kind::Decide { rules, otherwise } => rules
                .iter_mut()
                .map(|r| &mut r.1)
                .chain(std::iter::once(otherwise))
                .collect(),
            Kind::Resolve { .. } | Kind::Escalate { .. } => Vec::new(),
        };
        out.extend(self.limit.as_mut().map(|l| &mut l.then));
        out
    }

    fn texts_mut(&mut self) -> Vec<&mut Text> {
        match &mut self.kind {
            Kind::Ask { text, answers, .. } => std::iter::once(text)
                .chain(answers.iter_mut().map(|a| &mut a.text))
                .collect(),
            Kind::Input { text, .. } | Kind::Act { text, .. } | Kind::Resolve { text } => {
                vec![text]
            }
            Kind::Escalate {
                reason, prepare, ..
            } => std::iter::once(reason).chain(prepare.iter_mut()).collect(),
            Kind::Decide { .. } => Vec::new(),
        }
    }

    /// Values compared with or stored in a Bool fact: the answers of a Bool question and
    /// the `Eq`/`Ne` leaves of a `Decide` on a Bool fact.
    fn bool_values_mut(&mut self) -> Vec<&mut Val> {
        fn leaves<'c>(cond: &'c mut Cond, out: &mut Vec<&'c mut Val>) {
            match cond {
                Cond::Cmp(op, fact, value) => {
                    out.extend(
                        (matches!(*op, "Eq" | "Ne") && BOOL_FACTS.contains(fact)).then_some(value),
                    );
                }
                Cond::All(list) | Cond::Any(list) => list.iter_mut().for_each(|c| leaves(c, out)),
                Cond::Not(inner) => leaves(inner, out),
                _ => {}
            }
        }
        let mut out = Vec::new();
        match &mut self.kind {
            Kind::Ask {
                fact: Some(fact),
                answers,
                ..
            } if BOOL_FACTS.contains(fact) => {
                out.extend(answers.iter_mut().map(|a| &mut a.value));
            }
            Kind::Decide { rules, .. } => rules.iter_mut().for_each(|r| leaves(&mut r.0, &mut out)),
            _ => {}
        }
        out
    }
}

impl Spec {
    fn index(&self, id: &str) -> usize {
        self.nodes
            .iter()
            .position(|n| n.id == id)
            .unwrap_or_else(|| panic!("no node {id}"))
    }

    /// Facts some `Decide` compares (`Known` only tests, it never asks).
    fn compared_facts(&self) -> Vec<&'static str> {
        fn walk(cond: &Cond, out: &mut Vec<&'static str>) {
            match cond {
                Cond::Cmp(_, fact, _) | Cond::In(fact, _) => out.push(fact),
                Cond::Known(_) => {}
                Cond::All(list) | Cond::Any(list) => list.iter().for_each(|c| walk(c, out)),
                Cond::Not(inner) => walk(inner, out),
            }
        }
        let mut out = Vec::new();
        for node in &self.nodes {
            if let Kind::Decide { rules, .. } = &node.kind {
                rules.iter().for_each(|(cond, _)| walk(cond, &mut out));
            }
        }
        out
    }

    fn limit_of(&self, i: usize) -> Option<&Limit> {
        self.nodes[i].limit.as_ref()
    }

    /// The most moves any walk can make: between two counted arrivals at limited nodes a
    /// walk only moves forward through unlimited nodes (back-edges target limited nodes
    /// only), so at most `n` moves; and there are at most `sum of times` counted arrivals.
    fn step_bound(&self) -> usize {
        let passes: u32 = self
            .nodes
            .iter()
            .filter_map(|n| n.limit.as_ref())
            .map(|l| l.times)
            .sum();
        (passes as usize + 1) * self.nodes.len()
    }

    /// Edges `p → x` with `x ≤ p` (always to a limited node in a generated tree).
    fn back_edges(&self) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        for (p, node) in self.nodes.iter().enumerate() {
            for s in node.successors() {
                let x = self.index(s);
                if x <= p {
                    out.push((p, x));
                }
            }
        }
        out
    }

    /// Whether, with its limit removed, node `x` would sit on a loop nothing bounds: some
    /// back-edge `p → x` where `x` reaches `p` moving forward through unlimited nodes
    /// (an arrival at a limited node counts, so a path through one is bounded).
    fn loop_needs_limit(&self, x: usize) -> bool {
        let mut reach = vec![false; self.nodes.len()];
        reach[x] = true;
        for v in x..self.nodes.len() {
            if !reach[v] {
                continue;
            }
            for s in self.nodes[v].successors() {
                let w = self.index(s);
                if w > v && self.limit_of(w).is_none() {
                    reach[w] = true;
                }
            }
        }
        self.back_edges().iter().any(|&(p, to)| to == x && reach[p])
    }
}

/// Where walks can start: the tree's start, or any node with any pass counts (what the
/// validator assumes: it reasons on the graph, not on reachable states).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Roots {
    Start,
    Anywhere,
}

/// The walker's moves with every successor possible (answers and facts abstracted
/// away): the longest number of moves a walk can make, or `None` when some walk can go on
/// for ever (a state repeats). A state is the node and the pass count of every limited
/// node; arriving at an exhausted node follows its `then`, as `Session` does.
fn longest_walk(spec: &Spec, from: Roots) -> Option<usize> {
    type State = (usize, Vec<u32>);
    let n = spec.nodes.len();
    let successors: Vec<Vec<usize>> = spec
        .nodes
        .iter()
        .map(|node| node.successors().iter().map(|s| spec.index(s)).collect())
        .collect();
    let limited: Vec<usize> = (0..n).filter(|&i| spec.limit_of(i).is_some()).collect();
    let slot = |i: usize| limited.iter().position(|&l| l == i);
    // `None`: exhausted limits send the arrival round in a circle; it never settles.
    let enter = |mut target: usize, mut visits: Vec<u32>| -> Option<State> {
        let mut redirected = Vec::new();
        loop {
            match (spec.limit_of(target), slot(target)) {
                (Some(limit), Some(k)) if visits[k] >= limit.times => {
                    if redirected.contains(&target) {
                        return None;
                    }
                    redirected.push(target);
                    target = spec.index(&limit.then);
                }
                (Some(_), Some(k)) => {
                    visits[k] += 1;
                    return Some((target, visits));
                }
                _ => return Some((target, visits)),
            }
        }
    };
    let next = |(at, visits): &State| -> Option<Vec<State>> {
        successors[*at]
            .iter()
            .map(|&s| enter(s, visits.clone()))
            .collect()
    };
    let roots: Vec<State> = match from {
        Roots::Start => vec![enter(spec.index(&spec.start), vec![0; limited.len()])?],
        Roots::Anywhere => {
            let mut counts = vec![Vec::new()];
            for &l in &limited {
                let times = spec.limit_of(l).map_or(0, |l| l.times);
                counts = counts
                    .into_iter()
                    .flat_map(|c: Vec<u32>| (0..=times).map(move |v| [c.clone(), vec![v]].concat()))
                    .collect();
            }
            (0..n)
                .flat_map(|at| counts.iter().map(move |c| (at, c.clone())))
                .collect()
        }
    };
    // Depth-first, iteratively: `None` marks a state on the stack, `Some` a finished one.
    let mut longest: std::collections::HashMap<State, Option<usize>> =
        std::collections::HashMap::new();
    let mut overall = 0;
    for root in roots {
        if longest.contains_key(&root) {
            continue;
        }
        longest.insert(root.clone(), None);
        let mut stack = vec![(next(&root)?, root.clone(), 0usize)];
        while let Some((todo, _, best)) = stack.last_mut() {
            if let Some(child) = todo.pop() {
                match longest.get(&child) {
                    Some(None) => return None,
                    Some(Some(len)) => *best = (*best).max(len + 1),
                    None => {
                        longest.insert(child.clone(), None);
                        stack.push((next(&child)?, child, 0));
                    }
                }
            } else {
                let (_, state, best) = stack.pop().expect("not empty");
                longest.insert(state, Some(best));
                if let Some((_, _, parent)) = stack.last_mut() {
                    *parent = (*parent).max(best + 1);
                }
            }
        }
        overall = longest
            .get(&root)
            .copied()
            .flatten()
            .map_or(overall, |l| overall.max(l));
    }
    Some(overall)
}

// -------------------------------------------------------------------------- builder

/// The shape of a node before its successors are known.
#[derive(Debug, Clone, Copy)]
enum Shape {
    Act { solved: bool },
    AskText { answers: usize },
    AskBool { fact: usize },
    AskChoice,
    Input { number: bool },
    Decide { rules: usize },
    Resolve,
    Escalate,
}

impl Shape {
    fn slots(self) -> usize {
        match self {
            Shape::Act { solved } => 1 + usize::from(solved),
            Shape::AskText { answers } => answers,
            Shape::AskBool { .. } => 2,
            Shape::AskChoice => CHOICES.len(),
            Shape::Input { .. } => 1,
            Shape::Decide { rules } => rules + 1,
            Shape::Resolve | Shape::Escalate => 0,
        }
    }

    fn prefix(self) -> &'static str {
        match self {
            Shape::Act { .. } => "act",
            Shape::AskText { .. }
            | Shape::AskBool { .. }
            | Shape::AskChoice
            | Shape::Input { .. } => "ask",
            Shape::Decide { .. } => "decide",
            Shape::Resolve => "resolve",
            Shape::Escalate => "escalate",
        }
    }

    fn inner(t: &mut Tape) -> Shape {
        match t.pick(9) {
            0 => Shape::Act { solved: false },
            1 => Shape::Act { solved: true },
            2 => Shape::AskText {
                answers: 2 + t.pick(3),
            },
            3 | 4 => Shape::AskBool {
                fact: t.pick(BOOL_FACTS.len()),
            },
            5 => Shape::AskChoice,
            6 => Shape::Input {
                number: t.pick(2) == 0,
            },
            _ => Shape::Decide {
                rules: 1 + t.pick(3),
            },
        }
    }

    fn terminal(t: &mut Tape) -> Shape {
        if t.pick(2) == 0 {
            Shape::Resolve
        } else {
            Shape::Escalate
        }
    }
}

fn text(t: &mut Tape, label: &str) -> Text {
    let (zh, en) = t.choose(&PHRASES);
    Text {
        zh: format!("{label} {zh}"),
        en: Some(format!("{label} {en}")),
    }
}

fn facts(t: &mut Tape) -> Vec<FactSpec> {
    let mut facts: Vec<FactSpec> = BOOL_FACTS
        .iter()
        .map(|&name| FactSpec {
            name,
            ty: FactTy::Bool,
            ask: None,
            labels: Vec::new(),
        })
        .collect();
    facts.push(FactSpec {
        name: NUMBER_FACT,
        ty: FactTy::Number,
        ask: None,
        labels: Vec::new(),
    });
    facts.push(FactSpec {
        name: TEXT_FACT,
        ty: FactTy::Text,
        ask: None,
        labels: Vec::new(),
    });
    facts.push(FactSpec {
        name: CHOICE_FACT,
        ty: FactTy::Choice,
        ask: None,
        labels: Vec::new(),
    });
    for fact in &mut facts {
        if t.chance(70) {
            fact.ask = Some(text(t, fact.name));
        }
        if matches!(fact.ty, FactTy::Choice) && t.chance(50) {
            fact.labels = CHOICES.iter().map(|&c| (c, text(t, c))).collect();
        }
    }
    let first = t.pick(facts.len());
    facts.rotate_left(first);
    facts
}

fn cond(t: &mut Tape, depth: u32) -> Cond {
    let leaf_kinds = 7;
    match t.pick(if depth < 2 {
        leaf_kinds + 3
    } else {
        leaf_kinds
    }) {
        0 => Cond::Cmp("Eq", t.choose(&BOOL_FACTS), Val::Bool(t.chance(50))),
        1 => Cond::Cmp("Ne", t.choose(&BOOL_FACTS), Val::Bool(t.chance(50))),
        2 => Cond::Cmp("Eq", CHOICE_FACT, Val::Str(t.choose(&CHOICES).into())),
        3 => {
            let mut set: Vec<Val> = CHOICES.iter().map(|&c| Val::Str(c.into())).collect();
            let first = t.pick(set.len());
            set.rotate_left(first);
            let keep = 1 + t.pick(set.len());
            set.truncate(keep);
            Cond::In(CHOICE_FACT, set)
        }
        4 => Cond::Cmp(
            t.choose(&["Lt", "Le", "Gt", "Ge"]),
            NUMBER_FACT,
            Val::Num(t.choose(&NUMBERS)),
        ),
        5 => Cond::Known(t.choose(&[
            BOOL_FACTS[0],
            BOOL_FACTS[1],
            NUMBER_FACT,
            TEXT_FACT,
            CHOICE_FACT,
        ])),
        6 => Cond::Cmp("Eq", TEXT_FACT, Val::Str(t.choose(&TEXTS).into())),
        7 => Cond::All((0..=t.pick(3)).map(|_| cond(t, depth + 1)).collect()),
        8 => Cond::Any((0..=t.pick(3)).map(|_| cond(t, depth + 1)).collect()),
        _ => Cond::Not(Box::new(cond(t, depth + 1))),
    }
}

/// How freely [`build`] places back-edges and limits.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Mode {
    /// Only what makes a valid tree: back-edges to a limited node on the chain of
    /// parents (a bounded retry loop), limits that end in a terminal.
    Valid,
    /// Back-edges to any earlier node (mostly limited ones), limits whose `then` is any
    /// other node: the tree may or may not be bounded.
    Wild,
}

/// Builds a tree: nodes in index order, every node but the first given a parent among
/// the nodes before it (so everything is reachable), every other edge forward or back as
/// `mode` allows. The last node is a terminal; in [`Mode::Valid`] every node reaches it
/// or another terminal, and the tree has no finding at all.
fn build(data: &[u32], mode: Mode) -> Spec {
    let mut t = Tape::new(data);
    let n = 3 + t.pick(10);
    let facts = facts(&mut t);

    let mut shapes: Vec<Shape> = Vec::with_capacity(n);
    let mut targets: Vec<Vec<Option<usize>>> = Vec::with_capacity(n);
    let mut parent: Vec<Option<usize>> = Vec::with_capacity(n);
    let mut free: Vec<(usize, usize)> = Vec::new();
    for i in 0..n {
        parent.push(if i > 0 {
            let (p, slot) = free.swap_remove(t.pick(free.len()));
            targets[p][slot] = Some(i);
            Some(p)
        } else {
            None
        });
        // A node is a terminal only if later nodes still have a free slot to hang from.
        let shape = if i == n - 1 || (i > 0 && !free.is_empty() && t.chance(20)) {
            Shape::terminal(&mut t)
        } else {
            Shape::inner(&mut t)
        };
        targets.push(vec![None; shape.slots()]);
        free.extend((0..shape.slots()).map(|slot| (i, slot)));
        shapes.push(shape);
    }

    let terminals: Vec<usize> = (0..n).filter(|&i| shapes[i].slots() == 0).collect();
    let mut limits: Vec<Option<(u32, usize)>> = Vec::with_capacity(n);
    for shape in &shapes {
        let limit = if shape.slots() > 0 && t.chance(35) {
            let times = 1 + u32::try_from(t.pick(3)).unwrap_or(0);
            let then = if mode == Mode::Valid || t.chance(50) {
                t.choose(&terminals)
            } else {
                let other = t.pick(n - 1);
                if other >= limits.len() {
                    other + 1
                } else {
                    other
                }
            };
            Some((times, then))
        } else {
            None
        };
        limits.push(limit);
    }

    free.sort_unstable();
    for (p, slot) in free {
        let mut loops = Vec::new();
        let mut at = Some(p);
        while let Some(a) = at {
            if limits[a].is_some() {
                loops.push(a);
            }
            at = parent[a];
        }
        let target = match mode {
            Mode::Valid if !loops.is_empty() && t.chance(50) => t.choose(&loops),
            Mode::Wild if t.chance(40) => {
                let earlier: Vec<usize> = (0..=p)
                    .filter(|&x| limits[x].is_some() || t.chance(25))
                    .collect();
                if earlier.is_empty() {
                    t.pick(p + 1)
                } else {
                    t.choose(&earlier)
                }
            }
            _ => p + 1 + t.pick(n - 1 - p),
        };
        targets[p][slot] = Some(target);
    }

    let ids: Vec<String> = shapes
        .iter()
        .enumerate()
        .map(|(i, s)| format!("{}_{i}", s.prefix()))
        .collect();
    let mut nodes = Vec::with_capacity(n);
    for i in 0..n {
        let next: Vec<String> = targets[i]
            .iter()
            .map(|x| ids[x.expect("every slot is filled")].clone())
            .collect();
        let label = format!("#{i}");
        let kind = match shapes[i] {
            Shape::Act { solved } => Kind::Act {
                text: text(&mut t, &label),
                next: next[0].clone(),
                solved: solved.then(|| next[1].clone()),
            },
            Shape::AskText { answers } => {
                let first = t.pick(ANSWER_VALUES.len());
                let answers = (0..answers)
                    .map(|j| AnswerSpec {
                        value: Val::Str(ANSWER_VALUES[(first + j) % ANSWER_VALUES.len()].into()),
                        text: text(&mut t, "→"),
                        next: next[j].clone(),
                    })
                    .collect();
                Kind::Ask {
                    text: text(&mut t, &label),
                    fact: None,
                    answers,
                }
            }
            Shape::AskBool { fact } => {
                let first = t.chance(50);
                let answers = [first, !first]
                    .iter()
                    .zip(&next)
                    .map(|(&b, next)| AnswerSpec {
                        value: Val::Bool(b),
                        text: text(&mut t, "→"),
                        next: next.clone(),
                    })
                    .collect();
                Kind::Ask {
                    text: text(&mut t, &label),
                    fact: Some(BOOL_FACTS[fact]),
                    answers,
                }
            }
            Shape::AskChoice => {
                let first = t.pick(CHOICES.len());
                let answers = (0..CHOICES.len())
                    .map(|j| AnswerSpec {
                        value: Val::Str(CHOICES[(first + j) % CHOICES.len()].into()),
                        text: text(&mut t, "→"),
                        next: next[j].clone(),
                    })
                    .collect();
                Kind::Ask {
                    text: text(&mut t, &label),
                    fact: Some(CHOICE_FACT),
                    answers,
                }
            }
            Shape::Input { number } => Kind::Input {
                text: text(&mut t, &label),
                fact: if number { NUMBER_FACT } else { TEXT_FACT },
                next: next[0].clone(),
            },
            Shape::Decide { rules } => Kind::Decide {
                rules: (0..rules)
                    .map(|j| (cond(&mut t, 0), next[j].clone()))
                    .collect(),
                otherwise: next[rules].clone(),
            },
            Shape::Resolve => Kind::Resolve {
                text: text(&mut t, &label),
            },
            Shape::Escalate => Kind::Escalate {
                reason: text(&mut t, &label),
                priority: t.chance(75).then(|| t.choose(&PRIORITIES)),
                channel: t.chance(60).then(|| t.choose(&CHANNELS)),
                prepare: (0..t.pick(3)).map(|_| text(&mut t, "•")).collect(),
            },
        };
        let limit = limits[i].map(|(times, then)| Limit {
            times,
            then: ids[then].clone(),
        });
        nodes.push(NodeSpec {
            id: ids[i].clone(),
            kind,
            limit,
        });
    }
    let mut spec = Spec {
        title: text(&mut t, "title"),
        facts,
        start: ids[0].clone(),
        nodes,
    };
    // A fact a `Decide` compares may be asked for, so it needs its question (W005).
    let compared = spec.compared_facts();
    for fact in &mut spec.facts {
        if fact.ask.is_none() && compared.contains(&fact.name) {
            fact.ask = Some(text(&mut t, fact.name));
        }
    }
    spec
}

fn valid_tree() -> impl Strategy<Value = Spec> {
    tape(0..400).prop_map(|data| build(&data, Mode::Valid))
}

fn wild_tree() -> impl Strategy<Value = Spec> {
    tape(0..400).prop_map(|data| build(&data, Mode::Wild))
}

// ------------------------------------------------------------------------- rendering

/// RON text and the 1-based line of each part that findings point at.
struct Rendered {
    text: String,
    fact_lines: Vec<u32>,
    start_line: u32,
    node_lines: Vec<u32>,
}

impl Rendered {
    fn line(&self, line: u32) -> &str {
        self.text.lines().nth(line as usize - 1).unwrap_or("")
    }

    /// The 1-based column (in characters) where `needle` first appears on `line`.
    fn column(&self, line: u32, needle: &str) -> u32 {
        let text = self.line(line);
        let at = text
            .find(needle)
            .unwrap_or_else(|| panic!("{needle} is not on line {line}: {text}"));
        u32::try_from(text[..at].chars().count()).expect("short line") + 1
    }
}

fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{{\"zh\": {}", quoted(&self.zh))?;
        if let Some(en) = &self.en {
            write!(f, ", \"en\": {}", quoted(en))?;
        }
        f.write_str("}")
    }
}

impl fmt::Display for Val {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Val::Bool(b) => write!(f, "{b}"),
            Val::Num(n) => write!(f, "{n}"),
            Val::Str(s) => f.write_str(&quoted(s)),
        }
    }
}

fn join<T: fmt::Display>(items: &[T]) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

impl fmt::Display for Cond {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cond::Cmp(op, fact, value) => write!(f, "{op}({}, {value})", quoted(fact)),
            Cond::In(fact, values) => write!(f, "In({}, [{}])", quoted(fact), join(values)),
            Cond::Known(fact) => write!(f, "Known({})", quoted(fact)),
            Cond::All(list) => write!(f, "All([{}])", join(list)),
            Cond::Any(list) => write!(f, "Any([{}])", join(list)),
            Cond::Not(inner) => write!(f, "Not({inner})"),
        }
    }
}

impl fmt::Display for FactSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ty = match self.ty {
            FactTy::Bool => "Bool".to_owned(),
            FactTy::Number => "Number".to_owned(),
            FactTy::Text => "Text".to_owned(),
            FactTy::Choice => format!("Choice([{}])", CHOICES.map(quoted).join(", ")),
        };
        write!(f, "Fact(name: {}, type: {ty}", quoted(self.name))?;
        if let Some(ask) = &self.ask {
            write!(f, ", ask: {ask}")?;
        }
        if !self.labels.is_empty() {
            let labels: Vec<String> = self
                .labels
                .iter()
                .map(|(k, v)| format!("{}: {v}", quoted(k)))
                .collect();
            write!(f, ", labels: {{{}}}", labels.join(", "))?;
        }
        f.write_str(")")
    }
}

impl fmt::Display for NodeSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let id = quoted(&self.id);
        match &self.kind {
            Kind::Ask {
                text,
                fact,
                answers,
            } => {
                write!(f, "Ask(id: {id}, text: {text}")?;
                if let Some(fact) = fact {
                    write!(f, ", fact: {}", quoted(fact))?;
                }
                let answers: Vec<String> = answers
                    .iter()
                    .map(|a| {
                        format!(
                            "Answer(value: {}, text: {}, next: {})",
                            a.value,
                            a.text,
                            quoted(&a.next)
                        )
                    })
                    .collect();
                write!(f, ", answers: [{}]", answers.join(", "))?;
            }
            Kind::Input { text, fact, next } => {
                write!(
                    f,
                    "Ask(id: {id}, text: {text}, fact: {}, next: {}",
                    quoted(fact),
                    quoted(next)
                )?;
            }
            Kind::Act { text, next, solved } => {
                write!(f, "Act(id: {id}, text: {text}, next: {}", quoted(next))?;
                if let Some(solved) = solved {
                    write!(f, ", solved: {}", quoted(solved))?;
                }
            }
            Kind::Decide { rules, otherwise } => {
                let rules: Vec<String> = rules
                    .iter()
                    .map(|(when, next)| format!("Rule(when: {when}, next: {})", quoted(next)))
                    .collect();
                write!(
                    f,
                    "Decide(id: {id}, rules: [{}], otherwise: {}",
                    rules.join(", "),
                    quoted(otherwise)
                )?;
            }
            Kind::Resolve { text } => write!(f, "Resolve(id: {id}, text: {text}")?,
            Kind::Escalate {
                reason,
                priority,
                channel,
                prepare,
            } => {
                write!(f, "Escalate(id: {id}, reason: {reason}")?;
                if let Some(priority) = priority {
                    write!(f, ", priority: {priority}")?;
                }
                if let Some(channel) = channel {
                    write!(f, ", channel: {channel}")?;
                }
                if !prepare.is_empty() {
                    write!(f, ", prepare: [{}]", join(prepare))?;
                }
            }
        }
        if let Some(limit) = &self.limit {
            write!(
                f,
                ", limit: Limit(times: {}, then: {})",
                limit.times,
                quoted(&limit.then)
            )?;
        }
        f.write_str(")")
    }
}

impl Spec {
    /// RON with one fact and one node per line, and comments along the way.
    fn render(&self) -> Rendered {
        let mut lines: Vec<String> = vec![
            "// Generated by tests/properties.rs: one node per line.".into(),
            "Tree(".into(),
            "    format: 1,".into(),
            "    id: \"gen\",".into(),
            "    version: 1,".into(),
            format!("    title: {},", self.title),
            "    locales: [\"zh\", \"en\"],".into(),
            "    facts: [".into(),
        ];
        let next_line = |lines: &Vec<String>| u32::try_from(lines.len() + 1).expect("few lines");
        let mut fact_lines = Vec::new();
        for fact in &self.facts {
            fact_lines.push(next_line(&lines));
            lines.push(format!("        {fact},"));
        }
        lines.push("    ],".into());
        let start_line = next_line(&lines);
        lines.push(format!("    start: {},", quoted(&self.start)));
        lines.push("    nodes: [ /* in index order */".into());
        let mut node_lines = Vec::new();
        for (i, node) in self.nodes.iter().enumerate() {
            node_lines.push(next_line(&lines));
            lines.push(format!("        {node}, // node {i}"));
        }
        lines.push("    ],".into());
        lines.push(")".into());
        let mut text = lines.join("\n");
        text.push('\n');
        Rendered {
            text,
            fact_lines,
            start_line,
            node_lines,
        }
    }
}

// --------------------------------------------------------------------------- helpers

fn compile(spec: &Spec) -> Tree {
    let rendered = spec.render();
    let report = Loader::new().tree(FILE, &rendered.text);
    assert!(
        report.findings.is_empty(),
        "a generated tree has findings: {:#?}\n{}",
        report.findings,
        rendered.text
    );
    report.loaded.expect("a tree without findings compiles")
}

fn codes(report: &Report<Tree>) -> Vec<Code> {
    report.findings.iter().map(|f| f.code).collect()
}

/// Facts a host might supply up front.
fn host_facts(t: &mut Tape) -> Vec<(&'static str, Value)> {
    let mut out = Vec::new();
    for name in BOOL_FACTS {
        if t.chance(30) {
            out.push((name, Value::Bool(t.chance(50))));
        }
    }
    if t.chance(30) {
        out.push((NUMBER_FACT, Value::Number(t.choose(&NUMBERS))));
    }
    if t.chance(30) {
        out.push((TEXT_FACT, Value::from(t.choose(&TEXTS))));
    }
    if t.chance(30) {
        out.push((CHOICE_FACT, Value::from(t.choose(&CHOICES))));
    }
    out
}

fn start_session(tree: &Tree, t: &mut Tape) -> Session {
    let mut builder = Session::builder(tree).locale(if t.chance(50) { "en" } else { "zh" });
    for (name, value) in host_facts(t) {
        builder = builder.fact(name, value);
    }
    builder.start().expect("a session starts on a valid tree")
}

/// Gives one acceptable answer chosen by the tape; false once the walk has ended.
fn answer_valid(session: &mut Session, t: &mut Tape) -> bool {
    let value = match session.current() {
        Step::Ask(q) | Step::Act(q) => match q.kind {
            AnswerKind::Number => Value::Number(t.choose(&NUMBERS)),
            AnswerKind::Text => Value::from(t.choose(&TEXTS)),
            _ => {
                let answers: Vec<Value> = q.answers().map(|a| a.value.clone()).collect();
                assert!(!answers.is_empty(), "question {} offers nothing", q.node);
                answers[t.pick(answers.len())].clone()
            }
        },
        _ => return false,
    };
    if let Err(err) = session.answer(value.clone()).map(|_| ()) {
        panic!("offered answer {value:?} refused at {:?}: {err}", session);
    }
    true
}

/// What every report must satisfy, whatever the input.
fn assert_sane(text: &str, report: &Report<Tree>) -> Result<(), TestCaseError> {
    let lines: Vec<&str> = text
        .strip_prefix('\u{feff}')
        .unwrap_or(text)
        .split('\n')
        .collect();
    for f in &report.findings {
        prop_assert_eq!(&f.file, FILE);
        prop_assert!(
            f.line >= 1 && f.column >= 1,
            "finding without a position: {}",
            f
        );
        prop_assert!(
            f.line as usize <= lines.len(),
            "line {} is past the end of the text: {}",
            f.line,
            f
        );
        let width = lines[f.line as usize - 1]
            .trim_end_matches('\r')
            .chars()
            .count();
        prop_assert!(
            f.column as usize <= width + 1,
            "column {} is past the end of line {} ({} characters): {}",
            f.column,
            f.line,
            width,
            f
        );
        prop_assert_eq!(f.severity, f.code.severity());
        prop_assert!(!f.message.is_empty());
        let prefix = format!(
            "{FILE}:{}:{}: {}[{}]: ",
            f.line,
            f.column,
            f.severity,
            f.code.as_str()
        );
        prop_assert!(
            f.to_string().starts_with(&prefix),
            "{} does not start with {}",
            f,
            prefix
        );
    }
    prop_assert_eq!(
        report.loaded.is_some(),
        !report.has_errors(),
        "tree iff no error: {:?}",
        report.findings
    );
    for pair in report.findings.windows(2) {
        prop_assert!(
            (pair[0].line, pair[0].column) <= (pair[1].line, pair[1].column),
            "findings out of order: {:?}",
            report.findings
        );
    }
    // `Tree::from_str` is the same check under another name; it must agree.
    prop_assert_eq!(Tree::from_str(text).is_ok(), report.loaded.is_some());
    if let Some(tree) = &report.loaded {
        // Whatever slipped through as valid must walk without panicking.
        if let Ok(mut session) = Session::builder(tree).step_limit(500).start() {
            let mut t = Tape::new(&[]);
            for _ in 0..200 {
                let value = match session.current() {
                    Step::Ask(q) | Step::Act(q) => match q.kind {
                        AnswerKind::Number => Value::Number(1.0),
                        AnswerKind::Text => Value::from("x"),
                        _ => match q.answers().nth(t.pick(2)).or_else(|| q.answers().next()) {
                            Some(a) => a.value.clone(),
                            None => break,
                        },
                    },
                    _ => break,
                };
                if session.answer(value).is_err() {
                    break;
                }
            }
        }
    }
    Ok(())
}

// ------------------------------------------------------------ 1. valid trees check clean

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn generated_trees_check_clean(spec in valid_tree()) {
        let rendered = spec.render();
        let report = Loader::new().tree(FILE, &rendered.text);
        prop_assert!(report.findings.is_empty(), "findings: {:#?}", report.findings);
        let tree = report.loaded.expect("no findings, so a tree");
        prop_assert_eq!(tree.node_count(), spec.nodes.len());
        prop_assert_eq!(tree.start(), spec.start.as_str());
        prop_assert!(tree.warnings().is_empty());
    }
}

// ---------------------------------------------------------------- 2. random walks end

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn random_walks_end_within_the_bound(spec in valid_tree(), choices in tape(0..300)) {
        let tree = compile(&spec);
        let mut t = Tape::new(&choices);
        let mut session = start_session(&tree, &mut t);
        let bound = spec.step_bound();
        // A `Decide` may stop once per fact to ask for it without moving.
        let max_answers = bound + spec.facts.len();
        let mut answers = 0;
        while answer_valid(&mut session, &mut t) {
            answers += 1;
            prop_assert!(
                answers <= max_answers,
                "{} answers and still going (bound {})", answers, max_answers
            );
            // Saved and resumed on the same tree, the session is restored exactly.
            let (resumed, how) = Resume::new(&tree)
                .trust_saved_facts()
                .resume(&session.save())
                .expect("a fresh save resumes");
            prop_assert_eq!(how, Resumed::Restored);
            prop_assert!(resumed == session);
        }

        let step = session.current();
        let end = &spec.nodes[spec.index(step.node())];
        match (&step, &end.kind) {
            (Step::Resolved(_), Kind::Resolve { .. }) | (Step::Escalated(_), Kind::Escalate { .. }) => {}
            _ => prop_assert!(false, "walk ended with {:?} at {:?}", step, end),
        }
        let steps = session.steps() as usize;
        let longest = longest_walk(&spec, Roots::Start).expect("a valid tree has no endless walk");
        prop_assert!(
            steps <= longest && longest <= bound,
            "{} steps, longest walk {}, bound {}", steps, longest, bound
        );

        let path = session.path_ids();
        prop_assert_eq!(path.first().copied(), Some(spec.start.as_str()));
        prop_assert_eq!(path.last().copied(), Some(step.node()));
        prop_assert_eq!(path.len(), steps + 1, "path {:?}", path);
        // Every move follows an edge, or an exhausted limit's `then` at its target.
        for pair in path.windows(2) {
            let from = &spec.nodes[spec.index(pair[0])];
            let ok = from.successors().iter().any(|&s| {
                s == pair[1] || spec.limit_of(spec.index(s)).is_some_and(|l| l.then == pair[1])
            });
            prop_assert!(ok, "{} → {} is not an edge; path {:?}", pair[0], pair[1], path);
        }
        // No limited node is passed more often than its limit allows.
        for (i, node) in spec.nodes.iter().enumerate() {
            if let Some(limit) = spec.limit_of(i) {
                let passes = path.iter().filter(|&&p| p == node.id).count();
                prop_assert!(
                    passes <= limit.times as usize,
                    "{} passed {} times, limit {}; path {:?}", node.id, passes, limit.times, path
                );
            }
        }
    }
}

// ------------------------------------------------------ 3. mutations and their codes

proptest! {
    #![proptest_config(config(128))]

    /// (a) One `next`/`solved`/`otherwise`/`then` retargeted to a missing id.
    #[test]
    fn dangling_next_is_e006_at_its_string(mut spec in valid_tree(), site in any::<u32>()) {
        let mut sites = Vec::new();
        for (i, node) in spec.nodes.iter().enumerate() {
            sites.extend((0..node.references().len()).map(|j| (i, j)));
        }
        let (i, j) = sites[site as usize % sites.len()];
        *spec.nodes[i].references_mut()[j] = MISSING.into();
        let rendered = spec.render();
        let report = Loader::new().tree(FILE, &rendered.text);
        assert_sane(&rendered.text, &report)?;
        prop_assert!(report.loaded.is_none());
        let e006: Vec<_> = report.findings.iter().filter(|f| f.code == Code::DanglingReference).collect();
        prop_assert_eq!(e006.len(), 1, "findings: {:#?}", report.findings);
        let f = e006[0];
        prop_assert_eq!(f.severity, Severity::Error);
        prop_assert_eq!(f.node.as_deref(), Some(spec.nodes[i].id.as_str()));
        let line = rendered.node_lines[i];
        prop_assert_eq!(f.line, line);
        prop_assert_eq!(f.column, rendered.column(line, &quoted(MISSING)));
        prop_assert!(f.message.contains(MISSING));
    }

    /// (b) A node others reference is removed: one E006 per reference, at each referrer.
    #[test]
    fn dropped_node_is_e006_at_each_referrer(mut spec in valid_tree(), pick in any::<u32>()) {
        let k = 1 + pick as usize % (spec.nodes.len() - 1);
        let dropped = spec.nodes.remove(k).id;
        let mut expected: BTreeMap<String, usize> = BTreeMap::new();
        for node in &spec.nodes {
            let count = node.references().iter().filter(|&&r| r == dropped).count();
            if count > 0 {
                expected.insert(node.id.clone(), count);
            }
        }
        prop_assert!(!expected.is_empty(), "every generated node but the start has a parent");
        let rendered = spec.render();
        let report = Loader::new().tree(FILE, &rendered.text);
        assert_sane(&rendered.text, &report)?;
        prop_assert!(report.loaded.is_none());
        let mut found: BTreeMap<String, usize> = BTreeMap::new();
        for f in report.findings.iter().filter(|f| f.code == Code::DanglingReference) {
            let node = f.node.clone().expect("E006 names its node");
            prop_assert_eq!(f.line, rendered.node_lines[spec.index(&node)], "{}", f);
            prop_assert!(f.message.contains(&dropped));
            *found.entry(node).or_default() += 1;
        }
        prop_assert_eq!(found, expected);
    }

    /// (c) A node renamed to the id of another: E003 at the later of the two.
    #[test]
    fn duplicate_id_is_e003_at_the_later_node(
        mut spec in valid_tree(),
        a in any::<u32>(),
        b in any::<u32>(),
    ) {
        let n = spec.nodes.len();
        let k = a as usize % n;
        let m = (k + 1 + b as usize % (n - 1)) % n;
        let id = spec.nodes[m].id.clone();
        spec.nodes[k].id.clone_from(&id);
        let rendered = spec.render();
        let report = Loader::new().tree(FILE, &rendered.text);
        assert_sane(&rendered.text, &report)?;
        prop_assert!(report.loaded.is_none());
        let e003: Vec<_> = report.findings.iter().filter(|f| f.code == Code::DuplicateId).collect();
        prop_assert_eq!(e003.len(), 1, "findings: {:#?}", report.findings);
        let line = rendered.node_lines[k.max(m)];
        prop_assert_eq!(e003[0].node.as_deref(), Some(id.as_str()));
        prop_assert_eq!(e003[0].line, line);
        prop_assert_eq!(e003[0].column, rendered.column(line, &quoted(&id)));
    }

    /// (d) A limit removed: E010 exactly when a back-edge into that node closes a loop
    /// through unlimited nodes; otherwise no error at all.
    #[test]
    fn removed_limit_is_e010_iff_a_loop_needs_it(mut spec in valid_tree(), pick in any::<u32>()) {
        let limited: Vec<usize> = (0..spec.nodes.len()).filter(|&i| spec.limit_of(i).is_some()).collect();
        prop_assume!(!limited.is_empty());
        let x = limited[pick as usize % limited.len()];
        let unbounded = spec.loop_needs_limit(x);
        spec.nodes[x].limit = None;
        let rendered = spec.render();
        let report = Loader::new().tree(FILE, &rendered.text);
        assert_sane(&rendered.text, &report)?;
        if unbounded {
            prop_assert!(codes(&report).contains(&Code::UnboundedCycle), "findings: {:#?}", report.findings);
            prop_assert!(report.loaded.is_none());
        } else {
            // The limit's `then` may have lost its only way in (W001); nothing worse.
            prop_assert!(!report.has_errors(), "findings: {:#?}", report.findings);
        }
    }

    /// (e) `start` names a missing node: E005, and nothing else.
    #[test]
    fn missing_start_is_e005(mut spec in valid_tree()) {
        spec.start = MISSING.into();
        let rendered = spec.render();
        let report = Loader::new().tree(FILE, &rendered.text);
        assert_sane(&rendered.text, &report)?;
        prop_assert!(report.loaded.is_none());
        prop_assert_eq!(codes(&report), vec![Code::MissingStart]);
        let f = &report.findings[0];
        prop_assert_eq!(f.line, rendered.start_line);
        prop_assert_eq!(f.column, rendered.column(rendered.start_line, &quoted(MISSING)));
        prop_assert_eq!(f.node.as_deref(), None);
    }

    /// (f) A Bool answer, or a Bool value in a condition, written as a string: E012.
    #[test]
    fn string_for_a_bool_is_e012(mut spec in valid_tree(), a in any::<u32>()) {
        let mut sites = Vec::new();
        for (i, node) in spec.nodes.iter_mut().enumerate() {
            sites.extend((0..node.bool_values_mut().len()).map(|j| (i, j)));
        }
        prop_assume!(!sites.is_empty());
        let (i, j) = sites[a as usize % sites.len()];
        let value = spec.nodes[i].bool_values_mut().swap_remove(j);
        let Val::Bool(b) = value.clone() else { unreachable!("a Bool site holds a bool") };
        *value = Val::Str(b.to_string());
        let rendered = spec.render();
        let report = Loader::new().tree(FILE, &rendered.text);
        assert_sane(&rendered.text, &report)?;
        prop_assert!(report.loaded.is_none());
        let e012: Vec<_> = report.findings.iter().filter(|f| f.code == Code::TypeMismatch).collect();
        prop_assert_eq!(e012.len(), 1, "findings: {:#?}", report.findings);
        let line = rendered.node_lines[i];
        prop_assert_eq!(e012[0].node.as_deref(), Some(spec.nodes[i].id.as_str()));
        prop_assert_eq!(e012[0].line, line);
        prop_assert_eq!(e012[0].column, rendered.column(line, &quoted(&b.to_string())));
        let others: Vec<Code> = codes(&report).into_iter().filter(|c| *c != Code::TypeMismatch).collect();
        prop_assert!(others.iter().all(|c| *c == Code::UncoveredAnswer), "findings: {:#?}", report.findings);
    }

    /// (g) One English text dropped: a W003 warning only, and the tree still loads.
    #[test]
    fn missing_english_is_w003(mut spec in valid_tree(), a in any::<u32>()) {
        let mut sites: Vec<(Option<usize>, usize, usize)> = Vec::new(); // (node, fact, text)
        for (i, node) in spec.nodes.iter_mut().enumerate() {
            sites.extend((0..node.texts_mut().len()).map(|j| (Some(i), 0, j)));
        }
        for (k, fact) in spec.facts.iter().enumerate() {
            sites.extend((0..usize::from(fact.ask.is_some()) + fact.labels.len()).map(|j| (None, k, j)));
        }
        let (node, fact, j) = sites[a as usize % sites.len()];
        let (line, id) = match node {
            Some(i) => {
                spec.nodes[i].texts_mut()[j].en = None;
                (spec.render().node_lines[i], Some(spec.nodes[i].id.clone()))
            }
            None => {
                let f = &mut spec.facts[fact];
                let labels = f.labels.iter_mut().map(|l| &mut l.1);
                let texts: Vec<&mut Text> = f.ask.iter_mut().chain(labels).collect();
                texts.into_iter().nth(j).expect("site exists").en = None;
                (spec.render().fact_lines[fact], None)
            }
        };
        let rendered = spec.render();
        let report = Loader::new().tree(FILE, &rendered.text);
        assert_sane(&rendered.text, &report)?;
        prop_assert_eq!(codes(&report), vec![Code::MissingTranslation]);
        let f = &report.findings[0];
        prop_assert_eq!(f.severity, Severity::Warning);
        prop_assert_eq!(f.line, line);
        prop_assert_eq!(&f.node, &id);
        prop_assert!(f.message.contains("en"));
        let tree = report.loaded.as_ref().expect("a warning does not refuse the tree");
        prop_assert_eq!(tree.warnings(), &report.findings[..]);
    }
}

// ----------------------------------------------------- 4. the loader never panics

/// One way to damage a text.
#[derive(Debug, Clone)]
enum Damage {
    Flip { at: usize, bit: u8 },
    Truncate { at: usize },
    Insert { at: usize, byte: u8 },
    Delete { at: usize },
}

fn damage() -> impl Strategy<Value = Damage> {
    prop_oneof![
        (any::<usize>(), 0..8u8).prop_map(|(at, bit)| Damage::Flip { at, bit }),
        any::<usize>().prop_map(|at| Damage::Truncate { at }),
        (any::<usize>(), prop::sample::select(b"[(\",)]{}:".to_vec()))
            .prop_map(|(at, byte)| Damage::Insert { at, byte }),
        any::<usize>().prop_map(|at| Damage::Delete { at }),
    ]
}

fn apply(bytes: &mut Vec<u8>, damage: &Damage) {
    let len = bytes.len();
    match *damage {
        _ if len == 0 => {}
        Damage::Flip { at, bit } => bytes[at % len] ^= 1 << bit,
        Damage::Truncate { at } => bytes.truncate(at % len),
        Damage::Insert { at, byte } => bytes.insert(at % (len + 1), byte),
        Damage::Delete { at } => {
            bytes.remove(at % len);
        }
    }
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in vec(any::<u8>(), 0..2000)) {
        let text = String::from_utf8_lossy(&bytes);
        let report = Loader::new().tree(FILE, &text);
        assert_sane(&text, &report)?;
    }

    #[test]
    fn arbitrary_text_never_panics(text in any::<String>()) {
        let report = Loader::new().tree(FILE, &text);
        assert_sane(&text, &report)?;
    }

    #[test]
    fn damaged_trees_never_panic(spec in valid_tree(), damages in vec(damage(), 1..5)) {
        let mut bytes = spec.render().text.into_bytes();
        for d in &damages {
            apply(&mut bytes, d);
        }
        let text = String::from_utf8_lossy(&bytes);
        let report = Loader::new().tree(FILE, &text);
        assert_sane(&text, &report)?;
    }

    /// Deep nesting is refused with a syntax error, never a stack overflow.
    #[test]
    fn deep_nesting_is_refused(depth in 1usize..400, brackets in 1usize..20_000) {
        let cond = format!("{}Known(\"network_ok\"){}", "Not(".repeat(depth), ")".repeat(depth));
        let text = format!(
            "Tree(id: \"deep\", locales: [\"en\"], \
             facts: [Fact(name: \"network_ok\", type: Bool)], start: \"d\", nodes: [\
             Decide(id: \"d\", rules: [Rule(when: {cond}, next: \"ok\")], otherwise: \"ok\"), \
             Resolve(id: \"ok\", text: \"ok\")])"
        );
        let report = Loader::new().tree(FILE, &text);
        assert_sane(&text, &report)?;
        // Conditions nest up to `Limits::max_condition_depth` (16) levels; deeper ones are
        // refused by the compiler (E016), far deeper ones by the parser (E001).
        if depth <= 16 {
            prop_assert!(report.findings.is_empty(), "findings: {:#?}", report.findings);
            let tree = report.loaded.expect("shallow enough");
            let session = Session::builder(&tree).fact("network_ok", depth % 2 == 0).start().expect("starts");
            prop_assert!(session.current().is_end());
        } else if depth <= 50 {
            prop_assert_eq!(codes(&report), vec![Code::LimitExceeded]);
        } else if depth >= 130 {
            prop_assert_eq!(codes(&report), vec![Code::Syntax]);
        }
        for open in ["[", "(", "{\"a\":", "Some(", "Tree(nodes: ["] {
            let text = open.repeat(brackets);
            let report = Loader::new().tree(FILE, &text);
            prop_assert_eq!(codes(&report), vec![Code::Syntax]);
            prop_assert!(report.findings[0].line >= 1 && report.findings[0].column >= 1);
        }
    }
}

// ------------------------------------------- 5. bad answers leave a session unchanged

fn typed_input() -> impl Strategy<Value = String> {
    let likely: Vec<String> = ANSWER_VALUES
        .iter()
        .chain(&CHOICES)
        .chain(&TEXTS)
        .chain(&[
            "true",
            "false",
            "True",
            "solved",
            "not_solved",
            "done",
            "0",
            "48",
            "-1",
            "2.5",
            " 5 ",
            "1e400",
            "-1e400",
            "NaN",
            "inf",
            "-0",
            "0x10",
            "\u{0}",
            "真",
        ])
        .map(|s| (*s).to_owned())
        .collect();
    prop_oneof![
        prop::sample::select(likely),
        any::<String>(),
        "[a-z_ ]{0,12}",
        any::<f64>().prop_map(|f| f.to_string()),
    ]
}

fn any_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<bool>().prop_map(Value::Bool),
        any::<f64>().prop_map(Value::Number),
        prop::sample::select(vec![f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -0.0, 48.0])
            .prop_map(Value::Number),
        typed_input().prop_map(Value::Text),
    ]
}

proptest! {
    #![proptest_config(config(128))]

    #[test]
    fn refused_answers_change_nothing(
        spec in valid_tree(),
        choices in tape(0..100),
        inputs in vec(typed_input(), 1..16),
        values in vec(any_value(), 1..8),
    ) {
        let tree = compile(&spec);
        let mut t = Tape::new(&choices);
        let mut session = start_session(&tree, &mut t);
        let mut values = values.into_iter().cycle();
        for input in &inputs {
            for _ in 0..t.pick(3) {
                answer_valid(&mut session, &mut t);
            }
            let before = session.save();
            let copy = session.clone();
            match session.answer_str(input).map(|_| ()) {
                Err(err) => {
                    prop_assert_eq!(session.save(), before, "changed by refused {:?}: {}", input, err);
                    prop_assert!(session == copy);
                }
                Ok(()) => {
                    // Taking the answer back returns to the state before it.
                    let mut undone = session.clone();
                    undone.back().expect("an answer was given");
                    prop_assert_eq!(undone.save(), before, "back after {:?}", input);
                }
            }
            let value = values.next().expect("cycled");
            let before = session.save();
            if let Err(err) = session.answer(value.clone()).map(|_| ()) {
                prop_assert_eq!(session.save(), before, "changed by refused {:?}: {}", value, err);
            }
        }
    }
}

// ------------------------------------------- 6. accepted trees have bounded walks

proptest! {
    #![proptest_config(config(256))]

    /// Trees with back-edges anywhere and limits ending anywhere. When the validator
    /// accepts one, no walk is endless, whatever state it starts in, and random walks
    /// stay within the longest walk. When it reports E010 (and no other error), some
    /// state does start an endless walk (not necessarily one reachable from the start:
    /// the check reasons on the graph, which is conservative by design).
    #[test]
    fn accepted_trees_have_bounded_walks(spec in wild_tree(), choices in tape(0..300)) {
        let rendered = spec.render();
        let report = Loader::new().tree(FILE, &rendered.text);
        assert_sane(&rendered.text, &report)?;
        let anywhere = longest_walk(&spec, Roots::Anywhere);
        match &report.loaded {
            Some(tree) => {
                prop_assert!(
                    anywhere.is_some(),
                    "accepted, but a walk can go on for ever; findings {:?}", report.findings
                );
                let longest = longest_walk(&spec, Roots::Start).expect("bounded from anywhere");
                let mut t = Tape::new(&choices);
                let mut session = start_session(tree, &mut t);
                let mut answers = 0;
                while answer_valid(&mut session, &mut t) {
                    answers += 1;
                    prop_assert!(answers <= longest + spec.facts.len());
                }
                let steps = session.steps() as usize;
                prop_assert!(steps <= longest, "{} steps, longest walk {}", steps, longest);
            }
            None if report.findings.iter().all(|f| f.code == Code::UnboundedCycle || !f.is_error()) => {
                prop_assert!(
                    anywhere.is_none(),
                    "E010, but every walk ends within {:?} moves: {:#?}", anywhere, report.findings
                );
            }
            None => {}
        }
    }
}

// ------------------------------------------- 7. saves resume exactly or are refused

/// Walks on until the walk ends or an answer is refused; never more than `max` answers.
fn walk_leniently(session: &mut Session, t: &mut Tape, max: usize) {
    for _ in 0..max {
        let value = match session.current() {
            Step::Ask(q) | Step::Act(q) => match q.kind {
                AnswerKind::Number => Value::Number(t.choose(&NUMBERS)),
                AnswerKind::Text => Value::from(t.choose(&TEXTS)),
                _ => {
                    let answers: Vec<Value> = q.answers().map(|a| a.value.clone()).collect();
                    if answers.is_empty() {
                        return;
                    }
                    answers[t.pick(answers.len())].clone()
                }
            },
            _ => return,
        };
        if session.answer(value).is_err() {
            return;
        }
    }
}

/// One change to a save's JSON, as a careless or hostile host might make it.
fn tamper(saved: &mut serde_json::Value, spec: &Spec, t: &mut Tape) {
    use serde_json::Value as J;
    let any_id = |t: &mut Tape| spec.nodes[t.pick(spec.nodes.len())].id.clone();
    let any_value = |t: &mut Tape| match t.pick(4) {
        0 => J::Bool(t.chance(50)),
        1 => serde_json::json!({ "number": format!("{:?}", t.choose(&NUMBERS)) }),
        2 => J::from(t.choose(&CHOICES)),
        _ => J::from(t.choose(&TEXTS)),
    };
    let any_fact = |t: &mut Tape| spec.facts[t.pick(spec.facts.len())].name.to_owned();
    let entries = saved["transcript"].as_array().map_or(0, Vec::len);
    match t.pick(13) {
        0 => saved["at"]["node"] = J::from(any_id(t)),
        1 => saved["steps"] = J::from(t.pick(40)),
        2 => saved["trees"][0]["fingerprint"] = J::from("0000000000000000"),
        3 => saved["visits"][any_id(t)] = J::from(t.pick(5)),
        4 => saved["facts"][any_fact(t)] = any_value(t),
        5 => saved["host_facts"][any_fact(t)] = any_value(t),
        6 if entries > 0 => {
            let at = t.pick(entries);
            saved["transcript"].as_array_mut().map(|l| l.remove(at));
        }
        7 if entries > 0 => {
            let copy = saved["transcript"][t.pick(entries)].clone();
            let at = t.pick(entries + 1);
            if let Some(list) = saved["transcript"].as_array_mut() {
                list.insert(at, copy);
            }
        }
        8 if entries > 0 => {
            let entry = &mut saved["transcript"][t.pick(entries)];
            let origin = if entry["origin"] == "given" {
                "auto"
            } else {
                "given"
            };
            entry["origin"] = J::from(origin);
        }
        9 if entries > 0 => saved["transcript"][t.pick(entries)]["value"] = any_value(t),
        10 => saved["start"]["node"] = J::from(any_id(t)),
        11 => saved["locale"] = J::from(t.choose(&["fr", "en", "zh", ""])),
        _ => saved["format"] = J::from(1),
    }
}

proptest! {
    #![proptest_config(config(128))]

    #[test]
    fn saves_resume_exactly_or_are_refused(
        spec in valid_tree(),
        other in valid_tree(),
        choices in tape(0..200),
    ) {
        let tree = compile(&spec);
        let mut t = Tape::new(&choices);
        let mut session = start_session(&tree, &mut t);
        let answers = t.pick(8);
        walk_leniently(&mut session, &mut t, answers);
        let saved = session.save();
        let mut resume = Resume::new(&tree);
        for (name, value) in session.host_facts() {
            resume = resume.fact(name, value.clone());
        }
        prop_assert_eq!(&resume.resume(&saved).expect("a fresh save resumes").0, &session);

        // The same tree with another title: replayed to the same state.
        let mut retitled = spec.clone();
        retitled.title.en = Some("another title".into());
        let retitled = compile(&retitled);
        let (replayed, how) = Resume::new(&retitled)
            .trust_saved_facts()
            .resume(&saved)
            .expect("only the title changed");
        prop_assert_eq!(how, Resumed::Replayed);
        let (mut again, mut want) = (
            serde_json::to_value(replayed.save()).expect("serialises"),
            serde_json::to_value(&saved).expect("serialises"),
        );
        prop_assert_ne!(&again["trees"], &want["trees"]);
        for j in [&mut again, &mut want] {
            j["trees"] = serde_json::Value::Null;
            j["checksum"] = serde_json::Value::Null;
        }
        prop_assert_eq!(&again, &want);

        // Another tree with the same id: refused, or continued where it stopped.
        let other_tree = compile(&other);
        if let Ok((mut resumed, _)) = Resume::new(&other_tree).trust_saved_facts().resume(&saved) {
            let here = resumed.current().node().to_owned();
            prop_assert_eq!(here.as_str(), saved.node());
            walk_leniently(&mut resumed, &mut t, 100);
        }

        // A tampered save, resealed: refused, or exactly what it says.
        let mut json = serde_json::to_value(&saved).expect("serialises");
        tamper(&mut json, &spec, &mut t);
        if let Ok(mut tampered) = serde_json::from_value::<troubletree::SavedSession>(json) {
            tampered.reseal();
            if let Ok((mut resumed, how)) = Resume::new(&tree).trust_saved_facts().resume(&tampered) {
                match how {
                    Resumed::Restored => prop_assert_eq!(&resumed.save(), &tampered),
                    // A forged fingerprint makes a replay: where the answers lead.
                    _ => prop_assert_eq!(resumed.current().node(), tampered.node()),
                }
                walk_leniently(&mut resumed, &mut t, 100);
            }
        }
    }
}

// ------------------------------------------------------------ generator coverage

/// The generator produces every feature the properties rely on, often enough that a run
/// of the properties exercises them.
#[test]
fn generator_covers_every_feature() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;

    let mut runner = TestRunner::deterministic();
    let strategy = valid_tree();
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    let total = 200;
    for _ in 0..total {
        let spec = strategy.new_tree(&mut runner).expect("a tree").current();
        let mut features = Vec::new();
        for (i, node) in spec.nodes.iter().enumerate() {
            features.push(match &node.kind {
                Kind::Ask { fact: None, .. } => "ask without fact",
                Kind::Ask {
                    fact: Some(CHOICE_FACT),
                    ..
                } => "ask on a choice",
                Kind::Ask { .. } => "ask on a bool",
                Kind::Input { .. } => "free input",
                Kind::Act {
                    solved: Some(_), ..
                } => "act with solved",
                Kind::Act { .. } => "act",
                Kind::Decide { .. } => "decide",
                Kind::Resolve { .. } => "resolve",
                Kind::Escalate { .. } => "escalate",
            });
            if node.limit.is_some() {
                features.push(if spec.loop_needs_limit(i) {
                    "loop needing its limit"
                } else {
                    "limit"
                });
            }
        }
        if !spec.back_edges().is_empty() {
            features.push("back-edge");
        }
        features.sort_unstable();
        features.dedup();
        for f in features {
            *seen.entry(f).or_default() += 1;
        }
    }
    for feature in [
        "ask without fact",
        "ask on a choice",
        "ask on a bool",
        "free input",
        "act with solved",
        "act",
        "decide",
        "resolve",
        "escalate",
        "limit",
        "loop needing its limit",
        "back-edge",
    ] {
        let count = seen.get(feature).copied().unwrap_or(0);
        assert!(
            count * 5 >= total,
            "only {count} of {total} trees have a {feature}: {seen:?}"
        );
    }
}

//! Walks through a tree: how many there are (counted, never enumerated), the shortest
//! walk to each terminal, and the longest bounded walk.
//!
//! # What a walk is
//!
//! A *walk* is the sequence of nodes a [`Session`](crate::Session) passes from the start
//! to a terminal (a `Resolve`, an `Escalate` or a `Goto`), exactly as
//! [`Session::path`](crate::Session::path) lists it: the start first, the terminal last,
//! a node passed twice listed twice, and a limited node whose limit is used up (so that
//! the arrival is sent on to its `then`) not listed at all.
//!
//! The walks counted here are *structural*:
//!
//! - at an `Ask` or an `Act`, any offered answer may be chosen (a free-input question
//!   has one way on, its `next`);
//! - at a `Decide`, any rule's target or the `otherwise` may be taken: conditions are
//!   not evaluated, so some of these walks may be impossible for every set of facts;
//! - limits apply exactly as the session applies them: every arrival at a limited node
//!   counts one pass, and an arrival at a node already passed `times` times goes to its
//!   `then` instead, uncounted, following `then` chains.
//!
//! Two walks differ when they differ in a choice: two answers that lead to the same node
//! are two walks (their transcripts differ), and so are two rules with the same target.
//!
//! # How they are counted
//!
//! The state of a walk is its node and the pass counts of the limited nodes. Counts are
//! never needed for long: the graph (answers, rules and limits' `then` edges) is split
//! into strongly connected components, and a walk that leaves a component can never come
//! back to it, so the only counts that matter are those of the limited nodes in the
//! component of the current node, and they are all zero when the walk enters it. The
//! analysis therefore builds the graph of states `(node, counts of its component's limited
//! nodes)` reachable from the start, one component at a time in topological order, with
//! explicit queues and no recursion. The validator guarantees that this state graph is
//! acyclic (every move either counts a pass, and counts are bounded, or is an uncounted
//! move, and uncounted moves form no cycle; see [`Code::UnboundedCycle`](crate::Code)),
//! so:
//!
//! - `walks` is a sum over the state graph in reverse topological order (a `u128` that
//!   saturates, beside a base-2 logarithm kept in floating point);
//! - the longest walk is a longest path in that acyclic graph, found by the same pass;
//! - the shortest walk to each terminal is a shortest path from the start state, found by
//!   one pass in topological order. Searching states rather than nodes matters when the
//!   only way to a node is through a used-up limit: the walk must first pass the limited
//!   node `times` times, and a search over nodes alone would report a walk that skips
//!   those passes and that the session cannot take.
//!
//! Ties (two walks of the same length) go to the first choice in file order (answers,
//! free input, rules, `otherwise`).
//!
//! # Cost
//!
//! A component without limited nodes is a single node with one state, so a tree without
//! loops costs O(nodes + edges), whatever its size (a chain of a million nodes included).
//! A component with limited nodes `L1..Lk` has at most `|component| × (times1 + 1) × … ×
//! (timesk + 1)` states, of which usually far fewer are reachable: a retry loop with
//! `times: 2` triples its handful of nodes. Time and memory are linear in the number of
//! states and moves explored.
//!
//! # When a component is too large: `approximate`
//!
//! A component with many limited nodes can have more states than is reasonable to
//! explore. Exploration stops at a budget proportional to the tree: 100,000 states, or
//! the tree's nodes plus edges if that is more, over all components (fewer when a
//! component has many limited nodes), and the report is then marked
//! [`PathReport::approximate`]. For such a component:
//!
//! - `walks` counts an **upper bound**: the walks of a relaxed model in which only the
//!   total number of counted passes in the component is bounded (by the sum of its
//!   limits' `times`), and an arrival at a limited node may go either way, counted or sent
//!   to its `then`, once enough passes were made for it to be used up. Every real walk is
//!   a walk of this model. When even that model is too large, a coarser bound is used
//!   (choices per step to the power of the longest possible walk through the component),
//!   which usually saturates.
//! - walks go through the component along one real route from each entry, chosen
//!   greedily towards the nearest way out. `longest` is then a real walk but not
//!   necessarily the longest, a `shortest` walk may be longer than the true shortest, and
//!   a terminal reached only through another way out of that component is reported with
//!   no walk.
//!
//! # Bounded output
//!
//! A walk can be far longer than the tree (a loop with `times: 65535` is passed 65,535
//! times), and the shortest walks to many terminals can together hold a number of node
//! ids quadratic in the tree (a chain of questions, each with its own exit). So a walk
//! is given as a [`Walk`]: its length, and its node ids listed whole up to
//! [`WALK_LISTED`] nodes, otherwise its first and last [`WALK_ENDS`]. Over the whole
//! report at most [`LISTED_BYTES`] bytes of ids are listed (the longest walk first, then
//! the shortest walks in file order); walks past that budget keep their length and list
//! nothing. Time and memory are therefore linear in the tree plus the states explored,
//! which are bounded as above, and so is the report.

use std::collections::{HashMap, VecDeque};

use petgraph::graph::NodeIndex;

use crate::tree::{EdgeLabel, Graph, Tree};

mod component;

/// What [`analyse`] finds.
///
/// ```
/// let tree = troubletree::Tree::from_str(r#"Tree(id: "t", start: "retry", nodes: [
///     Act(id: "retry", text: "Try again.", next: "retry", solved: "ok",
///         limit: Limit(times: 2, then: "help")),
///     Resolve(id: "ok", text: "Fixed."),
///     Escalate(id: "help", reason: "Still failing.", priority: Normal),
/// ])"#)?;
/// let report = troubletree::analysis::paths::analyse(&tree);
/// // retry→ok, retry→retry→ok, retry→retry→help (the third arrival is sent on).
/// assert_eq!(report.walks, 3);
/// assert_eq!(report.longest.ids().unwrap(), ["retry", "retry", "ok"]);
/// assert_eq!(report.shortest[1].terminal, "help");
/// assert_eq!(report.shortest[1].path.ids().unwrap(), ["retry", "retry", "help"]);
/// assert_eq!(report.shortest[1].path.len, 3);
/// # Ok::<(), troubletree::LoadError>(())
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct PathReport {
    /// Number of distinct walks from the start to an end, exact when it fits in a `u128`
    /// (and when `approximate` is false; otherwise an upper bound).
    pub walks: u128,
    /// True when the count exceeded `u128::MAX` and `walks` is that maximum.
    pub saturated: bool,
    /// Base-2 logarithm of the number of walks (exact up to floating-point rounding,
    /// meaningful even when `saturated`; an upper bound when `approximate`).
    pub walks_log2: f64,
    /// For each terminal node (file order), the shortest walk from the start to it.
    pub shortest: Vec<ShortestWalk>,
    /// The longest walk the tree allows, limits included.
    pub longest: Walk,
    /// True when some loop had too many states to explore exactly (see the
    /// [module documentation](self)): `walks` and `walks_log2` are then upper bounds,
    /// `longest` is a real walk but maybe not the longest, and `shortest` walks may be
    /// longer than the shortest, or missing.
    pub approximate: bool,
}

/// The shortest walk to one terminal.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct ShortestWalk {
    /// The terminal node.
    pub terminal: String,
    /// The walk from the start to the terminal; of length 0 if the terminal is
    /// unreachable.
    pub path: Walk,
}

/// Walks of at most this many nodes are listed whole.
pub const WALK_LISTED: usize = 64;
/// A longer walk lists this many nodes at each end.
pub const WALK_ENDS: usize = WALK_LISTED / 2;
/// Bytes of node ids listed over a whole [`PathReport`] (each id counts its length plus
/// 8); walks past the budget list nothing.
pub const LISTED_BYTES: usize = 1 << 20;

/// A walk: how many nodes it passes, and its node ids, whole or cut in the middle.
///
/// ```
/// use troubletree::analysis::paths::Walk;
/// # let report = troubletree::analysis::paths::analyse(&troubletree::Tree::from_path("trees/refund.ron")?);
/// let walk: &Walk = &report.longest;
/// match walk.ids() {
///     Some(ids) => assert_eq!(ids.len() as u64, walk.len),
///     None => assert!(walk.omitted() > 0 || walk.head.is_empty()),
/// }
/// # Ok::<(), troubletree::LoadError>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct Walk {
    /// The number of nodes passed, a node passed twice counted twice; 0 for no walk.
    pub len: u64,
    /// The first node ids: all of them when the walk is listed whole (`head.len() ==
    /// len`), the first [`WALK_ENDS`] when it is cut, none when the report's listing
    /// budget ([`LISTED_BYTES`]) was spent.
    pub head: Vec<String>,
    /// The last [`WALK_ENDS`] node ids when the walk is cut; empty otherwise.
    pub tail: Vec<String>,
}

impl Walk {
    /// The node ids of the whole walk, if it is listed whole.
    pub fn ids(&self) -> Option<&[String]> {
        (self.head.len() as u64 == self.len).then_some(self.head.as_slice())
    }

    /// How many nodes are not listed (between `head` and `tail`).
    pub fn omitted(&self) -> u64 {
        self.len
            .saturating_sub(self.head.len() as u64)
            .saturating_sub(self.tail.len() as u64)
    }
}

impl std::fmt::Display for Walk {
    /// `a → b → c`, or `a → b → … 1234 more … → y → z` for a cut walk, or `(1234
    /// nodes, not listed)`. Ids are written as they are: clean them before a terminal.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.head.is_empty() && self.len > 0 {
            return write!(f, "({} nodes, not listed)", self.len);
        }
        f.write_str(&self.head.join(" → "))?;
        if !self.tail.is_empty() {
            write!(
                f,
                " → … {} more … → {}",
                self.omitted(),
                self.tail.join(" → ")
            )?;
        }
        Ok(())
    }
}

/// Counts and measures the walks of a tree, without enumerating them.
///
/// See the [module documentation](self) for what is counted and how. The analysis never
/// recurses, so it handles trees of any depth, and it bounds its own time and memory
/// (reporting [`PathReport::approximate`] when it has to).
pub fn analyse(tree: &Tree) -> PathReport {
    Analysis::new(tree).run()
}

/// States explored over all components with limited nodes, at least; a larger tree gets
/// as many as its nodes plus edges.
const BASE_STATES: usize = 100_000;
/// Pass counts (16-bit words) kept per state of the budget: a component with many
/// limited nodes gets fewer states.
const WORDS_PER_STATE: usize = 8;
/// Moves stored per state of the budget.
const MOVES_PER_STATE: usize = 4;
/// Work (layers × (nodes + moves)) spent on relaxed bounds, over all components.
const RELAXED_WORK: u64 = 32_000_000;
/// Moves simulated for the greedy routes through components that were not explored.
const GREEDY_MOVES: u64 = 4_000_000;

/// No state, no node, no component.
const NONE: u32 = u32::MAX;
/// No walk to a terminal from here (a dead end; never in a validated tree).
const NO_WALK: u64 = u64::MAX;

/// A number of walks: exact (saturating) and as a base-2 logarithm.
#[derive(Debug, Clone, Copy)]
struct Count {
    exact: u128,
    /// Whether `exact` saturated here or in anything summed into it.
    over: bool,
    log2: f64,
}

impl Count {
    const ZERO: Count = Count {
        exact: 0,
        over: false,
        log2: f64::NEG_INFINITY,
    };
    const ONE: Count = Count {
        exact: 1,
        over: false,
        log2: 0.0,
    };

    fn add(self, other: Count) -> Count {
        let (exact, carry) = self.exact.overflowing_add(other.exact);
        Count {
            exact: if carry { u128::MAX } else { exact },
            over: self.over || other.over || carry,
            log2: log2_add(self.log2, other.log2),
        }
    }

    /// A bound known only by its logarithm.
    fn from_log2(log2: f64, over: bool) -> Count {
        if log2 == f64::NEG_INFINITY {
            return Count::ZERO;
        }
        if over || log2.is_nan() || log2 >= 128.0 {
            return Count {
                exact: u128::MAX,
                over: true,
                log2,
            };
        }
        Count {
            // An upper bound: round up (the cast saturates).
            exact: log2.exp2().ceil() as u128,
            over: false,
            log2,
        }
    }
}

/// `log2(2^a + 2^b)`, without leaving the logarithmic domain.
fn log2_add(a: f64, b: f64) -> f64 {
    if a == f64::NEG_INFINITY {
        return b;
    }
    if b == f64::NEG_INFINITY {
        return a;
    }
    let (hi, lo) = if a >= b { (a, b) } else { (b, a) };
    hi + (lo - hi).exp2().ln_1p() / std::f64::consts::LN_2
}

/// Where a move leads.
#[derive(Debug, Clone, Copy)]
enum Dest {
    /// A state of the same component.
    State(u32),
    /// The entry state of this node, in a later component.
    Enter(NodeIndex),
}

/// Where an arrival at a node ends up, once used-up limits have sent it on.
#[derive(Debug, Clone, Copy)]
enum Arrival {
    /// At a node of the current component; the limited node (by its index among the
    /// component's limited nodes) whose count the arrival raises, if any.
    Inside(NodeIndex, Option<usize>),
    /// At a node of another (later) component, which the walk enters afresh.
    Outside(NodeIndex),
}

/// How an arrival at a node of a component not explored exactly may go, in the relaxed
/// model of [`Analysis::bound`]: allowed once `need` passes were counted in the component
/// (the limits that had to be used up to get here).
#[derive(Debug, Clone, Copy)]
struct Way {
    need: u64,
    to: Relaxed,
}

#[derive(Debug, Clone, Copy)]
enum Relaxed {
    /// Leaves the component; the walks from there.
    Exit(Count),
    /// To the node at this position in the component, not counted.
    Uncounted(usize),
    /// To the node at this position in the component, counted.
    Counted(usize),
}

/// A component too large to explore exactly.
#[derive(Debug)]
struct Boxed {
    comp: usize,
    /// Its entry states.
    states: Vec<u32>,
}

struct Analysis<'t> {
    tree: &'t Tree,
    graph: &'t Graph,
    /// For each node: its component (an index into `comps`, which is in topological
    /// order).
    comp: Vec<u32>,
    /// For each node: its position in its component's node list.
    pos: Vec<u32>,
    /// For each limited node: its index among its component's limited nodes.
    local: Vec<u32>,
    /// Components in topological order (sources first), nodes in file order.
    comps: Vec<Vec<NodeIndex>>,
    /// For each component: how many limited nodes it has.
    limited: Vec<u32>,

    /// For each state: its node.
    node: Vec<NodeIndex>,
    /// For each state: where its moves start in `moves` (plus one final entry).
    first: Vec<usize>,
    moves: Vec<Dest>,
    /// Every state, in topological order.
    order: Vec<u32>,
    /// For each node: the state a walk is in when it enters the node's component there.
    entry: Vec<u32>,
    /// For each node: whether some walk enters its component there.
    entered: Vec<bool>,

    boxes: Vec<Boxed>,
    /// Entry state of a component not explored → its box.
    box_of: HashMap<u32, usize>,
    /// Entry state of a component not explored → the route through it (the nodes after
    /// the entry, ending with the first node outside the component).
    routes: HashMap<u32, Vec<NodeIndex>>,

    heavy_states: usize,
    heavy_moves: usize,
    /// The state budget (see the module documentation).
    budget: usize,
    relaxed_left: u64,
    greedy_left: u64,
    approximate: bool,
    scratch: Vec<NodeIndex>,
}

impl<'t> Analysis<'t> {
    fn new(tree: &'t Tree) -> Self {
        let graph = &tree.0.graph;
        let n = graph.node_count();
        // Components, then their topological order by Kahn's algorithm over the
        // condensation (kosaraju_scc is iterative; its output order is not relied on).
        let found = petgraph::algo::kosaraju_scc(graph);
        let mut comp = vec![NONE; n];
        for (c, nodes) in found.iter().enumerate() {
            for v in nodes {
                comp[v.index()] = c as u32;
            }
        }
        let mut indegree = vec![0usize; found.len()];
        for edge in graph.raw_edges() {
            let (a, b) = (comp[edge.source().index()], comp[edge.target().index()]);
            if a != b {
                indegree[b as usize] += 1;
            }
        }
        let mut queue: VecDeque<usize> = (0..found.len()).filter(|&c| indegree[c] == 0).collect();
        let mut topo = Vec::with_capacity(found.len());
        while let Some(c) = queue.pop_front() {
            topo.push(c);
            for v in &found[c] {
                for w in graph.neighbors(*v) {
                    let d = comp[w.index()] as usize;
                    if d != c {
                        indegree[d] -= 1;
                        if indegree[d] == 0 {
                            queue.push_back(d);
                        }
                    }
                }
            }
        }
        // Every component is placed (the condensation has no cycle); the chain below only
        // guards the arithmetic.
        let rest: Vec<usize> = (0..found.len()).collect();
        let mut comps: Vec<Vec<NodeIndex>> = Vec::with_capacity(found.len());
        let mut found: Vec<Option<Vec<NodeIndex>>> = found.into_iter().map(Some).collect();
        for c in topo.into_iter().chain(rest) {
            if let Some(mut nodes) = found[c].take() {
                nodes.sort_unstable();
                comps.push(nodes);
            }
        }
        let mut pos = vec![NONE; n];
        let mut local = vec![NONE; n];
        let mut limited = Vec::with_capacity(comps.len());
        for (c, nodes) in comps.iter().enumerate() {
            let mut k = 0u32;
            for (i, v) in nodes.iter().enumerate() {
                comp[v.index()] = c as u32;
                pos[v.index()] = i as u32;
                if graph[*v].limit.is_some() {
                    local[v.index()] = k;
                    k += 1;
                }
            }
            limited.push(k);
        }
        Analysis {
            tree,
            graph,
            comp,
            pos,
            local,
            comps,
            limited,
            node: Vec::with_capacity(n),
            first: Vec::with_capacity(n + 1),
            moves: Vec::with_capacity(graph.edge_count()),
            order: Vec::with_capacity(n),
            entry: vec![NONE; n],
            entered: vec![false; n],
            boxes: Vec::new(),
            box_of: HashMap::new(),
            routes: HashMap::new(),
            heavy_states: 0,
            heavy_moves: 0,
            budget: BASE_STATES.max(n.saturating_add(graph.edge_count())),
            relaxed_left: RELAXED_WORK,
            greedy_left: GREEDY_MOVES,
            approximate: false,
            scratch: Vec::new(),
        }
    }

    fn run(mut self) -> PathReport {
        let start = match self.resolve(self.tree.0.start, NONE, &[]) {
            Some(Arrival::Outside(v) | Arrival::Inside(v, _)) => v,
            None => return self.empty(),
        };
        self.entered[start.index()] = true;
        for c in 0..self.comps.len() {
            self.visit(c);
        }
        self.first.push(self.moves.len());
        let start = self.entry[start.index()];
        if start == NONE {
            return self.empty();
        }

        let n = self.node.len();
        // Walks and longest walks, from the ends backwards.
        let mut count = vec![Count::ZERO; n];
        let mut longest = vec![NO_WALK; n];
        let mut best = vec![NONE; n];
        let mut bounded = vec![false; self.boxes.len()];
        for i in (0..self.order.len()).rev() {
            let s = self.order[i] as usize;
            if let Some(&b) = self.box_of.get(&(s as u32)) {
                if !bounded[b] {
                    bounded[b] = true;
                    for (state, value) in self.bound(b, &count) {
                        count[state as usize] = value;
                    }
                }
                if let Some(route) = self.routes.get(&(s as u32))
                    && let Some(&exit) = route.last()
                {
                    let e = self.entry[exit.index()];
                    if e != NONE && longest[e as usize] != NO_WALK {
                        longest[s] = longest[e as usize].saturating_add(route.len() as u64);
                    }
                }
                continue;
            }
            if self.graph[self.node[s]].kind.is_terminal() {
                count[s] = Count::ONE;
                longest[s] = 0;
                continue;
            }
            let mut total = Count::ZERO;
            for (i, &m) in self.moves[self.first[s]..self.first[s + 1]]
                .iter()
                .enumerate()
            {
                let d = self.dest(m);
                if d == NONE {
                    continue;
                }
                let d = d as usize;
                total = total.add(count[d]);
                if longest[d] != NO_WALK {
                    let length = longest[d] + 1;
                    if longest[s] == NO_WALK || length > longest[s] {
                        longest[s] = length;
                        best[s] = i as u32;
                    }
                }
            }
            count[s] = total;
        }

        // Shortest walks, from the start forwards.
        let mut dist = vec![u64::MAX; n];
        let mut parent = vec![NONE; n];
        dist[start as usize] = 0;
        for &s in &self.order {
            let s = s as usize;
            if dist[s] == u64::MAX {
                continue;
            }
            let mut relax = |d: u32, length: u64| {
                if d != NONE && dist[s] + length < dist[d as usize] {
                    dist[d as usize] = dist[s] + length;
                    parent[d as usize] = s as u32;
                }
            };
            if self.box_of.contains_key(&(s as u32)) {
                if let Some(route) = self.routes.get(&(s as u32))
                    && let Some(exit) = route.last()
                {
                    relax(self.entry[exit.index()], route.len() as u64);
                }
                continue;
            }
            for &m in &self.moves[self.first[s]..self.first[s + 1]] {
                relax(self.dest(m), 1);
            }
        }

        // Where each shortest walk's listed head ends: `head_end[s]` is the last state of
        // the walk to `s` at a position below `WALK_ENDS`, `head_next[s]` the state after
        // it (whose transition may still hold head nodes). Parents come first in `order`.
        let mut head_end = vec![NONE; n];
        let mut head_next = vec![NONE; n];
        for &s in &self.order {
            let s = s as usize;
            if dist[s] == u64::MAX {
                continue;
            }
            let p = parent[s];
            if dist[s] < WALK_ENDS as u64 || p == NONE {
                head_end[s] = s as u32;
            } else {
                head_end[s] = head_end[p as usize];
                head_next[s] = if dist[p as usize] < WALK_ENDS as u64 {
                    s as u32
                } else {
                    head_next[p as usize]
                };
            }
        }
        let mut budget = LISTED_BYTES;

        let longest = if longest[start as usize] == NO_WALK {
            Walk::default()
        } else {
            self.longest_walk(start, &best, &mut budget)
        };

        let mut shortest = Vec::new();
        for v in self.graph.node_indices() {
            if !self.graph[v].kind.is_terminal() {
                continue;
            }
            let s = self.entry[v.index()];
            let path = if s == NONE || dist[s as usize] == u64::MAX {
                Walk::default()
            } else {
                let len = dist[s as usize].saturating_add(1);
                let (head, tail) = if len <= WALK_LISTED as u64 {
                    (self.back_from(s, start, &parent, WALK_LISTED), Vec::new())
                } else {
                    let tail = self.back_from(s, start, &parent, WALK_ENDS);
                    let end = head_end[s as usize];
                    let mut head = self.back_from(end, start, &parent, WALK_ENDS);
                    let next = head_next[s as usize];
                    if next != NONE
                        && let Some(route) = self.routes.get(&end)
                    {
                        let missing = WALK_ENDS.saturating_sub(head.len());
                        head.extend(route.iter().take(missing));
                    }
                    (head, tail)
                };
                self.listed(len, &head, &tail, &mut budget)
            };
            shortest.push(ShortestWalk {
                terminal: self.tree.0.node_id(v).to_string(),
                path,
            });
        }

        let total = count[start as usize];
        PathReport {
            walks: total.exact,
            saturated: total.over,
            walks_log2: if total.over {
                total.log2
            } else {
                (total.exact as f64).log2()
            },
            shortest,
            longest,
            approximate: self.approximate,
        }
    }

    /// A report for a tree whose start cannot be entered (never for a validated tree).
    fn empty(&self) -> PathReport {
        PathReport {
            walks: 0,
            saturated: false,
            walks_log2: f64::NEG_INFINITY,
            shortest: self
                .graph
                .node_indices()
                .filter(|&v| self.graph[v].kind.is_terminal())
                .map(|v| ShortestWalk {
                    terminal: self.tree.0.node_id(v).to_string(),
                    path: Walk::default(),
                })
                .collect(),
            longest: Walk::default(),
            approximate: self.approximate,
        }
    }

    /// The last `max` nodes of the shortest walk to state `s` (all of them if fewer),
    /// in walk order, routes through unexplored components expanded.
    fn back_from(&self, s: u32, start: u32, parent: &[u32], max: usize) -> Vec<NodeIndex> {
        let mut out = vec![self.node[s as usize]];
        let mut at = s;
        while out.len() < max && at != start && parent[at as usize] != NONE {
            let p = parent[at as usize];
            if let Some(route) = self.routes.get(&p) {
                // The route ends with the node of `at`, already listed.
                let inner = &route[..route.len().saturating_sub(1)];
                for &v in inner.iter().rev() {
                    if out.len() == max {
                        break;
                    }
                    out.push(v);
                }
            }
            if out.len() < max {
                out.push(self.node[p as usize]);
            }
            at = p;
        }
        out.reverse();
        out
    }

    /// The longest walk from `start`, following `best`: its length, its first nodes and
    /// its last [`WALK_ENDS`], streamed (the walk itself is never stored).
    fn longest_walk(&self, start: u32, best: &[u32], budget: &mut usize) -> Walk {
        let mut len: u64 = 0;
        let mut head: Vec<NodeIndex> = Vec::new();
        let mut tail: VecDeque<NodeIndex> = VecDeque::with_capacity(WALK_ENDS);
        let mut see = |v: NodeIndex| {
            len += 1;
            if head.len() < WALK_LISTED {
                head.push(v);
            }
            if tail.len() == WALK_ENDS {
                tail.pop_front();
            }
            tail.push_back(v);
        };
        let mut at = start;
        see(self.node[at as usize]);
        // Every state is passed at most once (the state graph is acyclic); the bound only
        // guards against a bug.
        for _ in 0..self.node.len() {
            if self.graph[self.node[at as usize]].kind.is_terminal() {
                break;
            }
            let next = if self.box_of.contains_key(&at) {
                let route = self.routes.get(&at);
                if let Some(route) = route {
                    for &v in route {
                        see(v);
                    }
                }
                route
                    .and_then(|r| r.last())
                    .map_or(NONE, |exit| self.entry[exit.index()])
            } else {
                let b = best[at as usize];
                if b == NONE {
                    NONE
                } else {
                    let d = self.dest(self.moves[self.first[at as usize] + b as usize]);
                    if d != NONE {
                        see(self.node[d as usize]);
                    }
                    d
                }
            };
            if next == NONE {
                break;
            }
            at = next;
        }
        if len <= WALK_LISTED as u64 {
            self.listed(len, &head, &[], budget)
        } else {
            let tail: Vec<NodeIndex> = tail.into_iter().collect();
            self.listed(len, &head[..WALK_ENDS], &tail, budget)
        }
    }

    /// A [`Walk`] of `len` nodes listing `head` and `tail`, if the listing budget allows.
    fn listed(&self, len: u64, head: &[NodeIndex], tail: &[NodeIndex], budget: &mut usize) -> Walk {
        let cost: usize = head
            .iter()
            .chain(tail)
            .map(|&v| self.tree.0.node_id(v).len().saturating_add(8))
            .fold(0, usize::saturating_add);
        if cost > *budget {
            *budget = 0;
            return Walk {
                len,
                head: Vec::new(),
                tail: Vec::new(),
            };
        }
        *budget -= cost;
        let id = |v: &NodeIndex| self.tree.0.node_id(*v).to_string();
        Walk {
            len,
            head: head.iter().map(id).collect(),
            tail: tail.iter().map(id).collect(),
        }
    }

    fn dest(&self, dest: Dest) -> u32 {
        match dest {
            Dest::State(s) => s,
            Dest::Enter(v) => self.entry[v.index()],
        }
    }

    /// The nodes `v` leads to, one per edge (answers, free input, rules, `otherwise`),
    /// into `self.scratch`.
    fn successors(&mut self, v: NodeIndex) {
        let mut out = std::mem::take(&mut self.scratch);
        out.clear();
        self.tree.for_each_edge(v, |label, to| {
            if !matches!(label, EdgeLabel::Limit) {
                out.push(to);
            }
        });
        self.scratch = out;
    }

    /// Where an arrival at `x` ends up, as the session's `enter` decides it: `counts` are
    /// the passes of component `c`'s limited nodes (nodes of other components have none
    /// yet). `None` for a reference to no node (never in a validated tree).
    fn resolve(&self, x: NodeIndex, c: u32, counts: &[u16]) -> Option<Arrival> {
        let graph = self.graph;
        let mut target = x;
        let mut counted = false;
        for _ in 0..=graph.node_count() {
            let node = graph.node_weight(target)?;
            match node.limit {
                Some(limit) => {
                    let passes = if self.comp[target.index()] == c {
                        counts
                            .get(self.local[target.index()] as usize)
                            .copied()
                            .unwrap_or(0)
                    } else {
                        0
                    };
                    if passes >= limit.times {
                        target = limit.then;
                    } else {
                        counted = true;
                        break;
                    }
                }
                None => break,
            }
        }
        graph.node_weight(target)?;
        Some(if self.comp[target.index()] == c {
            let slot = self.local[target.index()];
            Arrival::Inside(target, (counted && slot != NONE).then_some(slot as usize))
        } else {
            Arrival::Outside(target)
        })
    }
}

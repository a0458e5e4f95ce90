//! The checks on the whole graph, once every node is compiled: reachability from the
//! start (W001), a way out from every node (E009), and bounded cycles (E010).
//!
//! The checks read the edges from [`Edges`], adjacency lists in two flat arrays built in
//! the one edge order of [`Node::edges`], rather than from petgraph's linked edge
//! lists; the tree's own petgraph edges are added only once the checks are done and
//! their arrays freed. The cycles are found by [`loops`], Tarjan's algorithm with an
//! explicit stack, because a million-node chain must not recurse (petgraph 0.8's
//! `TarjanScc` does). docs/PERFORMANCE.md has the measurement behind both choices.

use petgraph::graph::NodeIndex;

use super::listed;
use crate::diagnostic::{Code, Pending};
use crate::limits::Quoted;
use crate::tree::{Graph, IdIndex, Node};

/// Nodes the checks treat specially, as the earlier phases marked them.
pub(super) struct Marks<'m> {
    /// Nodes with a reference that names nothing: they count as a way out (their E006
    /// is the finding), and get no E009 of their own.
    pub broken: &'m [bool],
    /// Nodes whose id an earlier node has: unreachable by construction, and E003 says so
    /// already, so they get no W001.
    pub duplicates: &'m [bool],
}

fn report(
    pending: &mut Vec<Pending>,
    code: Code,
    path: String,
    node: Option<&str>,
    message: String,
) {
    pending.push(Pending {
        code,
        path,
        message,
        node: node.map(str::to_owned),
    });
}

/// Reachability (W001), a way out from every node (E009) and bounded cycles (E010);
/// returns the bound on the moves of a walk through the tree (see [`walk_bound`]), when
/// every loop is bounded.
pub(super) fn check(
    graph: &Graph,
    ids: &IdIndex,
    edges: &Edges,
    start: NodeIndex,
    marks: &Marks<'_>,
    max_walk_steps: u64,
    pending: &mut Vec<Pending>,
) -> Option<u64> {
    let n = graph.node_count();
    // Reachable from start.
    let mut reached = vec![false; n];
    let mut stack = vec![index_u32(start)];
    reached[start.index()] = true;
    while let Some(v) = stack.pop() {
        for &w in edges.of(v as usize) {
            if !reached[w as usize] {
                reached[w as usize] = true;
                stack.push(w);
            }
        }
    }
    // Can reach an end (Resolve, Escalate or Goto). A node with a dangling reference
    // counts as one: its E006 is the finding, and the nodes that lead to it should not
    // also be reported as having no exit.
    let incoming = edges.reversed();
    let mut exits = vec![false; n];
    stack.clear();
    for (v, node) in graph.node_weights().enumerate() {
        if node.kind.is_terminal() || marks.broken[v] {
            exits[v] = true;
            stack.push(u32::try_from(v).unwrap_or(u32::MAX));
        }
    }
    while let Some(v) = stack.pop() {
        for &w in incoming.of(v as usize) {
            if !exits[w as usize] {
                exits[w as usize] = true;
                stack.push(w);
            }
        }
    }
    drop((stack, incoming));
    for v in graph.node_indices() {
        let (reached, exits) = (reached[v.index()], exits[v.index()]);
        if !reached && !marks.duplicates[v.index()] {
            let id = ids.id_of(v);
            report(
                pending,
                Code::Unreachable,
                format!("nodes.{}", v.index()),
                Some(id),
                format!(
                    "node {} cannot be reached from start {}; link to it or remove it",
                    Quoted(id),
                    Quoted(ids.id_of(start))
                ),
            );
        }
        if !exits && !marks.broken[v.index()] {
            let id = ids.id_of(v);
            report(
                pending,
                Code::NoExit,
                format!("nodes.{}", v.index()),
                Some(id),
                format!(
                    "no walk from node {} reaches a Resolve, Escalate or Goto; give it a way out",
                    Quoted(id)
                ),
            );
        }
    }
    drop((reached, exits));
    let before = pending.len();
    cycles(graph, ids, edges, pending);
    // The bound on walks holds only when every loop is bounded.
    pending[before..]
        .iter()
        .all(|p| p.code != Code::UnboundedCycle)
        .then(|| walk_bound(graph, ids, edges, max_walk_steps, pending))
}

/// E016 when a walk through the tree could take more than `max` moves: the walker's
/// step bound must never be what ends a walk of a tree that checks.
///
/// The bound is computed on the strongly connected components of the graph (every
/// edge, limits' `then` included), in linear time. Within a component of `n` nodes
/// whose limits sum to `t`, a walk makes at most `t` counted arrivals (each limit counts
/// its passes), and between two of them only uncounted moves, which the cycle check
/// proved form no cycle, so at most `n` of them: at most `t + (t + 1) × n` moves inside
/// the component, and none inside a component without a cycle. A walk passes the
/// components in topological order, with one move from each to the next; the bound is
/// the heaviest such chain, from any node.
fn walk_bound(
    graph: &Graph,
    ids: &IdIndex,
    edges: &Edges,
    max: u64,
    pending: &mut Vec<Pending>,
) -> u64 {
    let n = graph.node_count();
    let mut component = vec![u32::MAX; n];
    // For each component, in the order found (successors first): the bound on the moves
    // of a walk from it, and the limited node of the heaviest loop on that walk.
    let mut bounds: Vec<(u64, Option<(u64, u32)>)> = Vec::new();
    components(edges, |members| {
        let c = u32::try_from(bounds.len()).unwrap_or(u32::MAX);
        for &v in members {
            component[v as usize] = c;
        }
        let mut times = 0u64;
        let mut cyclic = members.len() > 1;
        let mut heaviest: Option<(u64, u32)> = None;
        let mut after = (0u64, None);
        for &v in members {
            let node = &graph[NodeIndex::new(v as usize)];
            if let Some(limit) = node.limit {
                times += u64::from(limit.times);
                if heaviest.is_none_or(|(t, _)| u64::from(limit.times) > t) {
                    heaviest = Some((u64::from(limit.times), v));
                }
            }
            for &w in edges.of(v as usize) {
                let d = component[w as usize];
                if d == c {
                    cyclic |= w == v;
                } else if let Some(&(bound, loop_)) = bounds.get(d as usize) {
                    let through = bound.saturating_add(1);
                    if through > after.0 {
                        after = (through, loop_);
                    }
                }
            }
        }
        let inside = if cyclic {
            let n = u64::try_from(members.len()).unwrap_or(u64::MAX);
            times.saturating_add(times.saturating_add(1).saturating_mul(n))
        } else {
            0
        };
        // The loop to name: this component's, unless one further on weighs more.
        let own = if cyclic {
            heaviest.map(|(_, v)| (inside, v))
        } else {
            None
        };
        let loop_ = match (own, after.1) {
            (Some(a), Some(b)) => Some(if a.0 >= b.0 { a } else { b }),
            (a, b) => a.or(b),
        };
        bounds.push((inside.saturating_add(after.0), loop_));
    });
    let Some(&(bound, loop_)) = bounds.iter().max_by_key(|(bound, _)| *bound) else {
        return 0;
    };
    if bound <= max {
        return bound;
    }
    match loop_ {
        Some((_, v)) => {
            let node = &graph[NodeIndex::new(v as usize)];
            let id = ids.id_of(NodeIndex::new(v as usize));
            let times = node.limit.map_or(0, |l| l.times);
            report(
                pending,
                Code::LimitExceeded,
                format!("nodes.{v}.limit.times"),
                Some(id),
                format!(
                    "a walk through this tree could take up to {bound} moves, more than the {max} a session allows; the loop through node {} may be passed {times} times: lower `times` (a walk that needs more is better handed over)",
                    Quoted(id)
                ),
            );
        }
        None => report(
            pending,
            Code::LimitExceeded,
            "nodes".into(),
            None,
            format!(
                "a walk through this tree could take up to {bound} moves, more than the {max} a session allows; split the flow into trees joined by Goto"
            ),
        ),
    }
    bound
}

/// A walk is bounded when every cycle it could repeat passes a counted arrival at a
/// node with a `limit`. The graph of *uncounted* moves (arrivals at unlimited nodes,
/// and redirects from an exhausted limit to its `then`) must therefore be acyclic.
fn cycles(graph: &Graph, ids: &IdIndex, edges: &Edges, pending: &mut Vec<Pending>) {
    const NOWHERE: u32 = u32::MAX;
    let n = graph.node_count();
    // Where an uncounted move towards each node lands: the node itself when it has
    // no limit, and where its exhausted limit sends the arrival otherwise.
    let exhausted = exhausted(graph, ids, pending);
    let lands: Vec<u32> = graph
        .node_weights()
        .zip(exhausted)
        .enumerate()
        .map(|(x, (node, exhausted))| match (node.limit, exhausted) {
            (None, _) => u32::try_from(x).unwrap_or(NOWHERE),
            (Some(_), Some(target)) => index_u32(target),
            (Some(_), None) => NOWHERE,
        })
        .collect();
    // The uncounted moves, as adjacency lists in one array. Repeated moves are kept:
    // they change no strongly connected component.
    let mut moves = Edges::with_capacity(n);
    for (p, node) in graph.node_weights().enumerate() {
        // The edge from a limited node to its own `then` (its last edge) is not a
        // move: the redirect goes from the predecessor, as the move to `lands`.
        let out = edges.of(p);
        let out = match node.limit {
            Some(limit) if limit.then != NodeIndex::end() => &out[..out.len() - 1],
            _ => out,
        };
        moves.close();
        moves.targets.extend(
            out.iter()
                .map(|&x| lands[x as usize])
                .filter(|&t| t != NOWHERE),
        );
    }
    moves.finish();
    drop(lands);
    for mut component in loops(&moves) {
        component.sort_unstable();
        let first = NodeIndex::new(component[0] as usize);
        let names: Vec<String> = component
            .iter()
            .take(8)
            .map(|&i| Quoted(ids.id_of(NodeIndex::new(i as usize))).to_string())
            .collect();
        let more = if component.len() > 8 {
            format!(" and {} more", component.len() - 8)
        } else {
            String::new()
        };
        let id = ids.id_of(first);
        report(
            pending,
            Code::UnboundedCycle,
            format!("nodes.{}", first.index()),
            Some(id),
            format!(
                "nodes {}{more} form a loop that nothing bounds; give one of them limit: Limit(times: N, then: \"...\")",
                names.join(" → ")
            ),
        );
    }
}

/// For each limited node, where an arrival goes once it and every limited node along
/// its `then` chain are exhausted: the first node without a limit on the chain, or
/// `None` when the chain ends at a dangling `then` or goes round in a circle. Each
/// circle is reported at every `then` on it.
///
/// Each `then` chain is followed once, whatever the number of limited nodes that
/// lead into it: linear time.
fn exhausted(graph: &Graph, ids: &IdIndex, pending: &mut Vec<Pending>) -> Vec<Option<NodeIndex>> {
    const NEW: u8 = 0;
    const ON_PATH: u8 = 1;
    const DONE: u8 = 2;
    let n = graph.node_count();
    let mut exhausted: Vec<Option<NodeIndex>> = vec![None; n];
    let mut state = vec![NEW; n];
    let mut path: Vec<NodeIndex> = Vec::new();
    let mut circles: Vec<(NodeIndex, String)> = Vec::new();
    for v in graph.node_indices() {
        if graph[v].limit.is_none() || state[v.index()] == DONE {
            continue;
        }
        path.clear();
        let mut at = v;
        let result = loop {
            let Some(limit) = graph[at].limit else {
                break Some(at);
            };
            match state[at.index()] {
                DONE => break exhausted[at.index()],
                ON_PATH => {
                    let from = path.iter().position(|&p| p == at).unwrap_or(0);
                    let mut circle: Vec<NodeIndex> = path[from..].to_vec();
                    circle.sort_unstable();
                    let chain = listed(circle.iter().map(|i| Quoted(ids.id_of(*i))));
                    circles.extend(circle.iter().map(|&c| (c, chain.clone())));
                    break None;
                }
                _ => {}
            }
            state[at.index()] = ON_PATH;
            path.push(at);
            if limit.then == NodeIndex::end() {
                break None;
            }
            at = limit.then;
        };
        for &p in &path {
            state[p.index()] = DONE;
            exhausted[p.index()] = result;
        }
    }
    circles.sort_by_key(|(v, _)| *v);
    for (v, chain) in circles {
        let id = ids.id_of(v);
        report(
            pending,
            Code::UnboundedCycle,
            format!("nodes.{}.limit.then", v.index()),
            Some(id),
            format!(
                "the limits of {chain} send each other round in a circle once all are used up; end one `then` at a node without a limit"
            ),
        );
    }
    exhausted
}

/// Adjacency lists of a graph in two arrays: node `v`'s targets are
/// `targets[starts[v]..starts[v + 1]]`. Compact and read in order, they make the graph
/// checks much faster than following petgraph's linked edge lists.
pub(super) struct Edges {
    starts: Vec<u32>,
    targets: Vec<u32>,
}

impl Edges {
    pub fn with_capacity(nodes: usize) -> Self {
        Edges {
            starts: Vec::with_capacity(nodes + 1),
            targets: Vec::with_capacity(nodes.saturating_mul(2)),
        }
    }

    /// Adds the next node's edges, in the one order of [`Node::edges`] (its limit's
    /// `then` last), leaving out references that name no node.
    pub fn add(&mut self, node: &Node) {
        self.close();
        self.targets.extend(
            node.edges()
                .map(|(_, to)| to)
                .filter(|&to| to != NodeIndex::end())
                .map(index_u32),
        );
    }

    /// Gives the tree's graph these edges, in the same order.
    pub fn into_graph(self, graph: &mut Graph) {
        graph.reserve_exact_edges(self.targets.len());
        for v in graph.node_indices() {
            for &w in self.of(v.index()) {
                graph.add_edge(v, NodeIndex::new(w as usize), ());
            }
        }
    }

    /// Ends the previous node's list, and starts the next one's.
    fn close(&mut self) {
        // Edge counts above u32::MAX would take a file of tens of gigabytes.
        self.starts
            .push(u32::try_from(self.targets.len()).unwrap_or(u32::MAX));
    }

    /// Closes the last node's list.
    pub fn finish(&mut self) {
        self.close();
    }

    fn of(&self, v: usize) -> &[u32] {
        &self.targets[self.starts[v] as usize..self.starts[v + 1] as usize]
    }

    /// The same edges, reversed: each node's sources.
    fn reversed(&self) -> Edges {
        let n = self.starts.len().saturating_sub(1);
        let mut starts = vec![0u32; n + 1];
        for &w in &self.targets {
            starts[w as usize + 1] += 1;
        }
        for v in 0..n {
            starts[v + 1] += starts[v];
        }
        let mut fill = starts.clone();
        let mut targets = vec![0u32; self.targets.len()];
        for v in 0..n {
            for &w in self.of(v) {
                let at = &mut fill[w as usize];
                targets[*at as usize] = u32::try_from(v).unwrap_or(u32::MAX);
                *at += 1;
            }
        }
        Edges { starts, targets }
    }
}

fn index_u32(v: NodeIndex) -> u32 {
    // Node counts above u32::MAX are refused before the graph is built.
    u32::try_from(v.index()).unwrap_or(u32::MAX)
}

/// The strongly connected components of `graph` that hold a cycle (two nodes or more,
/// or one with an edge to itself).
fn loops(graph: &Edges) -> Vec<Vec<u32>> {
    let mut out = Vec::new();
    components(graph, |component| {
        let cyclic = match component {
            [v] => graph.of(*v as usize).contains(v),
            _ => true,
        };
        if cyclic {
            out.push(component.to_vec());
        }
    });
    out
}

/// Calls `emit` with each strongly connected component of `graph`, successors first (in
/// reverse topological order: every edge leaving a component leads to one emitted
/// before it). Tarjan's algorithm, with an explicit stack: linear time, no recursion.
fn components(graph: &Edges, mut emit: impl FnMut(&[u32])) {
    /// Where the walk stands: numbers, low links and the two stacks.
    struct Walk {
        order: Vec<u32>,
        low: Vec<u32>,
        on_stack: Vec<bool>,
        stack: Vec<u32>,
        /// Nodes being visited, with the position of their next edge.
        calls: Vec<(u32, usize)>,
        next: u32,
    }
    const UNSEEN: u32 = u32::MAX;
    impl Walk {
        fn visit(&mut self, v: u32, graph: &Edges) {
            let i = v as usize;
            self.order[i] = self.next;
            self.low[i] = self.next;
            self.next = self.next.saturating_add(1);
            self.stack.push(v);
            self.on_stack[i] = true;
            self.calls.push((v, graph.starts[i] as usize));
        }
    }
    let n = graph.starts.len().saturating_sub(1);
    let mut walk = Walk {
        order: vec![UNSEEN; n],
        low: vec![0; n],
        on_stack: vec![false; n],
        stack: Vec::new(),
        calls: Vec::new(),
        next: 0,
    };
    for root in 0..n {
        if walk.order[root] != UNSEEN {
            continue;
        }
        walk.visit(u32::try_from(root).unwrap_or(UNSEEN), graph);
        while let Some(&(v, at)) = walk.calls.last() {
            let i = v as usize;
            if at < graph.starts[i + 1] as usize {
                if let Some(call) = walk.calls.last_mut() {
                    call.1 += 1;
                }
                let w = graph.targets[at];
                if walk.order[w as usize] == UNSEEN {
                    walk.visit(w, graph);
                } else if walk.on_stack[w as usize] {
                    walk.low[i] = walk.low[i].min(walk.order[w as usize]);
                }
                continue;
            }
            walk.calls.pop();
            if let Some(&(parent, _)) = walk.calls.last() {
                let p = parent as usize;
                walk.low[p] = walk.low[p].min(walk.low[i]);
            }
            if walk.low[i] != walk.order[i] {
                continue;
            }
            // The component is the top of the stack down to `v`.
            let from = walk.stack.iter().rposition(|&w| w == v).unwrap_or(0);
            for &w in &walk.stack[from..] {
                walk.on_stack[w as usize] = false;
            }
            emit(&walk.stack[from..]);
            walk.stack.truncate(from);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loops_finds_cycles_and_self_moves() {
        // 0 → 1 → 2 → 0, 3 → 3, 4 → 5.
        let graph = Edges {
            starts: vec![0, 1, 2, 3, 4, 5, 5],
            targets: vec![1, 2, 0, 3, 5],
        };
        let mut found = loops(&graph);
        for c in &mut found {
            c.sort_unstable();
        }
        found.sort();
        assert_eq!(found, vec![vec![0, 1, 2], vec![3]]);
    }
}

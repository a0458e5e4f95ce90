//! The walks inside one strongly connected component: its states (node and pass counts
//! of its limited nodes) explored from its entries, or, past the state budget, a box
//! whose counts are upper bounds (see the module above, "How they are counted").

use std::collections::hash_map::Entry;
use std::collections::{HashMap, VecDeque};

use petgraph::Direction;
use petgraph::graph::NodeIndex;

use super::{
    Analysis, Arrival, Boxed, Count, Dest, MOVES_PER_STATE, NONE, Relaxed, WORDS_PER_STATE, Way,
};

impl Analysis<'_> {
    /// Builds the states of component `c` reachable from its entries; falls back to a
    /// box when there are too many or (never in a validated tree) they form a cycle.
    pub(super) fn visit(&mut self, c: usize) {
        if !self.comps[c].iter().any(|v| self.entered[v.index()]) {
            return;
        }
        if self.comps[c].len() == 1 && self.limited[c] == 0 && self.single(c) {
            return;
        }
        if !self.explore(c) {
            self.approximate = true;
            self.make_box(c);
        }
    }

    /// The common case: one node, no limit, one state. False (and nothing recorded) if
    /// the node leads to itself.
    fn single(&mut self, c: usize) -> bool {
        let v = self.comps[c][0];
        self.successors(v);
        let mut arrivals = Vec::with_capacity(self.scratch.len());
        for &x in &self.scratch {
            match self.resolve(x, c as u32, &[]) {
                Some(Arrival::Outside(u)) => arrivals.push(u),
                Some(Arrival::Inside(..)) => return false,
                None => {}
            }
        }
        let s = self.node.len() as u32;
        self.node.push(v);
        self.first.push(self.moves.len());
        for u in arrivals {
            self.entered[u.index()] = true;
            self.moves.push(Dest::Enter(u));
        }
        self.entry[v.index()] = s;
        self.order.push(s);
        true
    }

    /// Explores component `c` state by state (breadth first, ids in discovery order),
    /// then orders its states topologically. False, with everything undone, when the
    /// budget runs out or the states form a cycle.
    fn explore(&mut self, c: usize) -> bool {
        let k = self.limited[c] as usize;
        let base = self.node.len();
        let move_base = self.moves.len();
        let cap = (self.budget.saturating_mul(WORDS_PER_STATE) / (k + 1))
            .min(self.budget.saturating_sub(self.heavy_states));
        let move_cap = self
            .budget
            .saturating_mul(MOVES_PER_STATE)
            .saturating_sub(self.heavy_moves);
        let mut ids: HashMap<(NodeIndex, Box<[u16]>), u32> = HashMap::new();
        let mut keys: Vec<Box<[u16]>> = Vec::new();

        let entries: Vec<NodeIndex> = self.comps[c]
            .iter()
            .copied()
            .filter(|v| self.entered[v.index()])
            .collect();
        for y in entries {
            let mut counts = vec![0u16; k].into_boxed_slice();
            if let Some(slot) = counts.get_mut(self.local[y.index()] as usize) {
                *slot = 1;
            }
            let s = self.node.len() as u32;
            self.node.push(y);
            keys.push(counts.clone());
            ids.insert((y, counts), s);
            self.entry[y.index()] = s;
        }

        let mut next = base;
        let mut ok = true;
        while next < self.node.len() {
            let v = self.node[next];
            let counts = keys[next - base].clone();
            self.first.push(self.moves.len());
            self.successors(v);
            let successors = std::mem::take(&mut self.scratch);
            for &x in &successors {
                match self.resolve(x, c as u32, &counts) {
                    Some(Arrival::Inside(u, slot)) => {
                        let mut after = counts.clone();
                        if let Some(count) = slot.and_then(|i| after.get_mut(i)) {
                            *count = count.saturating_add(1);
                        }
                        let s = match ids.entry((u, after)) {
                            Entry::Occupied(e) => *e.get(),
                            Entry::Vacant(e) => {
                                let s = self.node.len() as u32;
                                keys.push(e.key().1.clone());
                                self.node.push(u);
                                e.insert(s);
                                s
                            }
                        };
                        self.moves.push(Dest::State(s));
                    }
                    Some(Arrival::Outside(u)) => {
                        self.entered[u.index()] = true;
                        self.moves.push(Dest::Enter(u));
                    }
                    None => {}
                }
            }
            self.scratch = successors;
            if self.node.len() - base > cap || self.moves.len() - move_base > move_cap {
                ok = false;
                break;
            }
            next += 1;
        }
        drop(ids);
        drop(keys);

        // Topological order of the component's states (Kahn).
        let states = self.node.len() - base;
        let mut order = Vec::with_capacity(states);
        if ok {
            let mut indegree = vec![0u32; states];
            for m in &self.moves[move_base..] {
                if let Dest::State(d) = *m {
                    indegree[d as usize - base] += 1;
                }
            }
            let mut queue: VecDeque<usize> = (0..states).filter(|&i| indegree[i] == 0).collect();
            while let Some(i) = queue.pop_front() {
                order.push((base + i) as u32);
                let end = self
                    .first
                    .get(base + i + 1)
                    .copied()
                    .unwrap_or(self.moves.len());
                for m in self.first[base + i]..end {
                    if let Dest::State(d) = self.moves[m] {
                        let j = d as usize - base;
                        indegree[j] -= 1;
                        if indegree[j] == 0 {
                            queue.push_back(j);
                        }
                    }
                }
            }
            ok = order.len() == states;
        }
        // The budget counts the work done, kept or not: a tree of many large loops
        // must not explore each of them up to the budget before giving up on it.
        self.heavy_states += states;
        self.heavy_moves += self.moves.len() - move_base;
        if !ok {
            self.node.truncate(base);
            self.first.truncate(base);
            self.moves.truncate(move_base);
            for v in &self.comps[c] {
                self.entry[v.index()] = NONE;
            }
            return false;
        }
        self.order.extend(order);
        true
    }

    /// Records component `c` as not explored: every way out of it is entered (the bound
    /// sums over all of them), and each entry gets a greedy route through it.
    fn make_box(&mut self, c: usize) {
        let c32 = c as u32;
        for v in &self.comps[c] {
            for w in self.graph.neighbors(*v) {
                if self.comp[w.index()] != c32 {
                    self.entered[w.index()] = true;
                }
            }
        }
        let distance = self.distance_out(c);
        let b = self.boxes.len();
        let mut states = Vec::new();
        let entries: Vec<NodeIndex> = self.comps[c]
            .iter()
            .copied()
            .filter(|v| self.entered[v.index()])
            .collect();
        for y in entries {
            let s = self.node.len() as u32;
            self.node.push(y);
            self.first.push(self.moves.len());
            self.entry[y.index()] = s;
            self.box_of.insert(s, b);
            if let Some(route) = self.greedy(c, y, &distance)
                && let Some(&exit) = route.last()
            {
                self.moves.push(Dest::Enter(exit));
                self.routes.insert(s, route);
            }
            self.order.push(s);
            states.push(s);
        }
        self.boxes.push(Boxed { comp: c, states });
    }

    /// For each node of component `c` (by position): the fewest edges to leave it,
    /// ignoring limits.
    fn distance_out(&self, c: usize) -> Vec<u32> {
        let c32 = c as u32;
        let nodes = &self.comps[c];
        let mut distance = vec![u32::MAX; nodes.len()];
        let mut queue = VecDeque::new();
        for (i, v) in nodes.iter().enumerate() {
            if self
                .graph
                .neighbors(*v)
                .any(|w| self.comp[w.index()] != c32)
            {
                distance[i] = 1;
                queue.push_back(*v);
            }
        }
        while let Some(v) = queue.pop_front() {
            let d = distance[self.pos[v.index()] as usize];
            for u in self.graph.neighbors_directed(v, Direction::Incoming) {
                if self.comp[u.index()] == c32 {
                    let slot = &mut distance[self.pos[u.index()] as usize];
                    if *slot == u32::MAX {
                        *slot = d.saturating_add(1);
                        queue.push_back(u);
                    }
                }
            }
        }
        distance
    }

    /// A real walk through component `c` from its entry `y`, choosing at each step the
    /// arrival nearest to a way out; the nodes after `y`, ending with the first one
    /// outside. `None` when the move budget runs out first.
    fn greedy(&mut self, c: usize, y: NodeIndex, distance: &[u32]) -> Option<Vec<NodeIndex>> {
        let mut counts = vec![0u16; self.limited[c] as usize];
        if let Some(slot) = counts.get_mut(self.local[y.index()] as usize) {
            *slot = 1;
        }
        let mut route = Vec::new();
        let mut at = y;
        loop {
            if self.greedy_left == 0 {
                return None;
            }
            self.greedy_left -= 1;
            self.successors(at);
            let mut best: Option<(u32, Arrival)> = None;
            for &x in &self.scratch {
                if let Some(arrival) = self.resolve(x, c as u32, &counts) {
                    let d = match arrival {
                        Arrival::Outside(_) => 0,
                        Arrival::Inside(u, _) => distance[self.pos[u.index()] as usize],
                    };
                    if best.is_none_or(|(b, _)| d < b) {
                        best = Some((d, arrival));
                    }
                }
            }
            match best?.1 {
                Arrival::Outside(u) => {
                    route.push(u);
                    return Some(route);
                }
                Arrival::Inside(u, slot) => {
                    if let Some(count) = slot.and_then(|i| counts.get_mut(i)) {
                        *count = count.saturating_add(1);
                    }
                    route.push(u);
                    at = u;
                }
            }
        }
    }

    /// Upper bounds on the walks from each entry of box `b`, given the walks from every
    /// state of later components.
    pub(super) fn bound(&mut self, b: usize, count: &[Count]) -> Vec<(u32, Count)> {
        let c = self.boxes[b].comp;
        let c32 = c as u32;
        let nodes = self.comps[c].clone();
        let size = nodes.len();
        let passes: u64 = nodes
            .iter()
            .filter_map(|v| self.graph[*v].limit)
            .map(|l| u64::from(l.times))
            .sum();

        // How each move may end, for each node (flattened).
        let mut start = Vec::with_capacity(size + 1);
        let mut options: Vec<Way> = Vec::new();
        for &v in &nodes {
            start.push(options.len());
            self.successors(v);
            for &x in &self.scratch {
                let mut at = x;
                let mut need = 0u64;
                for _ in 0..=size {
                    let Some(node) = self.graph.node_weight(at) else {
                        break;
                    };
                    if self.comp[at.index()] != c32 {
                        let e = self.entry[at.index()];
                        let value = if e == NONE {
                            Count::ZERO
                        } else {
                            count[e as usize]
                        };
                        options.push(Way {
                            need,
                            to: Relaxed::Exit(value),
                        });
                        break;
                    }
                    let p = self.pos[at.index()] as usize;
                    let Some(limit) = node.limit else {
                        options.push(Way {
                            need,
                            to: Relaxed::Uncounted(p),
                        });
                        break;
                    };
                    options.push(Way {
                        need,
                        to: Relaxed::Counted(p),
                    });
                    need = need.saturating_add(u64::from(limit.times));
                    at = limit.then;
                }
            }
        }
        start.push(options.len());

        let entries: Vec<(u32, usize, bool)> = self.boxes[b]
            .states
            .iter()
            .map(|&s| {
                let y = self.node[s as usize];
                (
                    s,
                    self.pos[y.index()] as usize,
                    self.graph[y].limit.is_some(),
                )
            })
            .collect();

        let cost = passes
            .saturating_add(1)
            .saturating_mul((size + options.len()) as u64);
        if cost <= self.relaxed_left
            && let Some(topo) = self.uncounted_order(size, &start, &options)
        {
            self.relaxed_left -= cost;
            // Layer k: the walks from each node after k counted passes, layers from the
            // most passes down; `above` is layer k + 1.
            let mut above = vec![Count::ZERO; size];
            let mut layer = vec![Count::ZERO; size];
            let mut first_layer = vec![Count::ZERO; size];
            for k in (0..=passes).rev() {
                for &i in &topo {
                    let mut total = Count::ZERO;
                    for option in &options[start[i]..start[i + 1]] {
                        if option.need > k {
                            continue;
                        }
                        total = total.add(match option.to {
                            Relaxed::Exit(value) => value,
                            Relaxed::Uncounted(j) => layer[j],
                            Relaxed::Counted(j) if k < passes => above[j],
                            Relaxed::Counted(_) => Count::ZERO,
                        });
                    }
                    layer[i] = total;
                }
                if k == 1 {
                    first_layer.clone_from(&layer);
                }
                std::mem::swap(&mut above, &mut layer);
            }
            // `above` now holds layer 0.
            return entries
                .into_iter()
                .map(|(s, p, counted)| (s, if counted { first_layer[p] } else { above[p] }))
                .collect();
        }

        // Too large even for that: at most `(passes + 1) × size` moves in the component,
        // each among at most `choices` options, then one way out.
        let choices = (0..size)
            .map(|i| start[i + 1] - start[i])
            .max()
            .unwrap_or(0)
            .max(1) as f64;
        let mut out_log2 = f64::NEG_INFINITY;
        let mut over = false;
        for option in &options {
            if let Relaxed::Exit(value) = option.to {
                out_log2 = out_log2.max(value.log2);
                over |= value.over;
            }
        }
        let moves = (passes as f64 + 1.0) * size as f64;
        let log2 = (moves + 1.0).log2() + (moves + 1.0) * choices.log2() + out_log2;
        let value = Count::from_log2(log2, over);
        entries.into_iter().map(|(s, ..)| (s, value)).collect()
    }

    /// The component's nodes (by position) ordered so that every uncounted move goes to
    /// a node earlier in the list; `None` if uncounted moves form a cycle (never in a
    /// validated tree).
    fn uncounted_order(&self, size: usize, start: &[usize], options: &[Way]) -> Option<Vec<usize>> {
        // Kahn on the reversed uncounted moves: a node is ready once every node it moves
        // to uncounted is placed.
        let mut pending = vec![0usize; size];
        let mut waiting: Vec<Vec<usize>> = vec![Vec::new(); size];
        for i in 0..size {
            for option in &options[start[i]..start[i + 1]] {
                if let Relaxed::Uncounted(j) = option.to {
                    pending[i] += 1;
                    waiting[j].push(i);
                }
            }
        }
        let mut queue: VecDeque<usize> = (0..size).filter(|&i| pending[i] == 0).collect();
        let mut order = Vec::with_capacity(size);
        while let Some(j) = queue.pop_front() {
            order.push(j);
            for &i in &waiting[j] {
                pending[i] -= 1;
                if pending[i] == 0 {
                    queue.push_back(i);
                }
            }
        }
        (order.len() == size).then_some(order)
    }
}

//! Path analysis (`troubletree::analysis::paths`): counts, shortest and longest walks.
//!
//! Small trees are counted by hand; every tree is also cross-checked against a
//! brute-force enumerator written here from the public edge list and the limit semantics
//! of `docs/FORMAT.md` (section 9), independently of the analysis.

use std::collections::{BTreeMap, HashMap};

use troubletree::analysis::paths::{
    PathReport, ShortestWalk, WALK_ENDS, WALK_LISTED, Walk, analyse,
};
use troubletree::{EdgeLabel, Tree};

/// Loads a test tree. Some walks here are far longer than a session's default step
/// bound (the point is to analyse them), so the bound on walks is lifted.
fn load(text: &str) -> Tree {
    let limits = troubletree::Limits::default().max_walk_steps(u64::MAX);
    match troubletree::Loader::new()
        .limits(limits.clone())
        .tree("<string>", text)
        .into_result()
    {
        Ok(tree) => tree,
        Err(err) => panic!("test tree refused: {err:?}"),
    }
}

/// `limit: Limit(times: N, then: "T")` of each node, read from the text (the node's id is
/// the last `id: "..."` before its limit). Checked against the tree's limit edges.
fn limits(tree: &Tree, text: &str) -> HashMap<String, (u32, String)> {
    let mut out = HashMap::new();
    let mut rest = text;
    let mut consumed = 0;
    while let Some(at) = rest.find("limit: Limit(times: ") {
        let before = &text[..consumed + at];
        let id_at = before.rfind("id: \"").expect("a limited node has an id") + 5;
        let id = &before[id_at..id_at + before[id_at..].find('"').expect("closing quote")];
        let after = &rest[at + "limit: Limit(times: ".len()..];
        let comma = after.find(',').expect("times, then");
        let times: u32 = after[..comma].trim().parse().expect("times is a number");
        let then_at = after.find("then: \"").expect("then") + 7;
        let then = &after[then_at..then_at + after[then_at..].find('"').expect("quote")];
        out.insert(id.to_string(), (times, then.to_string()));
        consumed += at + 1;
        rest = &text[consumed..];
    }
    let edges: Vec<(String, String)> = tree
        .edges()
        .iter()
        .filter(|e| e.label == EdgeLabel::Limit)
        .map(|e| (e.from.to_string(), e.to.to_string()))
        .collect();
    assert_eq!(edges.len(), out.len(), "every limit was read from the text");
    for (from, to) in edges {
        assert_eq!(out.get(&from).map(|l| l.1.as_str()), Some(to.as_str()));
    }
    out
}

/// The walk semantics, written from the format documentation.
struct Model {
    start: String,
    next: HashMap<String, Vec<String>>,
    limits: HashMap<String, (u32, String)>,
}

impl Model {
    fn new(tree: &Tree, text: &str) -> Model {
        let mut next: HashMap<String, Vec<String>> = tree
            .node_ids()
            .map(|id| (id.to_string(), Vec::new()))
            .collect();
        for edge in tree.edges() {
            if edge.label != EdgeLabel::Limit {
                next.get_mut(edge.from)
                    .expect("edge from a node")
                    .push(edge.to.to_string());
            }
        }
        Model {
            start: tree.start().to_string(),
            next,
            limits: limits(tree, text),
        }
    }

    fn is_end(&self, node: &str) -> bool {
        self.next[node].is_empty()
    }

    /// Arrives at `target`: a used-up limit sends the arrival on to its `then`.
    fn enter(&self, mut target: String, counts: &mut BTreeMap<String, u32>) -> String {
        while let Some((times, then)) = self.limits.get(&target) {
            let passes = counts.entry(target.clone()).or_insert(0);
            if *passes >= *times {
                target = then.clone();
            } else {
                *passes += 1;
                break;
            }
        }
        target
    }

    /// Every walk, by recursion (the trees here are small).
    fn walks(&self) -> Vec<Vec<String>> {
        let mut counts = BTreeMap::new();
        let first = self.enter(self.start.clone(), &mut counts);
        let mut out = Vec::new();
        self.extend(&mut vec![first], &counts, &mut out);
        out
    }

    fn extend(
        &self,
        path: &mut Vec<String>,
        counts: &BTreeMap<String, u32>,
        out: &mut Vec<Vec<String>>,
    ) {
        assert!(out.len() < 2_000_000, "too many walks for brute force");
        let at = path.last().expect("a walk has a node").clone();
        if self.is_end(&at) {
            out.push(path.clone());
            return;
        }
        for x in &self.next[&at] {
            let mut counts = counts.clone();
            let to = self.enter(x.clone(), &mut counts);
            path.push(to);
            self.extend(path, &counts, out);
            path.pop();
        }
    }

    /// Whether the session could take exactly this walk.
    fn is_walk(&self, path: &[String]) -> bool {
        let mut counts = BTreeMap::new();
        let Some(first) = path.first() else {
            return false;
        };
        if *first != self.enter(self.start.clone(), &mut counts) {
            return false;
        }
        for pair in path.windows(2) {
            let found = self.next[&pair[0]].iter().find_map(|x| {
                let mut after = counts.clone();
                (self.enter(x.clone(), &mut after) == pair[1]).then_some(after)
            });
            match found {
                Some(after) => counts = after,
                None => return false,
            }
        }
        self.is_end(&path[path.len() - 1])
    }
}

/// Checks a report against brute-force enumeration: the count, that `longest` is a real
/// walk of the greatest length, and that each shortest walk is real and shortest.
fn cross_check(text: &str) -> PathReport {
    let tree = load(text);
    let report = analyse(&tree);
    let model = Model::new(&tree, text);
    let walks = model.walks();
    assert!(!report.approximate);
    assert!(!report.saturated);
    assert_eq!(report.walks, walks.len() as u128, "walk count");
    assert!((report.walks_log2 - (walks.len() as f64).log2()).abs() < 1e-9);
    let longest = walks.iter().map(Vec::len).max().expect("at least one walk");
    assert_eq!(report.longest.len as usize, longest, "longest length");
    assert!(
        is_walk_or_cut(&model, &report.longest),
        "longest is a real walk"
    );
    let terminals: Vec<&str> = tree.node_ids().filter(|id| model.is_end(id)).collect();
    assert_eq!(report.shortest.len(), terminals.len());
    for (shortest, terminal) in report.shortest.iter().zip(terminals) {
        assert_eq!(shortest.terminal, terminal);
        let best = walks
            .iter()
            .filter(|w| w.last().map(String::as_str) == Some(terminal))
            .map(Vec::len)
            .min();
        match best {
            None => assert!(shortest.path.len == 0, "{terminal} is unreachable"),
            Some(best) => {
                assert_eq!(shortest.path.len as usize, best, "shortest to {terminal}");
                assert!(model.is_walk(whole(&shortest.path)));
                assert_eq!(
                    whole(&shortest.path).last().map(String::as_str),
                    Some(terminal)
                );
            }
        }
    }
    report
}

/// The ids of a walk listed whole (every walk of the small trees here is).
#[track_caller]
fn whole(walk: &Walk) -> &[String] {
    walk.ids()
        .unwrap_or_else(|| panic!("a walk listed whole: {walk:?}"))
}

/// A walk listed whole is one the session can take; a cut one lists both its ends.
fn is_walk_or_cut(model: &Model, walk: &Walk) -> bool {
    match walk.ids() {
        Some(ids) => model.is_walk(ids),
        None => {
            walk.len > WALK_LISTED as u64
                && walk.head.len() == WALK_ENDS
                && walk.tail.len() == WALK_ENDS
                && walk.tail.last().is_some_and(|end| model.is_end(end))
        }
    }
}

fn ids(path: &[&str]) -> Vec<String> {
    path.iter().map(|s| s.to_string()).collect()
}

#[test]
fn a_chain_has_one_walk() {
    let report = cross_check(
        r#"Tree(id: "t", start: "a", nodes: [
            Act(id: "a", text: "A", next: "b"),
            Ask(id: "b", text: "B", answers: [Answer(value: "go", text: "Go", next: "c")]),
            Act(id: "c", text: "C", next: "end"),
            Resolve(id: "end", text: "Done."),
        ])"#,
    );
    assert_eq!(report.walks, 1);
    assert_eq!(report.walks_log2, 0.0);
    assert_eq!(whole(&report.longest), ids(&["a", "b", "c", "end"]));
    assert_eq!(report.shortest.len(), 1);
    assert_eq!(report.shortest[0].terminal, "end");
    assert_eq!(
        whole(&report.shortest[0].path),
        ids(&["a", "b", "c", "end"])
    );
}

#[test]
fn a_diamond_of_questions_adds_and_multiplies() {
    // From q4: 2 walks. q2: q4 (2) + end1 (1) = 3. q3: two answers to q4 (2 + 2) + end2
    // (1) = 5. q1: 3 + 5 = 8.
    let report = cross_check(
        r#"Tree(id: "t", start: "q1", nodes: [
            Ask(id: "q1", text: "1", answers: [
                Answer(value: "a", text: "A", next: "q2"),
                Answer(value: "b", text: "B", next: "q3"),
            ]),
            Ask(id: "q2", text: "2", answers: [
                Answer(value: "a", text: "A", next: "q4"),
                Answer(value: "b", text: "B", next: "end1"),
            ]),
            Ask(id: "q3", text: "3", answers: [
                Answer(value: "a", text: "A", next: "q4"),
                Answer(value: "b", text: "B", next: "q4"),
                Answer(value: "c", text: "C", next: "end2"),
            ]),
            Ask(id: "q4", text: "4", answers: [
                Answer(value: "a", text: "A", next: "end1"),
                Answer(value: "b", text: "B", next: "end2"),
            ]),
            Resolve(id: "end1", text: "One."),
            Escalate(id: "end2", reason: "Two.", priority: Low),
        ])"#,
    );
    assert_eq!(report.walks, 8);
    assert_eq!(report.walks_log2, 3.0);
    assert_eq!(whole(&report.longest), ids(&["q1", "q2", "q4", "end1"]));
    assert_eq!(whole(&report.shortest[0].path), ids(&["q1", "q2", "end1"]));
    assert_eq!(whole(&report.shortest[1].path), ids(&["q1", "q3", "end2"]));
}

#[test]
fn an_act_with_solved_has_two_walks() {
    let report = cross_check(
        r#"Tree(id: "t", start: "fix", nodes: [
            Act(id: "fix", text: "Restart.", next: "help", solved: "ok"),
            Resolve(id: "ok", text: "Fixed."),
            Escalate(id: "help", reason: "Still broken.", priority: Normal),
        ])"#,
    );
    assert_eq!(report.walks, 2);
    assert_eq!(whole(&report.shortest[0].path), ids(&["fix", "ok"]));
    assert_eq!(whole(&report.shortest[1].path), ids(&["fix", "help"]));
}

#[test]
fn a_retry_loop_counts_its_passes() {
    // retry is passed at most twice; the third arrival goes to describe.
    //   retry → ok
    //   retry → retry → ok
    //   retry → retry → describe → help   (the only way to help)
    let report = cross_check(
        r#"Tree(id: "t", start: "retry", nodes: [
            Act(id: "retry", text: "Try again.", next: "retry", solved: "ok",
                limit: Limit(times: 2, then: "describe")),
            Act(id: "describe", text: "Note the error.", next: "help"),
            Resolve(id: "ok", text: "Fixed."),
            Escalate(id: "help", reason: "Still failing.", priority: Normal),
        ])"#,
    );
    assert_eq!(report.walks, 3);
    assert_eq!(
        whole(&report.longest),
        ids(&["retry", "retry", "describe", "help"])
    );
    assert_eq!(report.shortest[0].terminal, "ok");
    assert_eq!(whole(&report.shortest[0].path), ids(&["retry", "ok"]));
    assert_eq!(report.shortest[1].terminal, "help");
    assert_eq!(
        whole(&report.shortest[1].path),
        ids(&["retry", "retry", "describe", "help"])
    );
}

#[test]
fn the_only_way_through_a_used_up_limit_is_the_long_way() {
    // `t` is reachable only once `l` is used up: l, a, l, a, then the third arrival goes
    // to t. A search over nodes with the limit edge would wrongly give s, l, t, help.
    let report = cross_check(
        r#"Tree(id: "t", start: "s", nodes: [
            Ask(id: "s", text: "S", answers: [
                Answer(value: "x", text: "X", next: "l"),
                Answer(value: "y", text: "Y", next: "quick"),
            ]),
            Act(id: "l", text: "L", next: "a", limit: Limit(times: 2, then: "t")),
            Act(id: "a", text: "A", next: "l"),
            Act(id: "t", text: "T", next: "help", solved: "ok"),
            Resolve(id: "quick", text: "Quick."),
            Resolve(id: "ok", text: "Fixed."),
            Escalate(id: "help", reason: "Help.", priority: Normal),
        ])"#,
    );
    assert_eq!(report.walks, 3);
    assert_eq!(whole(&report.shortest[0].path), ids(&["s", "quick"]));
    assert_eq!(
        whole(&report.shortest[1].path),
        ids(&["s", "l", "a", "l", "a", "t", "ok"])
    );
    assert_eq!(
        whole(&report.shortest[2].path),
        ids(&["s", "l", "a", "l", "a", "t", "help"])
    );
    assert_eq!(
        whole(&report.longest),
        ids(&["s", "l", "a", "l", "a", "t", "ok"])
    );
}

#[test]
fn limits_chained_through_then_and_a_decide() {
    // A Decide counts every rule and `otherwise`; `b`'s `then` is itself limited.
    cross_check(
        r#"Tree(id: "t", start: "d",
            facts: [Fact(name: "f", type: Bool, ask: "F?")],
            nodes: [
            Decide(id: "d", rules: [
                Rule(when: Eq("f", true), next: "b"),
                Rule(when: Eq("f", false), next: "c"),
            ], otherwise: "b", limit: Limit(times: 3, then: "end")),
            Act(id: "b", text: "B", next: "d", solved: "c", limit: Limit(times: 1, then: "c")),
            Ask(id: "c", text: "C", answers: [
                Answer(value: "again", text: "Again", next: "d"),
                Answer(value: "stop", text: "Stop", next: "end"),
                Answer(value: "b", text: "B", next: "b"),
            ], limit: Limit(times: 2, then: "end")),
            Resolve(id: "end", text: "End."),
        ])"#,
    );
}

/// A chain of `n` binary questions, each answer leading to the next.
fn binary_chain(n: usize) -> String {
    let mut text = String::from("Tree(id: \"t\", start: \"q0\", nodes: [\n");
    for i in 0..n {
        let next = if i + 1 == n {
            "end".to_string()
        } else {
            format!("q{}", i + 1)
        };
        text.push_str(&format!(
            "Ask(id: \"q{i}\", text: \"Q\", answers: [Answer(value: \"a\", text: \"A\", next: \"{next}\"), Answer(value: \"b\", text: \"B\", next: \"{next}\")]),\n"
        ));
    }
    text.push_str("Resolve(id: \"end\", text: \"End.\"),\n])");
    text
}

#[test]
fn two_to_the_hundred_walks_are_exact() {
    let report = analyse(&load(&binary_chain(100)));
    assert_eq!(report.walks, 1u128 << 100);
    assert!(!report.saturated);
    assert_eq!(report.walks_log2, 100.0);
    assert_eq!(report.longest.len as usize, 101);
}

#[test]
fn two_to_the_two_hundred_walks_saturate() {
    let report = analyse(&load(&binary_chain(200)));
    assert!(report.saturated);
    assert!(!report.approximate);
    assert_eq!(report.walks, u128::MAX);
    assert!(
        (report.walks_log2 - 200.0).abs() < 1e-6,
        "{}",
        report.walks_log2
    );
    assert_eq!(report.longest.len as usize, 201);
    assert_eq!(report.longest.head.first().map(String::as_str), Some("q0"));
    assert_eq!((report.shortest[0].path.len as usize), 201);
}

#[test]
fn a_hundred_thousand_node_chain_does_not_overflow_the_stack() {
    const N: usize = 100_000;
    let mut text = String::with_capacity(N * 48);
    text.push_str("Tree(id: \"t\", start: \"n0\", nodes: [\n");
    for i in 0..N - 1 {
        text.push_str(&format!(
            "Act(id: \"n{i}\", text: \"x\", next: \"n{}\"),\n",
            i + 1
        ));
    }
    text.push_str(&format!("Resolve(id: \"n{}\", text: \"End.\"),\n])", N - 1));
    let report = analyse(&load(&text));
    assert_eq!(report.walks, 1);
    assert_eq!(report.longest.len as usize, N);
    assert_eq!(report.longest.tail.last(), Some(&format!("n{}", N - 1)));
    assert_eq!((report.shortest[0].path.len as usize), N);
}

#[test]
fn recharge_failure_matches_brute_force() {
    let text = std::fs::read_to_string("trees/recharge_failure.ron").expect("shipped tree");
    let report = cross_check(&text);
    // The figures, for the record (and to notice when the tree changes).
    println!(
        "recharge_failure: {} walks, longest {} nodes: {:?}",
        report.walks, report.longest.len as usize, report.longest
    );
}

#[test]
fn every_shipped_tree_matches_brute_force() {
    for entry in std::fs::read_dir("trees").expect("trees/") {
        let path = entry.expect("entry").path();
        let text = std::fs::read_to_string(&path).expect("tree text");
        // The service directory, and trees refused on their own, are not for this test.
        if Tree::from_str(&text).is_ok() {
            cross_check(&text);
        }
    }
}

/// Words over `n` letters, each used at most twice, counted by length and number of
/// letters used twice: `[length][doubles]`.
fn words(n: usize) -> Vec<Vec<u128>> {
    let choose = |a: usize, b: usize| -> u128 {
        let mut r: u128 = 1;
        for i in 0..b {
            r = r * (a - i) as u128 / (i + 1) as u128;
        }
        r
    };
    let mut table = vec![vec![0u128; n + 1]; 2 * n + 1];
    table[0][0] = 1;
    for _ in 0..n {
        let mut next = vec![vec![0u128; n + 1]; 2 * n + 1];
        for len in 0..=2 * n {
            for d in 0..=n {
                let w = table[len][d];
                if w == 0 {
                    continue;
                }
                next[len][d] += w;
                next[len + 1][d] += w * choose(len + 1, 1);
                next[len + 2][d + 1] += w * choose(len + 2, 2);
            }
        }
        table = next;
    }
    table
}

/// A hub asking which of `n` fixes to try; each fix is limited to `times` passes and
/// leads back to the hub; a used-up fix escalates.
fn hub(n: usize, times: u32) -> String {
    let mut text = String::from(
        "Tree(id: \"t\", start: \"hub\", nodes: [\nAsk(id: \"hub\", text: \"Which?\", answers: [\n",
    );
    for i in 0..n {
        text.push_str(&format!(
            "Answer(value: \"f{i}\", text: \"F\", next: \"f{i}\"),\n"
        ));
    }
    text.push_str("]),\n");
    for i in 0..n {
        text.push_str(&format!(
            "Act(id: \"f{i}\", text: \"Try.\", next: \"hub\", solved: \"ok\", limit: Limit(times: {times}, then: \"help\")),\n"
        ));
    }
    text.push_str("Resolve(id: \"ok\", text: \"Fixed.\"),\nEscalate(id: \"help\", reason: \"No luck.\", priority: Normal),\n])");
    text
}

/// The walks of [`hub`] with `times: 2`: a word of fixes, each tried at most twice,
/// ending either solved after its last fix, or with a used-up fix chosen again.
fn hub_walks(n: usize) -> u128 {
    let table = words(n);
    let mut total = 0;
    for (len, row) in table.iter().enumerate() {
        for (doubles, &w) in row.iter().enumerate() {
            if len > 0 {
                total += w; // solved after the last fix
            }
            total += w * doubles as u128; // a used-up fix: escalate
        }
    }
    total
}

#[test]
fn a_hub_of_limited_fixes_is_exact_when_small() {
    let report = cross_check(&hub(4, 2));
    assert_eq!(report.walks, hub_walks(4));
}

#[test]
fn a_hub_with_too_many_states_gives_an_upper_bound() {
    // 12 nodes × 3^11 count vectors: more states than one component may explore.
    let text = hub(11, 2);
    let tree = load(&text);
    let report = analyse(&tree);
    let exact = hub_walks(11);
    assert!(report.approximate);
    assert!(!report.saturated);
    assert!(report.walks >= exact, "{} < {exact}", report.walks);
    assert!(report.walks_log2 >= (exact as f64).log2() - 1e-9);
    let model = Model::new(&tree, &text);
    assert!(
        is_walk_or_cut(&model, &report.longest),
        "{:?}",
        report.longest
    );
    assert_eq!(report.shortest[0].terminal, "ok");
    assert_eq!(whole(&report.shortest[0].path), ids(&["hub", "f0", "ok"]));
    for walk in &report.shortest {
        assert!(walk.path.len == 0 || is_walk_or_cut(&model, &walk.path));
    }
}

#[test]
fn a_hub_with_huge_limits_stays_bounded() {
    // Too many states, and too many passes even for the relaxed bound.
    let text = hub(11, 65535);
    let tree = load(&text);
    let report = analyse(&tree);
    assert!(report.approximate);
    assert!(report.saturated);
    assert_eq!(report.walks, u128::MAX);
    assert!(report.walks_log2 > 128.0);
    let model = Model::new(&tree, &text);
    assert!(
        is_walk_or_cut(&model, &report.longest),
        "{:?}",
        report.longest
    );
}

/// A small deterministic generator (xorshift).
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// A random tree of `Ask`, `Act` and `Decide` nodes with back edges and limits; many are
/// refused by the validator (unbounded loops), the rest are cross-checked.
fn random_tree(rng: &mut Rng) -> String {
    let inner = 2 + rng.below(5);
    let names: Vec<String> = (0..inner)
        .map(|i| format!("n{i}"))
        .chain(["ok".to_string(), "help".to_string()])
        .collect();
    let pick = |rng: &mut Rng| names[rng.below(names.len())].clone();
    let mut text = String::from(
        "Tree(id: \"t\", start: \"n0\", facts: [Fact(name: \"f\", type: Bool, ask: \"F?\")], nodes: [\n",
    );
    for i in 0..inner {
        let limit = if rng.below(3) == 0 {
            format!(
                ", limit: Limit(times: {}, then: \"{}\")",
                1 + rng.below(2),
                pick(rng)
            )
        } else {
            String::new()
        };
        match rng.below(3) {
            0 => {
                let answers: Vec<String> = (0..1 + rng.below(3))
                    .map(|j| {
                        format!(
                            "Answer(value: \"v{j}\", text: \"V\", next: \"{}\")",
                            pick(rng)
                        )
                    })
                    .collect();
                text.push_str(&format!(
                    "Ask(id: \"n{i}\", text: \"Q\", answers: [{}]{limit}),\n",
                    answers.join(", ")
                ));
            }
            1 => {
                let solved = if rng.below(2) == 0 {
                    format!(", solved: \"{}\"", pick(rng))
                } else {
                    String::new()
                };
                text.push_str(&format!(
                    "Act(id: \"n{i}\", text: \"T\", next: \"{}\"{solved}{limit}),\n",
                    pick(rng)
                ));
            }
            _ => {
                let rules: Vec<String> = (0..1 + rng.below(2))
                    .map(|_| format!("Rule(when: Eq(\"f\", true), next: \"{}\")", pick(rng)))
                    .collect();
                text.push_str(&format!(
                    "Decide(id: \"n{i}\", rules: [{}], otherwise: \"{}\"{limit}),\n",
                    rules.join(", "),
                    pick(rng)
                ));
            }
        }
    }
    text.push_str("Resolve(id: \"ok\", text: \"Fixed.\"),\nEscalate(id: \"help\", reason: \"Help.\", priority: Normal),\n])");
    text
}

#[test]
fn random_trees_match_brute_force() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut checked = 0;
    let mut looped = 0;
    for _ in 0..3000 {
        let text = random_tree(&mut rng);
        let Ok(tree) = Tree::from_str(&text) else {
            continue;
        };
        let model = Model::new(&tree, &text);
        // Skip the rare tree with too many walks to enumerate.
        let report = analyse(&tree);
        if report.walks > 50_000 {
            continue;
        }
        if !model.limits.is_empty() && report.longest.len as usize > tree.node_count() {
            looped += 1;
        }
        cross_check(&text);
        checked += 1;
    }
    assert!(checked >= 300, "only {checked} valid trees");
    assert!(looped >= 30, "only {looped} trees with a loop taken");
}

/// Questions in a chain, each with an exit to its own `Resolve`: the shortest walks
/// together hold a number of ids quadratic in the tree if listed whole.
fn exits_chain(n: usize, id_len: usize) -> String {
    let pad = "x".repeat(id_len.saturating_sub(8));
    let mut text = format!("Tree(id: \"t\", start: \"q0{pad}\", nodes: [\n");
    for i in 0..n {
        let next = if i + 1 == n {
            format!("r{}{pad}", n)
        } else {
            format!("q{}{pad}", i + 1)
        };
        text.push_str(&format!(
            "Ask(id: \"q{i}{pad}\", text: \"Q\", answers: [Answer(value: \"on\", text: \"On\", next: \"{next}\"), Answer(value: \"out\", text: \"Out\", next: \"r{i}{pad}\")]),\n"
        ));
    }
    for i in 0..=n {
        text.push_str(&format!("Resolve(id: \"r{i}{pad}\", text: \"R\"),\n"));
    }
    text.push_str("])");
    text
}

fn listed_bytes(report: &PathReport) -> usize {
    std::iter::once(&report.longest)
        .chain(report.shortest.iter().map(|s| &s.path))
        .flat_map(|w| w.head.iter().chain(&w.tail))
        .map(|id| id.len() + 8)
        .sum()
}

#[test]
fn many_exits_list_each_walk_cut_and_the_report_bounded() {
    const N: usize = 2_000;
    let report = analyse(&load(&exits_chain(N, 0)));
    assert_eq!(report.walks, N as u128 + 1);
    assert!(!report.approximate);
    assert!(
        listed_bytes(&report) <= troubletree::analysis::paths::LISTED_BYTES,
        "{}",
        listed_bytes(&report)
    );
    assert_eq!(report.shortest.len(), N + 1);
    // The exit of question i: q0 … qi, ri, i + 2 nodes.
    for (i, shortest) in report.shortest.iter().enumerate().take(N) {
        assert_eq!(shortest.terminal, format!("r{i}"));
        assert_eq!(shortest.path.len, i as u64 + 2, "r{i}");
    }
    let short = &report.shortest[10].path;
    let expected: Vec<String> = (0..=10)
        .map(|q| format!("q{q}"))
        .chain(["r10".to_owned()])
        .collect();
    assert_eq!(whole(short), expected.as_slice());
    let cut = &report.shortest[500].path;
    assert!(cut.ids().is_none());
    let head: Vec<String> = (0..WALK_ENDS).map(|q| format!("q{q}")).collect();
    let tail: Vec<String> = (500 - WALK_ENDS + 2..=500)
        .map(|q| format!("q{q}"))
        .chain(["r500".to_owned()])
        .collect();
    assert_eq!(cut.head, head);
    assert_eq!(cut.tail, tail);
    assert_eq!(cut.omitted(), 502 - 2 * WALK_ENDS as u64);
    assert_eq!(
        cut.to_string(),
        format!(
            "{} → … {} more … → {}",
            head.join(" → "),
            cut.omitted(),
            tail.join(" → ")
        )
    );
    // The longest walk passes every question.
    assert_eq!(report.longest.len, N as u64 + 1);
}

#[test]
fn long_ids_spend_the_listing_budget_and_later_walks_keep_their_length() {
    let report = analyse(&load(&exits_chain(2_000, 256)));
    assert!(listed_bytes(&report) <= troubletree::analysis::paths::LISTED_BYTES);
    let unlisted: Vec<&ShortestWalk> = report
        .shortest
        .iter()
        .filter(|s| s.path.head.is_empty())
        .collect();
    assert!(
        unlisted.len() > 1_000,
        "{} walks not listed",
        unlisted.len()
    );
    // Walks are listed in file order until the budget is spent: then none.
    let first_unlisted = report
        .shortest
        .iter()
        .position(|s| s.path.head.is_empty())
        .expect("some walk is not listed");
    assert!(
        report.shortest[first_unlisted..]
            .iter()
            .all(|s| s.path.head.is_empty() && s.path.len > 0)
    );
    assert_eq!(
        report.shortest[1_999].path.to_string(),
        "(2001 nodes, not listed)"
    );
}

/// `n` self-loops in a row, each passed up to `times` times, with long ids: walks of
/// `n × times` nodes in a tree of `n + 1` nodes.
fn self_loops(n: usize, times: u32, id_len: usize) -> String {
    let id = |i: usize| format!("{i:0>width$}", width = id_len);
    let mut text = format!("Tree(id: \"t\", start: \"{}\", nodes: [\n", id(0));
    for i in 0..n {
        text.push_str(&format!(
            "Act(id: \"{}\", text: \"Again.\", next: \"{}\", solved: \"{}\", limit: Limit(times: {times}, then: \"{}\")),\n",
            id(i),
            id(i),
            id(i + 1),
            id(i + 1)
        ));
    }
    text.push_str(&format!("Resolve(id: \"{}\", text: \"Done.\"),\n])", id(n)));
    text
}

#[test]
fn huge_limits_on_long_ids_give_a_small_report() {
    let text = self_loops(64, 65_535, 256);
    let report = analyse(&load(&text));
    assert!(report.approximate, "too many states to explore them all");
    assert!(report.saturated);
    assert!(listed_bytes(&report) <= 2 * WALK_LISTED * (256 + 8));
    let json = serde_json::to_string(&report).expect("JSON");
    assert!(json.len() < 100_000, "{} bytes of JSON", json.len());
    assert!(report.longest.len > WALK_LISTED as u64);
    assert_eq!(report.longest.head.len(), WALK_ENDS);
    assert_eq!(report.longest.tail.len(), WALK_ENDS);
    assert_eq!(report.longest.head[0], format!("{:0>256}", 0));
    assert_eq!(report.longest.tail.last(), Some(&format!("{:0>256}", 64)));
}

#[test]
fn a_few_self_loops_are_counted_exactly() {
    // One loop, 65,535 states: within the state budget.
    let report = analyse(&load(&self_loops(1, 65_535, 1)));
    assert!(!report.approximate);
    // Solved after 1..=65,535 passes, or sent on to the end by the arrival after the
    // last pass.
    assert_eq!(report.walks, 65_536);
    assert_eq!(report.longest.len, 65_536);
    assert_eq!(report.longest.omitted(), 65_536 - 2 * WALK_ENDS as u64);
}

//! A whole diagnosis, four ways, in one criterion group so that the ratios come from one
//! run: the same six decisions (`benches/data/six_decisions.ron`) written by hand as an
//! if-chain, as a bare petgraph `DiGraph` walked with the facts in a struct, and as a
//! troubletree tree walked by a new session per diagnosis (facts given by name, as
//! `Session::builder(..).fact(..)` takes them) and by one session restarted for each
//! (`Session::restart` with `FactId`s looked up once). The inputs cycle over the tree's
//! seven leaves, so every implementation takes every branch. A fifth, `floor`, is the
//! restarted diagnosis written by hand over flat arrays with the session's guarantees and
//! nothing more (`benches/floor.rs`): what those guarantees cost by themselves.
//!
//! Allocations per diagnosis are counted with `allocation-counter`'s counting global
//! allocator (installed in this bench binary only; it costs a few nanoseconds per
//! allocation, which only the allocating implementations pay), and printed before the
//! group runs.
//!
//! `cargo bench -p troubletree-benches --bench diagnosis` measures;
//! `cargo bench -p troubletree-benches --bench diagnosis -- --test` runs each once, as CI
//! does.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;
use troubletree::{FactId, FactValue, Session, Tree};

#[path = "floor.rs"]
mod floor;

/// The account state, as a wallet back end would keep it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Status {
    Normal,
    Frozen,
}

impl Status {
    fn as_str(self) -> &'static str {
        match self {
            Status::Normal => "normal",
            Status::Frozen => "frozen",
        }
    }
}

/// The host's facts, in its own types.
#[derive(Clone, Copy, Debug)]
struct Facts {
    status: Status,
    network_ok: bool,
    balance: f64,
    amount: f64,
    bank_maintenance: bool,
    hours_since_debit: f64,
}

/// The seven leaves, in the tree's node order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Leaf {
    EscalateFrozen,
    FixNetwork,
    TopUp,
    OverLimit,
    WaitBank,
    EscalateUnreconciled,
    Retry,
}

impl Leaf {
    fn id(self) -> &'static str {
        match self {
            Leaf::EscalateFrozen => "escalate_frozen",
            Leaf::FixNetwork => "fix_network",
            Leaf::TopUp => "top_up",
            Leaf::OverLimit => "over_limit",
            Leaf::WaitBank => "wait_bank",
            Leaf::EscalateUnreconciled => "escalate_unreconciled",
            Leaf::Retry => "retry",
        }
    }
}

/// One input per leaf, in leaf order: each differs from a healthy case in one fact.
fn inputs() -> [Facts; 7] {
    let healthy = Facts {
        status: Status::Normal,
        network_ok: true,
        balance: 800.0,
        amount: 120.0,
        bank_maintenance: false,
        hours_since_debit: 2.0,
    };
    [
        Facts {
            status: Status::Frozen,
            ..healthy
        },
        Facts {
            network_ok: false,
            ..healthy
        },
        Facts {
            balance: 40.0,
            ..healthy
        },
        Facts {
            amount: 9000.0,
            ..healthy
        },
        Facts {
            bank_maintenance: true,
            ..healthy
        },
        Facts {
            hours_since_debit: 60.0,
            ..healthy
        },
        healthy,
    ]
}

/// The decisions written by hand.
fn if_chain(f: &Facts) -> Leaf {
    if f.status == Status::Frozen {
        Leaf::EscalateFrozen
    } else if !f.network_ok {
        Leaf::FixNetwork
    } else if f.balance < 100.0 {
        Leaf::TopUp
    } else if f.amount > 5000.0 {
        Leaf::OverLimit
    } else if f.bank_maintenance {
        Leaf::WaitBank
    } else if f.hours_since_debit >= 48.0 {
        Leaf::EscalateUnreconciled
    } else {
        Leaf::Retry
    }
}

/// A node of the bare graph: a test on the facts, or a leaf. Edges are labelled with
/// the test's outcome.
enum Bare {
    Test(fn(&Facts) -> bool),
    Leaf(Leaf),
}

struct BareGraph {
    graph: DiGraph<Bare, bool>,
    start: NodeIndex,
}

impl BareGraph {
    fn new() -> Self {
        let tests: [fn(&Facts) -> bool; 6] = [
            |f| f.status == Status::Frozen,
            |f| !f.network_ok,
            |f| f.balance < 100.0,
            |f| f.amount > 5000.0,
            |f| f.bank_maintenance,
            |f| f.hours_since_debit >= 48.0,
        ];
        let leaves = [
            Leaf::EscalateFrozen,
            Leaf::FixNetwork,
            Leaf::TopUp,
            Leaf::OverLimit,
            Leaf::WaitBank,
            Leaf::EscalateUnreconciled,
        ];
        let mut graph = DiGraph::new();
        let decisions: Vec<NodeIndex> = tests
            .iter()
            .map(|t| graph.add_node(Bare::Test(*t)))
            .collect();
        for (i, &d) in decisions.iter().enumerate() {
            let leaf = graph.add_node(Bare::Leaf(leaves[i]));
            graph.add_edge(d, leaf, true);
            let otherwise = match decisions.get(i + 1) {
                Some(&next) => next,
                None => graph.add_node(Bare::Leaf(Leaf::Retry)),
            };
            graph.add_edge(d, otherwise, false);
        }
        BareGraph {
            graph,
            start: decisions[0],
        }
    }

    fn walk(&self, f: &Facts) -> Leaf {
        let mut at = self.start;
        loop {
            match &self.graph[at] {
                Bare::Leaf(leaf) => return *leaf,
                Bare::Test(test) => {
                    let outcome = test(f);
                    at = self
                        .graph
                        .edges(at)
                        .find(|e| *e.weight() == outcome)
                        .map(|e| e.target())
                        .expect("every test has both edges");
                }
            }
        }
    }
}

fn tree() -> Tree {
    Tree::from_path(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/six_decisions.ron"
    ))
    .expect("the bench tree is valid")
}

/// A new session per diagnosis, the facts given by name.
fn fresh_session(tree: &Tree, f: &Facts) -> Session {
    Session::builder(tree)
        .fact("account_status", f.status.as_str())
        .fact("network_ok", f.network_ok)
        .fact("balance", f.balance)
        .fact("amount", f.amount)
        .fact("bank_maintenance", f.bank_maintenance)
        .fact("hours_since_debit", f.hours_since_debit)
        .start()
        .expect("the facts fit")
}

/// The tree's facts, looked up once.
struct Ids([FactId; 6]);

impl Ids {
    fn new(tree: &Tree) -> Self {
        let id = |name| tree.fact(name).expect("declared").id();
        Ids([
            id("account_status"),
            id("network_ok"),
            id("balance"),
            id("amount"),
            id("bank_maintenance"),
            id("hours_since_debit"),
        ])
    }

    fn facts(&self, f: &Facts) -> [(FactId, FactValue<'static>); 6] {
        let [status, network, balance, amount, bank, hours] = self.0;
        [
            (status, f.status.as_str().into()),
            (network, f.network_ok.into()),
            (balance, f.balance.into()),
            (amount, f.amount.into()),
            (bank, f.bank_maintenance.into()),
            (hours, f.hours_since_debit.into()),
        ]
    }
}

/// The same facts by slot, for the hand-written floor.
fn floor_facts(f: &Facts) -> [(usize, FactValue<'static>); 6] {
    [
        (0, f.status.as_str().into()),
        (1, f.network_ok.into()),
        (2, f.balance.into()),
        (3, f.amount.into()),
        (4, f.bank_maintenance.into()),
        (5, f.hours_since_debit.into()),
    ]
}

fn allocations(f: impl FnOnce()) -> u64 {
    allocation_counter::measure(f).count_total
}

fn diagnosis(c: &mut Criterion) {
    let inputs = inputs();
    let tree = tree();
    let bare = BareGraph::new();
    let ids = Ids::new(&tree);
    let mut session = Session::new(&tree).expect("starts");
    let floor = floor::Floor::six_decisions(&tree);
    let mut walk = floor.walk();

    // Every implementation reaches the same leaf for every input, and the floor makes
    // the moves the session makes.
    for (f, leaf) in inputs.iter().zip([
        Leaf::EscalateFrozen,
        Leaf::FixNetwork,
        Leaf::TopUp,
        Leaf::OverLimit,
        Leaf::WaitBank,
        Leaf::EscalateUnreconciled,
        Leaf::Retry,
    ]) {
        assert_eq!(if_chain(f), leaf);
        assert_eq!(bare.walk(f), leaf);
        assert_eq!(fresh_session(&tree, f).current().node(), leaf.id());
        session.restart(&ids.facts(f)).expect("the facts fit");
        assert_eq!(session.current().node(), leaf.id());
        assert_eq!(session, fresh_session(&tree, f));
        floor
            .restart(&mut walk, &floor_facts(f))
            .expect("the facts fit");
        assert_eq!(floor.at(&walk), leaf.id());
        assert_eq!(walk.steps, session.steps());
        assert_eq!(walk.transcript.len(), session.transcript().len());
    }

    // Allocations per diagnosis, over one cycle of the inputs after the warm-up above.
    let per = |count: u64| count as f64 / inputs.len() as f64;
    let counts = [
        (
            "if_chain",
            allocations(|| {
                inputs.iter().for_each(|f| {
                    black_box(if_chain(f));
                })
            }),
        ),
        (
            "petgraph_walk",
            allocations(|| {
                inputs.iter().for_each(|f| {
                    black_box(bare.walk(f));
                })
            }),
        ),
        (
            "troubletree_new_session",
            allocations(|| {
                inputs
                    .iter()
                    .for_each(|f| drop(black_box(fresh_session(&tree, f))))
            }),
        ),
        (
            "troubletree_restart",
            allocations(|| {
                for f in &inputs {
                    session.restart(&ids.facts(f)).expect("the facts fit");
                    black_box(session.current().node());
                }
            }),
        ),
        (
            "floor",
            allocations(|| {
                for f in &inputs {
                    floor
                        .restart(&mut walk, &floor_facts(f))
                        .expect("the facts fit");
                    black_box(floor.at(&walk));
                }
            }),
        ),
    ];
    for (name, count) in counts {
        eprintln!("diagnosis/{name}: {} allocations per diagnosis", per(count));
    }

    let mut group = c.benchmark_group("diagnosis");
    let mut i = 0;
    let mut next = move || {
        i = (i + 1) % 7;
        i
    };
    group.bench_function("if_chain", |b| {
        b.iter(|| if_chain(black_box(&inputs[next()])))
    });
    group.bench_function("petgraph_walk", |b| {
        b.iter(|| bare.walk(black_box(&inputs[next()])))
    });
    group.bench_function("troubletree_new_session", |b| {
        b.iter(|| {
            let session = fresh_session(&tree, black_box(&inputs[next()]));
            black_box(session.current().node());
            session
        })
    });
    group.bench_function("troubletree_restart", |b| {
        b.iter(|| {
            session
                .restart(&ids.facts(black_box(&inputs[next()])))
                .expect("the facts fit");
            black_box(session.current().node());
        })
    });
    group.bench_function("floor", |b| {
        b.iter(|| {
            floor
                .restart(&mut walk, &floor_facts(black_box(&inputs[next()])))
                .expect("the facts fit");
            black_box(floor.at(&walk));
        })
    });
    group.finish();
}

criterion_group!(benches, diagnosis);
criterion_main!(benches);

//! The floor: a restarted diagnosis of `benches/data/six_decisions.ron` written by hand
//! over flat arrays, keeping every guarantee `Session::restart` gives and nothing more.
//! It measures what the guarantees cost by themselves, so that the engine's distance to a
//! bare graph walk splits into what the guarantees need and what the engine's general
//! form adds (docs/PERFORMANCE.md, section 14).
//!
//! What it keeps, as the session does:
//!
//! - every given fact is checked (its type, a choice among the declared ones, a finite
//!   number within the fact's range) into room of its own before anything changes, so
//!   that a refused fact leaves the walk as it was;
//! - the host's facts are kept as given, beside the walk's own facts (a session keeps
//!   them for saves, tickets and trees entered later);
//! - every decision is recorded in a transcript, with the rule it took;
//! - every move is counted against a step bound, and the node moved to is looked at for
//!   a pass limit (this tree has none);
//! - a decision whose fact is unknown stops the walk there, waiting for it.
//!
//! What it leaves out, because this tree has none of them: questions, free input,
//! several rules per decision, nested conditions, links into other trees, locales.
//! The session handles all of these in the same loop, which is part of what it costs.

use troubletree::{FactType, FactValue, Tree};

/// A fact's value as the walk keeps it: two whole words, as the engine's `Stored`.
#[derive(Clone, Copy, Debug, PartialEq)]
#[repr(u64)]
pub enum Stored {
    Bool(u64),
    Number(f64),
    Choice(u64),
}

/// A declared fact's type, with a number's inclusive range.
pub enum Ty {
    Bool,
    Number { min: f64, max: f64 },
    Choice(Vec<String>),
}

impl Ty {
    /// The given value in walk form, if it fits the type.
    #[inline]
    fn store(&self, value: &FactValue<'_>) -> Option<Stored> {
        match (self, value) {
            (Ty::Bool, FactValue::Bool(b)) => Some(Stored::Bool(u64::from(*b))),
            (Ty::Number { min, max }, FactValue::Number(n))
                if n.is_finite() && n >= min && n <= max =>
            {
                Some(Stored::Number(*n))
            }
            (Ty::Choice(options), FactValue::Text(t)) => options
                .iter()
                .position(|o| o == t)
                .map(|i| Stored::Choice(i as u64)),
            _ => None,
        }
    }
}

/// A decision's one rule: a fact compared with a constant.
pub enum Test {
    Eq(usize, Stored),
    Lt(usize, f64),
    Gt(usize, f64),
    Ge(usize, f64),
}

impl Test {
    /// `None` while the fact is unknown.
    #[inline]
    fn holds(&self, facts: &[Option<Stored>]) -> Option<bool> {
        let number = |slot: usize| match facts.get(slot).copied().flatten()? {
            Stored::Number(n) => Some(n),
            _ => Some(f64::NAN),
        };
        match *self {
            Test::Eq(slot, v) => Some(facts.get(slot).copied().flatten()? == v),
            Test::Lt(slot, rhs) => Some(number(slot)? < rhs),
            Test::Gt(slot, rhs) => Some(number(slot)? > rhs),
            Test::Ge(slot, rhs) => Some(number(slot)? >= rhs),
        }
    }
}

pub struct Node {
    /// `None`: a leaf, where the walk stops.
    decide: Option<(Test, u32, u32)>,
    /// The node has a pass limit (none in this tree; looked at on every move all the
    /// same, as the session does).
    limited: bool,
}

/// A transcript line: the node, and the rule taken (`u32::MAX`: its `otherwise`).
/// Written, never read here, as the session's lines are in a diagnosis.
#[derive(Clone, Copy, Debug)]
#[allow(dead_code)]
pub struct Line {
    pub node: u32,
    pub rule: u32,
}

/// The tree, lowered by hand.
pub struct Floor {
    tys: Vec<Ty>,
    nodes: Vec<Node>,
    ids: Vec<String>,
    start: u32,
    bound: u32,
}

/// One walk, reused for every diagnosis.
pub struct Walk {
    facts: Vec<Option<Stored>>,
    given: Vec<Option<Stored>>,
    host: Vec<Option<Stored>>,
    visits: Vec<u16>,
    pub transcript: Vec<Line>,
    pub steps: u32,
    at: u32,
}

/// Why a restart was refused: a fact that does not fit its type (the walk is then as it
/// was), or the step bound.
#[derive(Debug, PartialEq)]
pub enum Refused {
    Fact(usize),
    Bound(u32),
}

/// The facts of the six-decision tree, in its declaration order.
pub const FACTS: [&str; 6] = [
    "account_status",
    "network_ok",
    "balance",
    "amount",
    "bank_maintenance",
    "hours_since_debit",
];

impl Floor {
    /// `benches/data/six_decisions.ron`: its facts as `tree` declares them (in
    /// [`FACTS`] order) and its node ids, its nodes lowered by hand.
    pub fn six_decisions(tree: &Tree) -> Floor {
        let tys: Vec<Ty> = tree
            .facts()
            .map(|fact| match fact.kind() {
                FactType::Bool => Ty::Bool,
                FactType::Number => {
                    let (min, max) = fact.range();
                    Ty::Number {
                        min: min.unwrap_or(f64::NEG_INFINITY),
                        max: max.unwrap_or(f64::INFINITY),
                    }
                }
                FactType::Choice => Ty::Choice(fact.choices().map(str::to_owned).collect()),
                other => panic!("the bench tree declares no {other:?} fact"),
            })
            .collect();
        assert!(
            tree.facts().map(|f| f.name()).eq(FACTS),
            "the tree declares the facts in FACTS order"
        );
        let tests = [
            Test::Eq(0, Stored::Choice(1)),
            Test::Eq(1, Stored::Bool(0)),
            Test::Lt(2, 100.0),
            Test::Gt(3, 5000.0),
            Test::Eq(4, Stored::Bool(1)),
            Test::Ge(5, 48.0),
        ];
        let mut nodes: Vec<Node> = tests
            .into_iter()
            .enumerate()
            .map(|(i, test)| {
                let otherwise = if i < 5 { i as u32 + 1 } else { 12 };
                Node {
                    decide: Some((test, i as u32 + 6, otherwise)),
                    limited: false,
                }
            })
            .collect();
        nodes.extend((0..7).map(|_| Node {
            decide: None,
            limited: false,
        }));
        assert_eq!(nodes.len(), tree.node_count(), "every node lowered");
        Floor {
            tys,
            nodes,
            ids: tree.node_ids().map(str::to_owned).collect(),
            start: 0,
            bound: 10_000,
        }
    }

    pub fn walk(&self) -> Walk {
        Walk {
            facts: vec![None; self.tys.len()],
            given: vec![None; self.tys.len()],
            host: vec![None; self.tys.len()],
            visits: vec![0; 1],
            transcript: Vec::with_capacity(16),
            steps: 0,
            at: self.start,
        }
    }

    /// Starts the walk again with these facts (by slot), and walks to its first stop.
    pub fn restart(
        &self,
        walk: &mut Walk,
        facts: &[(usize, FactValue<'_>)],
    ) -> Result<(), Refused> {
        walk.given.fill(None);
        for (slot, value) in facts {
            let (Some(ty), Some(room)) = (self.tys.get(*slot), walk.given.get_mut(*slot)) else {
                return Err(Refused::Fact(*slot));
            };
            *room = Some(ty.store(value).ok_or(Refused::Fact(*slot))?);
        }
        std::mem::swap(&mut walk.facts, &mut walk.given);
        walk.host.copy_from_slice(&walk.facts);
        walk.transcript.clear();
        walk.visits.fill(0);
        walk.steps = 0;
        walk.at = self.start;
        // No copy is kept to put back after a walk that meets the bound: as the session
        // works out (once per restart), this tree's walks are far shorter than it.
        self.settle(walk)
    }

    #[inline]
    fn settle(&self, walk: &mut Walk) -> Result<(), Refused> {
        loop {
            let here = walk.at;
            let Some((test, then, otherwise)) = &self.nodes[here as usize].decide else {
                return Ok(());
            };
            let Some(outcome) = test.holds(&walk.facts) else {
                return Ok(());
            };
            walk.transcript.push(Line {
                node: here,
                rule: if outcome { 0 } else { u32::MAX },
            });
            if walk.steps >= self.bound {
                return Err(Refused::Bound(self.bound));
            }
            walk.steps += 1;
            let next = if outcome { *then } else { *otherwise };
            if self.nodes[next as usize].limited {
                walk.visits[0] += 1;
            }
            walk.at = next;
        }
    }

    /// The id of the node the walk stands at.
    pub fn at<'a>(&'a self, walk: &Walk) -> &'a str {
        &self.ids[walk.at as usize]
    }
}

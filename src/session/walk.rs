//! The walker: the state of one journey and the moves that change it.
//!
//! A [`State`] is plain data; every move takes the [`Catalogue`] it walks by reference,
//! so the hot path borrows the tree apart from the state and touches no reference
//! count. The state stops only where a person acts: a question, an instruction, an end.
//! Everything in between — `Decide` nodes, questions whose fact is known, `Goto` links
//! into another tree of the catalogue — is passed silently and recorded.

use petgraph::graph::NodeIndex;

use crate::Value;
use crate::catalogue::Catalogue;
use crate::session::step::Origin;
use crate::tree::{
    ChoiceIndex, FactDecl, FactSlot, FactTy, Flag, NodeKind, Offer, Stored, TreeData,
};

/// The walk state of a session. Trees are named by their index in the catalogue.
#[derive(Debug, PartialEq)]
pub(crate) struct State {
    /// The tree the walk is in.
    pub tree: u16,
    /// The node the walk is at.
    pub at: NodeIndex,
    /// Moves made, across every tree.
    pub steps: u32,
    pub step_limit: u32,
    /// The locale asked for, and its index in the current tree (0, the tree's default,
    /// when the tree does not declare it).
    pub locale: Box<str>,
    pub local: u16,
    /// The current tree's facts, by slot.
    pub facts: Box<[Option<Stored>]>,
    /// The current tree's pass counts at limited nodes.
    pub visits: Box<[u16]>,
    /// Facts the host supplied, by name: every tree entered gets those it declares.
    pub host: Vec<(Box<str>, Value)>,
    /// Where the journey started.
    pub start: (u16, NodeIndex),
    pub transcript: Vec<Entry>,
    /// The free text the transcript's lines hold ([`Logged::Text`]), in the order they
    /// were written.
    pub texts: Vec<Box<str>>,
    /// For [`crate::Session::restart`]: where in `host` each fact of the start tree is,
    /// and room to convert the given facts in before any is set.
    pub host_slots: HostSlots,
    /// When the walk stopped at a `Decide`: the fact it needs, found when its rules
    /// were evaluated, so that reading the step and answering it do not evaluate them
    /// again. Every move ends in [`State::settle`], which sets it.
    pub waiting: Option<FactSlot>,
}

/// A clone keeps the room reserved for the transcript (a derived one would allocate
/// only the lines written so far), so that the clone's next steps do not allocate
/// either: hosts keep a started session and clone it per user.
impl Clone for State {
    fn clone(&self) -> Self {
        let mut transcript = Vec::with_capacity(self.transcript.capacity());
        transcript.extend_from_slice(&self.transcript);
        State {
            tree: self.tree,
            at: self.at,
            steps: self.steps,
            step_limit: self.step_limit,
            locale: self.locale.clone(),
            local: self.local,
            facts: self.facts.clone(),
            visits: self.visits.clone(),
            host: self.host.clone(),
            start: self.start,
            transcript,
            texts: self.texts.clone(),
            host_slots: self.host_slots.clone(),
            waiting: self.waiting,
        }
    }
}

/// For each fact slot of the start tree, the index of its value in the host facts
/// (`u16::MAX`: none), so that a restart finds them without comparing names. Empty until
/// a restart needs it, and emptied whenever the host facts change. `given` is where a
/// restart converts the facts it is given, all checked before the session changes; the
/// walker then swaps it with its facts, so each value is converted once. A cache, so it
/// takes no part in comparing states.
#[derive(Debug, Default)]
pub(crate) struct HostSlots {
    pub slots: Box<[u16]>,
    pub given: Box<[Option<Stored>]>,
}

/// A clone gets the slots, not the room (which holds nothing it needs).
impl Clone for HostSlots {
    fn clone(&self) -> Self {
        HostSlots {
            slots: self.slots.clone(),
            given: Box::default(),
        }
    }
}

impl PartialEq for HostSlots {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl HostSlots {
    /// Fills the cache for the facts of `data` (the start tree) from `host`.
    pub fn fill(&mut self, data: &TreeData, host: &[(Box<str>, Value)]) {
        self.slots = data
            .facts
            .iter()
            .map(|decl| {
                host.iter()
                    .position(|(name, _)| **name == *decl.name)
                    .and_then(|i| u16::try_from(i).ok())
                    .unwrap_or(u16::MAX)
            })
            .collect();
    }
}

/// One line of the transcript, in walker form. A line owns nothing (its free text is in
/// [`State::texts`]), so that it has nothing to drop: a line that had was built on the
/// stack and copied into the transcript with loads wider than the stores that built it,
/// a copy the processor cannot forward (docs/PERFORMANCE.md, section 14), where a plain
/// line is written in place.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Entry {
    pub tree: u16,
    pub node: NodeIndex,
    pub what: Recorded,
    pub origin: Origin,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Recorded {
    /// An offered answer of an `Ask` or `Act`, by position.
    Offer(u32),
    /// Free input to an `Ask` on a Number or Text fact.
    Input(Logged),
    /// A `Decide` asked for a fact and got this value (the walk stays at the node).
    Fact(FactSlot, Logged),
    /// A `Decide` took this rule (`None`: its `otherwise`).
    Rule(Option<u32>),
    /// A `Goto` was followed to this tree and node.
    Jump { tree: u16, node: NodeIndex },
}

/// A fact's value in a transcript line: a [`Stored`] whose free text is kept in
/// [`State::texts`], by position, so that the line owns nothing.
#[derive(Debug, Clone, Copy, PartialEq)]
#[repr(u64)]
pub(crate) enum Logged {
    Bool(Flag),
    Number(f64),
    Choice(ChoiceIndex),
    Text(u64),
}

impl Logged {
    /// `stored` for a line, its text (if any) added to `texts`.
    #[inline]
    fn of(stored: &Stored, texts: &mut Vec<Box<str>>) -> Logged {
        match stored {
            Stored::Bool(b) => Logged::Bool(*b),
            Stored::Number(n) => Logged::Number(*n),
            Stored::Choice(c) => Logged::Choice(*c),
            Stored::Text(t) => {
                let at = texts.len() as u64;
                texts.push((**t).clone());
                Logged::Text(at)
            }
        }
    }

    /// The public value, for a fact of type `ty`, with the line's texts.
    fn value(self, ty: &FactTy, texts: &[Box<str>]) -> Value {
        let stored = match self {
            Logged::Bool(b) => Stored::Bool(b),
            Logged::Number(n) => Stored::Number(n),
            Logged::Choice(c) => Stored::Choice(c),
            Logged::Text(i) => {
                // Lines and texts are written together and cleared together.
                let text = usize::try_from(i).ok().and_then(|i| texts.get(i));
                debug_assert!(text.is_some(), "a line's text {i} is missing");
                return Value::Text(text.map_or_else(String::new, |t| t.to_string()));
            }
        };
        ty.value(&stored)
    }
}

/// An answer as given: a value, or the position of an offered one.
#[derive(Clone, Copy)]
pub(crate) enum By<'v> {
    Value(&'v Value),
    Index(usize),
}

/// The walk would exceed its step bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Bound(pub u32);

/// Why a move was refused before anything changed.
#[derive(Debug)]
pub(crate) enum Refused<'a> {
    NotOffered {
        node: &'a str,
        value: Value,
        offers: &'a [Offer],
    },
    WrongType {
        node: &'a str,
        slot: FactSlot,
        value: Value,
    },
    /// A number outside its fact's range.
    OutOfRange {
        node: &'a str,
        slot: FactSlot,
        value: f64,
    },
    NoSuchAnswer {
        node: &'a str,
        index: usize,
        count: usize,
    },
    Ended {
        node: &'a str,
    },
    Bound(Bound),
}

/// What the current stop waits for.
pub(crate) enum Pending<'a> {
    Offers {
        offers: &'a [Offer],
        fact: Option<FactSlot>,
    },
    Input {
        slot: FactSlot,
        next: NodeIndex,
    },
    Fact(FactSlot),
    Ended,
}

impl State {
    /// A journey at `node` of tree `tree`, with the host's facts, walked to its first
    /// stop.
    pub fn begin(
        catalogue: &Catalogue,
        tree: u16,
        node: NodeIndex,
        host: Vec<(Box<str>, Value)>,
        locale: Box<str>,
        step_limit: u32,
        capacity: usize,
    ) -> Result<State, Bound> {
        let mut state = State {
            tree,
            at: node,
            steps: 0,
            step_limit,
            locale,
            local: 0,
            facts: Box::default(),
            visits: Box::default(),
            host,
            start: (tree, node),
            transcript: Vec::with_capacity(capacity),
            texts: Vec::new(),
            host_slots: HostSlots::default(),
            waiting: None,
        };
        state.enter_tree(catalogue, tree);
        state.enter(catalogue, node);
        state.settle(catalogue)?;
        Ok(state)
    }

    /// Starts the journey again from where it started, with the host facts it holds
    /// now, and walks it to its first stop. `prepared`: the host facts are all facts of
    /// the start tree, already converted into `host_slots.given` by slot (unset slots
    /// `None`); they become the start tree's facts without looking names up. The buffers
    /// are kept: when the journey is in the tree it started in, nothing is allocated.
    pub fn restart(&mut self, catalogue: &Catalogue, prepared: bool) -> Result<(), Bound> {
        let (tree, node) = self.start;
        let data = &catalogue.tree(tree).0;
        self.transcript.clear();
        self.texts.clear();
        self.steps = 0;
        if self.tree == tree
            && self.facts.len() == data.facts.len()
            && self.visits.len() == data.limit_slots
        {
            if prepared && self.host_slots.given.len() == self.facts.len() {
                std::mem::swap(&mut self.facts, &mut self.host_slots.given);
            } else {
                for (decl, slot) in data.facts.iter().zip(self.facts.iter_mut()) {
                    *slot = host_fact(decl, &self.host);
                }
            }
            self.visits.fill(0);
        } else {
            // Started in another tree than it ended in: set up the start tree afresh.
            self.facts = Box::default();
            self.enter_tree(catalogue, tree);
        }
        self.enter(catalogue, node);
        self.settle(catalogue)
    }

    pub fn data<'c>(&self, catalogue: &'c Catalogue) -> &'c TreeData {
        &catalogue.tree(self.tree).0
    }

    /// Sets up the facts, pass counts and locale of a tree the walk enters: each fact
    /// the tree declares is taken from what the journey learned so far, by name and when
    /// the value fits its type, else from the host.
    fn enter_tree(&mut self, catalogue: &Catalogue, tree: u16) {
        let data = &catalogue.tree(tree).0;
        let known = if self.transcript.is_empty() && self.facts.is_empty() {
            Vec::new()
        } else {
            self.known(catalogue)
        };
        let facts = entry_facts(data, &known, &self.host);
        self.tree = tree;
        self.facts = facts.into_boxed_slice();
        self.visits = vec![0; data.limit_slots].into_boxed_slice();
        self.local = data
            .locales
            .iter()
            .position(|l| **l == *self.locale)
            .and_then(|i| u16::try_from(i).ok())
            .unwrap_or(0);
    }

    /// Every fact the journey learned, in the order it was learned (later ones win):
    /// those set in earlier trees, read off the transcript, then the current tree's.
    pub fn known<'c>(&self, catalogue: &'c Catalogue) -> Vec<(&'c str, Value)> {
        let mut known = Vec::new();
        for e in &self.transcript {
            if e.tree == self.tree {
                continue;
            }
            let data = &catalogue.tree(e.tree).0;
            if let Some((slot, value)) = entry_fact(data, e, &self.texts) {
                let decl = &data.facts[usize::from(slot)];
                known.push((&*decl.name, value));
            }
        }
        let data = self.data(catalogue);
        for (decl, v) in data.facts.iter().zip(&self.facts) {
            if let Some(v) = v {
                known.push((&*decl.name, decl.ty.value(v)));
            }
        }
        known
    }

    /// Arrives at a node of the current tree: counts the pass if the node has a limit,
    /// and follows `then` while limits are used up. The compiler refused circular `then`
    /// chains; the loop is bounded by the node count all the same.
    #[inline]
    fn enter(&mut self, catalogue: &Catalogue, target: NodeIndex) {
        self.enter_in(&catalogue.tree(self.tree).0, target);
    }

    /// [`State::enter`] with the current tree at hand. Most nodes have no limit: one
    /// look at the node, no loop set up.
    #[inline(always)]
    fn enter_in(&mut self, data: &TreeData, mut target: NodeIndex) {
        let graph = &data.graph;
        let mut limit = graph[target].limit;
        let mut hops = 0;
        while let Some(l) = limit {
            let passes = &mut self.visits[l.slot as usize];
            if *passes < l.times {
                *passes += 1;
                break;
            }
            target = l.then;
            hops += 1;
            if hops > graph.node_count() {
                // Unreachable: the compiler refused circular `then` chains.
                break;
            }
            limit = graph[target].limit;
        }
        self.at = target;
    }

    /// Counts one move against the step bound.
    #[inline]
    fn count_move(&mut self) -> Result<(), Bound> {
        if self.steps >= self.step_limit {
            return Err(Bound(self.step_limit));
        }
        self.steps += 1;
        Ok(())
    }

    /// One move to `target` in the current tree, `data`.
    #[inline]
    fn step_to(&mut self, data: &TreeData, target: NodeIndex) -> Result<(), Bound> {
        self.count_move()?;
        self.enter_in(data, target);
        Ok(())
    }

    pub fn pending<'c>(&self, catalogue: &'c Catalogue) -> Pending<'c> {
        let data = &catalogue.tree(self.tree).0;
        match &data.graph[self.at].kind {
            NodeKind::Ask {
                fact: Some(slot),
                free_next: Some(next),
                ..
            } => Pending::Input {
                slot: *slot,
                next: *next,
            },
            NodeKind::Ask { fact, offers, .. } => Pending::Offers {
                offers,
                fact: *fact,
            },
            NodeKind::Act { offers, .. } => Pending::Offers { offers, fact: None },
            NodeKind::Decide { .. } => self.waiting.map_or(Pending::Ended, Pending::Fact),
            _ => Pending::Ended,
        }
    }

    /// Checks an answer against the current stop, then records it and walks on to the
    /// next stop. Nothing changes before the answer is known to be acceptable; only the
    /// step bound can fail midway ([`Refused::Bound`]), and the caller then rewinds.
    pub fn apply<'c>(
        &mut self,
        catalogue: &'c Catalogue,
        by: By<'_>,
        origin: Origin,
    ) -> Result<(), Refused<'c>> {
        let data = &catalogue.tree(self.tree).0;
        let here = self.at;
        // The node's id, for a refusal only (reading it costs more than the move).
        let node = || data.node_id(here);
        match self.pending(catalogue) {
            Pending::Offers { offers, fact } => {
                let index =
                    match by {
                        By::Index(i) if i < offers.len() => i,
                        By::Index(index) => {
                            return Err(Refused::NoSuchAnswer {
                                node: node(),
                                index,
                                count: offers.len(),
                            });
                        }
                        By::Value(value) => offers
                            .iter()
                            .position(|o| *o.value == *value)
                            .ok_or_else(|| Refused::NotOffered {
                                node: node(),
                                value: value.clone(),
                                offers,
                            })?,
                    };
                let offer = &offers[index];
                if let (Some(slot), Some(stored)) = (fact, &offer.stored) {
                    self.facts[usize::from(slot)] = Some(stored.clone());
                }
                self.transcript.push(Entry {
                    tree: self.tree,
                    node: here,
                    what: Recorded::Offer(u32::try_from(index).unwrap_or(u32::MAX)),
                    origin,
                });
                self.step_to(data, offer.next).map_err(Refused::Bound)?;
            }
            Pending::Input { slot, next } => {
                let By::Value(value) = by else {
                    return Err(Refused::NoSuchAnswer {
                        node: node(),
                        index: match by {
                            By::Index(i) => i,
                            By::Value(_) => 0,
                        },
                        count: 0,
                    });
                };
                let decl = &data.facts[usize::from(slot)];
                let stored = decl.ty.store(value).ok_or_else(|| Refused::WrongType {
                    node: node(),
                    slot,
                    value: value.clone(),
                })?;
                if let Some(value) = decl.range.refuses(value) {
                    return Err(Refused::OutOfRange {
                        node: node(),
                        slot,
                        value,
                    });
                }
                let logged = Logged::of(&stored, &mut self.texts);
                self.facts[usize::from(slot)] = Some(stored);
                self.transcript.push(Entry {
                    tree: self.tree,
                    node: here,
                    what: Recorded::Input(logged),
                    origin,
                });
                self.step_to(data, next).map_err(Refused::Bound)?;
            }
            Pending::Fact(slot) => {
                // Bool and Choice facts offer their values, and answer like an `Ask`.
                let decl = &data.facts[usize::from(slot)];
                let offers = &decl.offers;
                let value = match by {
                    By::Index(index) => {
                        &offers
                            .get(index)
                            .ok_or(Refused::NoSuchAnswer {
                                node: node(),
                                index,
                                count: offers.len(),
                            })?
                            .value
                    }
                    By::Value(value)
                        if !offers.is_empty() && !offers.iter().any(|o| *o.value == *value) =>
                    {
                        return Err(Refused::NotOffered {
                            node: node(),
                            value: value.clone(),
                            offers,
                        });
                    }
                    By::Value(value) => value,
                };
                let stored = decl.ty.store(value).ok_or_else(|| Refused::WrongType {
                    node: node(),
                    slot,
                    value: value.clone(),
                })?;
                if let Some(value) = decl.range.refuses(value) {
                    return Err(Refused::OutOfRange {
                        node: node(),
                        slot,
                        value,
                    });
                }
                let logged = Logged::of(&stored, &mut self.texts);
                self.facts[usize::from(slot)] = Some(stored);
                self.transcript.push(Entry {
                    tree: self.tree,
                    node: here,
                    what: Recorded::Fact(slot, logged),
                    origin,
                });
            }
            Pending::Ended => return Err(Refused::Ended { node: node() }),
        }
        self.settle_in(catalogue, data).map_err(Refused::Bound)
    }

    /// Walks through `Decide` nodes, questions whose fact is known and `Goto` links into
    /// the catalogue, up to the next stop.
    #[inline(always)]
    pub fn settle(&mut self, catalogue: &Catalogue) -> Result<(), Bound> {
        self.settle_in(catalogue, &catalogue.tree(self.tree).0)
    }

    /// [`State::settle`] with the current tree, `data`, at hand; it changes only at a
    /// `Goto`.
    #[inline(always)]
    fn settle_in<'c>(
        &mut self,
        catalogue: &'c Catalogue,
        mut data: &'c TreeData,
    ) -> Result<(), Bound> {
        self.waiting = None;
        loop {
            let here = self.at;
            match &data.graph[here].kind {
                NodeKind::Decide { rules, otherwise } => {
                    let mut chosen = None;
                    for (i, (cond, next)) in rules.iter().enumerate() {
                        match cond.eval(&self.facts) {
                            Ok(true) => {
                                chosen = Some((i, *next));
                                break;
                            }
                            Ok(false) => {}
                            Err(slot) => {
                                self.waiting = Some(slot);
                                return Ok(());
                            }
                        }
                    }
                    let (rule, next) = match chosen {
                        Some((i, next)) => (u32::try_from(i).ok(), next),
                        None => (None, *otherwise),
                    };
                    self.transcript.push(Entry {
                        tree: self.tree,
                        node: here,
                        what: Recorded::Rule(rule),
                        origin: Origin::Auto,
                    });
                    self.count_move()?;
                    self.enter_in(data, next);
                }
                NodeKind::Ask {
                    fact: Some(slot),
                    offers,
                    free_next,
                    ..
                } => {
                    let Some(known) = &self.facts[usize::from(*slot)] else {
                        return Ok(());
                    };
                    let (what, next) = if let Some(next) = free_next {
                        (Recorded::Input(Logged::of(known, &mut self.texts)), *next)
                    } else if let Some(i) =
                        offers.iter().position(|o| o.stored.as_ref() == Some(known))
                    {
                        (
                            Recorded::Offer(u32::try_from(i).unwrap_or(u32::MAX)),
                            offers[i].next,
                        )
                    } else {
                        // The known value has no answer here (a W002 finding): ask.
                        return Ok(());
                    };
                    self.transcript.push(Entry {
                        tree: self.tree,
                        node: here,
                        what,
                        origin: Origin::Auto,
                    });
                    self.count_move()?;
                    self.enter_in(data, next);
                }
                NodeKind::Goto { tree, node } => {
                    // Into another tree of the catalogue, by id; a tree walked alone
                    // stops here instead.
                    let Some(target) = catalogue.position(tree) else {
                        return Ok(());
                    };
                    let target_data = &catalogue.tree(target).0;
                    let entry = match node {
                        None => target_data.start,
                        Some(id) => match target_data.node_index.get(&**id) {
                            Some(v) => v,
                            // The catalogue's check refused such a link (E008).
                            None => return Ok(()),
                        },
                    };
                    self.count_move()?;
                    self.transcript.push(Entry {
                        tree: self.tree,
                        node: here,
                        what: Recorded::Jump {
                            tree: target,
                            node: entry,
                        },
                        origin: Origin::Auto,
                    });
                    self.enter_tree(catalogue, target);
                    data = target_data;
                    self.enter_in(data, entry);
                }
                _ => return Ok(()),
            }
        }
    }

    /// The answers the user gave, in order, as values.
    pub fn given(&self, catalogue: &Catalogue) -> Vec<Value> {
        self.transcript
            .iter()
            .filter(|e| e.origin == Origin::Given)
            .filter_map(|e| entry_value(&catalogue.tree(e.tree).0, e, &self.texts))
            .collect()
    }

    pub fn given_count(&self) -> usize {
        self.transcript
            .iter()
            .filter(|e| e.origin == Origin::Given)
            .count()
    }

    /// The state rebuilt from its start, its host facts and the first `keep` answers the
    /// user gave.
    pub fn rewound(&self, catalogue: &Catalogue, keep: usize) -> Result<State, Bound> {
        let given = self.given(catalogue);
        let mut fresh = State::begin(
            catalogue,
            self.start.0,
            self.start.1,
            self.host.clone(),
            self.locale.clone(),
            self.step_limit,
            self.transcript.capacity(),
        )?;
        for value in given.iter().take(keep) {
            fresh
                .apply(catalogue, By::Value(value), Origin::Given)
                .map_err(|e| match e {
                    Refused::Bound(b) => b,
                    // The same answers on the same trees are accepted again.
                    _ => Bound(self.step_limit),
                })?;
        }
        Ok(fresh)
    }
}

/// The facts a tree starts with when a journey enters it: each fact it declares from what
/// the journey learned so far (`known`, later entries winning), by name and when the
/// value fits its type, else from the host's facts.
pub(crate) fn entry_facts(
    data: &TreeData,
    known: &[(&str, Value)],
    host: &[(Box<str>, Value)],
) -> Vec<Option<Stored>> {
    data.facts
        .iter()
        .map(|decl| {
            // A value learned in another tree is taken only within this tree's range.
            let learned = known
                .iter()
                .rev()
                .find(|(name, _)| **name == *decl.name)
                .and_then(|(_, v)| decl.ty.store(v))
                .filter(|s| decl.range.holds(s));
            learned.or_else(|| host_fact(decl, host))
        })
        .collect()
}

/// The host's value of a declared fact, in stored form, when the host supplied one.
fn host_fact(decl: &FactDecl, host: &[(Box<str>, Value)]) -> Option<Stored> {
    host.iter()
        .find(|(name, _)| **name == *decl.name)
        .and_then(|(_, v)| decl.ty.store(v))
}

/// The fact an entry set, and its value; `texts` are the transcript's.
pub(crate) fn entry_fact(
    data: &TreeData,
    e: &Entry,
    texts: &[Box<str>],
) -> Option<(FactSlot, Value)> {
    let node = &data.graph[e.node];
    match (&e.what, &node.kind) {
        (
            Recorded::Offer(i),
            NodeKind::Ask {
                offers,
                fact: Some(slot),
                ..
            },
        ) => {
            let decl = &data.facts[usize::from(*slot)];
            let stored = offers.get(*i as usize)?.stored.as_ref()?;
            Some((*slot, decl.ty.value(stored)))
        }
        (Recorded::Input(logged), NodeKind::Ask { fact: Some(s), .. })
        | (Recorded::Fact(s, logged), _) => {
            Some((*s, logged.value(&data.facts[usize::from(*s)].ty, texts)))
        }
        _ => None,
    }
}

/// The value an entry records as its answer (an offered value, an input, a fact);
/// `texts` are the transcript's.
pub(crate) fn entry_value(data: &TreeData, e: &Entry, texts: &[Box<str>]) -> Option<Value> {
    let node = &data.graph[e.node];
    match (&e.what, &node.kind) {
        (Recorded::Offer(i), NodeKind::Ask { offers, .. } | NodeKind::Act { offers, .. }) => {
            offers.get(*i as usize).map(|o| (*o.value).clone())
        }
        (Recorded::Input(logged), NodeKind::Ask { fact: Some(s), .. })
        | (Recorded::Fact(s, logged), _) => {
            Some(logged.value(&data.facts[usize::from(*s)].ty, texts))
        }
        _ => None,
    }
}

/// The type of a fact slot, for messages.
pub(crate) fn fact_type(data: &TreeData, slot: FactSlot) -> &FactTy {
    &data.facts[usize::from(slot)].ty
}

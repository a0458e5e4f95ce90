//! The validated, immutable tree: nodes resolved to indices, texts resolved to locales,
//! conditions typed. Only [`crate::compile`] builds one (and `Tree::from_str` and
//! `Tree::from_path` are defined there); this module imports nothing from it.
//!
//! It also holds the one definition of edge order, [`Node::edges`], which `Tree::edges`,
//! the compiler's graph checks and the analyses all follow.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use petgraph::graph::{DiGraph, NodeIndex};

use crate::diagnostic::Finding;
use crate::value::Value;

/// The graph inside a tree. Node weights hold everything the walker needs; edges exist
/// for the analyses (reachability, cycles, paths) and never for stepping.
pub(crate) type Graph = DiGraph<Node, (), u32>;

/// A validated decision tree, cheap to clone and safe to share across threads.
///
/// A `Tree` exists only if its file passed every check with no error, so the walker never
/// re-checks references, types or cycles. Cloning shares the same data (it is an `Arc`).
///
/// ```
/// let tree = troubletree::Tree::from_str(r#"
///     Tree(id: "hello", start: "done", nodes: [Resolve(id: "done", text: "All good.")])
/// "#)?;
/// assert_eq!(tree.id(), "hello");
/// assert_eq!(tree.node_count(), 1);
/// # Ok::<(), troubletree::LoadError>(())
/// ```
#[derive(Clone)]
pub struct Tree(pub(crate) Arc<TreeData>);

const _: () = {
    const fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Tree>();
};

#[derive(Clone)]
pub(crate) struct TreeData {
    pub id: Box<str>,
    pub version: u32,
    pub file: Box<str>,
    pub title: Option<Text>,
    pub locales: Box<[Box<str>]>,
    pub facts: Box<[FactDecl]>,
    pub fact_index: HashMap<Box<str>, FactSlot>,
    pub graph: Graph,
    pub node_index: IdIndex,
    pub start: NodeIndex,
    pub limit_slots: usize,
    /// The most moves a walk through this tree can make (checked against the step
    /// bound when it loaded); the catalogue adds them up along `Goto` chains.
    pub walk_bound: u64,
    pub fingerprint: u64,
    pub warnings: Vec<Finding>,
    /// Whether some text names a directory value (`{hotline.hours}`), to be filled in
    /// by a catalogue with a directory.
    pub directory_refs: bool,
    /// For a tree whose texts were filled in from a directory: the tree as written.
    pub written: Option<Tree>,
}

impl TreeData {
    /// The id of a node (empty for `NodeIndex::end()`).
    pub fn node_id(&self, node: NodeIndex) -> &str {
        self.node_index.id_of(node)
    }
}

impl Tree {
    /// The tree's id, as declared in the file.
    pub fn id(&self) -> &str {
        &self.0.id
    }

    /// The author's revision number (`version:` in the file, 0 if absent).
    pub fn version(&self) -> u32 {
        self.0.version
    }

    /// The file the tree was loaded from, or `<string>`.
    pub fn file(&self) -> &str {
        &self.0.file
    }

    /// The title in a locale (the default locale if that one is unknown).
    pub fn title(&self, locale: &str) -> Option<&str> {
        let index = self.locale_index(locale).unwrap_or(0);
        self.0.title.as_ref().map(|t| t.get(index))
    }

    /// Declared locales; the first is the default.
    pub fn locales(&self) -> impl ExactSizeIterator<Item = &str> {
        self.0.locales.iter().map(|l| &**l)
    }

    /// Number of nodes.
    pub fn node_count(&self) -> usize {
        self.0.graph.node_count()
    }

    /// Node ids in file order.
    pub fn node_ids(&self) -> impl Iterator<Item = &str> {
        self.0.node_index.keys()
    }

    /// Whether a node with this id exists.
    pub fn has_node(&self, id: &str) -> bool {
        self.0.node_index.contains_key(id)
    }

    /// The id of the start node.
    pub fn start(&self) -> &str {
        self.0.node_id(self.0.start)
    }

    /// Declared facts, in file order.
    ///
    /// ```
    /// let tree = troubletree::Tree::from_path("trees/recharge_failure.ron")?;
    /// let status = tree.fact("account_status").expect("declared");
    /// assert_eq!(status.kind(), troubletree::FactType::Choice);
    /// // A host supplies such a fact with one of its values, and nothing else.
    /// assert!(status.choices().any(|c| c == "restricted"));
    /// # Ok::<(), troubletree::LoadError>(())
    /// ```
    pub fn facts(&self) -> impl ExactSizeIterator<Item = Fact<'_>> {
        // A tree declares at most u16::MAX facts (slots are u16).
        self.0.facts.iter().enumerate().map(|(slot, decl)| Fact {
            tree: self,
            decl,
            slot: FactSlot::try_from(slot).unwrap_or(FactSlot::MAX),
        })
    }

    /// The declared fact with this name.
    pub fn fact(&self, name: &str) -> Option<Fact<'_>> {
        let slot = *self.0.fact_index.get(name)?;
        Some(Fact {
            tree: self,
            decl: &self.0.facts[usize::from(slot)],
            slot,
        })
    }

    /// A fingerprint of the tree's content. Comments and layout do not change it; any
    /// change to ids, texts, facts or structure does. Saved sessions carry it.
    pub fn fingerprint(&self) -> u64 {
        self.0.fingerprint
    }

    /// The warnings found when the tree was loaded.
    pub fn warnings(&self) -> &[Finding] {
        &self.0.warnings
    }

    /// The `Goto` targets of this tree: `(goto node id, target tree, target node)`.
    pub fn links(&self) -> impl Iterator<Item = (&str, &str, Option<&str>)> {
        let graph = &self.0.graph;
        graph.node_indices().filter_map(|v| match &graph[v].kind {
            NodeKind::Goto { tree, node } => Some((self.0.node_id(v), &**tree, node.as_deref())),
            _ => None,
        })
    }

    /// Every edge of the graph, in a fixed order (by node in file order, then answers,
    /// free input, rules, `otherwise`, and the limit's `then`). Coverage reports count
    /// these.
    ///
    /// ```
    /// let tree = troubletree::Tree::from_str(r#"Tree(id: "t", start: "a", nodes: [
    ///     Act(id: "a", text: "Restart the app.", next: "b", solved: "c"),
    ///     Resolve(id: "b", text: "Try later."),
    ///     Resolve(id: "c", text: "Fixed."),
    /// ])"#)?;
    /// let edges: Vec<String> = tree.edges().iter().map(|e| e.to_string()).collect();
    /// assert_eq!(edges, ["a --solved--> c", "a --not_solved--> b"]);
    /// # Ok::<(), troubletree::LoadError>(())
    /// ```
    pub fn edges(&self) -> Vec<Edge<'_>> {
        let graph = &self.0.graph;
        let mut edges = Vec::new();
        for v in graph.node_indices() {
            self.for_each_edge(v, |label, to| {
                edges.push(Edge {
                    from: self.0.node_id(v),
                    to: self.0.node_id(to),
                    label,
                });
            });
        }
        edges
    }

    /// Calls `f` with each edge of node `v`, in the order of [`Tree::edges`].
    pub(crate) fn for_each_edge<'t>(
        &'t self,
        v: NodeIndex,
        mut f: impl FnMut(EdgeLabel<'t>, NodeIndex),
    ) {
        for (label, to) in self.0.graph[v].edges() {
            f(label, to);
        }
    }

    pub(crate) fn locale_index(&self, locale: &str) -> Option<usize> {
        self.0.locales.iter().position(|l| &**l == locale)
    }
}

impl fmt::Debug for Tree {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tree")
            .field("id", &self.0.id)
            .field("version", &self.0.version)
            .field("nodes", &self.0.graph.node_count())
            .field("fingerprint", &format_args!("{:016x}", self.0.fingerprint))
            .finish()
    }
}

/// One edge of a tree: from a node to a successor, labelled with what takes it.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct Edge<'a> {
    /// The node the edge leaves.
    pub from: &'a str,
    /// The node it leads to.
    pub to: &'a str,
    /// What takes the edge.
    pub label: EdgeLabel<'a>,
}

/// What takes an edge.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum EdgeLabel<'a> {
    /// An answer (of an `Ask`, or `solved` / `not_solved` / `done` of an `Act`).
    Answer(&'a Value),
    /// Free input to a `Number` or `Text` question.
    Input,
    /// The rule of a `Decide` with this index (from 0).
    Rule(usize),
    /// A `Decide`'s `otherwise`.
    Otherwise,
    /// A limit used up: the node's `then`.
    Limit,
}

impl fmt::Display for EdgeLabel<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EdgeLabel::Answer(v) => write!(f, "{v}"),
            EdgeLabel::Input => f.write_str("input"),
            EdgeLabel::Rule(i) => write!(f, "rule {}", i + 1),
            EdgeLabel::Otherwise => f.write_str("otherwise"),
            EdgeLabel::Limit => f.write_str("limit"),
        }
    }
}

impl fmt::Display for Edge<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} --{}--> {}", self.from, self.label, self.to)
    }
}

/// Localised text, one entry per declared locale (missing translations were filled from
/// the default locale at compile time, with a warning).
///
/// Shared: the compiler interns texts, so that every node and answer with the same
/// words (a tree says "Yes", "Done" or "Try again later" many times) holds one
/// reference to one copy. A generated tree of a million nodes has a few dozen distinct
/// texts. A reference is one pointer (the strings sit behind a second one), so that
/// nodes and answers stay small.
#[derive(Debug, Clone)]
pub(crate) struct Text(pub Arc<Box<[Box<str>]>>);

impl Text {
    pub fn get(&self, locale: usize) -> &str {
        self.0
            .get(locale)
            .or_else(|| self.0.first())
            .map_or("", |s| s)
    }
}

/// The node ids of a tree, in node order, and the way from an id to its node, in far
/// less memory than a `HashMap<Box<str>, NodeIndex>` (which holds a second allocation per
/// id and 24 bytes per bucket) plus an id in every node: the ids one after the other in
/// one string, where each ends, and an open-addressing table of 4-byte node numbers, at
/// most half full. A tree of a million nodes takes about 26 bytes per node here, its ids'
/// text included. Entry `i` is node `i`: a node's id is read here, and nodes hold none.
///
/// The hash is std's SipHash with random keys, as for a `HashMap`: ids come from files,
/// and ids made to collide must not make loading quadratic.
#[derive(Clone, Default)]
pub(crate) struct IdIndex {
    /// Every node's id, one after the other.
    ids: String,
    /// Where each node's id ends in `ids`.
    ends: Vec<u32>,
    /// Node numbers, `EMPTY` where none; the length is a power of two (or zero). A
    /// repeated id is not in the table: its first node is.
    slots: Box<[u32]>,
    hasher: std::hash::RandomState,
}

impl IdIndex {
    const EMPTY: u32 = u32::MAX;

    /// An index with room for `n` ids before it grows.
    pub fn with_capacity(n: usize) -> IdIndex {
        let mut index = IdIndex::default();
        index.ends.reserve_exact(n);
        index.rebuild(n);
        index
    }

    /// The id of node `entry`.
    fn id(&self, entry: usize) -> &str {
        let start = match entry {
            0 => 0,
            e => self.ends[e - 1] as usize,
        };
        &self.ids[start..self.ends[entry] as usize]
    }

    /// The id of a node; empty for an index past the last node (`NodeIndex::end()`, a
    /// reference that names no node while a tree is compiled).
    pub fn id_of(&self, node: NodeIndex) -> &str {
        if node.index() < self.ends.len() {
            self.id(node.index())
        } else {
            ""
        }
    }

    fn hash(&self, id: &str) -> usize {
        use std::hash::BuildHasher;
        // Truncation is what a table index wants.
        self.hasher.hash_one(id) as usize
    }

    /// The slot of `id`: its node's, or the empty one where it would go.
    fn find(&self, id: &str) -> Option<usize> {
        let mask = self.slots.len().checked_sub(1)?;
        let mut at = self.hash(id) & mask;
        loop {
            match self.slots[at] {
                Self::EMPTY => return Some(at),
                entry if self.id(entry as usize) == id => return Some(at),
                _ => at = (at + 1) & mask,
            }
        }
    }

    /// A table for `n` entries at most half full, filled with the first node of each id.
    fn rebuild(&mut self, n: usize) {
        let size = n.max(8).saturating_mul(2).next_power_of_two();
        self.slots = vec![Self::EMPTY; size].into_boxed_slice();
        for entry in 0..self.ends.len() {
            if let Some(at) = self.find(self.id(entry))
                && self.slots[at] == Self::EMPTY
            {
                // Entries are fewer than `u32::MAX` (see `push`).
                self.slots[at] = entry as u32;
            }
        }
    }

    /// Adds the id of the next node. `Err` with the earlier node that has the same id,
    /// if one does (the id is kept for this node all the same, so that every node keeps
    /// its number), or with `NodeIndex::end()` when the index is full: at most
    /// `u32::MAX - 1` nodes, and ids of at most 4 GiB together.
    pub fn push(&mut self, id: &str) -> Result<(), NodeIndex> {
        let full = Err(NodeIndex::end());
        let Ok(entry) = u32::try_from(self.ends.len()) else {
            return full;
        };
        let Some(end) = u32::try_from(self.ids.len().saturating_add(id.len()))
            .ok()
            .filter(|_| entry != Self::EMPTY)
        else {
            return full;
        };
        if self.ends.len().saturating_add(1).saturating_mul(2) > self.slots.len() {
            self.rebuild(self.ends.len().saturating_add(1).saturating_mul(2));
        }
        let Some(at) = self.find(id) else {
            return full;
        };
        self.ids.push_str(id);
        self.ends.push(end);
        match self.slots[at] {
            Self::EMPTY => {
                self.slots[at] = entry;
                Ok(())
            }
            first => Err(NodeIndex::new(first as usize)),
        }
    }

    /// Gives back the room reserved for ids that did not come.
    pub fn shrink_to_fit(&mut self) {
        self.ids.shrink_to_fit();
        self.ends.shrink_to_fit();
    }

    /// The (first) node with this id (generic, as `HashMap::get` is, so that callers
    /// pass `&str`, `&String` or `&Box<str>` alike).
    pub fn get<Q: AsRef<str> + ?Sized>(&self, id: &Q) -> Option<NodeIndex> {
        let at = self.find(id.as_ref())?;
        match self.slots[at] {
            Self::EMPTY => None,
            entry => Some(NodeIndex::new(entry as usize)),
        }
    }

    pub fn contains_key<Q: AsRef<str> + ?Sized>(&self, id: &Q) -> bool {
        self.get(id).is_some()
    }

    /// The ids, in node order (a repeated id as often as it is repeated).
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        (0..self.ends.len()).map(|entry| self.id(entry))
    }
}

/// Index of a declared fact.
pub(crate) type FactSlot = u16;

/// A fact a tree declares: its name, type, the values a `Choice` takes, the range of a
/// `Number`, and its texts.
#[derive(Debug, Clone, Copy)]
pub struct Fact<'t> {
    tree: &'t Tree,
    decl: &'t FactDecl,
    slot: FactSlot,
}

impl<'t> Fact<'t> {
    /// A handle on this fact, to supply its value to a session without naming it:
    /// look it up once, then pass it to [`crate::Session::restart`] for every
    /// diagnosis.
    ///
    /// ```
    /// let tree = troubletree::Tree::from_path("trees/recharge_failure.ron")?;
    /// let network = tree.fact("network_ok").expect("declared").id();
    /// assert_eq!(tree.fact("network_ok").map(|f| f.id()), Some(network));
    /// # Ok::<(), troubletree::LoadError>(())
    /// ```
    pub fn id(&self) -> FactId {
        FactId {
            tree: self.tree.0.fingerprint,
            slot: self.slot,
        }
    }

    /// The fact's name.
    pub fn name(&self) -> &'t str {
        &self.decl.name
    }

    /// Its type.
    pub fn kind(&self) -> FactType {
        self.decl.ty.public()
    }

    /// The values a `Choice` fact takes, in the order declared (none for other types).
    pub fn choices(&self) -> impl ExactSizeIterator<Item = &'t str> + 't {
        let options: &'t [Box<str>] = match &self.decl.ty {
            FactTy::Choice(options) => options,
            _ => &[],
        };
        options.iter().map(|o| &**o)
    }

    /// The inclusive bounds of a `Number` fact, where the tree declares them.
    pub fn range(&self) -> (Option<f64>, Option<f64>) {
        (self.decl.range.min, self.decl.range.max)
    }

    /// How people read the fact's name in a locale (its label, else its name).
    pub fn label(&self, locale: &str) -> &'t str {
        self.decl.label(self.tree.locale_index(locale).unwrap_or(0))
    }

    /// The question that asks for it in a locale, when the tree gives one.
    pub fn question(&self, locale: &str) -> Option<&'t str> {
        let index = self.tree.locale_index(locale).unwrap_or(0);
        self.decl.ask.as_ref().map(|t| t.get(index))
    }
}

/// A fact of one tree, resolved once ([`Fact::id`]): the tree's fingerprint and the
/// fact's position. A session takes it only on a catalogue that holds that very tree
/// (same content); a tree reloaded with changes needs its facts looked up again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FactId {
    pub(crate) tree: u64,
    pub(crate) slot: FactSlot,
}

/// The type of a fact, as declared in the tree; [`Fact`] gives a `Choice`'s values and a
/// `Number`'s range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FactType {
    /// `true` or `false`.
    Bool,
    /// A finite number.
    Number,
    /// Free text.
    Text,
    /// One of a closed set of strings.
    Choice,
}

impl fmt::Display for FactType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FactType::Bool => "Bool",
            FactType::Number => "Number",
            FactType::Text => "Text",
            FactType::Choice => "Choice",
        })
    }
}

#[derive(Debug, Clone)]
pub(crate) enum FactTy {
    Bool,
    Number,
    Text,
    Choice(Box<[Box<str>]>),
}

impl FactTy {
    pub fn public(&self) -> FactType {
        match self {
            FactTy::Bool => FactType::Bool,
            FactTy::Number => FactType::Number,
            FactTy::Text => FactType::Text,
            FactTy::Choice(_) => FactType::Choice,
        }
    }

    /// Converts a value into the stored form for this type, or `None` if it does not fit.
    pub fn store(&self, value: &Value) -> Option<Stored> {
        match (self, value) {
            (FactTy::Bool, Value::Bool(b)) => Some(Stored::Bool((*b).into())),
            (FactTy::Number, Value::Number(n)) if n.is_finite() => Some(Stored::Number(*n)),
            (FactTy::Text, Value::Text(t)) => Some(Stored::text(t)),
            (FactTy::Choice(options), Value::Text(t)) => {
                let index = options.iter().position(|o| **o == **t)?;
                Some(Stored::Choice(u16::try_from(index).ok()?.into()))
            }
            _ => None,
        }
    }

    /// [`FactTy::store`] for a borrowed value. By reference: `Session::restart` copied
    /// each value it was given to the stack and read it back in pieces, loads the
    /// processor could not forward from the wider store (docs/PERFORMANCE.md, section 14).
    #[inline]
    pub fn store_given(&self, value: &crate::FactValue<'_>) -> Option<Stored> {
        use crate::FactValue;
        match (self, value) {
            (FactTy::Bool, FactValue::Bool(b)) => Some(Stored::Bool((*b).into())),
            (FactTy::Number, FactValue::Number(n)) if n.is_finite() => Some(Stored::Number(*n)),
            (FactTy::Text, FactValue::Text(t)) => Some(Stored::text(t)),
            (FactTy::Choice(options), FactValue::Text(t)) => {
                let index = options.iter().position(|o| **o == **t)?;
                Some(Stored::Choice(u16::try_from(index).ok()?.into()))
            }
            _ => None,
        }
    }

    /// The public value of a stored fact of this type.
    pub fn value(&self, stored: &Stored) -> Value {
        match (self, stored) {
            (FactTy::Choice(options), Stored::Choice(i)) => Value::Text(
                options
                    .get(usize::from(i.get()))
                    .map_or_else(String::new, |s| s.to_string()),
            ),
            (_, Stored::Bool(b)) => Value::Bool((*b).into()),
            (_, Stored::Number(n)) => Value::Number(*n),
            (_, Stored::Text(t)) => Value::Text(t.to_string()),
            (_, Stored::Choice(i)) => Value::Number(f64::from(i.get())),
        }
    }
}

/// A declared fact.
#[derive(Debug, Clone)]
pub(crate) struct FactDecl {
    pub name: Box<str>,
    pub ty: FactTy,
    /// How people read the fact's name (a ticket), when the tree gives a label.
    pub label: Option<Text>,
    pub ask: Option<Text>,
    /// What a `Decide` offers when it asks for this fact (Bool and Choice only).
    pub offers: Box<[Offer]>,
    /// The values a `Number` fact takes (inclusive bounds).
    pub range: Range,
}

impl FactDecl {
    /// The fact's label in a locale, or its name when it has none.
    pub fn label(&self, locale: usize) -> &str {
        self.label.as_ref().map_or(&*self.name, |t| t.get(locale))
    }
}

/// The inclusive bounds of a `Number` fact (`min:` and `max:` in the tree); both `None`
/// for every other fact and for a number without a range.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Range {
    pub min: Option<f64>,
    pub max: Option<f64>,
}

impl Range {
    /// Whether a stored value is within the range (always, for anything but a number).
    pub fn holds(&self, stored: &Stored) -> bool {
        match stored {
            Stored::Number(n) => self.contains(*n),
            _ => true,
        }
    }

    /// Whether a number is within the range.
    pub fn contains(&self, n: f64) -> bool {
        self.min.is_none_or(|min| n >= min) && self.max.is_none_or(|max| n <= max)
    }

    /// The number a value is, when it is a number out of this range.
    pub fn refuses(&self, value: &Value) -> Option<f64> {
        match value {
            Value::Number(n) if !self.contains(*n) => Some(*n),
            _ => None,
        }
    }
}

/// A fact value in the form the walker keeps: choices are indices, so answering from an
/// offered value copies and never allocates.
///
/// Every payload is 8 bytes and the tag is too (`repr(u64)`), so that a value is written
/// and copied as two whole words: with a one-byte `bool` or a two-byte index, the
/// compiler wrote the payload's bytes and read them back as a word, a store the
/// processor cannot forward, which cost a restarted diagnosis about a fifth of its time
/// (docs/PERFORMANCE.md, section 12).
#[derive(Debug, Clone, PartialEq)]
#[repr(u64)]
pub(crate) enum Stored {
    Bool(Flag),
    Number(f64),
    Choice(ChoiceIndex),
    /// Boxed twice so that a stored value is 16 bytes, not 24: free text is rare, and
    /// every fact slot, offer, rule and transcript line is smaller for it.
    Text(Box<Box<str>>),
}

/// A `bool` 8 bytes wide (see [`Stored`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u64)]
pub(crate) enum Flag {
    No = 0,
    Yes = 1,
}

impl From<bool> for Flag {
    fn from(b: bool) -> Flag {
        if b { Flag::Yes } else { Flag::No }
    }
}

impl From<Flag> for bool {
    fn from(f: Flag) -> bool {
        f == Flag::Yes
    }
}

/// A choice's index among its fact's values, 8 bytes wide (see [`Stored`]); built only
/// from a `u16`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ChoiceIndex(u64);

impl From<u16> for ChoiceIndex {
    fn from(i: u16) -> ChoiceIndex {
        ChoiceIndex(u64::from(i))
    }
}

impl ChoiceIndex {
    pub fn get(self) -> u16 {
        // Built from a u16 only.
        u16::try_from(self.0).unwrap_or(u16::MAX)
    }
}

impl Stored {
    /// Free text, copied. Kept out of line: the walker's paths inline the other kinds.
    #[inline(never)]
    pub fn text(text: &str) -> Stored {
        Stored::Text(Box::new(text.into()))
    }
}

/// An answer offered by a question (or an instruction).
#[derive(Debug, Clone)]
pub(crate) struct Offer {
    /// Shared: the compiler gives every answer with the same value one copy.
    pub value: Arc<Value>,
    pub text: Text,
    /// What the answer stores into the question's fact, if it fills one.
    pub stored: Option<Stored>,
    pub next: NodeIndex,
}

/// A compiled condition: facts are slots, values are in stored form.
#[derive(Debug, Clone)]
pub(crate) enum Cond {
    Eq(FactSlot, Stored),
    Ne(FactSlot, Stored),
    Cmp(FactSlot, CmpOp, f64),
    In(FactSlot, Box<[Stored]>),
    Known(FactSlot),
    All(Box<[Cond]>),
    Any(Box<[Cond]>),
    Not(Box<Cond>),
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum CmpOp {
    Lt,
    Le,
    Gt,
    Ge,
}

impl Cond {
    /// Evaluates against the facts; `Err(slot)` names the first fact that is needed and
    /// not known. Nested conditions are bounded by the parser's recursion limit.
    ///
    /// Inlined for the plain comparisons most rules are, so that the walker's loop over
    /// a `Decide`'s rules makes no call for them; nested conditions go to
    /// [`Cond::eval_nested`], which is not inlined, so that this one is not recursive.
    #[inline(always)]
    pub fn eval(&self, facts: &[Option<Stored>]) -> Result<bool, FactSlot> {
        match self {
            Cond::Eq(slot, v) => Ok(known(facts, *slot)? == v),
            Cond::Ne(slot, v) => Ok(known(facts, *slot)? != v),
            Cond::Cmp(slot, op, rhs) => Ok(op.holds(known(facts, *slot)?, *rhs)),
            _ => self.eval_nested(facts),
        }
    }

    /// [`Cond::eval`] for every kind, nested ones included.
    #[inline(never)]
    fn eval_nested(&self, facts: &[Option<Stored>]) -> Result<bool, FactSlot> {
        let get = |slot: FactSlot| known(facts, slot);
        Ok(match self {
            Cond::Eq(slot, v) => get(*slot)? == v,
            Cond::Ne(slot, v) => get(*slot)? != v,
            Cond::Cmp(slot, op, rhs) => op.holds(get(*slot)?, *rhs),
            Cond::In(slot, set) => {
                let v = get(*slot)?;
                set.iter().any(|s| s == v)
            }
            Cond::Known(slot) => get(*slot).is_ok(),
            Cond::All(all) => {
                for c in all.iter() {
                    if !c.eval_nested(facts)? {
                        return Ok(false);
                    }
                }
                true
            }
            Cond::Any(any) => {
                for c in any.iter() {
                    if c.eval_nested(facts)? {
                        return Ok(true);
                    }
                }
                false
            }
            Cond::Not(c) => !c.eval_nested(facts)?,
        })
    }
}

/// The value of a fact slot, or the slot when the fact is not known.
#[inline(always)]
fn known(facts: &[Option<Stored>], slot: FactSlot) -> Result<&Stored, FactSlot> {
    facts
        .get(usize::from(slot))
        .and_then(Option::as_ref)
        .ok_or(slot)
}

impl CmpOp {
    /// Whether a stored value compares so with `rhs` (never, for anything but a number).
    #[inline(always)]
    fn holds(self, value: &Stored, rhs: f64) -> bool {
        match value {
            Stored::Number(n) => match self {
                CmpOp::Lt => *n < rhs,
                CmpOp::Le => *n <= rhs,
                CmpOp::Gt => *n > rhs,
                CmpOp::Ge => *n >= rhs,
            },
            _ => false,
        }
    }
}

/// A bounded loop on a node: at most `times` passes, then go to `then`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limit {
    pub slot: u32,
    pub times: u16,
    pub then: NodeIndex,
}

#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub kind: NodeKind,
    pub limit: Option<Limit>,
}

#[derive(Debug, Clone)]
pub(crate) enum NodeKind {
    Ask {
        text: Text,
        fact: Option<FactSlot>,
        offers: Box<[Offer]>,
        free_next: Option<NodeIndex>,
    },
    Act {
        text: Text,
        offers: Box<[Offer]>,
    },
    Decide {
        rules: Box<[(Cond, NodeIndex)]>,
        otherwise: NodeIndex,
    },
    Resolve {
        text: Text,
        kind: ResolutionKind,
    },
    Escalate {
        reason: Text,
        priority: Priority,
        channel: Option<Channel>,
        prepare: Box<[Text]>,
        /// A note for the agent, beside the reason written to the user.
        agent: Option<Text>,
    },
    Goto {
        tree: Box<str>,
        node: Option<Box<str>>,
    },
}

impl Node {
    /// The node's edges with their labels: the one definition of edge order, which
    /// [`Tree::edges`] documents (answers, free input, rules, `otherwise`, then the
    /// limit's `then`) and coverage indices depend on. The compiler's graph checks and
    /// the analyses follow it too.
    ///
    /// While a tree is being compiled, a reference that names no node is
    /// `NodeIndex::end()`; a compiled tree has none.
    pub(crate) fn edges(&self) -> impl Iterator<Item = (EdgeLabel<'_>, NodeIndex)> + '_ {
        type Rules = [(Cond, NodeIndex)];
        let (offers, input, rules, otherwise): (&[Offer], _, &Rules, _) = match &self.kind {
            NodeKind::Ask {
                offers, free_next, ..
            } => (offers, *free_next, &[], None),
            NodeKind::Act { offers, .. } => (offers, None, &[], None),
            NodeKind::Decide { rules, otherwise } => (&[], None, rules, Some(*otherwise)),
            NodeKind::Resolve { .. } | NodeKind::Escalate { .. } | NodeKind::Goto { .. } => {
                (&[], None, &[], None)
            }
        };
        let answers = offers.iter().map(|o| (EdgeLabel::Answer(&o.value), o.next));
        let input = input.map(|to| (EdgeLabel::Input, to));
        let rules = rules
            .iter()
            .enumerate()
            .map(|(i, r)| (EdgeLabel::Rule(i), r.1));
        let otherwise = otherwise.map(|to| (EdgeLabel::Otherwise, to));
        let limit = self.limit.map(|l| (EdgeLabel::Limit, l.then));
        answers
            .chain(input)
            .chain(rules)
            .chain(otherwise)
            .chain(limit)
    }
}

impl NodeKind {
    pub fn is_terminal(&self) -> bool {
        matches!(
            self,
            NodeKind::Resolve { .. } | NodeKind::Escalate { .. } | NodeKind::Goto { .. }
        )
    }
}

/// How urgent an escalation is. A stolen account is `Urgent`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[non_exhaustive]
pub enum Priority {
    /// Can wait for a written reply.
    Low,
    /// The usual case.
    Normal,
    /// Money is stuck or the user cannot pay.
    High,
    /// Money or the account is at risk now.
    Urgent,
}

/// What kind of solution a `Resolve` node is, for analytics: containment is counted per
/// kind (`docs/ANALYTICS.md`).
///
/// In a tree file it is the `Resolve` node's `kind` field (`Fixed` unless written);
/// in events and JSON it is written in lower case (`"waiting"`).
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ResolutionKind {
    /// The problem is fixed: the walk solved it.
    #[default]
    Fixed,
    /// Nothing was fixed, but the user knows what to do or why it cannot be done.
    Informed,
    /// The user waits for something that takes time (a review, a refund, a transfer),
    /// and comes back if it does not happen.
    Waiting,
}

impl ResolutionKind {
    /// `"fixed"`, `"informed"` or `"waiting"`.
    pub fn as_str(self) -> &'static str {
        match self {
            ResolutionKind::Fixed => "fixed",
            ResolutionKind::Informed => "informed",
            ResolutionKind::Waiting => "waiting",
        }
    }
}

/// A customer-service channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub enum Channel {
    /// The telephone hotline.
    Hotline,
    /// Feedback inside the app.
    InApp,
    /// Online chat with an agent.
    Chat,
    /// E-mail.
    Email,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_id_index_finds_every_id_and_keeps_the_first_of_a_repeated_one() {
        let mut index = IdIndex::with_capacity(3);
        // More ids than asked for: the table grows.
        for i in 0..1_000 {
            assert_eq!(index.push(&format!("node_{i}")), Ok(()));
        }
        assert_eq!(index.push(""), Ok(()));
        // A repeated id names its first node, and still takes its own number.
        assert_eq!(index.push("node_7"), Err(NodeIndex::new(7)));
        assert_eq!(index.push("after"), Ok(()));
        for i in 0..1_000 {
            assert_eq!(
                index.get(&format!("node_{i}")),
                Some(NodeIndex::new(i)),
                "node_{i}"
            );
            assert_eq!(index.id_of(NodeIndex::new(i)), format!("node_{i}"));
        }
        assert_eq!(index.get(""), Some(NodeIndex::new(1_000)));
        assert_eq!(index.id_of(NodeIndex::new(1_001)), "node_7");
        assert_eq!(index.get("after"), Some(NodeIndex::new(1_002)));
        assert_eq!(index.id_of(NodeIndex::new(1_003)), "");
        assert_eq!(index.id_of(NodeIndex::end()), "");
        assert!(!index.contains_key("node_1000"));
        assert!(!index.contains_key("node_"));
        let keys: Vec<&str> = index.keys().take(3).collect();
        assert_eq!(keys, ["node_0", "node_1", "node_2"]);
        assert_eq!(index.keys().count(), 1_003);
        assert_eq!(IdIndex::default().get("x"), None);
    }

    #[test]
    fn equal_texts_are_one_copy() {
        let tree = Tree::from_str(
            r#"Tree(id: "t", start: "a", locales: ["zh", "en"], nodes: [
                Act(id: "a", text: {"zh": "重试", "en": "Retry"}, next: "b"),
                Act(id: "b", text: {"zh": "重试", "en": "Retry"}, next: "c"),
                Resolve(id: "c", text: {"zh": "好了", "en": "Done"}),
            ])"#,
        )
        .expect("a valid tree");
        let text = |i: usize| match &tree.0.graph[NodeIndex::new(i)].kind {
            NodeKind::Act { text, offers } => (text.clone(), offers[0].value.clone()),
            _ => panic!("an Act"),
        };
        let ((a, done_a), (b, done_b)) = (text(0), text(1));
        assert!(Arc::ptr_eq(&a.0, &b.0));
        assert!(Arc::ptr_eq(&done_a, &done_b));
        assert_eq!((a.get(0), a.get(1)), ("重试", "Retry"));
    }
}

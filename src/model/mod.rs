//! The tree file as written: serde structs that mirror the RON text one to one.
//!
//! Nothing here checks anything beyond the shape of the text. The structs keep the
//! author's strings (ids, fact names, texts) as they are, *borrowed from the text* when
//! they hold no escape, so that parsing a large tree allocates little beyond its lists;
//! [`crate::compile`] resolves them into a [`crate::Tree`]. Field order in these structs is
//! the order the format documents.
//!
//! [`parse`] reads a tree file: with the fast reader (`fast`) for the plain RON trees
//! are written in, and with ron for anything else; `differential` holds the two to the
//! same result. [`ron_options`] is the one set of ron options for every RON file the
//! crate reads.

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::ops::Deref;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};

use crate::value::Value;

#[cfg(any(test, feature = "internals"))]
mod differential;
mod fast;

#[cfg(feature = "internals")]
pub(crate) use differential::differential;
use fast::read;

/// The format version this crate reads. A tree declares it with `format: 1`.
pub const FORMAT_VERSION: u32 = 1;

/// A string of the file: a slice of the text, or an unescaped copy when the string has
/// escapes.
///
/// Sixteen bytes, not a `Cow`'s 24: a large tree's model holds several million of them
/// at once, with the text (the peak of `troubletree check`). The rare unescaped copy
/// costs a second allocation instead.
#[derive(Clone)]
pub(crate) struct Str<'a>(Repr<'a>);

#[derive(Clone)]
enum Repr<'a> {
    Borrowed(&'a str),
    Owned(Box<Box<str>>),
}

const _: () = assert!(std::mem::size_of::<Str<'static>>() == 16);

impl<'a> Str<'a> {
    /// A slice of the text.
    pub fn borrowed(text: &'a str) -> Str<'a> {
        Str(Repr::Borrowed(text))
    }

    /// An unescaped copy.
    pub fn owned(text: impl Into<Box<str>>) -> Str<'a> {
        Str(Repr::Owned(Box::new(text.into())))
    }

    /// The string as a slice of the text, if it is one.
    pub fn as_borrowed(&self) -> Option<&'a str> {
        match self.0 {
            Repr::Borrowed(text) => Some(text),
            Repr::Owned(_) => None,
        }
    }

    pub fn into_owned(self) -> String {
        match self.0 {
            Repr::Borrowed(text) => text.to_owned(),
            Repr::Owned(text) => (*text).into(),
        }
    }
}

impl Default for Str<'_> {
    fn default() -> Self {
        Str::borrowed("")
    }
}

impl Deref for Str<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        match &self.0 {
            Repr::Borrowed(text) => text,
            Repr::Owned(text) => text,
        }
    }
}

impl PartialEq for Str<'_> {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl Eq for Str<'_> {}

impl PartialOrd for Str<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Str<'_> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        str::cmp(self, other)
    }
}

impl std::hash::Hash for Str<'_> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        str::hash(self, state);
    }
}

/// As a `Str(Cow)` printed: `Str("text")`, whether borrowed or copied (the differential
/// test compares the two parsers' results through `Debug`).
impl fmt::Debug for Str<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Str").field(&&**self).finish()
    }
}

impl fmt::Display for Str<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self)
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Str<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct StrVisitor;
        impl<'de> Visitor<'de> for StrVisitor {
            type Value = Str<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Str<'de>, E> {
                Ok(Str::borrowed(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Str<'de>, E> {
                Ok(Str::owned(v))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Str<'de>, E> {
                Ok(Str::owned(v))
            }
        }
        d.deserialize_string(StrVisitor)
    }
}

/// A whole tree file: `Tree(id: ..., start: ..., nodes: [...])`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename = "Tree", deny_unknown_fields)]
pub(crate) struct TreeFile<'a> {
    #[serde(default = "default_format")]
    pub format: u32,
    #[serde(borrow)]
    pub id: Str<'a>,
    #[serde(default)]
    pub version: u32,
    #[serde(default, borrow)]
    pub title: Option<Text<'a>>,
    /// Declared locales; the first is the default. Empty means `["zh"]`.
    #[serde(default, borrow)]
    pub locales: Vec<Str<'a>>,
    #[serde(default, borrow)]
    pub facts: Vec<FactDef<'a>>,
    #[serde(borrow)]
    pub start: Str<'a>,
    #[serde(borrow)]
    pub nodes: Nodes<'a>,
}

fn default_format() -> u32 {
    FORMAT_VERSION
}

/// The nodes of a tree file, in file order, held in chunks so that the compiler can free
/// each chunk as soon as it has compiled it: a large tree is then never in memory twice,
/// once as written and once compiled.
#[derive(Debug, Clone, Default)]
pub(crate) struct Nodes<'a> {
    chunks: Vec<Vec<NodeDef<'a>>>,
    len: usize,
}

impl<'a> Nodes<'a> {
    const CHUNK: usize = 4096;

    pub fn push(&mut self, node: NodeDef<'a>) {
        match self.chunks.last_mut() {
            Some(chunk) if chunk.len() < Self::CHUNK => chunk.push(node),
            _ => {
                let mut chunk = Vec::with_capacity(Self::CHUNK.min(self.len.max(16)));
                chunk.push(node);
                self.chunks.push(chunk);
            }
        }
        self.len += 1;
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn iter(&self) -> impl Iterator<Item = &NodeDef<'a>> {
        self.chunks.iter().flatten()
    }

    /// The chunks, to be consumed in order.
    pub fn into_chunks(self) -> Vec<Vec<NodeDef<'a>>> {
        self.chunks
    }
}

impl PartialEq for Nodes<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.len == other.len && self.iter().eq(other.iter())
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Nodes<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct NodesVisitor;
        impl<'de> Visitor<'de> for NodesVisitor {
            type Value = Nodes<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a sequence")
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Nodes<'de>, A::Error> {
                let mut nodes = Nodes::default();
                while let Some(node) = seq.next_element()? {
                    nodes.push(node);
                }
                Ok(nodes)
            }
        }
        d.deserialize_seq(NodesVisitor)
    }
}

/// `Fact(name: "network_ok", type: Bool, ask: "...")`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename = "Fact", deny_unknown_fields)]
pub(crate) struct FactDef<'a> {
    #[serde(borrow)]
    pub name: Str<'a>,
    #[serde(rename = "type", borrow)]
    pub ty: FactTypeDef<'a>,
    /// How the fact is named for people (an agent reading a ticket), instead of its name.
    #[serde(default, borrow)]
    pub label: Option<Text<'a>>,
    /// The question the walker asks when a `Decide` needs this fact and nobody supplied it.
    #[serde(default, borrow)]
    pub ask: Option<Text<'a>>,
    /// Labels for the values of a `Choice` fact, shown when the walker asks for it.
    #[serde(default, borrow)]
    pub labels: Labels<'a>,
    /// The smallest value a `Number` fact takes (inclusive).
    #[serde(default)]
    pub min: Option<f64>,
    /// The largest value a `Number` fact takes (inclusive).
    #[serde(default)]
    pub max: Option<f64>,
}

/// The type of a fact.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename = "FactType")]
pub(crate) enum FactTypeDef<'a> {
    Bool,
    Number,
    Text,
    Choice(#[serde(borrow)] Vec<Str<'a>>),
}

/// One node of the graph. The variant name is the node kind.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename = "Node", deny_unknown_fields)]
pub(crate) enum NodeDef<'a> {
    /// A question for the user.
    Ask {
        #[serde(borrow)]
        id: Str<'a>,
        #[serde(borrow)]
        text: Text<'a>,
        #[serde(default, borrow)]
        fact: Option<Str<'a>>,
        #[serde(default, borrow)]
        answers: Vec<AnswerDef<'a>>,
        /// Successor of a free-input question (a `Number` or `Text` fact).
        #[serde(default, borrow)]
        next: Option<Str<'a>>,
        #[serde(default, borrow)]
        limit: Option<Box<LimitDef<'a>>>,
    },
    /// An instruction to try; `solved` (optional) is where "that fixed it" leads.
    Act {
        #[serde(borrow)]
        id: Str<'a>,
        #[serde(borrow)]
        text: Text<'a>,
        #[serde(borrow)]
        next: Str<'a>,
        #[serde(default, borrow)]
        solved: Option<Str<'a>>,
        #[serde(default, borrow)]
        limit: Option<Box<LimitDef<'a>>>,
    },
    /// An automatic decision from facts: the first rule that holds wins.
    Decide {
        #[serde(borrow)]
        id: Str<'a>,
        #[serde(borrow)]
        rules: Vec<RuleDef<'a>>,
        #[serde(borrow)]
        otherwise: Str<'a>,
        #[serde(default, borrow)]
        limit: Option<Box<LimitDef<'a>>>,
    },
    /// The end of a walk with a solution; `kind` says what kind (fixed by default).
    Resolve {
        #[serde(borrow)]
        id: Str<'a>,
        #[serde(borrow)]
        text: Text<'a>,
        #[serde(default)]
        kind: ResolutionKindDef,
    },
    /// The end of a walk with a hand-over to customer service.
    Escalate {
        #[serde(borrow)]
        id: Str<'a>,
        #[serde(borrow)]
        reason: Text<'a>,
        #[serde(default)]
        priority: PriorityDef,
        #[serde(default)]
        channel: Option<ChannelDef>,
        #[serde(default, borrow)]
        prepare: Vec<Text<'a>>,
        /// A note for the agent who takes the case (what was tried, what was captured),
        /// beside the `reason`, which is written to the user.
        #[serde(default, borrow)]
        agent: Option<Box<Text<'a>>>,
    },
    /// A jump into another tree (its start, or the named node).
    Goto {
        #[serde(borrow)]
        id: Str<'a>,
        #[serde(borrow)]
        tree: Str<'a>,
        #[serde(default, borrow)]
        node: Option<Str<'a>>,
    },
}

impl<'a> NodeDef<'a> {
    /// The node's id, whatever its kind.
    pub fn id(&self) -> &Str<'a> {
        match self {
            NodeDef::Ask { id, .. }
            | NodeDef::Act { id, .. }
            | NodeDef::Decide { id, .. }
            | NodeDef::Resolve { id, .. }
            | NodeDef::Escalate { id, .. }
            | NodeDef::Goto { id, .. } => id,
        }
    }

    /// The node's bounded-loop declaration, if its kind can carry one.
    pub fn limit(&self) -> Option<&LimitDef<'a>> {
        match self {
            NodeDef::Ask { limit, .. }
            | NodeDef::Act { limit, .. }
            | NodeDef::Decide { limit, .. } => limit.as_deref(),
            _ => None,
        }
    }
}

/// `Answer(value: true, text: "...", next: "node")`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename = "Answer", deny_unknown_fields)]
pub(crate) struct AnswerDef<'a> {
    #[serde(borrow)]
    pub value: ValueDef<'a>,
    #[serde(borrow)]
    pub text: Text<'a>,
    #[serde(borrow)]
    pub next: Str<'a>,
}

/// `Rule(when: Eq("network_ok", false), next: "fix_network")`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename = "Rule", deny_unknown_fields)]
pub(crate) struct RuleDef<'a> {
    #[serde(borrow)]
    pub when: ConditionDef<'a>,
    #[serde(borrow)]
    pub next: Str<'a>,
}

/// `Limit(times: 2, then: "escalate_retry")`: pass the node at most `times` times in one
/// walk; an arrival after that goes to `then` instead.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename = "Limit", deny_unknown_fields)]
pub(crate) struct LimitDef<'a> {
    pub times: u32,
    #[serde(borrow)]
    pub then: Str<'a>,
}

/// A condition: closed data, no expressions. The first field of a comparison names a fact.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename = "Condition")]
pub(crate) enum ConditionDef<'a> {
    Eq(#[serde(borrow)] Str<'a>, #[serde(borrow)] ValueDef<'a>),
    Ne(#[serde(borrow)] Str<'a>, #[serde(borrow)] ValueDef<'a>),
    Lt(#[serde(borrow)] Str<'a>, #[serde(borrow)] ValueDef<'a>),
    Le(#[serde(borrow)] Str<'a>, #[serde(borrow)] ValueDef<'a>),
    Gt(#[serde(borrow)] Str<'a>, #[serde(borrow)] ValueDef<'a>),
    Ge(#[serde(borrow)] Str<'a>, #[serde(borrow)] ValueDef<'a>),
    In(#[serde(borrow)] Str<'a>, #[serde(borrow)] Vec<ValueDef<'a>>),
    Known(#[serde(borrow)] Str<'a>),
    All(#[serde(borrow)] Vec<ConditionDef<'a>>),
    Any(#[serde(borrow)] Vec<ConditionDef<'a>>),
    Not(#[serde(borrow)] Box<ConditionDef<'a>>),
}

/// How urgent an escalation is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename = "Priority")]
pub(crate) enum PriorityDef {
    Low,
    #[default]
    Normal,
    High,
    Urgent,
}

/// What kind of solution a `Resolve` is: the problem was fixed, the user was told what
/// to do, or the user waits for something that takes time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename = "ResolutionKind")]
pub(crate) enum ResolutionKindDef {
    #[default]
    Fixed,
    Informed,
    Waiting,
}

/// The contact channel an escalation suggests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename = "Channel")]
pub(crate) enum ChannelDef {
    Hotline,
    InApp,
    Chat,
    Email,
}

/// A text of a tree as written: a plain string, or locale → string entries.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Text<'a> {
    Plain(Str<'a>),
    Localized(Entries<'a>),
}

/// The locale → string entries of a text, sorted by locale, each locale once. A text
/// usually has one or two, held without an allocation: a large tree has millions.
#[derive(Debug, Clone)]
pub(crate) enum Entries<'a> {
    Few(u8, [(Str<'a>, Str<'a>); 2]),
    Many(Vec<(Str<'a>, Str<'a>)>),
}

impl<'a> Entries<'a> {
    /// From entries sorted by locale.
    fn from_sorted(mut entries: Vec<(Str<'a>, Str<'a>)>) -> Self {
        if entries.len() > 2 {
            return Entries::Many(entries);
        }
        let mut few: [(Str<'a>, Str<'a>); 2] = Default::default();
        let n = entries.len();
        for (slot, entry) in few.iter_mut().zip(entries.drain(..)) {
            *slot = entry;
        }
        Entries::Few(n as u8, few)
    }

    fn into_vec(self) -> Vec<(Str<'a>, Str<'a>)> {
        match self {
            Entries::Few(n, few) => few.into_iter().take(usize::from(n)).collect(),
            Entries::Many(many) => many,
        }
    }
}

impl<'a> Deref for Entries<'a> {
    type Target = [(Str<'a>, Str<'a>)];
    fn deref(&self) -> &Self::Target {
        match self {
            Entries::Few(n, few) => &few[..usize::from(*n)],
            Entries::Many(many) => many,
        }
    }
}

impl PartialEq for Entries<'_> {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

/// Finds `key` in entries sorted by key.
pub(crate) fn lookup<'e, K: Deref<Target = str>, V>(
    entries: &'e [(K, V)],
    key: &str,
) -> Option<&'e V> {
    entries
        .binary_search_by(|(k, _)| (**k).cmp(key))
        .ok()
        .map(|i| &entries[i].1)
}

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct TextVisitor;
        impl<'de> Visitor<'de> for TextVisitor {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(TEXT_EXPECTED)
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Text<'de>, E> {
                Ok(Text::Plain(Str::borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Text<'de>, E> {
                Ok(Text::Plain(Str::owned(v)))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Text<'de>, E> {
                Ok(Text::Plain(Str::owned(v)))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Text<'de>, A::Error> {
                sorted_entries(map, Some(locale_twice))
                    .map(|entries| Text::Localized(Entries::from_sorted(entries)))
            }
        }
        d.deserialize_any(TextVisitor)
    }
}

const TEXT_EXPECTED: &str =
    r#"a text: a string, or a map of locale to string such as { "zh": "...", "en": "..." }"#;

fn locale_twice(locale: &str) -> String {
    format!("locale \"{locale}\" appears twice in this text")
}

/// The `labels` of a `Choice` fact: choice → text, sorted by choice. A choice labelled
/// twice keeps its last label.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Labels<'a>(pub Vec<(Str<'a>, Text<'a>)>);

impl<'a> Labels<'a> {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(k, _)| &**k)
    }

    pub fn get(&self, choice: &str) -> Option<&Text<'a>> {
        lookup(&self.0, choice)
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Labels<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct LabelsVisitor;
        impl<'de> Visitor<'de> for LabelsVisitor {
            type Value = Labels<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a map")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Labels<'de>, A::Error> {
                sorted_entries(map, None).map(Labels)
            }
        }
        d.deserialize_map(LabelsVisitor)
    }
}

/// Reads `{ key: value, ... }` into entries sorted by key. A repeated key is refused
/// with `repeated(key)` when given, and otherwise the last value wins (as for a
/// `BTreeMap`).
fn sorted_entries<'de, A, K, V>(
    mut map: A,
    repeated: Option<fn(&str) -> String>,
) -> Result<Vec<(K, V)>, A::Error>
where
    A: MapAccess<'de>,
    K: Deserialize<'de> + Deref<Target = str>,
    V: Deserialize<'de>,
{
    // Texts have a handful of locales: a linear scan finds repeats until the map grows.
    const SCAN: usize = 8;
    let mut out: Vec<(K, V)> = Vec::with_capacity(map.size_hint().unwrap_or(2).min(SCAN));
    let mut seen: HashSet<String> = HashSet::new();
    while let Some((key, value)) = map.next_entry::<K, V>()? {
        let again = if out.len() < SCAN {
            out.iter().any(|(k, _)| **k == *key)
        } else {
            if seen.is_empty() {
                seen.extend(out.iter().map(|(k, _)| (**k).to_owned()));
            }
            !seen.insert((*key).to_owned())
        };
        if again {
            if let Some(message) = repeated {
                return Err(de::Error::custom(message(&key)));
            }
        }
        out.push((key, value));
    }
    // Stable: among repeated keys the last one written ends up last, and is kept.
    out.sort_by(|a, b| str::cmp(&a.0, &b.0));
    let mut kept: Vec<(K, V)> = Vec::with_capacity(out.len());
    for entry in out {
        match kept.last_mut() {
            Some(last) if *last.0 == *entry.0 => *last = entry,
            _ => kept.push(entry),
        }
    }
    Ok(kept)
}
/// Text as written in a service directory: a plain string, or a map from locale to
/// string. (Trees use the borrowed [`Text`].)
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum TextDef {
    Plain(String),
    Localized(BTreeMap<String, String>),
}

impl Serialize for TextDef {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            TextDef::Plain(text) => s.serialize_str(text),
            TextDef::Localized(map) => map.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for TextDef {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(match Text::deserialize(d)? {
            Text::Plain(text) => TextDef::Plain(text.into_owned()),
            Text::Localized(entries) => TextDef::Localized(
                entries
                    .into_vec()
                    .into_iter()
                    .map(|(k, v)| (k.into_owned(), v.into_owned()))
                    .collect(),
            ),
        })
    }
}

/// A value as written: like [`Value`], with strings borrowed from the text.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ValueDef<'a> {
    Bool(bool),
    Number(f64),
    Text(Str<'a>),
}

impl ValueDef<'_> {
    pub fn to_value(&self) -> Value {
        match self {
            ValueDef::Bool(b) => Value::Bool(*b),
            ValueDef::Number(n) => Value::Number(*n),
            ValueDef::Text(t) => Value::Text((**t).to_owned()),
        }
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for ValueDef<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ValueVisitor)
    }
}

// A `Value` is read the way a tree file writes one (see `ValueVisitor`).
impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(ValueDef::deserialize(d)?.to_value())
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = ValueDef<'de>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a value: true, false, a number or a string")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<ValueDef<'de>, E> {
        Ok(ValueDef::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<ValueDef<'de>, E> {
        // Precision beyond 2^53 is irrelevant for amounts and counts in a tree.
        #[allow(clippy::cast_precision_loss)]
        Ok(ValueDef::Number(v as f64))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<ValueDef<'de>, E> {
        #[allow(clippy::cast_precision_loss)]
        Ok(ValueDef::Number(v as f64))
    }
    fn visit_i128<E: de::Error>(self, v: i128) -> Result<ValueDef<'de>, E> {
        #[allow(clippy::cast_precision_loss)]
        Ok(ValueDef::Number(v as f64))
    }
    fn visit_u128<E: de::Error>(self, v: u128) -> Result<ValueDef<'de>, E> {
        #[allow(clippy::cast_precision_loss)]
        Ok(ValueDef::Number(v as f64))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<ValueDef<'de>, E> {
        if v.is_finite() {
            Ok(ValueDef::Number(v))
        } else {
            Err(E::custom(
                "numbers must be finite (NaN and inf are not values)",
            ))
        }
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<ValueDef<'de>, E> {
        Ok(ValueDef::Text(Str::borrowed(v)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<ValueDef<'de>, E> {
        Ok(ValueDef::Text(Str::owned(v)))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<ValueDef<'de>, E> {
        Ok(ValueDef::Text(Str::owned(v)))
    }
    fn visit_char<E: de::Error>(self, v: char) -> Result<ValueDef<'de>, E> {
        Ok(ValueDef::Text(Str::owned(v.to_string())))
    }
}

// ------------------------------------------------------------------------ parsing

/// How deeply RON values may nest. Trees need a handful of levels; the bound keeps a
/// hostile file from exhausting the stack.
pub(crate) const RECURSION_LIMIT: usize = 128;

/// The options of every RON file the crate reads (trees, the service directory,
/// scenarios): `implicit_some`, so that optional fields are written bare, and a bound on
/// nesting.
pub(crate) fn ron_options() -> ron::Options {
    ron::Options::default()
        .with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME)
        .with_recursion_limit(RECURSION_LIMIT)
}

/// Which parser reads a tree file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Parser {
    /// The fast reader, and ron for any text it does not take (errors included).
    Fast,
    /// ron alone (the benches and the differential checks compare the two).
    #[cfg(any(test, feature = "internals"))]
    Ron,
}

/// Parses a tree file. Errors are always ron's, with its positions.
///
/// # Errors
///
/// ron's error when the text is not a tree file's RON.
pub(crate) fn parse(text: &str, parser: Parser) -> Result<TreeFile<'_>, ron::error::SpannedError> {
    if parser == Parser::Fast
        && let Some(file) = read(text)
    {
        return Ok(file);
    }
    ron_options().from_str(text)
}

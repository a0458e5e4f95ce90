//! The tree file as written: serde structs that mirror the RON text one to one.
//!
//! Nothing here checks anything beyond the shape of the text. The structs keep the
//! author's strings (ids, fact names, texts) as they are, *borrowed from the text* when
//! they hold no escape, so that parsing a large tree allocates little beyond its lists;
//! [`crate::compile`] resolves them into a [`crate::Tree`]. Field order in these structs is
//! the order the format documents.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::ops::Deref;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};

use crate::value::Value;

/// The format version this crate reads. A tree declares it with `format: 1`.
pub const FORMAT_VERSION: u32 = 1;

/// A string of the file: a slice of the text, or an unescaped copy when the string has
/// escapes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub(crate) struct Str<'a>(pub Cow<'a, str>);

impl Deref for Str<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Str<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
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
                Ok(Str(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Str<'de>, E> {
                Ok(Str(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Str<'de>, E> {
                Ok(Str(Cow::Owned(v)))
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
    /// The question the walker asks when a `Decide` needs this fact and nobody supplied it.
    #[serde(default, borrow)]
    pub ask: Option<Text<'a>>,
    /// Labels for the values of a `Choice` fact, shown when the walker asks for it.
    #[serde(default, borrow)]
    pub labels: Labels<'a>,
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
        limit: Option<LimitDef<'a>>,
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
        limit: Option<LimitDef<'a>>,
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
        limit: Option<LimitDef<'a>>,
    },
    /// The end of a walk with a solution.
    Resolve {
        #[serde(borrow)]
        id: Str<'a>,
        #[serde(borrow)]
        text: Text<'a>,
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
            | NodeDef::Decide { limit, .. } => limit.as_ref(),
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
                Ok(Text::Plain(Str(Cow::Borrowed(v))))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Text<'de>, E> {
                Ok(Text::Plain(Str(Cow::Owned(v.to_owned()))))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Text<'de>, E> {
                Ok(Text::Plain(Str(Cow::Owned(v))))
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
            Text::Plain(text) => TextDef::Plain(text.0.into_owned()),
            Text::Localized(entries) => TextDef::Localized(
                entries
                    .into_vec()
                    .into_iter()
                    .map(|(k, v)| (k.0.into_owned(), v.0.into_owned()))
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
        Ok(ValueDef::Text(Str(Cow::Borrowed(v))))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<ValueDef<'de>, E> {
        Ok(ValueDef::Text(Str(Cow::Owned(v.to_owned()))))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<ValueDef<'de>, E> {
        Ok(ValueDef::Text(Str(Cow::Owned(v))))
    }
    fn visit_char<E: de::Error>(self, v: char) -> Result<ValueDef<'de>, E> {
        Ok(ValueDef::Text(Str(Cow::Owned(v.to_string()))))
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
    /// ron alone.
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

// ------------------------------------------------------------------------ fast reader

/// Reads a tree file written in the plain RON that trees use, much faster than ron's
/// general deserializer (which looks every value up through serde's `Any` machinery and
/// allocates for each map); `None` as soon as the text steps outside that plain subset,
/// and then ron reads the file and reports any error.
///
/// The subset: ASCII whitespace and comments, named structs and variants, fields in any
/// order (each once), quoted strings (escaped ones and raw strings are unescaped by ron
/// itself), plain integers (other numbers are parsed by ron itself), `true` and `false`,
/// lists, maps, trailing commas. Whatever it accepts, it reads into exactly the value
/// ron's deserializer gives: `tests` below checks that on the shipped trees, generated
/// trees and thousands of damaged variants of them.
pub(crate) fn read(text: &str) -> Option<TreeFile<'_>> {
    let mut reader = Reader {
        text,
        at: 0,
        depth: 0,
    };
    reader.ws()?;
    let file = reader.tree()?;
    reader.ws()?;
    (reader.at == text.len()).then_some(file)
}

/// How deeply conditions may nest on the fast path; deeper ones are left to ron, which
/// enforces the file's recursion limit.
const FAST_DEPTH: u32 = 24;

/// `None` means "not for the fast path".
type Fast<T> = Option<T>;

struct Reader<'a> {
    text: &'a str,
    at: usize,
    depth: u32,
}

/// Stores a field's value; `None` (not for the fast path) if the field came before.
fn once<T>(slot: &mut Option<T>, value: T) -> Fast<()> {
    match slot {
        Some(_) => None,
        None => {
            *slot = Some(value);
            Some(())
        }
    }
}

/// Sorts map entries by key; `None` if a key repeats.
fn sorted_unique<K: Deref<Target = str>, V>(mut entries: Vec<(K, V)>) -> Fast<Vec<(K, V)>> {
    entries.sort_by(|a, b| str::cmp(&a.0, &b.0));
    if entries.windows(2).any(|w| *w[0].0 == *w[1].0) {
        return None;
    }
    Some(entries)
}

impl<'a> Reader<'a> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.at).copied()
    }

    fn eat(&mut self, byte: u8) -> Fast<()> {
        if self.peek() == Some(byte) {
            self.at += 1;
            Some(())
        } else {
            None
        }
    }

    /// Skips whitespace and comments.
    fn ws(&mut self) -> Fast<()> {
        let bytes = self.text.as_bytes();
        loop {
            match bytes.get(self.at) {
                Some(b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c) => self.at += 1,
                Some(b'/') => match bytes.get(self.at + 1) {
                    Some(b'/') => {
                        self.at = bytes[self.at..]
                            .iter()
                            .position(|&b| b == b'\n')
                            .map_or(bytes.len(), |i| self.at + i);
                    }
                    Some(b'*') => {
                        let mut level = 1u32;
                        let mut i = self.at + 2;
                        while level > 0 {
                            match (bytes.get(i)?, bytes.get(i + 1)) {
                                (b'/', Some(b'*')) => {
                                    level += 1;
                                    i += 2;
                                }
                                (b'*', Some(b'/')) => {
                                    level -= 1;
                                    i += 2;
                                }
                                _ => i += 1,
                            }
                        }
                        self.at = i;
                    }
                    _ => return None,
                },
                // ron counts a few non-ASCII characters as whitespace: its call.
                Some(&b) if b >= 0x80 => return None,
                _ => return Some(()),
            }
        }
    }

    /// An ASCII identifier; anything that might continue as a raw identifier, a string
    /// or a non-ASCII identifier is left to ron.
    fn ident(&mut self) -> Fast<&'a str> {
        let bytes = self.text.as_bytes();
        let start = self.at;
        match bytes.get(start) {
            Some(b) if b.is_ascii_alphabetic() || *b == b'_' => {}
            _ => return None,
        }
        let mut end = start + 1;
        while bytes
            .get(end)
            .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_')
        {
            end += 1;
        }
        if bytes
            .get(end)
            .is_some_and(|&b| b >= 0x80 || matches!(b, b'#' | b'"' | b'\''))
        {
            return None;
        }
        self.at = end;
        Some(&self.text[start..end])
    }

    /// `Name(`, after which the struct's fields follow.
    fn named(&mut self, name: &str) -> Fast<()> {
        if self.ident()? != name {
            return None;
        }
        self.ws()?;
        self.eat(b'(')
    }

    /// The fields of a struct, up to and including its `)`.
    fn fields(&mut self, mut field: impl FnMut(&mut Self, &'a str) -> Fast<()>) -> Fast<()> {
        loop {
            self.ws()?;
            if self.peek() == Some(b')') {
                self.at += 1;
                return Some(());
            }
            let name = self.ident()?;
            self.ws()?;
            self.eat(b':')?;
            self.ws()?;
            field(self, name)?;
            self.ws()?;
            match self.peek()? {
                b',' => self.at += 1,
                b')' => {}
                _ => return None,
            }
        }
    }

    /// `[a, b, ...]`.
    fn list<T>(&mut self, mut item: impl FnMut(&mut Self) -> Fast<T>) -> Fast<Vec<T>> {
        self.eat(b'[')?;
        let mut out = Vec::new();
        loop {
            self.ws()?;
            if self.peek() == Some(b']') {
                self.at += 1;
                return Some(out);
            }
            out.push(item(self)?);
            self.ws()?;
            match self.peek()? {
                b',' => self.at += 1,
                b']' => {}
                _ => return None,
            }
        }
    }

    /// `[node, ...]`.
    fn nodes(&mut self) -> Fast<Nodes<'a>> {
        self.eat(b'[')?;
        let mut out = Nodes::default();
        loop {
            self.ws()?;
            if self.peek() == Some(b']') {
                self.at += 1;
                return Some(out);
            }
            out.push(self.node()?);
            self.ws()?;
            match self.peek()? {
                b',' => self.at += 1,
                b']' => {}
                _ => return None,
            }
        }
    }

    /// `{ key: value, ... }` with string keys, in the order written.
    fn map<V>(&mut self, mut value: impl FnMut(&mut Self) -> Fast<V>) -> Fast<Vec<(Str<'a>, V)>> {
        self.eat(b'{')?;
        let mut out = Vec::with_capacity(2);
        loop {
            self.ws()?;
            if self.peek() == Some(b'}') {
                self.at += 1;
                return Some(out);
            }
            let key = self.string()?;
            self.ws()?;
            self.eat(b':')?;
            self.ws()?;
            out.push((key, value(self)?));
            self.ws()?;
            match self.peek()? {
                b',' => self.at += 1,
                b'}' => {}
                _ => return None,
            }
        }
    }

    /// A text's `{ locale: string, ... }`; one or two entries without an allocation.
    fn entries(&mut self) -> Fast<Entries<'a>> {
        self.eat(b'{')?;
        let mut few: [(Str<'a>, Str<'a>); 2] = Default::default();
        let mut n = 0usize;
        let mut many: Vec<(Str<'a>, Str<'a>)> = Vec::new();
        loop {
            self.ws()?;
            if self.peek() == Some(b'}') {
                self.at += 1;
                break;
            }
            let locale = self.string()?;
            self.ws()?;
            self.eat(b':')?;
            self.ws()?;
            let entry = (locale, self.string()?);
            if n < 2 {
                few[n] = entry;
            } else {
                if many.is_empty() {
                    many.extend(few.iter_mut().map(std::mem::take));
                }
                many.push(entry);
            }
            n += 1;
            self.ws()?;
            match self.peek()? {
                b',' => self.at += 1,
                b'}' => {}
                _ => return None,
            }
        }
        if n > 2 {
            return sorted_unique(many).map(Entries::Many);
        }
        if n == 2 {
            match (*few[0].0).cmp(&*few[1].0) {
                std::cmp::Ordering::Less => {}
                std::cmp::Ordering::Greater => few.swap(0, 1),
                std::cmp::Ordering::Equal => return None,
            }
        }
        Some(Entries::Few(n as u8, few))
    }

    /// The inside of a one-field variant such as `Known("x")`, after the name: `(value)`,
    /// with an optional trailing comma.
    fn wrapped<T>(&mut self, inner: impl FnOnce(&mut Self) -> Fast<T>) -> Fast<T> {
        self.ws()?;
        self.eat(b'(')?;
        self.ws()?;
        let value = inner(self)?;
        self.close()?;
        Some(value)
    }

    /// An optional comma, then `)`.
    fn close(&mut self) -> Fast<()> {
        self.ws()?;
        if self.peek() == Some(b',') {
            self.at += 1;
            self.ws()?;
        }
        self.eat(b')')
    }

    /// A value in an `Option` field (ron's `implicit_some`); `None` and `Some(...)` are
    /// left to ron.
    fn some<T>(&mut self, inner: impl FnOnce(&mut Self) -> Fast<T>) -> Fast<T> {
        let rest = &self.text.as_bytes()[self.at..];
        if rest.starts_with(b"None") || rest.starts_with(b"Some") {
            return None;
        }
        inner(self)
    }

    /// A string where one is expected: `"..."` or a raw string.
    fn string(&mut self) -> Fast<Str<'a>> {
        match self.peek()? {
            b'"' => self.quoted(),
            b'r' => self.raw(),
            _ => None,
        }
    }

    /// A quoted string: borrowed when it has no escape; unescaped by ron when it has.
    fn quoted(&mut self) -> Fast<Str<'a>> {
        let bytes = self.text.as_bytes();
        let start = self.at;
        let body = start + 1;
        let mut i = body;
        let mut escaped = false;
        loop {
            i = crate::source::find2(bytes, i, b'"', b'\\')?;
            if bytes[i] == b'"' {
                break;
            }
            escaped = true;
            i += 2;
        }
        self.at = i + 1;
        if escaped {
            let literal = self.text.get(start..=i)?;
            ron::from_str::<String>(literal)
                .ok()
                .map(|s| Str(Cow::Owned(s)))
        } else {
            Some(Str(Cow::Borrowed(&self.text[body..i])))
        }
    }

    /// `r"..."` or `r#"..."#`, unescaped (that is, read) by ron.
    fn raw(&mut self) -> Fast<Str<'a>> {
        let bytes = self.text.as_bytes();
        let start = self.at;
        let hashes = bytes[start + 1..]
            .iter()
            .take_while(|&&b| b == b'#')
            .count();
        let open = start + 1 + hashes;
        if bytes.get(open) != Some(&b'"') {
            return None;
        }
        let mut i = open + 1;
        let end = loop {
            if *bytes.get(i)? == b'"'
                && bytes.len() >= i + 1 + hashes
                && bytes[i + 1..i + 1 + hashes].iter().all(|&b| b == b'#')
            {
                break i + 1 + hashes;
            }
            i += 1;
        };
        self.at = end;
        let literal = self.text.get(start..end)?;
        ron::from_str::<String>(literal)
            .ok()
            .map(|s| Str(Cow::Owned(s)))
    }

    /// The characters a number may be made of, for ron to read when it is not a plain
    /// integer.
    fn number_token(&mut self) -> Fast<&'a str> {
        let bytes = self.text.as_bytes();
        let start = self.at;
        let mut end = start;
        while bytes
            .get(end)
            .is_some_and(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'+' | b'-'))
        {
            end += 1;
        }
        if end == start || bytes.get(end).is_some_and(|&b| b >= 0x80) {
            return None;
        }
        self.at = end;
        Some(&self.text[start..end])
    }

    /// Digits with no sign, no leading zero and at most `max` of them.
    fn plain_integer(token: &str, max: usize) -> Option<u64> {
        let plain = !token.is_empty()
            && token.len() <= max
            && token.bytes().all(|b| b.is_ascii_digit())
            && (token.len() == 1 || !token.starts_with('0'));
        plain.then(|| token.parse().ok()).flatten()
    }

    fn u32(&mut self) -> Fast<u32> {
        let token = self.number_token()?;
        match Self::plain_integer(token, 9) {
            Some(n) => u32::try_from(n).ok(),
            None => ron::from_str::<u32>(token).ok(),
        }
    }

    /// A value: `true`, `false`, a quoted string or a number.
    fn value(&mut self) -> Fast<ValueDef<'a>> {
        match self.peek()? {
            b'"' => self.quoted().map(ValueDef::Text),
            b't' | b'f' => match self.ident()? {
                "true" => Some(ValueDef::Bool(true)),
                "false" => Some(ValueDef::Bool(false)),
                _ => None,
            },
            b'0'..=b'9' | b'-' | b'+' | b'.' => {
                let token = self.number_token()?;
                match Self::plain_integer(token, 15) {
                    // Below 2^53: exact as f64, as ron's integer visit gives it.
                    #[allow(clippy::cast_precision_loss)]
                    Some(n) => Some(ValueDef::Number(n as f64)),
                    None => match ron::from_str::<ValueDef<'_>>(token).ok()? {
                        ValueDef::Number(n) => Some(ValueDef::Number(n)),
                        _ => None,
                    },
                }
            }
            _ => None,
        }
    }

    /// A text: a quoted string or a map of locale to string.
    fn text(&mut self) -> Fast<Text<'a>> {
        match self.peek()? {
            b'"' => self.quoted().map(Text::Plain),
            b'{' => self.entries().map(Text::Localized),
            _ => None,
        }
    }

    fn tree(&mut self) -> Fast<TreeFile<'a>> {
        self.named("Tree")?;
        let (mut format, mut id, mut version, mut title) = (None, None, None, None);
        let (mut locales, mut facts, mut start, mut nodes) = (None, None, None, None);
        self.fields(|r, name| match name {
            "format" => once(&mut format, r.u32()?),
            "id" => once(&mut id, r.string()?),
            "version" => once(&mut version, r.u32()?),
            "title" => once(&mut title, r.some(Self::text)?),
            "locales" => once(&mut locales, r.list(Self::string)?),
            "facts" => once(&mut facts, r.list(Self::fact)?),
            "start" => once(&mut start, r.string()?),
            "nodes" => once(&mut nodes, r.nodes()?),
            _ => None,
        })?;
        Some(TreeFile {
            format: format.unwrap_or(FORMAT_VERSION),
            id: id?,
            version: version.unwrap_or_default(),
            title,
            locales: locales.unwrap_or_default(),
            facts: facts.unwrap_or_default(),
            start: start?,
            nodes: nodes?,
        })
    }

    fn fact(&mut self) -> Fast<FactDef<'a>> {
        self.named("Fact")?;
        let (mut name, mut ty, mut ask, mut labels) = (None, None, None, None);
        self.fields(|r, field| match field {
            "name" => once(&mut name, r.string()?),
            "type" => once(&mut ty, r.fact_type()?),
            "ask" => once(&mut ask, r.some(Self::text)?),
            "labels" => {
                let entries = r.map(Self::text)?;
                once(&mut labels, Labels(sorted_unique(entries)?))
            }
            _ => None,
        })?;
        Some(FactDef {
            name: name?,
            ty: ty?,
            ask,
            labels: labels.unwrap_or_default(),
        })
    }

    fn fact_type(&mut self) -> Fast<FactTypeDef<'a>> {
        match self.ident()? {
            "Bool" => Some(FactTypeDef::Bool),
            "Number" => Some(FactTypeDef::Number),
            "Text" => Some(FactTypeDef::Text),
            "Choice" => self
                .wrapped(|r| r.list(Self::string))
                .map(FactTypeDef::Choice),
            _ => None,
        }
    }

    fn limit(&mut self) -> Fast<LimitDef<'a>> {
        self.named("Limit")?;
        let (mut times, mut then) = (None, None);
        self.fields(|r, field| match field {
            "times" => once(&mut times, r.u32()?),
            "then" => once(&mut then, r.string()?),
            _ => None,
        })?;
        Some(LimitDef {
            times: times?,
            then: then?,
        })
    }

    fn answer(&mut self) -> Fast<AnswerDef<'a>> {
        self.named("Answer")?;
        let (mut value, mut text, mut next) = (None, None, None);
        self.fields(|r, field| match field {
            "value" => once(&mut value, r.value()?),
            "text" => once(&mut text, r.text()?),
            "next" => once(&mut next, r.string()?),
            _ => None,
        })?;
        Some(AnswerDef {
            value: value?,
            text: text?,
            next: next?,
        })
    }

    fn rule(&mut self) -> Fast<RuleDef<'a>> {
        self.named("Rule")?;
        let (mut when, mut next) = (None, None);
        self.fields(|r, field| match field {
            "when" => once(&mut when, r.condition()?),
            "next" => once(&mut next, r.string()?),
            _ => None,
        })?;
        Some(RuleDef {
            when: when?,
            next: next?,
        })
    }

    fn condition(&mut self) -> Fast<ConditionDef<'a>> {
        if self.depth >= FAST_DEPTH {
            return None;
        }
        self.depth += 1;
        let kind = self.ident()?;
        let condition = match kind {
            "Eq" | "Ne" | "Lt" | "Le" | "Gt" | "Ge" => {
                let (fact, value) = self.pair(Self::value)?;
                match kind {
                    "Eq" => ConditionDef::Eq(fact, value),
                    "Ne" => ConditionDef::Ne(fact, value),
                    "Lt" => ConditionDef::Lt(fact, value),
                    "Le" => ConditionDef::Le(fact, value),
                    "Gt" => ConditionDef::Gt(fact, value),
                    _ => ConditionDef::Ge(fact, value),
                }
            }
            "In" => {
                let (fact, values) = self.pair(|r| r.list(Self::value))?;
                ConditionDef::In(fact, values)
            }
            "Known" => ConditionDef::Known(self.wrapped(Self::string)?),
            "All" => ConditionDef::All(self.wrapped(|r| r.list(Self::condition))?),
            "Any" => ConditionDef::Any(self.wrapped(|r| r.list(Self::condition))?),
            "Not" => ConditionDef::Not(Box::new(self.wrapped(Self::condition)?)),
            _ => return None,
        };
        self.depth -= 1;
        Some(condition)
    }

    /// `("fact", second)` of a two-field variant.
    fn pair<T>(&mut self, second: impl FnOnce(&mut Self) -> Fast<T>) -> Fast<(Str<'a>, T)> {
        self.ws()?;
        self.eat(b'(')?;
        self.ws()?;
        let fact = self.string()?;
        self.ws()?;
        self.eat(b',')?;
        self.ws()?;
        let value = second(self)?;
        self.close()?;
        Some((fact, value))
    }

    fn node(&mut self) -> Fast<NodeDef<'a>> {
        let kind = self.ident()?;
        self.ws()?;
        self.eat(b'(')?;
        let mut id = None;
        let node = match kind {
            "Ask" => {
                let (mut text, mut fact, mut answers, mut next, mut limit) =
                    (None, None, None, None, None);
                self.fields(|r, field| match field {
                    "id" => once(&mut id, r.string()?),
                    "text" => once(&mut text, r.text()?),
                    "fact" => once(&mut fact, r.some(Self::string)?),
                    "answers" => once(&mut answers, r.list(Self::answer)?),
                    "next" => once(&mut next, r.some(Self::string)?),
                    "limit" => once(&mut limit, r.some(Self::limit)?),
                    _ => None,
                })?;
                NodeDef::Ask {
                    id: id?,
                    text: text?,
                    fact,
                    answers: answers.unwrap_or_default(),
                    next,
                    limit,
                }
            }
            "Act" => {
                let (mut text, mut next, mut solved, mut limit) = (None, None, None, None);
                self.fields(|r, field| match field {
                    "id" => once(&mut id, r.string()?),
                    "text" => once(&mut text, r.text()?),
                    "next" => once(&mut next, r.string()?),
                    "solved" => once(&mut solved, r.some(Self::string)?),
                    "limit" => once(&mut limit, r.some(Self::limit)?),
                    _ => None,
                })?;
                NodeDef::Act {
                    id: id?,
                    text: text?,
                    next: next?,
                    solved,
                    limit,
                }
            }
            "Decide" => {
                let (mut rules, mut otherwise, mut limit) = (None, None, None);
                self.fields(|r, field| match field {
                    "id" => once(&mut id, r.string()?),
                    "rules" => once(&mut rules, r.list(Self::rule)?),
                    "otherwise" => once(&mut otherwise, r.string()?),
                    "limit" => once(&mut limit, r.some(Self::limit)?),
                    _ => None,
                })?;
                NodeDef::Decide {
                    id: id?,
                    rules: rules?,
                    otherwise: otherwise?,
                    limit,
                }
            }
            "Resolve" => {
                let mut text = None;
                self.fields(|r, field| match field {
                    "id" => once(&mut id, r.string()?),
                    "text" => once(&mut text, r.text()?),
                    _ => None,
                })?;
                NodeDef::Resolve {
                    id: id?,
                    text: text?,
                }
            }
            "Escalate" => {
                let (mut reason, mut priority, mut channel, mut prepare) = (None, None, None, None);
                self.fields(|r, field| match field {
                    "id" => once(&mut id, r.string()?),
                    "reason" => once(&mut reason, r.text()?),
                    "priority" => once(
                        &mut priority,
                        match r.ident()? {
                            "Low" => PriorityDef::Low,
                            "Normal" => PriorityDef::Normal,
                            "High" => PriorityDef::High,
                            "Urgent" => PriorityDef::Urgent,
                            _ => return None,
                        },
                    ),
                    "channel" => once(
                        &mut channel,
                        r.some(|r| match r.ident()? {
                            "Hotline" => Some(ChannelDef::Hotline),
                            "InApp" => Some(ChannelDef::InApp),
                            "Chat" => Some(ChannelDef::Chat),
                            "Email" => Some(ChannelDef::Email),
                            _ => None,
                        })?,
                    ),
                    "prepare" => once(&mut prepare, r.list(Self::text)?),
                    _ => None,
                })?;
                NodeDef::Escalate {
                    id: id?,
                    reason: reason?,
                    priority: priority.unwrap_or_default(),
                    channel,
                    prepare: prepare.unwrap_or_default(),
                }
            }
            "Goto" => {
                let (mut tree, mut node) = (None, None);
                self.fields(|r, field| match field {
                    "id" => once(&mut id, r.string()?),
                    "tree" => once(&mut tree, r.string()?),
                    "node" => once(&mut node, r.some(Self::string)?),
                    _ => None,
                })?;
                NodeDef::Goto {
                    id: id?,
                    tree: tree?,
                    node,
                }
            }
            _ => return None,
        };
        Some(node)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn by_ron(text: &str) -> Option<TreeFile<'_>> {
        ron::Options::default()
            .with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME)
            .with_recursion_limit(128)
            .from_str(text)
            .ok()
    }

    /// Whatever the fast reader accepts, ron reads into the same value. True when the
    /// fast reader took the text.
    fn agrees(text: &str) -> bool {
        match read(text) {
            Some(fast) => {
                assert_eq!(Some(&fast), by_ron(text).as_ref(), "{text}");
                true
            }
            None => false,
        }
    }

    fn corpus() -> Vec<String> {
        let mut out = Vec::new();
        let mut dirs = vec![std::path::PathBuf::from("trees"), "tests/data".into()];
        while let Some(dir) = dirs.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "ron")
                    && let Ok(text) = std::fs::read_to_string(&path)
                {
                    out.push(text.trim_start_matches('\u{feff}').to_owned());
                }
            }
        }
        out.sort();
        out.push(troubletree_testkit::generate::tree(300, 5));
        out.push(troubletree_testkit::generate::wide_paths(3));
        out
    }

    #[test]
    fn fast_reader_reads_the_shipped_and_generated_trees() {
        let corpus = corpus();
        let fast = corpus.iter().filter(|t| agrees(t)).count();
        // The shipped trees, the valid fixtures and the generated ones all take it.
        assert!(fast * 3 >= corpus.len() * 2, "{fast} of {}", corpus.len());
        for text in corpus
            .iter()
            .filter(|t| t.starts_with("// recharge_failure.ron"))
        {
            assert!(read(text).is_some());
        }
        assert!(read(&troubletree_testkit::generate::tree(300, 5)).is_some());
    }

    #[test]
    fn fast_reader_agrees_with_ron_on_damaged_trees() {
        const PIECES: &[&str] = &[
            ",", ":", "(", ")", "[", "]", "{", "}", "\"", "\\", "\\\"", "/", "*", "//", "/*", "*/",
            "#", "r", "r#\"", "\"#", " ", "\n", "\u{85}", "é", "0", "07", "-1", "2.5", "1e3",
            "0x1F", "1_0", "true", "false", "None", "Some(", "Bool", "Ask", "_", "'", "id", "type",
            "Answer(", "Eq(", "Not(", "\\u{41}", "\\n",
        ];
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = move |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as usize
        };
        let mut fast = 0;
        for base in corpus() {
            let bounds: Vec<usize> = base
                .char_indices()
                .map(|(i, _)| i)
                .chain([base.len()])
                .collect();
            for _ in 0..120 {
                let a = bounds[next(bounds.len())];
                let b = bounds[next(bounds.len())].max(a);
                let b = bounds
                    .iter()
                    .copied()
                    .find(|&x| x >= b.min(a + 12))
                    .unwrap_or(a);
                let text = match next(4) {
                    0 => format!("{}{}", &base[..a], &base[b..]),
                    1 => format!("{}{}{}", &base[..a], PIECES[next(PIECES.len())], &base[a..]),
                    2 => format!("{}{}{}", &base[..b], &base[a..b], &base[b..]),
                    _ => format!("{}{}{}", &base[..a], PIECES[next(PIECES.len())], &base[b..]),
                };
                fast += usize::from(agrees(&text));
            }
        }
        assert!(fast > 100, "the fast reader took only {fast} damaged trees");
    }

    #[test]
    fn fast_reader_reads_what_ron_reads_in_every_form() {
        let forms = [
            r#"Tree(id: "t", start: "a", nodes: [Resolve(id: "a", text: "x")])"#,
            "Tree(id:\"t\",start:\"a\",nodes:[Resolve(id:\"a\",text:\"x\",),],)",
            "/* a /* nested */ comment */ Tree(// line\n id: \"t\", start: \"a\", nodes: [Resolve(id: \"a\", text: \"x\")]) // end",
            r##"Tree(id: "t\"q\u{41}", start: r"a", nodes: [Resolve(id: r#"a"#, text: {"zh": "好", "en": "ok"})])"##,
            r#"Tree(format: 1, version: 7, id: "t", start: "a", facts: [Fact(name: "n", type: Number, ask: "?"), Fact(name: "c", type: Choice(["x", "y",],), labels: {"y": "Y", "x": {"en": "X"}})], nodes: [Decide(id: "a", rules: [Rule(when: All([Gt("n", 2.5), Not(In("c", ["x"],),), Known("n"), Any([]), Eq("n", -1), Le("n", 1e3), Ne("n", 0x10)]), next: "b")], otherwise: "b", limit: Limit(times: 2, then: "b")), Escalate(id: "b", reason: "r", priority: Urgent, channel: Chat, prepare: ["p", {"zh": "q"}])])"#,
            r#"Tree(id: "t", start: "a", nodes: [Ask(id: "a", text: "?", fact: "f", answers: [Answer(value: true, text: "y", next: "b"), Answer(value: "s", text: "n", next: "b"), Answer(value: 12, text: "n", next: "b")]), Goto(id: "b", tree: "u", node: "c")])"#,
        ];
        for form in forms {
            assert!(agrees(form), "not read fast: {form}");
        }
    }
}

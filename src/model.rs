//! The tree file as written: serde structs that mirror the RON text one to one.
//!
//! Nothing here checks anything beyond the shape of the text. The structs keep the
//! author's strings (ids, fact names) as they are; [`crate::compile`] resolves them into
//! a [`crate::Tree`]. Field order in these structs is the order the format documents.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// The format version this crate reads. A tree declares it with `format: 1`.
pub const FORMAT_VERSION: u32 = 1;

/// A whole tree file: `Tree(id: ..., start: ..., nodes: [...])`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename = "Tree", deny_unknown_fields)]
pub(crate) struct TreeFile {
    #[serde(default = "default_format")]
    pub format: u32,
    pub id: String,
    #[serde(default)]
    pub version: u32,
    #[serde(default)]
    pub title: Option<TextDef>,
    /// Declared locales; the first is the default. Empty means `["zh"]`.
    #[serde(default)]
    pub locales: Vec<String>,
    #[serde(default)]
    pub facts: Vec<FactDef>,
    pub start: String,
    pub nodes: Vec<NodeDef>,
}

fn default_format() -> u32 {
    FORMAT_VERSION
}

/// `Fact(name: "network_ok", type: Bool, ask: "...")`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename = "Fact", deny_unknown_fields)]
pub(crate) struct FactDef {
    pub name: String,
    #[serde(rename = "type")]
    pub ty: FactTypeDef,
    /// The question the walker asks when a `Decide` needs this fact and nobody supplied it.
    #[serde(default)]
    pub ask: Option<TextDef>,
    /// Labels for the values of a `Choice` fact, shown when the walker asks for it.
    #[serde(default)]
    pub labels: BTreeMap<String, TextDef>,
}

/// The type of a fact.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename = "FactType")]
pub(crate) enum FactTypeDef {
    Bool,
    Number,
    Text,
    Choice(Vec<String>),
}

/// One node of the graph. The variant name is the node kind.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename = "Node", deny_unknown_fields)]
pub(crate) enum NodeDef {
    /// A question for the user.
    Ask {
        id: String,
        text: TextDef,
        #[serde(default)]
        fact: Option<String>,
        #[serde(default)]
        answers: Vec<AnswerDef>,
        /// Successor of a free-input question (a `Number` or `Text` fact).
        #[serde(default)]
        next: Option<String>,
        #[serde(default)]
        limit: Option<LimitDef>,
    },
    /// An instruction to try; `solved` (optional) is where "that fixed it" leads.
    Act {
        id: String,
        text: TextDef,
        next: String,
        #[serde(default)]
        solved: Option<String>,
        #[serde(default)]
        limit: Option<LimitDef>,
    },
    /// An automatic decision from facts: the first rule that holds wins.
    Decide {
        id: String,
        rules: Vec<RuleDef>,
        otherwise: String,
        #[serde(default)]
        limit: Option<LimitDef>,
    },
    /// The end of a walk with a solution.
    Resolve { id: String, text: TextDef },
    /// The end of a walk with a hand-over to customer service.
    Escalate {
        id: String,
        reason: TextDef,
        #[serde(default)]
        priority: PriorityDef,
        #[serde(default)]
        channel: Option<ChannelDef>,
        #[serde(default)]
        prepare: Vec<TextDef>,
    },
    /// A jump into another tree (its start, or the named node).
    Goto {
        id: String,
        tree: String,
        #[serde(default)]
        node: Option<String>,
    },
}

impl NodeDef {
    /// The node's id, whatever its kind.
    pub fn id(&self) -> &str {
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
    pub fn limit(&self) -> Option<&LimitDef> {
        match self {
            NodeDef::Ask { limit, .. }
            | NodeDef::Act { limit, .. }
            | NodeDef::Decide { limit, .. } => limit.as_ref(),
            _ => None,
        }
    }
}

/// `Answer(value: true, text: "...", next: "node")`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename = "Answer", deny_unknown_fields)]
pub(crate) struct AnswerDef {
    pub value: Value,
    pub text: TextDef,
    pub next: String,
}

/// `Rule(when: Eq("network_ok", false), next: "fix_network")`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename = "Rule", deny_unknown_fields)]
pub(crate) struct RuleDef {
    pub when: ConditionDef,
    pub next: String,
}

/// `Limit(times: 2, then: "escalate_retry")`: pass the node at most `times` times in one
/// walk; an arrival after that goes to `then` instead.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename = "Limit", deny_unknown_fields)]
pub(crate) struct LimitDef {
    pub times: u32,
    pub then: String,
}

/// A condition: closed data, no expressions. The first field of a comparison names a fact.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename = "Condition")]
pub(crate) enum ConditionDef {
    Eq(String, Value),
    Ne(String, Value),
    Lt(String, Value),
    Le(String, Value),
    Gt(String, Value),
    Ge(String, Value),
    In(String, Vec<Value>),
    Known(String),
    All(Vec<ConditionDef>),
    Any(Vec<ConditionDef>),
    Not(Box<ConditionDef>),
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

/// Text as written: a plain string, or a map from locale to string.
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
        struct TextVisitor;
        impl<'de> Visitor<'de> for TextVisitor {
            type Value = TextDef;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(r#"a text: a string, or a map of locale to string such as { "zh": "...", "en": "..." }"#)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<TextDef, E> {
                Ok(TextDef::Plain(v.to_owned()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<TextDef, E> {
                Ok(TextDef::Plain(v))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<TextDef, A::Error> {
                let mut out = BTreeMap::new();
                while let Some((locale, text)) = map.next_entry::<String, String>()? {
                    if out.insert(locale.clone(), text).is_some() {
                        return Err(de::Error::custom(format!(
                            "locale \"{locale}\" appears twice in this text"
                        )));
                    }
                }
                Ok(TextDef::Localized(out))
            }
        }
        d.deserialize_any(TextVisitor)
    }
}

/// A value: what an answer carries, what a fact holds, what a condition compares with.
///
/// In RON a value is written as itself: `true`, `5000`, `"bank_card"`. A `Choice` fact
/// holds one of its declared strings.
///
/// ```
/// use troubletree::Value;
/// assert_eq!(Value::from(true).to_string(), "true");
/// assert_eq!(Value::from(50.0).to_string(), "50");
/// assert_eq!(Value::from("bank_card").to_string(), "bank_card");
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `true` or `false`.
    Bool(bool),
    /// A finite number.
    Number(f64),
    /// A string: free text, a `Choice` value, or the value of an answer that fills no fact.
    Text(String),
}

impl Value {
    /// The name of this value's type as the format spells it: `Bool`, `Number` or `Text`.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Bool(_) => "Bool",
            Value::Number(_) => "Number",
            Value::Text(_) => "Text",
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Bool(b) => write!(f, "{b}"),
            Value::Number(n) => write!(f, "{n}"),
            Value::Text(t) => f.write_str(t),
        }
    }
}

impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Bool(v)
    }
}
impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::Number(v)
    }
}
impl From<i32> for Value {
    fn from(v: i32) -> Self {
        Value::Number(f64::from(v))
    }
}
impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(v.to_owned())
    }
}
impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Text(v)
    }
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Bool(b) => s.serialize_bool(*b),
            Value::Number(n) => s.serialize_f64(*n),
            Value::Text(t) => s.serialize_str(t),
        }
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct ValueVisitor;
        impl<'de> Visitor<'de> for ValueVisitor {
            type Value = Value;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a value: true, false, a number or a string")
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
                Ok(Value::Bool(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
                // Precision beyond 2^53 is irrelevant for amounts and counts in a tree.
                #[allow(clippy::cast_precision_loss)]
                Ok(Value::Number(v as f64))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
                #[allow(clippy::cast_precision_loss)]
                Ok(Value::Number(v as f64))
            }
            fn visit_i128<E: de::Error>(self, v: i128) -> Result<Value, E> {
                #[allow(clippy::cast_precision_loss)]
                Ok(Value::Number(v as f64))
            }
            fn visit_u128<E: de::Error>(self, v: u128) -> Result<Value, E> {
                #[allow(clippy::cast_precision_loss)]
                Ok(Value::Number(v as f64))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
                if v.is_finite() {
                    Ok(Value::Number(v))
                } else {
                    Err(E::custom(
                        "numbers must be finite (NaN and inf are not values)",
                    ))
                }
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
                Ok(Value::Text(v.to_owned()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
                Ok(Value::Text(v))
            }
            fn visit_char<E: de::Error>(self, v: char) -> Result<Value, E> {
                Ok(Value::Text(v.to_string()))
            }
        }
        d.deserialize_any(ValueVisitor)
    }
}

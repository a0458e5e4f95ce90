//! [`Value`]: what an answer carries, what a fact holds, what a condition compares with.
//!
//! A leaf: the compiled tree, the walker and the tickets all use it, and it depends on
//! nothing in the crate. Reading a value from a tree file (`Deserialize`) is the
//! model's business and is implemented there, beside the visitor that reads the values
//! of a tree file.

use std::fmt;

use serde::{Serialize, Serializer};

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
impl From<u32> for Value {
    fn from(v: u32) -> Self {
        Value::Number(f64::from(v))
    }
}
/// Whole numbers beyond 2^53 are rounded to the nearest `f64`, as every number is.
impl From<i64> for Value {
    #[allow(clippy::cast_precision_loss)]
    fn from(v: i64) -> Self {
        Value::Number(v as f64)
    }
}
impl From<&Value> for Value {
    fn from(v: &Value) -> Self {
        v.clone()
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

/// A fact value borrowed from the host's own data: what [`crate::Session::restart`]
/// takes, so that supplying a `Choice` or `Text` fact builds no `String`.
///
/// ```
/// use troubletree::FactValue;
/// enum Status { Normal, Frozen }
/// let status = Status::Frozen;
/// let value: FactValue<'_> = match status {
///     Status::Normal => "normal".into(),
///     Status::Frozen => "frozen".into(),
/// };
/// assert_eq!(value, FactValue::Text("frozen"));
/// assert_eq!(FactValue::from(250_i64), FactValue::Number(250.0));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FactValue<'a> {
    /// `true` or `false`.
    Bool(bool),
    /// A finite number.
    Number(f64),
    /// Free text, or one of a `Choice` fact's values.
    Text(&'a str),
}

impl FactValue<'_> {
    /// The owned [`Value`] (allocates for text).
    pub fn to_value(self) -> Value {
        match self {
            FactValue::Bool(b) => Value::Bool(b),
            FactValue::Number(n) => Value::Number(n),
            FactValue::Text(t) => Value::Text(t.to_owned()),
        }
    }

    /// Overwrites `value` with this one, reusing its text buffer when both are text, so
    /// that a value of the same kind replaces another without allocating once the
    /// buffer is large enough.
    #[inline]
    pub(crate) fn assign_to(&self, value: &mut Value) {
        match (value, self) {
            (Value::Bool(b), FactValue::Bool(new)) => *b = *new,
            (Value::Number(n), FactValue::Number(new)) => *n = *new,
            (Value::Text(buffer), FactValue::Text(t)) => {
                buffer.clear();
                buffer.push_str(t);
            }
            (value, new) => *value = new.to_value(),
        }
    }
}

impl From<bool> for FactValue<'_> {
    fn from(v: bool) -> Self {
        FactValue::Bool(v)
    }
}
impl From<f64> for FactValue<'_> {
    fn from(v: f64) -> Self {
        FactValue::Number(v)
    }
}
impl From<i32> for FactValue<'_> {
    fn from(v: i32) -> Self {
        FactValue::Number(f64::from(v))
    }
}
impl From<u32> for FactValue<'_> {
    fn from(v: u32) -> Self {
        FactValue::Number(f64::from(v))
    }
}
/// Whole numbers beyond 2^53 are rounded to the nearest `f64`, as every number is.
impl From<i64> for FactValue<'_> {
    #[allow(clippy::cast_precision_loss)]
    fn from(v: i64) -> Self {
        FactValue::Number(v as f64)
    }
}
impl<'a> From<&'a str> for FactValue<'a> {
    fn from(v: &'a str) -> Self {
        FactValue::Text(v)
    }
}
impl<'a> From<&'a Value> for FactValue<'a> {
    fn from(v: &'a Value) -> Self {
        match v {
            Value::Bool(b) => FactValue::Bool(*b),
            Value::Number(n) => FactValue::Number(*n),
            Value::Text(t) => FactValue::Text(t),
        }
    }
}

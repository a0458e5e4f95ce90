//! How an answer is written on the command line (`--answer NODE=VALUE`, `--fact`, the
//! interactive prompt), and read back.
//!
//! Every offered answer has one *spelling*, shown by `run --json` as `"answer"` and in
//! the human hints, and accepted back exactly:
//!
//! - `true` / `false` for a boolean, the shortest decimal that reads back as the same
//!   number for a number (`1`, `0.5`, `-0`);
//! - a text as it is (`solved`, `bank_card`), unless that would be ambiguous or lossy: a
//!   text that reads like another offered answer (`"1"` beside the number `1`, `"true"`
//!   beside the boolean), is empty, has blanks at either end, starts with a double quote
//!   or holds a character that cannot be typed safely is written as a JSON string
//!   (`"1"`, `" padded "`, `"a\u001bb"`), quotes included.
//!
//! So plain spellings never start with `"`, quoted ones always do, and two offered answers
//! never share a spelling. A quoted spelling is also accepted for free text and for text
//! facts. The mapping lives here, not in the library: the command line turns a spelling
//! into the offered [`Value`] and calls [`Session::answer`] with it.

use troubletree::{Question, Session, Value};

use crate::Fail;

/// The spelling of each value, in order (see the module documentation).
pub(crate) fn spellings(values: &[&Value]) -> Vec<String> {
    values
        .iter()
        .enumerate()
        .map(|(i, value)| match value {
            Value::Text(text) => {
                let collides = values
                    .iter()
                    .enumerate()
                    .any(|(j, other)| j != i && plain(other) == *text);
                if collides || !typeable(text) {
                    quoted(text)
                } else {
                    text.clone()
                }
            }
            other => plain(other),
        })
        .collect()
}

/// The value written as `input` among the offered `values`, if any: its exact spelling,
/// or for a number any decimal that reads as the same number (`1.0` for `1`).
pub(crate) fn find<'v>(values: &[&'v Value], input: &str) -> Option<&'v Value> {
    let spelled = spellings(values);
    if let Some(i) = spelled.iter().position(|s| s == input) {
        return Some(values[i]);
    }
    let number = input.parse::<f64>().ok().filter(|n| n.is_finite())?;
    let mut numbers = values
        .iter()
        .filter(|v| matches!(v, Value::Number(n) if *n == number));
    match (numbers.next(), numbers.next()) {
        (Some(value), None) => Some(*value),
        _ => None,
    }
}

/// A text typed for free input or a text fact: a JSON string when it is one (`" a "`),
/// as it is otherwise.
pub(crate) fn text(input: &str) -> String {
    if input.starts_with('"') {
        if let Ok(text) = serde_json::from_str::<String>(input) {
            return text;
        }
    }
    input.to_owned()
}

/// Answers the session's current question with `input`, written as this module says.
///
/// # Errors
///
/// An input that is no offered answer's spelling, or that the session refuses (a
/// number question given a word): exit 1, naming what is accepted.
pub(crate) fn answer(session: &mut Session, input: &str) -> Result<(), Fail> {
    // What the current stop takes, owned, so that the session can then be answered.
    let (offered, free_text) = match session.current() {
        troubletree::Step::Ask(q) | troubletree::Step::Act(q) => {
            (offered(&q), q.kind == troubletree::AnswerKind::Text)
        }
        _ => (None, false),
    };
    let result = match offered {
        Some((node, values)) => {
            let refs: Vec<&Value> = values.iter().collect();
            let Some(value) = find(&refs, input).cloned() else {
                return Err(Fail::input(format!(
                    "\"{input}\" is not an answer to \"{node}\"; accepted: {}",
                    spellings(&refs).join(", ")
                )));
            };
            session.answer(value)
        }
        None if free_text => session.answer(Value::Text(text(input))),
        None => session.answer_str(input),
    };
    result.map_err(|e| Fail::input(e.to_string()))
}

/// Answers at a terminal: an offered answer by its spelling (the numbers are the
/// caller's), or a number or a text for a free-input question; the session's own error
/// is kept for the caller to put in the user's words.
pub(crate) fn typed(session: &mut Session, input: &str) -> Result<(), troubletree::AnswerError> {
    let (offered, free_text) = match session.current() {
        troubletree::Step::Ask(q) | troubletree::Step::Act(q) => {
            (offered(&q), q.kind == troubletree::AnswerKind::Text)
        }
        _ => (None, false),
    };
    match offered {
        Some((node, values)) => {
            let refs: Vec<&Value> = values.iter().collect();
            match find(&refs, input).cloned() {
                Some(value) => session.answer(value),
                None => Err(troubletree::AnswerError::NoSuchAnswer {
                    node,
                    index: 0,
                    count: values.len(),
                }),
            }
        }
        None if free_text => session.answer(Value::Text(text(input))),
        None => session.answer_str(input),
    }
}

/// The node and the offered values of a question that offers answers.
fn offered(q: &Question<'_>) -> Option<(String, Vec<Value>)> {
    let values: Vec<Value> = q.answers().map(|a| a.value.clone()).collect();
    (!values.is_empty()).then(|| (q.node.to_owned(), values))
}

fn plain(value: &Value) -> String {
    value.to_string()
}

/// Whether a text can be written as it is: not empty, no blank at either end, not
/// starting with a quote, nothing a terminal or a shell line would lose.
fn typeable(text: &str) -> bool {
    !text.is_empty()
        && !text.starts_with('"')
        && text.trim() == text
        && !text
            .chars()
            .any(|c| c == '\n' || troubletree::text::is_unprintable(c))
}

/// A text as a JSON string, every unprintable character escaped.
fn quoted(text: &str) -> String {
    crate::json::to_string(text).unwrap_or_else(|_| format!("{text:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spell(values: &[Value]) -> Vec<String> {
        spellings(&values.iter().collect::<Vec<_>>())
    }

    #[test]
    fn plain_where_unambiguous_quoted_where_not() {
        let values = [
            Value::from(1.0),
            Value::from("1"),
            Value::from(true),
            Value::from("true"),
            Value::from(" padded "),
            Value::from("solved"),
            Value::from(""),
            Value::from("\"quoted\""),
            Value::from("a\u{1b}b"),
            Value::from(0.5),
        ];
        assert_eq!(
            spell(&values),
            [
                "1",
                r#""1""#,
                "true",
                r#""true""#,
                r#"" padded ""#,
                "solved",
                r#""""#,
                r#""\"quoted\"""#,
                r#""a\u001bb""#,
                "0.5"
            ]
        );
    }

    #[test]
    fn every_spelling_finds_its_own_value_and_only_it() {
        let values = [
            Value::from(1.0),
            Value::from("1"),
            Value::from(true),
            Value::from("true"),
            Value::from(" padded "),
            Value::from("padded"),
            Value::from("\"1\""),
        ];
        let refs: Vec<&Value> = values.iter().collect();
        let spelled = spellings(&refs);
        let unique: std::collections::BTreeSet<&String> = spelled.iter().collect();
        assert_eq!(unique.len(), values.len(), "{spelled:?}");
        for (value, spelling) in values.iter().zip(&spelled) {
            assert_eq!(find(&refs, spelling), Some(value), "{spelling}");
        }
        assert_eq!(find(&refs, "1.0"), Some(&values[0]), "a number by value");
        assert_eq!(find(&refs, "padded "), None, "no trimming");
        assert_eq!(find(&refs, "maybe"), None);
    }

    #[test]
    fn free_text_may_be_quoted() {
        assert_eq!(text(r#"" a ""#), " a ");
        assert_eq!(text("plain"), "plain");
        assert_eq!(text(r#""unclosed"#), r#""unclosed"#);
    }
}

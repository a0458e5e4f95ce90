//! `troubletree explain`: why a journey took its path, step by step, for a saved
//! session or a ticket.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde::Serialize;
use troubletree::{
    Catalogue, Origin, Resume, ResumeError, SavedSession, Session, Step, Ticket, Value,
};

use crate::Fail;
use crate::source::MAX_LINE;
use crate::text::{json, one_line, print};

/// The largest file explained (a save or a ticket is a few kilobytes).
const MAX_FILE: u64 = 16 * MAX_LINE as u64;

/// One step of a journey, in words.
#[derive(Debug, Serialize)]
struct Line {
    tree: String,
    node: String,
    /// `answer` (a question answered), `decision` (an automatic decision), `jump` (a
    /// `Goto` followed).
    kind: &'static str,
    /// The question shown, the decision in words, or where the journey went on.
    text: String,
    /// The answer as the user saw it.
    answer: Option<String>,
    value: Option<Value>,
    /// `user`, `host` (a fact the back end supplied), `walk` (a fact an earlier answer
    /// gave), `auto` (decided).
    origin: &'static str,
    /// For a decision: the rule that fired (from 1; `null`: `otherwise`), the
    /// condition, the facts it saw and where it led.
    #[serde(skip_serializing_if = "Option::is_none")]
    decision: Option<DecisionView>,
}

#[derive(Debug, Serialize)]
struct DecisionView {
    rule: Option<usize>,
    condition: String,
    seen: Vec<Seen>,
    next: String,
}

#[derive(Debug, Serialize)]
struct Seen {
    fact: String,
    value: Option<Value>,
}

#[derive(Debug, Serialize)]
struct Explanation {
    /// `save` or `ticket`.
    of: &'static str,
    started: String,
    /// Where the journey stands (a save) or ended (a ticket).
    now: String,
    /// For a save: `open`, `resolved`, `escalated`; for a ticket: `escalation` or
    /// `handoff`.
    status: String,
    /// What the user sees now (a save), or why the user needs an agent (a ticket).
    #[serde(skip_serializing_if = "Option::is_none")]
    text: Option<String>,
    steps: Vec<Line>,
}

pub(crate) fn explain(
    file: &Path,
    trees: &[PathBuf],
    lang: Option<&str>,
    as_json: bool,
) -> Result<ExitCode, Fail> {
    let size = std::fs::metadata(file)
        .map_err(|e| Fail::usage(format!("cannot read {}: {e}", file.display())))?
        .len();
    if size > MAX_FILE {
        return Err(Fail::input(format!(
            "{} is {size} bytes: too large for a saved session or a ticket",
            file.display()
        )));
    }
    let text = std::fs::read_to_string(file)
        .map_err(|e| Fail::usage(format!("cannot read {}: {e}", file.display())))?;
    let value: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| Fail::input(format!("{} is not JSON: {e}", file.display())))?;
    let explanation = if value.get("checksum").is_some() || value.get("save").is_some() {
        // A save, as `troubletree run --save` writes it or as the service stores it.
        let save = value.get("save").cloned().unwrap_or(value);
        let saved: SavedSession = serde_json::from_value(save)
            .map_err(|e| Fail::input(format!("{} is not a saved session: {e}", file.display())))?;
        let handoff = value_str(&text, "handoff");
        of_save(&saved, trees, lang, handoff.as_deref())?
    } else if value.get("journey").is_some() {
        of_service_ticket(&value).ok_or_else(|| {
            Fail::input(format!("{} is not a ticket of the service", file.display()))
        })?
    } else {
        let ticket: Ticket = serde_json::from_value(value).map_err(|e| {
            Fail::input(format!(
                "{} is neither a saved session nor a ticket: {e}",
                file.display()
            ))
        })?;
        of_ticket(&ticket)
    };
    if as_json {
        print(&json(&explanation)?);
    } else {
        print(&words(&explanation));
    }
    Ok(ExitCode::SUCCESS)
}

/// The service's stored state names where the user asked for a person.
fn value_str(text: &str, key: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(text).ok()?;
    value.get(key)?.as_str().map(str::to_owned)
}

fn of_save(
    saved: &SavedSession,
    trees: &[PathBuf],
    lang: Option<&str>,
    handoff: Option<&str>,
) -> Result<Explanation, Fail> {
    let paths = if trees.is_empty() {
        vec![PathBuf::from("trees")]
    } else {
        trees.to_vec()
    };
    let catalogue = catalogue_of(&paths)?;
    let (mut session, _) = Resume::new(&catalogue)
        .trust_saved_facts()
        .resume(saved)
        .map_err(|e| resume_failure(&e, saved, &catalogue))?;
    if let Some(l) = lang {
        session
            .set_locale(l)
            .map_err(|e| Fail::usage(e.to_string()))?;
    }
    let start = session.start().to_string();
    let step = session.current();
    let now = step.place().to_string();
    let status = match (handoff, &step) {
        (Some(_), _) => "handed_off",
        (None, Step::Resolved(_)) => "resolved",
        (None, Step::Escalated(_)) => "escalated",
        _ => "open",
    };
    Ok(Explanation {
        of: "save",
        started: start,
        now,
        status: status.to_owned(),
        text: Some(match handoff {
            Some(node) => format!("the user asked for a person at {node}"),
            None => step_words(&step),
        }),
        steps: lines_of(&session),
    })
}

/// The trees at `paths` as one catalogue; they must check clean.
pub(crate) fn catalogue_of(paths: &[PathBuf]) -> Result<Catalogue, Fail> {
    let report = troubletree::Loader::new()
        .check(paths)
        .map_err(|e| Fail::usage(e.to_string()))?;
    report.loaded.ok_or_else(|| {
        let errors: Vec<String> = report
            .findings
            .iter()
            .filter(|f| f.is_error())
            .map(ToString::to_string)
            .collect();
        Fail::input(format!(
            "the trees have errors (run `troubletree check`):\n{}",
            errors.join("\n")
        ))
    })
}

fn resume_failure(e: &ResumeError, saved: &SavedSession, catalogue: &Catalogue) -> Fail {
    let versions: Vec<String> = saved
        .trees()
        .map(|(id, fingerprint)| {
            let here = catalogue
                .get(id)
                .map(|t| format!("{:016x}", t.fingerprint()));
            match here {
                Some(f) if f == fingerprint => format!("{id} {fingerprint} (same)"),
                Some(f) => format!("{id} {fingerprint} (the trees given have {f})"),
                None => format!("{id} {fingerprint} (not among the trees given)"),
            }
        })
        .collect();
    Fail::input(format!(
        "the session cannot be explained on these trees: {e}. It was saved on {}; give those versions with --trees",
        versions.join(", ")
    ))
}

fn step_words(step: &Step<'_>) -> String {
    match step {
        Step::Ask(q) => format!("asks: {}", q.text),
        Step::Act(q) => format!("asks to try: {}", q.text),
        Step::Resolved(r) => format!("resolved [{}]: {}", r.kind.as_str(), r.text),
        Step::Escalated(e) => format!("escalated: {}", e.reason),
        Step::Goto(j) => format!("left for tree {}", j.tree),
        _ => String::new(),
    }
}

fn lines_of(session: &Session) -> Vec<Line> {
    let host: Vec<(&str, &Value)> = session.host_facts().collect();
    session
        .explain()
        .into_iter()
        .map(|line| {
            let r = &line.record;
            let (kind, origin) = if line.decision.is_some() {
                ("decision", "auto")
            } else if r.jump.is_some() {
                ("jump", "auto")
            } else if r.origin == Origin::Given {
                ("answer", "user")
            } else if let (Some(fact), Some(value)) = (r.fact, &r.value)
                && host.iter().any(|(n, v)| *n == fact && *v == value)
            {
                ("answer", "host")
            } else {
                ("answer", "walk")
            };
            Line {
                tree: r.tree.to_owned(),
                node: r.node.to_owned(),
                kind,
                text: line.text.clone(),
                answer: line.answer.clone(),
                value: r.value.clone(),
                origin,
                decision: line.decision.as_ref().map(|d| DecisionView {
                    rule: d.rule.map(|i| i + 1),
                    condition: d.condition.clone(),
                    seen: d
                        .seen
                        .iter()
                        .map(|(fact, value)| Seen {
                            fact: (*fact).to_owned(),
                            value: value.clone(),
                        })
                        .collect(),
                    next: d.next.to_owned(),
                }),
            }
        })
        .collect()
}

fn of_ticket(t: &Ticket) -> Explanation {
    Explanation {
        of: "ticket",
        started: format!("{}/{}", t.started.tree, t.started.node),
        now: format!("{}/{}", t.tree, t.node),
        status: if t.requested_by_user {
            "handoff".to_owned()
        } else {
            "escalation".to_owned()
        },
        text: Some(t.reason.clone()),
        steps: t
            .transcript
            .iter()
            .map(|l| Line {
                tree: l.tree.clone(),
                node: l.node.clone(),
                kind: ticket_kind(l.value.is_some(), &l.text),
                text: l.text.clone(),
                answer: l.answer.clone(),
                value: l.value.clone(),
                origin: if l.origin == Origin::Given {
                    "user"
                } else {
                    "auto"
                },
                decision: None,
            })
            .collect(),
    }
}

/// A ticket's line without a value is a decision or a jump (its text says which).
fn ticket_kind(has_value: bool, text: &str) -> &'static str {
    if has_value {
        "answer"
    } else if text.starts_with("continued in") || text.starts_with("转入流程") {
        "jump"
    } else {
        "decision"
    }
}

/// A ticket as the service delivers it (`journey` lines with `origin`).
fn of_service_ticket(v: &serde_json::Value) -> Option<Explanation> {
    let text = |v: &serde_json::Value, key: &str| v.get(key)?.as_str().map(str::to_owned);
    let steps = v
        .get("journey")?
        .as_array()?
        .iter()
        .map(|l| {
            let value: Option<Value> = l
                .get("value")
                .filter(|v| !v.is_null())
                .and_then(|v| serde_json::from_value(v.clone()).ok());
            let line_text = text(l, "text").unwrap_or_default();
            Line {
                tree: text(l, "tree").unwrap_or_default(),
                node: text(l, "node").unwrap_or_default(),
                kind: ticket_kind(value.is_some(), &line_text),
                answer: text(l, "answer"),
                value,
                origin: match text(l, "origin").as_deref() {
                    Some("user") => "user",
                    Some("host") => "host",
                    _ => "auto",
                },
                text: line_text,
                decision: None,
            }
        })
        .collect();
    Some(Explanation {
        of: "ticket",
        started: text(v, "started")?,
        now: format!("{}/{}", text(v, "tree")?, text(v, "node")?),
        status: text(v, "kind")?,
        text: text(v, "reason"),
        steps,
    })
}

/// The explanation for a terminal: every text passes [`one_line`] (saves and tickets
/// come from outside; tree texts are untrusted).
fn words(e: &Explanation) -> String {
    let mut out = format!(
        "{} started at {}; {} step(s); {}: {}\n",
        if e.of == "save" {
            "journey"
        } else {
            "ticket: journey"
        },
        one_line(&e.started),
        e.steps.len(),
        one_line(&e.status),
        one_line(&e.now)
    );
    if let Some(text) = &e.text {
        out.push_str(&format!("  {}\n", one_line(text)));
    }
    for (i, l) in e.steps.iter().enumerate() {
        let place = format!("{}/{}", one_line(&l.tree), one_line(&l.node));
        let what = match l.kind {
            "answer" => {
                let answer = match (&l.answer, &l.value) {
                    (Some(a), Some(v)) if a != &v.to_string() => {
                        format!("{} ({})", one_line(a), one_line(&v.to_string()))
                    }
                    (Some(a), _) => one_line(a),
                    (None, Some(v)) => one_line(&v.to_string()),
                    (None, None) => String::new(),
                };
                let by = match l.origin {
                    "user" => "the user",
                    "host" => "the host's fact",
                    "walk" => "an earlier answer",
                    _ => "a known fact",
                };
                format!("asked \"{}\" → {answer}, by {by}", one_line(&l.text))
            }
            _ => one_line(&l.text),
        };
        out.push_str(&format!("{:>3}. {place}: {what}\n", i + 1));
    }
    out
}

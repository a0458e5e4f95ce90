//! Why a journey took its path: each automatic decision with the rule that fired and
//! the fact values it saw, in words an agent (or a writer) reads at a glance.
//!
//! The facts a `Decide` saw are not stored; they are recomputed from the transcript the
//! way the walker set them: the facts a tree starts with ([`walk::entry_facts`]), then
//! every answer recorded in that tree before the decision.

use std::fmt;

use super::Session;
use super::step::Place;
use super::walk::{self, Recorded};
use crate::Value;
use crate::tree::{CmpOp, Cond, FactDecl, FactSlot, NodeKind, Stored, TreeData};

/// One automatic decision of a journey, explained.
///
/// Its `Display` is one line, e.g. `debited_hours: hours_since_debit = 72 → rule 1
/// (hours_since_debit ≥ 48) → escalate_unreconciled`.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Decision<'a> {
    /// The `Decide` node.
    pub place: Place<'a>,
    /// The rule that fired (from 0), `None` when none did and `otherwise` was taken.
    pub rule: Option<usize>,
    /// The condition of that rule in words; for `otherwise`, every rule's condition,
    /// none of which held.
    pub condition: String,
    /// The facts the rules read, with the value each had (`None`: not known).
    pub seen: Vec<(&'a str, Option<Value>)>,
    /// Where the decision led.
    pub next: &'a str,
    /// The `Display` line with each fact named by its label in the session's locale.
    labelled: String,
}

impl Decision<'_> {
    /// The decision as an agent reads it: its `Display` line with each fact named by its
    /// label (`label:` in the tree) in the session's locale, or by its name when it has
    /// none. Tickets show this.
    ///
    /// ```
    /// use troubletree::{Session, Tree};
    /// let tree = Tree::from_path("trees/recharge_failure.ron")?;
    /// let mut session = Session::builder(&tree).locale("en").fact("money_debited", true).start()?;
    /// session.answer(72.0)?; // hours since the debit
    /// assert_eq!(
    ///     session.decisions()[0].in_words(),
    ///     "debited_hours: hours since the debit = 72 → rule 1 (hours since the debit ≥ 48) → ask_debit_amount"
    /// );
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn in_words(&self) -> &str {
        &self.labelled
    }
}

impl fmt::Display for Decision<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.seen.iter().map(|(name, _)| *name).collect();
        line(f, self, &names, &self.condition, &EN)
    }
}

/// A decision's line, with the facts it saw named by `names` and its condition in words.
fn line(
    f: &mut impl fmt::Write,
    d: &Decision<'_>,
    names: &[&str],
    condition: &str,
    w: &Words,
) -> fmt::Result {
    write!(f, "{}{}", d.place.node, w.colon)?;
    let seen: Vec<String> = d
        .seen
        .iter()
        .zip(names)
        .map(|((_, value), name)| match value {
            Some(v) => format!("{name} = {}", shown(v, w)),
            None => format!("{name}{}", w.unknown),
        })
        .collect();
    if !seen.is_empty() {
        write!(f, "{} → ", seen.join(w.comma))?;
    }
    match d.rule {
        Some(i) => write!(f, "{}{}{}{condition}{}", w.rule, i + 1, w.open, w.close)?,
        None => write!(f, "{}{condition}{}", w.otherwise, w.close)?,
    }
    write!(f, " → {}", d.next)
}

/// One line of a journey in words: what was shown or decided, and the answer.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Explained<'a> {
    /// The transcript line.
    pub record: super::Record<'a>,
    /// The question or instruction shown (in the session's locale), or for an automatic
    /// decision the decision in words (`decided debited_hours: hours_since_debit = 72 →
    /// rule 1 (hours_since_debit ≥ 48) → ask_debit_amount`), or where a `Goto` went.
    pub text: String,
    /// The answer's label as the user saw it, if any.
    pub answer: Option<String>,
    /// For an automatic decision: the rule that fired and the fact values it saw.
    pub decision: Option<Decision<'a>>,
}

impl Session {
    /// Every line of the transcript in words, each automatic decision with the rule
    /// that fired and the fact values it saw: what `troubletree explain` prints, and
    /// what a ticket's transcript says.
    ///
    /// ```
    /// use troubletree::{Session, Tree};
    /// let tree = Tree::from_path("trees/recharge_failure.ron")?;
    /// let mut session = Session::builder(&tree).locale("en").fact("money_debited", true).start()?;
    /// session.answer(72.0)?;
    /// let lines = session.explain();
    /// let last = lines.last().expect("a decision");
    /// assert_eq!(last.decision.as_ref().map(|d| d.rule), Some(Some(0)));
    /// assert!(last.text.starts_with("decided debited_hours: hours since the debit = 72"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn explain(&self) -> Vec<Explained<'_>> {
        let mut decisions = self.decisions().into_iter().peekable();
        self.transcript()
            .map(|record| {
                let decision =
                    (record.fact.is_none() && record.value.is_none() && record.jump.is_none())
                        .then(|| decisions.next_if(|d| d.place == record.place()))
                        .flatten();
                let (text, answer) = self.describe(&record, decision.as_ref());
                Explained {
                    record,
                    text,
                    answer,
                    decision,
                }
            })
            .collect()
    }

    /// Every automatic decision of the journey, in order, with the rule that fired and
    /// the fact values it saw.
    ///
    /// ```
    /// use troubletree::{Session, Tree};
    /// let tree = Tree::from_path("trees/recharge_failure.ron")?;
    /// let mut session = Session::builder(&tree).fact("money_debited", true).start()?;
    /// session.answer(72.0)?; // hours since the debit
    /// let decisions = session.decisions();
    /// assert_eq!(decisions[0].rule, Some(0));
    /// assert_eq!(
    ///     decisions[0].to_string(),
    ///     "debited_hours: hours_since_debit = 72 → rule 1 (hours_since_debit ≥ 48) → ask_debit_amount"
    /// );
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn decisions(&self) -> Vec<Decision<'_>> {
        let catalogue = &self.catalogue;
        let state = &self.state;
        let mut out = Vec::new();
        // The journey replayed fact by fact: the tree it is in, that tree's facts, and
        // everything learned so far (for the facts a jump carries into the next tree).
        let mut tree = state.start.0;
        let mut learned: Vec<(&str, Value)> = Vec::new();
        let mut facts = walk::entry_facts(&catalogue.tree(tree).0, &learned, &state.host);
        for e in &state.transcript {
            let data = &catalogue.tree(e.tree).0;
            match &e.what {
                Recorded::Rule(rule) => {
                    let locale = data
                        .locales
                        .iter()
                        .position(|l| **l == *state.locale)
                        .unwrap_or(0);
                    let rule = rule.map(|r| r as usize);
                    if let Some(d) = decision(data, e.node, rule, &facts, locale) {
                        out.push(d);
                    }
                }
                Recorded::Jump { tree: to, .. } => {
                    for (decl, v) in data.facts.iter().zip(&facts) {
                        if let Some(v) = v {
                            learned.push((&decl.name, decl.ty.value(v)));
                        }
                    }
                    tree = *to;
                    facts = walk::entry_facts(&catalogue.tree(tree).0, &learned, &state.host);
                }
                _ => {
                    if let Some((slot, value)) = walk::entry_fact(data, e, &state.texts)
                        && let Some(stored) = data.facts[usize::from(slot)].ty.store(&value)
                    {
                        facts[usize::from(slot)] = Some(stored);
                    }
                }
            }
        }
        out
    }
}

fn decision<'a>(
    data: &'a TreeData,
    at: petgraph::graph::NodeIndex,
    rule: Option<usize>,
    facts: &[Option<Stored>],
    locale: usize,
) -> Option<Decision<'a>> {
    let node = &data.graph[at];
    let NodeKind::Decide { rules, otherwise } = &node.kind else {
        return None;
    };
    let named = |naming: Naming| -> Option<String> {
        Some(match rule {
            Some(i) => words(data, &rules.get(i)?.0, naming),
            None => rules
                .iter()
                .map(|(c, _)| words(data, c, naming))
                .collect::<Vec<_>>()
                .join(naming.words().semicolon),
        })
    };
    let language = words_for(data, locale);
    let condition = named(Naming::Names)?;
    let condition_labelled = named(Naming::Labels(locale, language))?;
    let next = match rule {
        Some(i) => rules.get(i)?.1,
        None => *otherwise,
    };
    let mut slots: Vec<FactSlot> = Vec::new();
    for (cond, _) in rules.iter().take(rule.map_or(rules.len(), |i| i + 1)) {
        read_slots(cond, &mut slots);
    }
    let labels: Vec<&str> = slots
        .iter()
        .map(|slot| data.facts[usize::from(*slot)].label(locale))
        .collect();
    let seen = slots
        .into_iter()
        .map(|slot| {
            let decl = &data.facts[usize::from(slot)];
            let value = facts
                .get(usize::from(slot))
                .and_then(Option::as_ref)
                .map(|s| decl.ty.value(s));
            (&*decl.name, value)
        })
        .collect();
    let mut decision = Decision {
        place: Place {
            tree: &data.id,
            node: data.node_id(at),
        },
        rule,
        condition,
        seen,
        next: data.node_id(next),
        labelled: String::new(),
    };
    let mut labelled = String::new();
    line(
        &mut labelled,
        &decision,
        &labels,
        &condition_labelled,
        language,
    )
    .ok()?;
    decision.labelled = labelled;
    Some(decision)
}

/// How a condition in words names its facts, and in which language it is written.
#[derive(Clone, Copy)]
enum Naming {
    /// By their names, as the tree's conditions do, in English.
    Names,
    /// By their labels in this locale (their names when they have none), in the
    /// locale's words.
    Labels(usize, &'static Words),
}

impl Naming {
    fn words(self) -> &'static Words {
        match self {
            Naming::Names => &EN,
            Naming::Labels(_, words) => words,
        }
    }
}

/// The fixed words and punctuation of a decision in words.
struct Words {
    colon: &'static str,
    comma: &'static str,
    semicolon: &'static str,
    open: &'static str,
    close: &'static str,
    and: &'static str,
    or: &'static str,
    not: &'static str,
    one_of: &'static str,
    known: &'static str,
    unknown: &'static str,
    rule: &'static str,
    otherwise: &'static str,
    yes: &'static str,
    no: &'static str,
}

const EN: Words = Words {
    colon: ": ",
    comma: ", ",
    semicolon: "; ",
    open: " (",
    close: ")",
    and: " and ",
    or: " or ",
    not: "not",
    one_of: " is one of ",
    known: " is known",
    unknown: " unknown",
    rule: "rule ",
    otherwise: "otherwise (none of: ",
    yes: "true",
    no: "false",
};

const ZH: Words = Words {
    colon: "：",
    comma: "，",
    semicolon: "；",
    open: "（",
    close: "）",
    and: "且",
    or: "或",
    not: "并非",
    one_of: "属于",
    known: "已知",
    unknown: "未知",
    rule: "规则 ",
    otherwise: "其他情况（以下都不成立：",
    yes: "是",
    no: "否",
};

/// The words for a tree's locale: Chinese for `zh*`, English otherwise.
fn words_for(data: &TreeData, locale: usize) -> &'static Words {
    match data.locales.get(locale) {
        Some(l) if l.starts_with("zh") => &ZH,
        _ => &EN,
    }
}

/// The facts a condition reads, each once, in the order written.
fn read_slots(cond: &Cond, out: &mut Vec<FactSlot>) {
    let mut push = |slot: FactSlot| {
        if !out.contains(&slot) {
            out.push(slot);
        }
    };
    match cond {
        Cond::Eq(s, _) | Cond::Ne(s, _) | Cond::Cmp(s, _, _) | Cond::In(s, _) | Cond::Known(s) => {
            push(*s);
        }
        Cond::All(all) | Cond::Any(all) => {
            for c in all.iter() {
                read_slots(c, out);
            }
        }
        Cond::Not(c) => read_slots(c, out),
    }
}

/// A condition in words: `network_ok = false`, `hours_since_debit ≥ 48`,
/// `account_status is one of "restricted", "unverified"`, joined by `and` / `or`.
fn words(data: &TreeData, cond: &Cond, naming: Naming) -> String {
    let name = |slot: FactSlot| {
        let decl = &data.facts[usize::from(slot)];
        match naming {
            Naming::Names => &*decl.name,
            Naming::Labels(locale, _) => decl.label(locale),
        }
    };
    let w = naming.words();
    let value = |slot: FactSlot, stored: &Stored| {
        let decl: &FactDecl = &data.facts[usize::from(slot)];
        shown(&decl.ty.value(stored), w)
    };
    match cond {
        Cond::Eq(s, v) => format!("{} = {}", name(*s), value(*s, v)),
        Cond::Ne(s, v) => format!("{} ≠ {}", name(*s), value(*s, v)),
        Cond::Cmp(s, op, n) => {
            let op = match op {
                CmpOp::Lt => "<",
                CmpOp::Le => "≤",
                CmpOp::Gt => ">",
                CmpOp::Ge => "≥",
            };
            format!("{} {op} {}", name(*s), shown(&Value::Number(*n), w))
        }
        Cond::In(s, set) => format!(
            "{}{}{}",
            name(*s),
            w.one_of,
            set.iter()
                .map(|v| value(*s, v))
                .collect::<Vec<_>>()
                .join(w.comma)
        ),
        Cond::Known(s) => format!("{}{}", name(*s), w.known),
        Cond::All(all) => joined(data, all, w.and, naming),
        Cond::Any(any) => joined(data, any, w.or, naming),
        Cond::Not(c) => format!(
            "{}{}{}{}",
            w.not,
            w.open.trim_start(),
            words(data, c, naming),
            w.close
        ),
    }
}

fn joined(data: &TreeData, conds: &[Cond], with: &str, naming: Naming) -> String {
    let parts: Vec<String> = conds
        .iter()
        .map(|c| match c {
            Cond::All(_) | Cond::Any(_) => {
                let w = naming.words();
                format!(
                    "{}{}{}",
                    w.open.trim_start(),
                    words(data, c, naming),
                    w.close
                )
            }
            _ => words(data, c, naming),
        })
        .collect();
    parts.join(with)
}

/// A value for a person: text quoted, whole numbers without `.0`, yes and no in the
/// language's words.
fn shown(value: &Value, w: &Words) -> String {
    match value {
        Value::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => format!("{n:.0}"),
        Value::Bool(true) => w.yes.to_owned(),
        Value::Bool(false) => w.no.to_owned(),
        other => super::error::shown(other),
    }
}

//! Node definitions to compiled [`Node`]s: questions and their answers (E011, E012,
//! W002), instructions, decisions with their conditions typed against the facts they
//! compare (E012, W005), ends, `Goto`s, and limits (E014).

use std::collections::HashSet;

use super::resolve::SCAN_LIMIT;
use super::{Compiler, LISTED, LISTED_CHARS, describe, show};
use crate::diagnostic::{At, Code};
use crate::limits::{Quoted, bad_name, bad_value};
use crate::model::{
    AnswerDef, ChannelDef, ConditionDef, NodeDef, PriorityDef, ResolutionKindDef, ValueDef,
};
use crate::tree::{
    Channel, CmpOp, Cond, FactSlot, FactTy, Limit, Node, NodeKind, Offer, Priority, Range,
    ResolutionKind, Stored, Text,
};
use crate::value::Value;

/// What kind of values a question's fact takes, without borrowing the fact.
#[derive(Clone, Copy, PartialEq)]
enum Takes {
    Bool,
    Choice,
    Free,
}

impl Compiler<'_> {
    pub(super) fn node(&mut self, i: usize, def: &NodeDef<'_>, limit_slots: &mut usize) -> Node {
        let id: &str = def.id();
        let nodes = At::root("nodes");
        let at = nodes.index(i);
        let limit = def.limit().and_then(|l| {
            let then = self.reference(
                i,
                id,
                "the limit's `then`",
                &at.name("limit").name("then"),
                &l.then,
            );
            let times = match u16::try_from(l.times) {
                Ok(0) | Err(_) => {
                    self.report(
                        Code::InvalidDefinition,
                        at.name("limit").name("times").to_string(),
                        Some(id),
                        format!(
                            "node {} has limit times: {}; use a number from 1 to 65535",
                            Quoted(id),
                            l.times
                        ),
                    );
                    // Keep the limit for the graph checks (the error already refuses the
                    // tree), so that its loop is not also reported as unbounded (E010).
                    0
                }
                Ok(times) => times,
            };
            let slot = u32::try_from(*limit_slots).ok()?;
            *limit_slots += 1;
            Some(Limit { slot, times, then })
        });
        let kind = match def {
            NodeDef::Ask {
                text,
                fact,
                answers,
                next,
                ..
            } => {
                let text = self.text(text, &at.name("text"), Some(id));
                self.ask(i, id, &at, text, fact.as_deref(), answers, next.as_deref())
            }
            NodeDef::Act {
                text, next, solved, ..
            } => {
                let text = self.text(text, &at.name("text"), Some(id));
                let next = self.reference(i, id, "`next`", &at.name("next"), next);
                let offers: Box<[Offer]> = match solved {
                    Some(solved) => {
                        let solved = self.reference(i, id, "`solved`", &at.name("solved"), solved);
                        Box::new([
                            Offer {
                                value: self.texts.text_value("solved"),
                                text: self.builtin("问题已解决", "That fixed it"),
                                stored: None,
                                next: solved,
                            },
                            Offer {
                                value: self.texts.text_value("not_solved"),
                                text: self.builtin("仍未解决", "Still not working"),
                                stored: None,
                                next,
                            },
                        ])
                    }
                    None => Box::new([Offer {
                        value: self.texts.text_value("done"),
                        text: self.builtin("完成", "Done"),
                        stored: None,
                        next,
                    }]),
                };
                NodeKind::Act { text, offers }
            }
            NodeDef::Decide {
                rules, otherwise, ..
            } => {
                let rules_at = at.name("rules");
                if rules.len() > self.limits.max_rules {
                    self.report(
                        Code::LimitExceeded,
                        rules_at.to_string(),
                        Some(id),
                        format!(
                            "decision {} has {} rules, more than the limit of {}; split it into several decisions",
                            Quoted(id),
                            rules.len(),
                            self.limits.max_rules
                        ),
                    );
                }
                let rules = rules
                    .iter()
                    .enumerate()
                    .map(|(j, rule)| {
                        let rule_at = rules_at.index(j);
                        let cond = self.cond(id, &rule_at.name("when"), &rule.when, 0);
                        let next = self.reference(
                            i,
                            id,
                            "a rule's `next`",
                            &rule_at.name("next"),
                            &rule.next,
                        );
                        (cond.unwrap_or(Cond::All(Box::new([]))), next)
                    })
                    .collect();
                let otherwise =
                    self.reference(i, id, "`otherwise`", &at.name("otherwise"), otherwise);
                NodeKind::Decide { rules, otherwise }
            }
            NodeDef::Resolve { text, kind, .. } => NodeKind::Resolve {
                text: self.text(text, &at.name("text"), Some(id)),
                kind: match kind {
                    ResolutionKindDef::Fixed => ResolutionKind::Fixed,
                    ResolutionKindDef::Informed => ResolutionKind::Informed,
                    ResolutionKindDef::Waiting => ResolutionKind::Waiting,
                },
            },
            NodeDef::Escalate {
                reason,
                priority,
                channel,
                prepare,
                agent,
                ..
            } => NodeKind::Escalate {
                agent: agent
                    .as_ref()
                    .map(|t| self.text(t, &at.name("agent"), Some(id))),
                reason: self.text(reason, &at.name("reason"), Some(id)),
                priority: match priority {
                    PriorityDef::Low => Priority::Low,
                    PriorityDef::Normal => Priority::Normal,
                    PriorityDef::High => Priority::High,
                    PriorityDef::Urgent => Priority::Urgent,
                },
                channel: channel.map(|c| match c {
                    ChannelDef::Hotline => Channel::Hotline,
                    ChannelDef::InApp => Channel::InApp,
                    ChannelDef::Chat => Channel::Chat,
                    ChannelDef::Email => Channel::Email,
                }),
                prepare: {
                    let prepare_at = at.name("prepare");
                    prepare
                        .iter()
                        .enumerate()
                        .map(|(j, t)| self.text(t, &prepare_at.index(j), Some(id)))
                        .collect()
                },
            },
            NodeDef::Goto { tree, node, .. } => {
                if tree.trim().is_empty() {
                    self.report(
                        Code::InvalidDefinition,
                        at.name("tree").to_string(),
                        Some(id),
                        format!("Goto {} names no tree", Quoted(id)),
                    );
                } else if let Some(why) = bad_name(tree, &self.limits) {
                    self.report(
                        Code::LimitExceeded,
                        at.name("tree").to_string(),
                        Some(id),
                        format!(
                            "the tree {} named by Goto {} {why}",
                            Quoted(tree),
                            Quoted(id)
                        ),
                    );
                }
                if let Some(node) = node
                    && let Some(why) = bad_name(node, &self.limits)
                {
                    self.report(
                        Code::LimitExceeded,
                        at.name("node").to_string(),
                        Some(id),
                        format!(
                            "the node {} named by Goto {} {why}",
                            Quoted(node),
                            Quoted(id)
                        ),
                    );
                }
                NodeKind::Goto {
                    tree: (**tree).into(),
                    node: node.as_deref().map(Into::into),
                }
            }
        };
        Node { kind, limit }
    }

    #[allow(clippy::too_many_arguments)]
    fn ask(
        &mut self,
        i: usize,
        id: &str,
        at: &At<'_>,
        text: Text,
        fact: Option<&str>,
        answers: &[AnswerDef<'_>],
        next: Option<&str>,
    ) -> NodeKind {
        let slot = fact.and_then(|f| self.fact_slot(id, &at.name("fact"), f));
        let takes = slot.map(|s| match self.facts[usize::from(s)].ty {
            FactTy::Bool => Takes::Bool,
            FactTy::Choice(_) => Takes::Choice,
            FactTy::Number | FactTy::Text => Takes::Free,
        });
        let free_input = takes == Some(Takes::Free);
        let free_next = match (free_input, next) {
            (true, Some(next)) => Some(self.reference(i, id, "`next`", &at.name("next"), next)),
            (true, None) => {
                let ty = slot.map_or(crate::FactType::Text, |s| {
                    self.facts[usize::from(s)].ty.public()
                });
                self.report(
                    Code::InvalidDefinition,
                    at.to_string(),
                    Some(id),
                    format!(
                        "question {} fills a {ty} fact, so it takes free input and needs `next`",
                        Quoted(id)
                    ),
                );
                None
            }
            (false, Some(_)) => {
                self.report(Code::InvalidDefinition, at.name("next").to_string(), Some(id), format!("question {} offers answers, so each answer names its own `next`; remove this `next`", Quoted(id)));
                None
            }
            (false, None) => None,
        };
        if free_input && !answers.is_empty() {
            self.report(Code::InvalidDefinition, at.name("answers").to_string(), Some(id), format!("question {} fills a free-input fact; it offers no answers (use a Choice fact to offer a fixed set)", Quoted(id)));
        }
        if !free_input && answers.is_empty() {
            self.report(Code::InvalidDefinition, at.to_string(), Some(id), format!("question {} offers no answers; add Answer(value: ..., text: ..., next: ...) entries", Quoted(id)));
        }
        let answers_at = at.name("answers");
        if answers.len() > self.limits.max_answers {
            self.report(
                Code::LimitExceeded,
                answers_at.to_string(),
                Some(id),
                format!(
                    "question {} offers {} answers, more than the limit of {}; use a Choice fact and a Decide, or split the question",
                    Quoted(id),
                    answers.len(),
                    self.limits.max_answers
                ),
            );
        }
        let mut offers = Vec::with_capacity(answers.len());
        let mut seen = Seen::new(answers.len());
        for (j, answer) in answers.iter().enumerate() {
            let answer_at = answers_at.index(j);
            self.value_bounds(id, &answer_at.name("value"), &answer.value);
            if !seen.insert(&answer.value) {
                self.report(
                    Code::DuplicateAnswer,
                    answer_at.name("value").to_string(),
                    Some(id),
                    format!(
                        "question {} offers the value {} twice; each answer needs its own value",
                        Quoted(id),
                        show(&answer.value.to_value())
                    ),
                );
            }
            let stored = match slot {
                Some(slot) if !free_input => {
                    let stored = self.store(slot, &answer.value);
                    if stored.is_none() {
                        let fact_name = fact.unwrap_or_default();
                        let ty = &self.facts[usize::from(slot)].ty;
                        let message = format!(
                            "answer value {} does not fit fact {}, which is {}",
                            show(&answer.value.to_value()),
                            Quoted(fact_name),
                            describe(ty)
                        );
                        self.report(
                            Code::TypeMismatch,
                            answer_at.name("value").to_string(),
                            Some(id),
                            message,
                        );
                    }
                    stored
                }
                _ => None,
            };
            let text = self.text(&answer.text, &answer_at.name("text"), Some(id));
            let next = self.reference(
                i,
                id,
                "an answer's `next`",
                &answer_at.name("next"),
                &answer.next,
            );
            offers.push(Offer {
                value: self.texts.value(answer.value.to_value()),
                text,
                stored,
                next,
            });
        }
        // Coverage: a Bool or Choice question should offer every value of its fact.
        let uncovered: Vec<String> = match (takes, slot) {
            (Some(Takes::Bool), _) => [true, false]
                .iter()
                .filter(|b| !seen.contains(&ValueDef::Bool(**b)))
                .map(bool::to_string)
                .collect(),
            (Some(Takes::Choice), Some(slot)) => match &self.facts[usize::from(slot)].ty {
                // The first few are enough to name: the scan stops there.
                FactTy::Choice(options) => options
                    .iter()
                    .filter(|o| !seen.contains_text(o))
                    .take(LISTED + 1)
                    .map(|o| Quoted(o).to_string())
                    .collect(),
                _ => Vec::new(),
            },
            _ => Vec::new(),
        };
        if !uncovered.is_empty() && !answers.is_empty() {
            // Named within the bounds of `listed`; the scan stopped after a few, so the
            // rest are "more", uncounted.
            let mut named = String::new();
            let mut cut = uncovered.len() > LISTED;
            for (i, value) in uncovered.iter().take(LISTED).enumerate() {
                if i > 0 {
                    if named.len() >= LISTED_CHARS {
                        cut = true;
                        break;
                    }
                    named.push_str(", ");
                }
                named.push_str(value);
            }
            let uncovered = if cut {
                format!("{named} and more")
            } else {
                named
            };
            self.report(
                Code::UncoveredAnswer,
                answers_at.to_string(),
                Some(id),
                format!("question {} offers no answer for {uncovered} of fact {}; when the fact already holds that value, the walker cannot answer for the user and asks this question again", Quoted(id), Quoted(fact.unwrap_or_default())),
            );
        }
        NodeKind::Ask {
            text,
            fact: slot,
            offers: offers.into(),
            free_next,
        }
    }

    /// A condition inside `depth` levels of `All`, `Any` and `Not` (0 for a rule's
    /// `when`), typed; `None` when it has an error (reported).
    fn cond(
        &mut self,
        node: &str,
        at: &At<'_>,
        def: &ConditionDef<'_>,
        depth: usize,
    ) -> Option<Cond> {
        if depth > self.limits.max_condition_depth {
            self.report(
                Code::LimitExceeded,
                at.to_string(),
                Some(node),
                format!(
                    "the condition of node {} nests more than {} levels deep (each All, Any and Not is a level); split the decision into several",
                    Quoted(node),
                    self.limits.max_condition_depth
                ),
            );
            return None;
        }
        match def {
            ConditionDef::Eq(f, v) | ConditionDef::Ne(f, v) => {
                let slot = self.fact_slot(node, &at.name("0"), f)?;
                self.decided.entry(slot).or_insert_with(|| node.to_owned());
                let stored = self.typed(node, &at.name("1"), slot, v)?;
                Some(if matches!(def, ConditionDef::Eq(..)) {
                    Cond::Eq(slot, stored)
                } else {
                    Cond::Ne(slot, stored)
                })
            }
            ConditionDef::Lt(f, v)
            | ConditionDef::Le(f, v)
            | ConditionDef::Gt(f, v)
            | ConditionDef::Ge(f, v) => {
                let op = match def {
                    ConditionDef::Lt(..) => CmpOp::Lt,
                    ConditionDef::Le(..) => CmpOp::Le,
                    ConditionDef::Gt(..) => CmpOp::Gt,
                    _ => CmpOp::Ge,
                };
                let slot = self.fact_slot(node, &at.name("0"), f)?;
                self.decided.entry(slot).or_insert_with(|| node.to_owned());
                let ty = &self.facts[usize::from(slot)].ty;
                if !matches!(ty, FactTy::Number) {
                    let described = describe(ty);
                    self.report(
                        Code::TypeMismatch,
                        at.name("0").to_string(),
                        Some(node),
                        format!(
                            "{op:?} compares numbers, but fact {} is {described}",
                            Quoted(f)
                        ),
                    );
                    return None;
                }
                match v {
                    ValueDef::Number(n) => {
                        self.in_range(node, &at.name("1"), slot, *n);
                        Some(Cond::Cmp(slot, op, *n))
                    }
                    other => {
                        self.report(
                            Code::TypeMismatch,
                            at.name("1").to_string(),
                            Some(node),
                            format!(
                                "{op:?} needs a number to compare fact {} with, not {}",
                                Quoted(f),
                                show(&other.to_value())
                            ),
                        );
                        None
                    }
                }
            }
            ConditionDef::In(f, values) => {
                let slot = self.fact_slot(node, &at.name("0"), f)?;
                self.decided.entry(slot).or_insert_with(|| node.to_owned());
                let values_at = at.name("1");
                let mut set = Vec::with_capacity(values.len());
                for (j, v) in values.iter().enumerate() {
                    set.push(self.typed(node, &values_at.index(j), slot, v));
                }
                set.into_iter()
                    .collect::<Option<Vec<_>>>()
                    .map(|s| Cond::In(slot, s.into()))
            }
            ConditionDef::Known(f) => self.fact_slot(node, &at.name("0"), f).map(Cond::Known),
            ConditionDef::All(list) | ConditionDef::Any(list) => {
                let list_at = at.name("0");
                let mut out = Vec::with_capacity(list.len());
                for (j, c) in list.iter().enumerate() {
                    out.push(self.cond(node, &list_at.index(j), c, depth + 1));
                }
                let out: Box<[Cond]> = out.into_iter().collect::<Option<Vec<_>>>()?.into();
                Some(if matches!(def, ConditionDef::All(_)) {
                    Cond::All(out)
                } else {
                    Cond::Any(out)
                })
            }
            ConditionDef::Not(inner) => self
                .cond(node, &at.name("0"), inner, depth + 1)
                .map(|c| Cond::Not(Box::new(c))),
        }
    }

    fn typed(
        &mut self,
        node: &str,
        at: &At<'_>,
        slot: FactSlot,
        value: &ValueDef<'_>,
    ) -> Option<Stored> {
        self.value_bounds(node, at, value);
        if let ValueDef::Number(n) = value {
            self.in_range(node, at, slot, *n);
        }
        match self.store(slot, value) {
            Some(stored) => Some(stored),
            None => {
                let fact = &self.facts[usize::from(slot)];
                let message = format!(
                    "fact {} is {}, so it cannot be compared with {}",
                    Quoted(&fact.name),
                    describe(&fact.ty),
                    show(&value.to_value())
                );
                self.report(Code::TypeMismatch, at.to_string(), Some(node), message);
                None
            }
        }
    }

    /// W006 for a constant outside the range of the `Number` fact it is compared with:
    /// the comparison gives the same answer for every value the fact can take.
    fn in_range(&mut self, node: &str, at: &At<'_>, slot: FactSlot, n: f64) {
        let fact = &self.facts[usize::from(slot)];
        if fact.range.contains(n) {
            return;
        }
        let range = match fact.range {
            Range {
                min: Some(min),
                max: Some(max),
            } => format!("from {} to {}", Value::Number(min), Value::Number(max)),
            Range { min: Some(min), .. } => format!("at least {}", Value::Number(min)),
            Range { max: Some(max), .. } => format!("at most {}", Value::Number(max)),
            Range { .. } => return,
        };
        let message = format!(
            "fact {} takes values {range}, so comparing it with {} gives the same answer for every value it can take; compare with a value in its range",
            Quoted(&fact.name),
            Value::Number(n)
        );
        self.report(Code::OutOfRange, at.to_string(), Some(node), message);
    }

    /// E016 for a string value that is too long or holds control or invisible
    /// characters.
    fn value_bounds(&mut self, node: &str, at: &At<'_>, value: &ValueDef<'_>) {
        if let ValueDef::Text(text) = value
            && let Some(why) = bad_value(text, &self.limits)
        {
            self.report(
                Code::LimitExceeded,
                at.to_string(),
                Some(node),
                format!("the value {} {why}", Quoted(text)),
            );
        }
    }

    /// W005: a fact a `Decide` compares is asked for with its `ask` text when nobody
    /// supplied it; without one the user would see the bare fact name.
    pub(super) fn missing_asks(&mut self) {
        let missing: Vec<(usize, String, String)> = self
            .decided
            .iter()
            .filter(|(slot, _)| self.facts[usize::from(**slot)].ask.is_none())
            .map(|(slot, node)| {
                let name = self.facts[usize::from(*slot)].name.to_string();
                (self.fact_positions[usize::from(*slot)], name, node.clone())
            })
            .collect();
        for (i, name, node) in missing {
            self.report(
                Code::MissingAsk,
                format!("facts.{i}"),
                None,
                format!(
                    "fact {} is compared by Decide {} but has no `ask` text; when the host does not supply it, the user would be asked with the bare name (add ask: {{ ... }})",
                    Quoted(&name),
                    Quoted(&node)
                ),
            );
        }
    }
}

/// Answer values seen so far in one question: a scan for a handful, a hash set beyond.
struct Seen<'v, 'a> {
    values: Vec<&'v ValueDef<'a>>,
    hashed: Option<HashSet<ValueKey<'v>>>,
}

/// A value's identity for equality as `PartialEq` has it (`0.0 == -0.0`; numbers in a
/// tree are finite, so NaN never occurs).
#[derive(PartialEq, Eq, Hash)]
enum ValueKey<'v> {
    Bool(bool),
    Number(u64),
    Text(&'v str),
}

impl<'v> ValueKey<'v> {
    fn of(value: &'v ValueDef<'_>) -> Self {
        match value {
            ValueDef::Bool(b) => ValueKey::Bool(*b),
            ValueDef::Number(n) => ValueKey::Number(if *n == 0.0 { 0 } else { n.to_bits() }),
            ValueDef::Text(t) => ValueKey::Text(t),
        }
    }
}

impl<'v, 'a> Seen<'v, 'a> {
    fn new(len: usize) -> Self {
        Seen {
            values: Vec::with_capacity(len.min(SCAN_LIMIT)),
            hashed: (len > SCAN_LIMIT).then(|| HashSet::with_capacity(len)),
        }
    }

    /// Adds a value; false if it was already there.
    fn insert(&mut self, value: &'v ValueDef<'a>) -> bool {
        match &mut self.hashed {
            Some(set) => set.insert(ValueKey::of(value)),
            None => {
                let new = !self.values.contains(&value);
                self.values.push(value);
                new
            }
        }
    }

    fn contains(&self, value: &ValueDef<'_>) -> bool {
        match &self.hashed {
            Some(set) => set.contains(&ValueKey::of(value)),
            None => self.values.iter().any(|v| **v == *value),
        }
    }

    fn contains_text(&self, text: &str) -> bool {
        match &self.hashed {
            Some(set) => set.contains(&ValueKey::Text(text)),
            None => self
                .values
                .iter()
                .any(|v| matches!(v, ValueDef::Text(t) if **t == *text)),
        }
    }
}

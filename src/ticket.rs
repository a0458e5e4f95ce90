//! The escalation ticket: everything a customer-service agent needs, so the user is never
//! asked the same thing twice.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::directory::{ChannelChoice, Directory, LocalTime};
use crate::session::{Origin, Session, Step};
use crate::text::printable as clean;
use crate::tree::{Channel, Priority};
use crate::value::Value;

/// A hand-over to customer service, built by [`Session::ticket`] when a walk ends at an
/// `Escalate`. It renders as text ([`Ticket::render`]) and serialises with serde (JSON
/// for an agent console, for instance).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Ticket {
    /// The tree.
    pub tree: String,
    /// The tree's title in the ticket's locale.
    pub title: String,
    /// The tree's `version`.
    pub tree_version: u32,
    /// The tree's fingerprint, 16 hex digits.
    pub fingerprint: String,
    /// The `Escalate` node.
    pub node: String,
    /// The locale of the texts.
    pub locale: String,
    /// Why the user needs an agent.
    pub reason: String,
    /// How urgent it is.
    pub priority: Priority,
    /// The channel to use now, chosen from the directory.
    pub channel: ChannelChoice,
    /// What the user should have ready.
    pub prepare: Vec<String>,
    /// Every fact known, by name.
    pub facts: BTreeMap<String, Value>,
    /// Every step of the walk.
    pub transcript: Vec<TicketLine>,
    /// When the ticket was made (the injected clock).
    pub created_at: LocalTime,
}

/// One step of the walk in a ticket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TicketLine {
    /// The node.
    pub node: String,
    /// The question or instruction shown, or what was decided.
    pub text: String,
    /// The answer's value, if any.
    pub value: Option<Value>,
    /// The answer as the user saw it (its label), if any.
    pub answer: Option<String>,
    /// Given by the user, or filled automatically from a known fact or a decision.
    pub origin: Origin,
}

impl Session {
    /// The escalation ticket, when the walk has ended at an `Escalate`; the channel is
    /// chosen from `directory` for the time `now`.
    ///
    /// ```
    /// use troubletree::{Directory, LocalTime, Session, Tree};
    /// let tree = Tree::from_path("trees/recharge_failure.ron")?;
    /// let directory = Directory::from_path("trees/directory.ron")?;
    /// let mut session = Session::builder(&tree)
    ///     .locale("en")
    ///     .fact("money_debited", true)
    ///     .fact("hours_since_debit", 60.0)
    ///     .start()?;
    /// let now = LocalTime::new(2026, 5, 6, 10, 0).expect("valid");
    /// let ticket = session.ticket(&directory, now).expect("escalated");
    /// assert_eq!(ticket.node, "escalate_unreconciled");
    /// assert!(ticket.render().contains("hours_since_debit"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn ticket(&self, directory: &Directory, now: LocalTime) -> Option<Ticket> {
        let Step::Escalated(escalation) = self.next() else {
            return None;
        };
        let locale = self.locale().to_owned();
        let channel = directory.choose(escalation.priority, escalation.channel, now, &locale)?;
        let tree = self.tree();
        let transcript = self.transcript().map(|r| {
            let (text, answer) = self.describe(&r);
            TicketLine {
                node: r.node.to_owned(),
                text,
                value: r.value.clone(),
                answer,
                origin: r.origin,
            }
        });
        Some(Ticket {
            tree: tree.id().to_owned(),
            title: tree.title(&locale).unwrap_or(tree.id()).to_owned(),
            tree_version: tree.version(),
            fingerprint: format!("{:016x}", tree.fingerprint()),
            node: escalation.node.to_owned(),
            locale,
            reason: escalation.reason.to_owned(),
            priority: escalation.priority,
            channel,
            prepare: escalation.prepare().map(str::to_owned).collect(),
            facts: self.facts().map(|(k, v)| (k.to_owned(), v)).collect(),
            transcript: transcript.collect(),
            created_at: now,
        })
    }
}

struct Labels {
    ticket: &'static str,
    flow: &'static str,
    priority: &'static str,
    reason: &'static str,
    contact: &'static str,
    open: &'static str,
    closed: &'static str,
    reply: &'static str,
    immediate: &'static str,
    always: &'static str,
    busy: &'static str,
    prepare: &'static str,
    facts: &'static str,
    steps: &'static str,
    auto: &'static str,
    example: &'static str,
    created: &'static str,
}

const ZH: Labels = Labels {
    ticket: "客服工单",
    flow: "问题类型",
    priority: "优先级",
    reason: "转人工原因",
    contact: "联系方式",
    open: "现在可用",
    closed: "现在不在服务时间",
    reply: "承诺回复时间",
    immediate: "即时",
    always: "全天",
    busy: "繁忙时段",
    prepare: "请准备",
    facts: "已知信息",
    steps: "排查记录",
    auto: "自动",
    example: "注意:以上联系方式为示例数据,并非真实号码。",
    created: "创建时间",
};

const EN: Labels = Labels {
    ticket: "Support ticket",
    flow: "Issue",
    priority: "Priority",
    reason: "Why an agent is needed",
    contact: "Contact",
    open: "open now",
    closed: "closed now",
    reply: "Promised reply",
    immediate: "immediate",
    always: "any time",
    busy: "Busy period",
    prepare: "Please have ready",
    facts: "Known facts",
    steps: "Steps so far",
    auto: "auto",
    example: "Note: the contact details above are example data, not a real number.",
    created: "Created",
};

fn priority_name(p: Priority, zh: bool) -> &'static str {
    match (p, zh) {
        (Priority::Low, true) => "低",
        (Priority::Normal, true) => "普通",
        (Priority::High, true) => "高",
        (Priority::Urgent, true) => "紧急",
        (Priority::Low, false) => "low",
        (Priority::Normal, false) => "normal",
        (Priority::High, false) => "high",
        (Priority::Urgent, false) => "URGENT",
    }
}

fn channel_name(c: Channel, zh: bool) -> &'static str {
    match (c, zh) {
        (Channel::Hotline, true) => "客服热线",
        (Channel::InApp, true) => "APP内反馈",
        (Channel::Chat, true) => "在线客服",
        (Channel::Email, true) => "电子邮件",
        (Channel::Hotline, false) => "hotline",
        (Channel::InApp, false) => "in-app feedback",
        (Channel::Chat, false) => "online chat",
        (Channel::Email, false) => "e-mail",
    }
}

impl Ticket {
    /// The ticket as readable text in its locale (Chinese for `zh*`, English otherwise).
    /// Control characters from tree texts are replaced, so it is safe for a terminal.
    pub fn render(&self) -> String {
        let zh = self.locale.starts_with("zh");
        let l = if zh { &ZH } else { &EN };
        let mut out = String::new();
        let c = &self.channel;
        let _ = writeln!(out, "== {} · {} ==", l.ticket, clean(&self.title));
        let _ = writeln!(
            out,
            "{}: {} ({} / {})",
            l.flow,
            clean(&self.title),
            clean(&self.tree),
            clean(&self.node)
        );
        let _ = writeln!(out, "{}: {}", l.priority, priority_name(self.priority, zh));
        let _ = writeln!(out, "{}: {}", l.reason, clean(&self.reason));
        let hours = c
            .hours
            .map_or_else(|| l.always.to_owned(), |h| h.to_string());
        let state = if c.open_now { l.open } else { l.closed };
        let _ = writeln!(
            out,
            "{}: {} — {} ({hours}, {state})",
            l.contact,
            channel_name(c.kind, zh),
            clean(&c.contact)
        );
        let reply = if c.response_hours == 0 {
            l.immediate.to_owned()
        } else if zh {
            format!("{} 小时内", c.response_hours)
        } else {
            format!("within {} h", c.response_hours)
        };
        let _ = writeln!(out, "{}: {reply}", l.reply);
        if let Some(busy) = &c.busy {
            let _ = writeln!(out, "{}: {}", l.busy, clean(busy));
        }
        if !self.prepare.is_empty() {
            let _ = writeln!(out, "{}:", l.prepare);
            for item in &self.prepare {
                let _ = writeln!(out, "  - {}", clean(item));
            }
        }
        if !self.facts.is_empty() {
            let _ = writeln!(out, "{}:", l.facts);
            for (name, value) in &self.facts {
                let _ = writeln!(out, "  {} = {}", clean(name), clean(&value.to_string()));
            }
        }
        let _ = writeln!(out, "{}:", l.steps);
        for (i, line) in self.transcript.iter().enumerate() {
            let answer = match (&line.answer, &line.value) {
                (Some(a), _) => clean(a),
                (None, Some(v)) => clean(&v.to_string()),
                (None, None) => "—".to_owned(),
            };
            let auto = if line.origin == Origin::Auto {
                format!(" [{}]", l.auto)
            } else {
                String::new()
            };
            let _ = writeln!(out, "  {}. {} → {answer}{auto}", i + 1, clean(&line.text));
        }
        let _ = writeln!(out, "{}: {}", l.created, self.created_at);
        if c.example {
            let _ = writeln!(out, "{}", l.example);
        }
        out
    }
}

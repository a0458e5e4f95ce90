//! The escalation ticket: everything a customer-service agent needs, so the user is never
//! asked the same thing twice.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::Value;
use crate::directory::{ChannelChoice, Directory, LocalTime};
use crate::session::{Origin, Session, Step};
use crate::text::printable as clean;
use crate::tree::{Channel, Priority};

/// A hand-over to customer service: built by [`Session::ticket`] when a journey ends at
/// an `Escalate`, or by [`Session::handoff`] when the user asks for a person at any step.
/// It tells the whole story — where the user started, every tree and step, every fact
/// with the tree that set it and who supplied it — renders as text
/// ([`Ticket::render`]) and serialises with serde (JSON for an agent console, for
/// instance).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Ticket {
    /// The case number: derived from the journey and the time, so the same walk at the
    /// same minute gives the same one. A host with its own case numbering (a database
    /// id) sets its own.
    pub case: String,
    /// The tree the journey ended in.
    pub tree: String,
    /// That tree's title in the ticket's locale.
    pub title: String,
    /// That tree's `version`.
    pub tree_version: u32,
    /// That tree's fingerprint, 16 hex digits.
    pub fingerprint: String,
    /// The node the journey stopped at: the `Escalate`, or the question where the user
    /// asked for a person.
    pub node: String,
    /// Whether the user asked for a person (rather than the flow escalating).
    pub requested_by_user: bool,
    /// Where the journey started: tree, node and the tree's title.
    pub started: TicketPlace,
    /// Every tree the journey went through, in order.
    pub trees: Vec<String>,
    /// The locale of the texts.
    pub locale: String,
    /// Why the user needs an agent, as the user was told.
    pub reason: String,
    /// The note for the agent (the `Escalate`'s `agent`: what was tried, what was
    /// captured), separate from the advice to the user; `None` when the tree writes none
    /// (and for a hand-off the user asked for).
    #[serde(default)]
    pub agent: Option<String>,
    /// How urgent it is.
    pub priority: Priority,
    /// The channel to use now, chosen from the directory.
    pub channel: ChannelChoice,
    /// What the user should have ready.
    pub prepare: Vec<String>,
    /// Every fact known, with the tree that holds it and who supplied it.
    pub facts: Vec<TicketFact>,
    /// Every step of the journey.
    pub transcript: Vec<TicketLine>,
    /// When the ticket was made (the injected clock).
    pub created_at: LocalTime,
}

/// Where a journey started.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TicketPlace {
    /// The tree.
    pub tree: String,
    /// The node.
    pub node: String,
    /// The tree's title in the ticket's locale.
    pub title: String,
}

/// A fact in a ticket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TicketFact {
    /// The tree that set or received it.
    pub tree: String,
    /// The fact's name.
    pub name: String,
    /// How people call it: the fact's `label` in the ticket's locale, else its name.
    #[serde(default)]
    pub label: String,
    /// Its value.
    pub value: Value,
    /// The value in words: for a yes/no or `Choice` fact, the label of the answer with
    /// that value in the ticket's locale; otherwise the value as written.
    #[serde(default)]
    pub shown: String,
    /// Who supplied it.
    pub source: FactSource,
}

/// Who supplied a fact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum FactSource {
    /// The host (the wallet's back end) when the session started.
    Host,
    /// The user, by answering.
    User,
    /// The walk, from another fact (an answer filled in automatically).
    Walk,
}

/// One step of the journey in a ticket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TicketLine {
    /// The tree.
    pub tree: String,
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
    /// The escalation ticket, when the journey has ended at an `Escalate`; the channel
    /// is chosen from `directory` for the time `now`.
    ///
    /// ```
    /// use troubletree::{Directory, Session, Tree};
    /// use troubletree::directory::LocalTime;
    /// let tree = Tree::from_path("trees/recharge_failure.ron")?;
    /// let directory = Directory::from_path("trees/directory.ron")?;
    /// let session = Session::builder(&tree)
    ///     .locale("en")
    ///     .fact("money_debited", true)
    ///     .fact("hours_since_debit", 60.0)
    ///     .fact("amount", 100.0)
    ///     .start()?;
    /// let now = LocalTime::new(2026, 5, 6, 10, 0).expect("valid");
    /// let ticket = session.ticket(&directory, now).expect("escalated");
    /// assert_eq!(ticket.node, "escalate_unreconciled");
    /// // Facts by their labels, the directory's values filled in.
    /// assert!(ticket.render().contains("hours since the debit = 60"));
    /// assert!(ticket.reason.contains("daily 09:00–21:00"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn ticket(&self, directory: &Directory, now: LocalTime) -> Option<Ticket> {
        let Step::Escalated(escalation) = self.current() else {
            return None;
        };
        let locale = self.locale().to_owned();
        let channel = directory.choose_for(
            escalation.priority,
            escalation.channel,
            self.can_log_in(),
            now,
            &locale,
        )?;
        // Texts of a tree walked outside a catalogue with this directory still name its
        // values (`{hotline.hours}`): the ticket fills them in.
        let fill = |text: &str| directory.filled(text, &locale);
        let mut ticket = self.build_ticket(
            fill(escalation.reason),
            escalation.priority,
            channel,
            escalation.prepare().map(fill).collect(),
            false,
            now,
        );
        ticket.agent = escalation.agent.map(fill);
        Some(ticket)
    }

    /// A ticket for a user who asks for a person (转人工) at the current step, whatever
    /// it is: the journey so far, with normal priority and the channel open now. At an
    /// `Escalate` it is that escalation's ticket. `None` only for a directory without
    /// channels, which the loader refuses.
    ///
    /// ```
    /// use troubletree::{Directory, Session, Tree};
    /// use troubletree::directory::LocalTime;
    /// let tree = Tree::from_path("trees/recharge_failure.ron")?;
    /// let directory = Directory::from_path("trees/directory.ron")?;
    /// let mut session = Session::builder(&tree).locale("en").start()?;
    /// session.answer(true)?; // money was taken
    /// let now = LocalTime::new(2026, 5, 6, 10, 0).expect("valid");
    /// let ticket = session.handoff(&directory, now).expect("the directory has channels");
    /// assert!(ticket.requested_by_user);
    /// assert_eq!(ticket.transcript.len(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn handoff(&self, directory: &Directory, now: LocalTime) -> Option<Ticket> {
        if let Some(ticket) = self.ticket(directory, now) {
            return Some(ticket);
        }
        let locale = self.locale().to_owned();
        let step = self.current();
        let zh = locale.starts_with("zh");
        let reason = match &step {
            Step::Ask(q) | Step::Act(q) if zh => format!("用户在此步骤要求转人工：{}", q.text),
            Step::Ask(q) | Step::Act(q) => format!("The user asked for a person at: {}", q.text),
            _ if zh => "用户要求转人工。".to_owned(),
            _ => "The user asked for a person.".to_owned(),
        };
        let reason = directory.filled(&reason, &locale);
        let priority = Priority::Normal;
        let channel = directory.choose_for(priority, None, self.can_log_in(), now, &locale)?;
        Some(self.build_ticket(reason, priority, channel, Vec::new(), true, now))
    }

    fn build_ticket(
        &self,
        reason: String,
        priority: Priority,
        channel: ChannelChoice,
        prepare: Vec<String>,
        requested_by_user: bool,
        now: LocalTime,
    ) -> Ticket {
        let locale = self.locale().to_owned();
        let tree = self.tree();
        let title = |t: &crate::Tree| t.title(&locale).unwrap_or(t.id()).to_owned();
        let start = self.start();
        let started = TicketPlace {
            tree: start.tree.to_owned(),
            node: start.node.to_owned(),
            title: self
                .catalogue()
                .get(start.tree)
                .map_or_else(|| start.tree.to_owned(), title),
        };
        let mut trees: Vec<String> = vec![start.tree.to_owned()];
        let mut facts: Vec<TicketFact> = Vec::new();
        fn set(
            facts: &mut Vec<TicketFact>,
            tree: &str,
            name: &str,
            value: Value,
            source: FactSource,
        ) {
            facts.retain(|f| !(f.tree == tree && f.name == name));
            facts.push(TicketFact {
                tree: tree.to_owned(),
                name: name.to_owned(),
                label: name.to_owned(),
                shown: value.to_string(),
                value,
                source,
            });
        }
        // Each line in words, each automatic decision with its rule and the facts it
        // saw: the session's own explanation.
        let transcript = self.explain().into_iter().map(|line| {
            let r = &line.record;
            if trees.last().map(String::as_str) != Some(r.tree) {
                trees.push(r.tree.to_owned());
            }
            if let (Some(name), Some(value)) = (r.fact, &r.value) {
                let source = if r.origin == Origin::Given {
                    FactSource::User
                } else if self.host_facts().any(|(n, v)| n == name && v == value) {
                    FactSource::Host
                } else {
                    FactSource::Walk
                };
                set(&mut facts, r.tree, name, value.clone(), source);
            }
            TicketLine {
                tree: r.tree.to_owned(),
                node: r.node.to_owned(),
                text: line.text,
                value: r.value.clone(),
                answer: line.answer,
                origin: r.origin,
            }
        });
        let transcript: Vec<TicketLine> = transcript.collect();
        if trees.last().map(String::as_str) != Some(tree.id()) {
            trees.push(tree.id().to_owned());
        }
        // Facts the current tree holds without a transcript line: given by the host,
        // or carried over a `Goto`.
        for (name, value) in self.facts() {
            if !facts.iter().any(|f| f.tree == tree.id() && f.name == name) {
                let source = if self.host_facts().any(|(n, v)| n == name && *v == value) {
                    FactSource::Host
                } else {
                    FactSource::Walk
                };
                set(&mut facts, tree.id(), name, value, source);
            }
        }
        // Facts as people read them: labelled, and valued in words.
        for f in &mut facts {
            let Some(data) = self.catalogue().get(&f.tree).map(|t| &t.0) else {
                continue;
            };
            let Some(&slot) = data.fact_index.get(&*f.name) else {
                continue;
            };
            let at = data
                .locales
                .iter()
                .position(|l| **l == *locale)
                .unwrap_or(0);
            let decl = &data.facts[usize::from(slot)];
            f.label = decl.label(at).to_owned();
            if let Some(offer) = decl.offers.iter().find(|o| *o.value == f.value) {
                f.shown = offer.text.get(at).to_owned();
            }
        }
        let save = self.save();
        let case = format!(
            "TT-{:04}{:02}{:02}-{}",
            now.year,
            now.month,
            now.day,
            &case_hash(save.checksum_text(), &now.to_string())
        );
        Ticket {
            case,
            tree: tree.id().to_owned(),
            title: title(tree),
            tree_version: tree.version(),
            fingerprint: format!("{:016x}", tree.fingerprint()),
            node: self.current().node().to_owned(),
            requested_by_user,
            started,
            trees,
            locale,
            reason,
            agent: None,
            priority,
            channel,
            prepare,
            facts,
            transcript,
            created_at: now,
        }
    }
}

impl Session {
    /// Whether the user can log in, as far as the journey knows: a walk that learnt
    /// they cannot (`can_log_in = false`, in any tree) is never sent to a channel inside
    /// the app.
    fn can_log_in(&self) -> bool {
        self.journey_fact(Directory::LOGIN_FACT) != Some(Value::Bool(false))
    }
}

/// Eight hex digits of a hash of the journey and the time.
fn case_hash(journey: &str, time: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in journey.bytes().chain(time.bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{:08X}", h >> 32)
}

struct Labels {
    ticket: &'static str,
    flow: &'static str,
    started: &'static str,
    priority: &'static str,
    reason: &'static str,
    agent: &'static str,
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
    /// After a label: `：` in Chinese, `: ` in English.
    colon: &'static str,
    /// Brackets around an aside: `（…）` in Chinese, ` (…)` in English.
    open_paren: &'static str,
    close_paren: &'static str,
    /// Between the items of an aside: `；` or `; `.
    semicolon: &'static str,
}

const ZH: Labels = Labels {
    ticket: "客服工单",
    flow: "问题类型",
    started: "用户最初的问题",
    priority: "优先级",
    reason: "转人工原因",
    agent: "给客服的说明",
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
    example: "注意：以上联系方式为示例数据，并非真实号码。",
    created: "创建时间",
    colon: "：",
    open_paren: "（",
    close_paren: "）",
    semicolon: "；",
};

const EN: Labels = Labels {
    ticket: "Support ticket",
    flow: "Issue",
    started: "Started with",
    priority: "Priority",
    reason: "Why an agent is needed",
    agent: "Note for the agent",
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
    colon: ": ",
    open_paren: " (",
    close_paren: ")",
    semicolon: "; ",
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
        let _ = writeln!(
            out,
            "== {} {} · {} ==",
            l.ticket,
            clean(&self.case),
            clean(&self.title)
        );
        let _ = writeln!(
            out,
            "{}{}{}{}{} / {}{}",
            l.started,
            l.colon,
            clean(&self.started.title),
            l.open_paren,
            clean(&self.started.tree),
            clean(&self.started.node),
            l.close_paren
        );
        let _ = writeln!(
            out,
            "{}{}{}{}{} / {}{}",
            l.flow,
            l.colon,
            clean(&self.title),
            l.open_paren,
            clean(&self.tree),
            clean(&self.node),
            l.close_paren
        );
        let _ = writeln!(
            out,
            "{}{}{}",
            l.priority,
            l.colon,
            priority_name(self.priority, zh)
        );
        let _ = writeln!(out, "{}{}{}", l.reason, l.colon, clean(&self.reason));
        if let Some(agent) = &self.agent {
            let _ = writeln!(out, "{}{}{}", l.agent, l.colon, clean(agent));
        }
        let hours = c
            .hours
            .map_or_else(|| l.always.to_owned(), |h| h.to_string());
        let state = if c.open_now { l.open } else { l.closed };
        let _ = writeln!(
            out,
            "{}{}{} — {}{}{hours}{}{state}{}",
            l.contact,
            l.colon,
            channel_name(c.kind, zh),
            clean(&c.contact),
            l.open_paren,
            if zh { "，" } else { ", " },
            l.close_paren
        );
        let reply = if c.response_hours == 0 {
            l.immediate.to_owned()
        } else if zh {
            format!("{} 小时内", c.response_hours)
        } else {
            format!("within {} h", c.response_hours)
        };
        let _ = writeln!(out, "{}{}{reply}", l.reply, l.colon);
        if let Some(busy) = &c.busy {
            let _ = writeln!(out, "{}{}{}", l.busy, l.colon, clean(busy));
        }
        if !self.prepare.is_empty() {
            let _ = writeln!(out, "{}{}", l.prepare, l.colon.trim_end());
            for item in &self.prepare {
                let _ = writeln!(out, "  - {}", clean(item));
            }
        }
        if !self.facts.is_empty() {
            let _ = writeln!(out, "{}{}", l.facts, l.colon.trim_end());
            for f in &self.facts {
                let source = match (f.source, zh) {
                    (FactSource::Host, true) => "系统",
                    (FactSource::User, true) => "用户",
                    (FactSource::Walk, true) => "推断",
                    (FactSource::Host, false) => "host",
                    (FactSource::User, false) => "user",
                    (FactSource::Walk, false) => "walk",
                };
                let _ = writeln!(
                    out,
                    "  {} = {}{}{source}{}{}{}",
                    clean(&f.label),
                    clean(&f.shown),
                    l.open_paren,
                    l.semicolon,
                    clean(&f.tree),
                    l.close_paren
                );
            }
        }
        let _ = writeln!(out, "{}{}", l.steps, l.colon.trim_end());
        let mut tree = "";
        for (i, line) in self.transcript.iter().enumerate() {
            if line.tree != tree {
                tree = &line.tree;
                let _ = writeln!(out, "  [{}]", clean(tree));
            }
            // A decision or a jump already says where it led; an answer is shown after
            // its question.
            let answer = match (&line.answer, &line.value) {
                (Some(a), _) => format!(" → {}", clean(a)),
                (None, Some(v)) => format!(" → {}", clean(&v.to_string())),
                (None, None) => String::new(),
            };
            let auto = if line.origin == Origin::Auto {
                format!(" [{}]", l.auto)
            } else {
                String::new()
            };
            let _ = writeln!(out, "  {}. {}{answer}{auto}", i + 1, clean(&line.text));
        }
        let _ = writeln!(out, "{}{}{}", l.created, l.colon, self.created_at);
        if c.example {
            let _ = writeln!(out, "{}", l.example);
        }
        out
    }
}

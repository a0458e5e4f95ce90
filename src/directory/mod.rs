//! The service directory: customer-service channels, their contacts, opening hours and
//! promised response times, and the busy periods when replies are slower. Escalation
//! tickets choose their channel from it for the time of day.
//!
//! A directory is a RON file whose top level is `Directory(...)`; it may sit beside the
//! trees (`troubletree check` and [`crate::Catalogue::from_dir`] recognise it by that
//! name). See `trees/directory.ron` for the example shipped with the crate, and
//! `docs/FORMAT.md` (section "The service directory") for the format.
//!
//! Two things besides the time of day decide the channel: a channel may be reserved for
//! some priorities (a 24-hour security line for urgent cases only), and a channel reached
//! through the app (`login: true`) is never offered to a user who cannot log in. A walk
//! tells the directory that the user cannot log in through the `Bool` fact
//! [`Directory::LOGIN_FACT`] (`can_log_in`): [`crate::Session::ticket`] passes it on.

use serde::{Deserialize, Serialize};

use crate::diagnostic::{Code, Finding, Pending};
use crate::model::TextDef;
use crate::source::Source;
use crate::tree::{Channel, Priority};

mod references;
mod time;

pub(crate) use references::{BUSY, Reference, references};
pub use time::{Hours, LocalTime};
use time::{days_in_month, parse_clock};

#[derive(Debug, Deserialize)]
#[serde(rename = "Directory", deny_unknown_fields)]
struct DirectoryFile {
    #[serde(default = "one")]
    format: u32,
    /// True when the contacts are placeholders, not a real wallet's.
    #[serde(default)]
    example: bool,
    name: TextDef,
    channels: Vec<ChannelFile>,
    #[serde(default)]
    busy: Vec<BusyFile>,
}

fn one() -> u32 {
    1
}

#[derive(Debug, Deserialize)]
#[serde(rename = "Channel", deny_unknown_fields)]
struct ChannelFile {
    kind: ChannelKindFile,
    /// How tree texts name the channel in references (`{security_line.hours}`); by
    /// default the kind's (`hotline`, `in_app`, `chat`, `email`) for a channel that
    /// serves every priority.
    #[serde(default)]
    id: Option<String>,
    /// How texts call the channel (`{security_line.name}`): "24-hour account security
    /// line".
    #[serde(default)]
    name: Option<TextDef>,
    contact: TextDef,
    /// `"09:00-21:00"`; absent means always open.
    #[serde(default)]
    hours: Option<String>,
    /// Promised response time in hours (0: answered at once): the most a user waits.
    response_hours: u32,
    /// The usual response time in hours, when replies usually come sooner than promised.
    #[serde(default)]
    usual_hours: Option<u32>,
    /// The user must be logged in to the app to use the channel (in-app feedback, chat).
    #[serde(default)]
    login: bool,
    /// The priorities the channel serves; absent: every priority.
    #[serde(default)]
    only_for: Option<Vec<Priority>>,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename = "ChannelKind")]
enum ChannelKindFile {
    Hotline,
    InApp,
    Chat,
    Email,
}

#[derive(Debug, Deserialize)]
#[serde(rename = "Busy", deny_unknown_fields)]
struct BusyFile {
    name: TextDef,
    /// `"MM-DD"` (every year) or `"YYYY-MM-DD"`.
    from: String,
    to: String,
    /// Hours added to every promised response time during the period.
    extra_hours: u32,
}

#[derive(Debug, Clone)]
struct ChannelEntry {
    kind: Channel,
    /// The id texts name it by, if any.
    id: Option<String>,
    /// How texts call it, if the directory says.
    name: Option<Vec<(String, String)>>,
    contact: Vec<(String, String)>,
    hours: Option<Hours>,
    response_hours: u32,
    usual_hours: Option<u32>,
    login: bool,
    /// `None`: every priority.
    only_for: Option<Vec<Priority>>,
}

impl ChannelEntry {
    fn serves(&self, priority: Priority) -> bool {
        self.only_for
            .as_ref()
            .is_none_or(|only| only.contains(&priority))
    }

    /// Reserved for `priority` (listed in `only_for`), rather than open to every case.
    fn reserved_for(&self, priority: Priority) -> bool {
        self.only_for
            .as_ref()
            .is_some_and(|only| only.contains(&priority))
    }

    /// Whether two channels of one kind would be indistinguishable for some priority: both
    /// general, or both reserved for it. (A reserved channel and a general one are not:
    /// the reserved one is preferred for its priorities.)
    fn overlaps(&self, other: &ChannelEntry) -> bool {
        match (&self.only_for, &other.only_for) {
            (None, None) => true,
            (Some(a), Some(b)) => a.iter().any(|p| b.contains(p)),
            _ => false,
        }
    }
}

#[derive(Debug, Clone)]
struct Busy {
    name: Vec<(String, String)>,
    year: Option<i32>,
    from: (u8, u8),
    to: (u8, u8),
    extra_hours: u32,
}

impl Busy {
    fn contains(&self, t: LocalTime) -> bool {
        if self.year.is_some_and(|y| y != t.year) {
            return false;
        }
        let day = (t.month, t.day);
        if self.from <= self.to {
            self.from <= day && day <= self.to
        } else {
            day >= self.from || day <= self.to
        }
    }
}

/// A validated service directory.
///
/// ```
/// use troubletree::{Channel, Directory, Priority};
/// use troubletree::directory::LocalTime;
/// let directory = Directory::from_path("trees/directory.ron")?;
/// let evening = LocalTime::new(2026, 3, 3, 22, 15).expect("valid");
/// let choice = directory.choose(Priority::Normal, None, evening, "en").expect("a channel");
/// assert_eq!(choice.kind, Channel::InApp); // the hotline closes at 21:00
/// // A user who cannot log in is never sent to a channel inside the app.
/// let locked_out = directory
///     .choose_for(Priority::Normal, None, false, evening, "en")
///     .expect("a channel");
/// assert!(!locked_out.login);
/// # Ok::<(), troubletree::LoadError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Directory {
    example: bool,
    name: Vec<(String, String)>,
    channels: Vec<ChannelEntry>,
    busy: Vec<Busy>,
}

/// The channel a ticket recommends, with everything the user needs to use it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ChannelChoice {
    /// Which channel.
    pub kind: Channel,
    /// How to reach it, in the requested locale.
    pub contact: String,
    /// Whether it is open at the ticket's time.
    pub open_now: bool,
    /// Opening hours (`None`: always open).
    pub hours: Option<Hours>,
    /// Promised response time in hours at the ticket's time, busy periods included: the
    /// most the user should wait.
    pub response_hours: u32,
    /// The usual response time in hours, busy periods included, when the directory gives
    /// one ("usually within 24 h, at most 48 h").
    #[serde(default)]
    pub usual_hours: Option<u32>,
    /// Whether the channel needs the user to be logged in to the app.
    #[serde(default)]
    pub login: bool,
    /// The busy period in force, if any, in the requested locale.
    pub busy: Option<String>,
    /// True when the directory holds example contacts, not a real wallet's.
    pub example: bool,
}

fn pick(text: &[(String, String)], locale: &str) -> String {
    text.iter()
        .find(|(l, _)| l == locale)
        .or_else(|| text.first())
        .map_or_else(String::new, |(_, t)| t.clone())
}

fn text_pairs(def: &TextDef) -> Vec<(String, String)> {
    match def {
        TextDef::Plain(t) => vec![(String::new(), t.clone())],
        TextDef::Localized(map) => map.iter().map(|(l, t)| (l.clone(), t.clone())).collect(),
    }
}

fn month_day(text: &str) -> Option<(Option<i32>, (u8, u8))> {
    let parts: Vec<&str> = text.trim().split('-').collect();
    let (year, month, day) = match parts.as_slice() {
        [m, d] => (None, m.parse().ok()?, d.parse().ok()?),
        [y, m, d] => (Some(y.parse().ok()?), m.parse().ok()?, d.parse().ok()?),
        _ => return None,
    };
    ((1..=12).contains(&month) && (1..=days_in_month(year.unwrap_or(2024), month)).contains(&day))
        .then_some((year, (month, day)))
}

impl Directory {
    /// Loads and checks a directory file.
    ///
    /// # Errors
    ///
    /// As [`crate::Limits::read`] (with the default limits) when the file cannot be read;
    /// [`crate::LoadError::Invalid`] with every finding.
    pub fn from_path(path: impl AsRef<std::path::Path>) -> Result<Directory, crate::LoadError> {
        let path = path.as_ref();
        let text = crate::limits::read_text(path, &crate::Limits::default())?;
        crate::Loader::new()
            .directory(&path.display().to_string(), &text)
            .into_result()
    }

    /// Checks a directory given as text: the directory if it has no error, and every
    /// finding.
    pub(crate) fn check_text(name: &str, text: &str) -> (Option<Directory>, Vec<Finding>) {
        let source = Source::new(name, text);
        let file: DirectoryFile = match crate::model::ron_options().from_str(source.text) {
            Ok(file) => file,
            Err(err) => {
                let pos = crate::source::syntax_position(
                    source.text,
                    err.span.start.line,
                    err.span.start.col,
                );
                return (
                    None,
                    vec![Finding::new(
                        Code::Syntax,
                        name,
                        pos,
                        err.code.to_string(),
                        None,
                    )],
                );
            }
        };
        let mut pending = Vec::new();
        let mut bad = |path: String, message: String| {
            pending.push(Pending {
                code: Code::InvalidDefinition,
                path,
                message,
                node: None,
            });
        };
        if file.format != 1 {
            bad(
                "format".into(),
                format!("directory format {} is not 1", file.format),
            );
        }
        let mut channels = Vec::new();
        for (i, c) in file.channels.iter().enumerate() {
            let kind = match c.kind {
                ChannelKindFile::Hotline => Channel::Hotline,
                ChannelKindFile::InApp => Channel::InApp,
                ChannelKindFile::Chat => Channel::Chat,
                ChannelKindFile::Email => Channel::Email,
            };
            let only_for = c.only_for.clone();
            if only_for.as_ref().is_some_and(Vec::is_empty) {
                bad(
                    format!("channels.{i}.only_for"),
                    format!(
                        "channel {kind:?} serves no priority; list at least one, or leave `only_for` out to serve every priority"
                    ),
                );
            }
            if let Some(u) = c.usual_hours
                && u > c.response_hours
            {
                bad(
                    format!("channels.{i}.usual_hours"),
                    format!(
                        "channel {kind:?}: the usual reply time ({u} h) is longer than the promised one ({} h)",
                        c.response_hours
                    ),
                );
            }
            let hours = match &c.hours {
                None => None,
                Some(h) => {
                    let parsed = h.split_once(['-', '–']).and_then(|(a, b)| {
                        let (oh, om) = parse_clock(a)?;
                        let (ch, cm) = parse_clock(b)?;
                        Some(Hours {
                            open: u16::from(oh) * 60 + u16::from(om),
                            close: u16::from(ch) * 60 + u16::from(cm),
                        })
                    });
                    if parsed.is_none() {
                        bad(
                            format!("channels.{i}.hours"),
                            format!("opening hours \"{h}\" are not of the form \"09:00-21:00\""),
                        );
                    }
                    parsed
                }
            };
            let id = c.id.clone().or_else(|| {
                only_for.is_none().then(|| {
                    match kind {
                        Channel::Hotline => "hotline",
                        Channel::InApp => "in_app",
                        Channel::Chat => "chat",
                        Channel::Email => "email",
                    }
                    .to_owned()
                })
            });
            if let Some(id) = &c.id
                && (id.is_empty()
                    || id == "busy"
                    || !id
                        .chars()
                        .all(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '_' | '-')))
            {
                bad(
                    format!("channels.{i}.id"),
                    format!(
                        "channel id {} is not a name texts can use: write ASCII letters, digits, `_` and `-` (and not `busy`)",
                        crate::limits::Quoted(id)
                    ),
                );
            }
            // Two general channels of one kind (both `hotline` by default) are reported
            // below as listed twice; an id given in the file must be free.
            if let Some(id) = &c.id
                && channels
                    .iter()
                    .any(|e: &ChannelEntry| e.id.as_ref() == Some(id))
            {
                bad(
                    format!("channels.{i}"),
                    format!(
                        "two channels have the id {}; give one of them its own `id`",
                        crate::limits::Quoted(id)
                    ),
                );
            }
            let entry = ChannelEntry {
                kind,
                id,
                name: c.name.as_ref().map(text_pairs),
                contact: text_pairs(&c.contact),
                hours,
                response_hours: c.response_hours,
                usual_hours: c.usual_hours,
                login: c.login,
                only_for,
            };
            if channels
                .iter()
                .any(|e: &ChannelEntry| e.kind == kind && e.overlaps(&entry))
            {
                bad(
                    format!("channels.{i}.kind"),
                    format!(
                        "channel {kind:?} is listed twice for the same priorities; reserve one of them with `only_for: [...]` (priorities the other does not list)"
                    ),
                );
            }
            channels.push(entry);
        }
        if channels.is_empty() {
            bad("channels".into(), "the directory lists no channel".into());
        }
        let mut busy = Vec::new();
        for (i, b) in file.busy.iter().enumerate() {
            let from = month_day(&b.from);
            let to = month_day(&b.to);
            match (from, to) {
                (Some((year_a, from)), Some((year_b, to))) if year_a == year_b => {
                    busy.push(Busy {
                        name: text_pairs(&b.name),
                        year: year_a,
                        from,
                        to,
                        extra_hours: b.extra_hours,
                    });
                }
                _ => bad(
                    format!("busy.{i}"),
                    format!(
                        "busy period \"{}\"–\"{}\": write both dates as MM-DD, or both as YYYY-MM-DD in one year",
                        b.from, b.to
                    ),
                ),
            }
        }
        let findings = crate::diagnostic::locate(&source, pending);
        if findings.iter().any(Finding::is_error) {
            return (None, findings);
        }
        (
            Some(Directory {
                example: file.example,
                name: text_pairs(&file.name),
                channels,
                busy,
            }),
            findings,
        )
    }

    /// Whether the directory holds example contacts rather than a real wallet's.
    pub fn is_example(&self) -> bool {
        self.example
    }

    /// `text` with every directory value it names filled in, in `locale`; a reference
    /// this directory cannot fill stays as written. Tickets use it for the texts of a
    /// tree that was not loaded in a catalogue with this directory.
    pub(crate) fn filled(&self, text: &str, locale: &str) -> String {
        if !text.contains('{') {
            return text.to_owned();
        }
        let mut out = String::with_capacity(text.len() + 32);
        let mut last = 0;
        for reference in references(text) {
            out.push_str(&text[last..reference.start]);
            match self.value(&reference, locale) {
                Ok(value) => out.push_str(&value),
                Err(_) => out.push_str(&text[reference.start..reference.end]),
            }
            last = reference.end;
        }
        out.push_str(&text[last..]);
        out
    }

    /// The value a tree text names with `{channel.field}` (or `{busy}`), in a locale;
    /// `Err` says why the directory has none. See [`references::VALUE_FIELDS`].
    pub(crate) fn value(&self, reference: &Reference<'_>, locale: &str) -> Result<String, String> {
        let zh = locale.starts_with("zh");
        if reference.channel == BUSY {
            let mut names: Vec<String> = Vec::new();
            for b in &self.busy {
                let name = pick(&b.name, locale);
                if !names.contains(&name) {
                    names.push(name);
                }
            }
            return match names.as_slice() {
                [] => Err("the directory lists no busy period".to_owned()),
                [one] => Ok(one.clone()),
                [first @ .., last] if zh => Ok(format!("{}、{last}", first.join("、"))),
                [first @ .., last] => Ok(format!("{} and {last}", first.join(", "))),
            };
        }
        let Some(channel) = self
            .channels
            .iter()
            .find(|c| c.id.as_deref() == Some(reference.channel))
        else {
            let known: Vec<&str> = self
                .channels
                .iter()
                .filter_map(|c| c.id.as_deref())
                .collect();
            return Err(format!(
                "the directory has no channel {} (its channels: {}; a reserved channel needs an `id`)",
                crate::limits::Quoted(reference.channel),
                known.join(", ")
            ));
        };
        let field = reference.field.unwrap_or_default();
        match field {
            "name" => channel
                .name
                .as_ref()
                .map(|n| pick(n, locale))
                .ok_or_else(|| format!("channel {} has no `name`", reference.channel)),
            "contact" => Ok(pick(&channel.contact, locale)),
            "hours" => channel
                .hours
                .map(|h| {
                    let text = h.to_string();
                    // Chinese writes 9:00, English 09:00.
                    match text.strip_prefix('0') {
                        Some(rest) if zh => rest.to_owned(),
                        _ => text,
                    }
                })
                .ok_or_else(|| {
                    format!(
                        "channel {} is always open: it has no opening hours to name",
                        reference.channel
                    )
                }),
            "reply" => Ok(channel.response_hours.to_string()),
            "usual" => channel
                .usual_hours
                .map(|u| u.to_string())
                .ok_or_else(|| format!("channel {} has no `usual_hours`", reference.channel)),
            _ => Err(format!(
                "{} is not a value of a channel",
                crate::limits::Quoted(field)
            )),
        }
    }

    /// The directory's name in a locale.
    pub fn name(&self, locale: &str) -> String {
        pick(&self.name, locale)
    }

    /// The `Bool` fact through which a walk says whether the user can log in to the app:
    /// `can_log_in = false` keeps [`Session::ticket`](crate::Session::ticket) from
    /// recommending a channel that needs a login. A tree declares it like any fact and
    /// asks it where it matters (a stolen account, a forgotten login password).
    pub const LOGIN_FACT: &'static str = "can_log_in";

    /// Chooses the channel for an escalation at time `now`, for a user who can log in to
    /// the app: [`Directory::choose_for`] with `can_log_in` true.
    ///
    /// `None` only for a directory without channels, which the checker refuses.
    pub fn choose(
        &self,
        priority: Priority,
        hint: Option<Channel>,
        now: LocalTime,
        locale: &str,
    ) -> Option<ChannelChoice> {
        self.choose_for(priority, hint, true, now, locale)
    }

    /// Chooses the channel for an escalation at time `now`.
    ///
    /// The candidates are the channels that serve `priority` (`only_for`) and, when the
    /// user cannot log in (`can_log_in` false), do not need a login. Among them:
    ///
    /// 1. `Urgent`: the open channel with the shortest response time; among equally fast
    ///    ones the tree's hint, then a channel reserved for urgent cases, then the
    ///    hotline, chat, in-app feedback, e-mail;
    /// 2. otherwise the tree's hint, if the directory has it and it is open;
    /// 3. otherwise the hotline while it is open;
    /// 4. otherwise in-app feedback (with its promised reply time), or else the fastest
    ///    open channel, or else the first listed.
    ///
    /// A directory with no candidate at all (every channel needs a login) falls back to
    /// the channels that serve the priority, then to every channel: a ticket always
    /// names a channel.
    ///
    /// `None` only for a directory without channels, which the checker refuses.
    pub fn choose_for(
        &self,
        priority: Priority,
        hint: Option<Channel>,
        can_log_in: bool,
        now: LocalTime,
        locale: &str,
    ) -> Option<ChannelChoice> {
        let minute = now.minute_of_day();
        let busy = self.busy.iter().find(|b| b.contains(now));
        let extra = busy.map_or(0, |b| b.extra_hours);
        let open = |c: &&ChannelEntry| c.hours.is_none_or(|h| h.contains(minute));
        let rank = |c: &ChannelEntry| match c.kind {
            Channel::Hotline => 0,
            Channel::Chat => 1,
            Channel::InApp => 2,
            Channel::Email => 3,
        };
        let usable = |c: &&ChannelEntry| c.serves(priority) && (can_log_in || !c.login);
        let serving = |c: &&ChannelEntry| c.serves(priority);
        let candidates: Vec<&ChannelEntry> = if self.channels.iter().any(|c| usable(&c)) {
            self.channels.iter().filter(usable).collect()
        } else if self.channels.iter().any(|c| serving(&c)) {
            self.channels.iter().filter(serving).collect()
        } else {
            self.channels.iter().collect()
        };
        let fastest_open = candidates
            .iter()
            .copied()
            .filter(open)
            // Among the fastest, the tree's hint wins: a user abroad is better served by
            // chat than by a domestic hotline that answers just as fast. Then a line
            // reserved for this priority (a security line for urgent cases).
            .min_by_key(|c| {
                (
                    c.response_hours,
                    Some(c.kind) != hint,
                    !c.reserved_for(priority),
                    rank(c),
                )
            });
        let by_kind = |k: Channel| {
            candidates
                .iter()
                .copied()
                .filter(|c| c.kind == k)
                .find(open)
                .or_else(|| candidates.iter().copied().find(|c| c.kind == k))
        };
        let chosen = if priority == Priority::Urgent {
            fastest_open
        } else {
            hint.and_then(by_kind)
                .filter(open)
                .or_else(|| by_kind(Channel::Hotline).filter(open))
                .or_else(|| by_kind(Channel::InApp))
                .or(fastest_open)
        }
        .or_else(|| candidates.first().copied())
        .or_else(|| self.channels.first())?;
        // A channel that answers at once is not slowed by a busy period's backlog of
        // written replies.
        let slowed = |hours: u32| {
            if hours == 0 {
                0
            } else {
                hours.saturating_add(extra)
            }
        };
        Some(ChannelChoice {
            kind: chosen.kind,
            contact: pick(&chosen.contact, locale),
            open_now: chosen.hours.is_none_or(|h| h.contains(minute)),
            hours: chosen.hours,
            response_hours: slowed(chosen.response_hours),
            usual_hours: chosen.usual_hours.map(slowed),
            login: chosen.login,
            busy: busy.map(|b| pick(&b.name, locale)),
            example: self.example,
        })
    }
}

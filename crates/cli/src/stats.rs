//! `troubletree stats`: is the flow working? Figures per tree version over stored
//! events (docs/ANALYTICS.md defines each).

use std::fmt::Write as _;
use std::process::ExitCode;

use troubletree::analysis::stats::{Outcomes, Quantiles, Report, StatsOptions, VersionReport};
use troubletree::event::Timestamp;

use crate::Fail;
use crate::source::Source;
use crate::text::{json, one_line, print};

/// What `troubletree stats` was asked.
pub(crate) struct Options {
    pub source: String,
    pub tree: Option<String>,
    pub since: Option<String>,
    pub until: Option<String>,
    pub idle_minutes: u32,
    pub json: bool,
}

/// A time given on the command line: RFC 3339, or a date (midnight UTC).
pub(crate) fn time_arg(flag: &str, text: &str) -> Result<Timestamp, Fail> {
    let full = if text.len() == 10 {
        format!("{text}T00:00:00Z")
    } else {
        text.to_owned()
    };
    Timestamp::parse(&full).map_err(|e| Fail::usage(format!("{flag}: {e}")))
}

/// Counts every event of `source` into a report, on as many threads as the machine
/// has cores (at most 8) for JSON Lines.
pub(crate) fn count(source: &Source, options: StatsOptions) -> Result<Report, Fail> {
    let parts = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
    Ok(source.count(&options, parts)?.finish())
}

pub(crate) fn stats(o: Options) -> Result<ExitCode, Fail> {
    let source = Source::parse(&o.source)?;
    let since = o
        .since
        .as_deref()
        .map(|t| time_arg("--since", t))
        .transpose()?;
    let until = o
        .until
        .as_deref()
        .map(|t| time_arg("--until", t))
        .transpose()?;
    if let (Some(s), Some(u)) = (since, until)
        && s >= u
    {
        return Err(Fail::usage(format!(
            "--since {s} is not before --until {u}: the range is empty"
        )));
    }
    let options = StatsOptions::default()
        .range(since, until)
        .idle_ms(i64::from(o.idle_minutes.max(1)) * 60_000);
    let mut report = count(&source, options)?;
    if let Some(tree) = &o.tree {
        report.retain_tree(tree);
    }
    if o.json {
        print(&json(&report)?);
    } else {
        print(&text(&report, &source.name(), o.tree.as_deref()));
    }
    Ok(ExitCode::SUCCESS)
}

fn percent(part: u64, whole: u64) -> String {
    if whole == 0 {
        "–".to_owned()
    } else {
        format!("{:.1} %", part as f64 * 100.0 / whole as f64)
    }
}

/// Seconds as `45s`, `3m05s`, `2h10m`.
pub(crate) fn duration(seconds: u64) -> String {
    match seconds {
        0..60 => format!("{seconds}s"),
        60..3_600 => format!("{}m{:02}s", seconds / 60, seconds % 60),
        _ => format!("{}h{:02}m", seconds / 3_600, seconds / 60 % 60),
    }
}

fn quantiles(o: &Outcomes, show: impl Fn(u64) -> String) -> String {
    let one = |name: &str, q: &Option<Quantiles>| {
        q.map(|q| {
            format!(
                "{name} median {}, p90 {} ({} session(s))",
                show(q.median),
                show(q.p90),
                q.count
            )
        })
    };
    let parts: Vec<String> = [
        one("resolved", &o.resolved),
        one("escalated", &o.escalated),
        one("handed off", &o.handed_off),
    ]
    .into_iter()
    .flatten()
    .collect();
    if parts.is_empty() {
        "–".to_owned()
    } else {
        parts.join(" · ")
    }
}

/// The report for a person at a terminal. Every id and value comes from the events,
/// which are untrusted: each passes [`one_line`].
pub(crate) fn text(report: &Report, source: &str, tree: Option<&str>) -> String {
    let mut out = String::new();
    let range = match (report.since, report.until) {
        (None, None) => "all events".to_owned(),
        (Some(s), None) => format!("sessions started from {s}"),
        (None, Some(u)) => format!("sessions started before {u}"),
        (Some(s), Some(u)) => format!("sessions started from {s} to {u}"),
    };
    let _ = writeln!(
        out,
        "{}: {range}; {} event(s) counted; abandoned after {} min without an event{}",
        one_line(source),
        report.events,
        report.idle_minutes,
        report
            .end
            .map(|e| format!(", measured up to {e}"))
            .unwrap_or_default()
    );
    let s = &report.skipped;
    let mut skipped = Vec::new();
    for (n, what) in [
        (s.unreadable, "unreadable line(s)"),
        (s.before_range, "before the range"),
        (s.after_range, "after the range"),
        (
            s.orphans,
            "of sessions not started in the range (or back after going idle)",
        ),
        (s.late, "out of time order"),
        (s.restarted, "restarting a session id"),
        (s.unmatched, "answer(s) at a node other than the one shown"),
    ] {
        if n > 0 {
            skipped.push(format!("{n} {what}"));
        }
    }
    if !skipped.is_empty() {
        let _ = writeln!(out, "not counted: {}", skipped.join("; "));
    }
    if report.versions.is_empty() {
        let _ = writeln!(
            out,
            "\nno events{}",
            tree.map(|t| format!(" for tree {}", one_line(t)))
                .unwrap_or_default()
        );
    }
    for v in &report.versions {
        version_text(&mut out, v);
    }
    out
}

fn version_text(out: &mut String, v: &VersionReport) {
    let s = &v.sessions;
    let _ = writeln!(
        out,
        "\n{} · version {} · fingerprint {} · events {} – {}",
        one_line(&v.tree),
        v.version.map_or_else(|| "?".to_owned(), |n| n.to_string()),
        one_line(&v.fingerprint),
        v.first_event,
        v.last_event
    );
    let d = s.decided;
    let _ = writeln!(
        out,
        "  sessions      {} started here: {} decided, {} in progress; {} passed through",
        s.started, d, s.in_progress, v.visitors
    );
    let _ = writeln!(
        out,
        "  contained     {:>6}  {:>7}   fixed {} ({}), informed {} ({}), waiting {} ({})",
        s.resolved,
        percent(s.resolved, d),
        s.fixed,
        percent(s.fixed, d),
        s.informed,
        percent(s.informed, d),
        s.waiting,
        percent(s.waiting, d)
    );
    let _ = writeln!(
        out,
        "  escalated     {:>6}  {:>7}",
        s.escalated,
        percent(s.escalated, d)
    );
    let _ = writeln!(
        out,
        "  handed off    {:>6}  {:>7}",
        s.handed_off,
        percent(s.handed_off, d)
    );
    let _ = writeln!(
        out,
        "  abandoned     {:>6}  {:>7}   {} without a single answer",
        s.abandoned,
        percent(s.abandoned, d),
        s.abandoned_unanswered
    );
    let _ = writeln!(
        out,
        "  steps         {}",
        quantiles(&v.steps, |n| n.to_string())
    );
    let _ = writeln!(out, "  time          {}", quantiles(&v.seconds, duration));
    for (outcome, title) in [
        ("escalated", "escalations"),
        ("handed_off", "hand-offs asked at"),
        ("abandoned", "abandoned at"),
        ("resolved", "resolutions"),
    ] {
        let ends: Vec<String> = v
            .ends
            .iter()
            .filter(|e| e.outcome == outcome)
            .map(|e| {
                let place = if e.tree == v.tree {
                    one_line(&e.node)
                } else {
                    format!("{}/{}", one_line(&e.tree), one_line(&e.node))
                };
                let kind = e
                    .resolution
                    .map(|k| format!(" [{}]", k.as_str()))
                    .unwrap_or_default();
                format!("{place}{kind} {}", e.sessions)
            })
            .collect();
        if !ends.is_empty() {
            let _ = writeln!(out, "  {title}: {}", ends.join(" · "));
        }
    }
    if !v.questions.is_empty() {
        let _ = writeln!(
            out,
            "  questions: shown · answered · went back · handed off · dropped · in progress (sessions), answers"
        );
        let width = v
            .questions
            .iter()
            .map(|q| one_line(&q.node).chars().count())
            .max()
            .unwrap_or(0)
            .min(40);
        for q in &v.questions {
            let mut answers: Vec<String> = q
                .answers
                .iter()
                .take(6)
                .map(|a| {
                    let value: String = one_line(&a.value.to_string()).chars().take(24).collect();
                    format!("{value} {:.0} %", a.share * 100.0)
                })
                .collect();
            if q.answers.len() > 6 || q.other_values > 0 {
                answers.push("…".to_owned());
            }
            let host = if q.by_host > 0 {
                format!(", {} by the host", q.by_host)
            } else {
                String::new()
            };
            let _ = writeln!(
                out,
                "    {:<width$} {:>6} · {:>6} · {:>5} · {:>5} · {:>5} · {:>5} ({}{host})  {}",
                one_line(&q.node),
                q.shown,
                q.answered,
                q.went_back,
                q.handed_off,
                q.dropped,
                q.in_progress,
                q.sessions,
                answers.join(", "),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_at_a_glance() {
        assert_eq!(duration(45), "45s");
        assert_eq!(duration(185), "3m05s");
        assert_eq!(duration(7_800), "2h10m");
    }

    #[test]
    fn dates_and_times_are_accepted_for_the_range() {
        assert_eq!(
            time_arg("--since", "2026-05-06")
                .map(|t| t.to_string())
                .ok(),
            Some("2026-05-06T00:00:00Z".to_owned())
        );
        assert!(time_arg("--since", "yesterday").is_err());
    }
}

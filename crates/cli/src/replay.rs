//! `troubletree replay`: what a change of trees would do to the stored sessions, before
//! it is published. Exits 1 when it strands more open sessions than the team allows.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde::Serialize;
use troubletree::{Catalogue, Resume, ResumeError, Resumed, SavedSession, Session, Step};

use crate::Fail;
use crate::explain::catalogue_of;
use crate::source::{MAX_LINE, Source, for_each_session};
use crate::text::{json, one_line, print};

/// What `troubletree replay` was asked.
pub(crate) struct Options {
    pub sessions: String,
    pub trees: Vec<PathBuf>,
    pub from: Vec<PathBuf>,
    pub max_stranded: Option<f64>,
    pub json: bool,
}

/// How one stored session fares on the new trees.
#[derive(Debug, Serialize)]
struct Verdict {
    /// The file, or the session id in the service's store.
    session: String,
    /// `open` or `finished` (as it was stored).
    state: &'static str,
    /// For open sessions: `restored` (no tree it visited changed), `replayed` (trees
    /// changed; its answers still lead where it stopped), `stranded` (it would be
    /// refused: `reason`). For finished ones: `kept` (same outcome), `changed` (another
    /// outcome, or no outcome any more). `unreadable`: the save itself is broken.
    verdict: &'static str,
    /// Why it would be refused, or how its outcome changes.
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
    /// Where it stood (or ended) when stored.
    was: String,
    /// Where its answers lead on the new trees, and how far they got.
    #[serde(skip_serializing_if = "Option::is_none")]
    now: Option<String>,
    answers: usize,
    applied: usize,
}

#[derive(Debug, Default, Serialize)]
struct Summary {
    sessions: usize,
    open: usize,
    restored: usize,
    replayed: usize,
    stranded: usize,
    finished: usize,
    kept: usize,
    changed: usize,
    unreadable: usize,
    /// Stranded over open sessions, in percent.
    stranded_percent: f64,
}

#[derive(Debug, Serialize)]
struct ReplayReport {
    trees: Vec<String>,
    summary: Summary,
    max_stranded_percent: Option<f64>,
    /// False when the change strands more than `max_stranded_percent`.
    passed: bool,
    verdicts: Vec<Verdict>,
}

/// A session as stored: its save, where the user asked for a person (the service
/// keeps it beside the save), and its status if the store says.
struct Stored {
    name: String,
    save: Result<SavedSession, String>,
    handoff: Option<String>,
    status: Option<String>,
}

pub(crate) fn replay(o: Options) -> Result<ExitCode, Fail> {
    if let Some(m) = o.max_stranded
        && !(0.0..=100.0).contains(&m)
    {
        return Err(Fail::usage(format!(
            "--max-stranded {m}: give a percentage from 0 to 100"
        )));
    }
    let new = catalogue_of(&o.trees)?;
    let old = if o.from.is_empty() {
        None
    } else {
        Some(catalogue_of(&o.from)?)
    };
    let stored = read_sessions(&o.sessions)?;
    let mut verdicts: Vec<Verdict> = stored
        .iter()
        .map(|s| judge(s, &new, old.as_ref()))
        .collect();
    verdicts.sort_by(|a, b| a.session.cmp(&b.session));
    let mut summary = Summary {
        sessions: verdicts.len(),
        ..Summary::default()
    };
    for v in &verdicts {
        match (v.state, v.verdict) {
            (_, "unreadable") => summary.unreadable += 1,
            ("open", verdict) => {
                summary.open += 1;
                match verdict {
                    "restored" => summary.restored += 1,
                    "replayed" => summary.replayed += 1,
                    _ => summary.stranded += 1,
                }
            }
            (_, verdict) => {
                summary.finished += 1;
                if verdict == "kept" {
                    summary.kept += 1;
                } else {
                    summary.changed += 1;
                }
            }
        }
    }
    summary.stranded_percent = if summary.open == 0 {
        0.0
    } else {
        summary.stranded as f64 * 100.0 / summary.open as f64
    };
    let passed = o.max_stranded.is_none_or(|m| summary.stranded_percent <= m);
    let report = ReplayReport {
        trees: new.trees().map(|t| t.id().to_owned()).collect(),
        summary,
        max_stranded_percent: o.max_stranded,
        passed,
        verdicts,
    };
    if o.json {
        print(&json(&report)?);
    } else {
        print(&words(&report, &o.sessions));
    }
    Ok(if passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The stored sessions: every `*.json` of a folder (or one file), or the sessions of
/// the service's database.
fn read_sessions(from: &str) -> Result<Vec<Stored>, Fail> {
    let path = Path::new(from);
    if path.is_dir() {
        let mut files: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(|e| Fail::usage(format!("cannot read {from}: {e}")))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "json"))
            .collect();
        files.sort();
        return files.iter().map(|f| read_file(f)).collect();
    }
    if path.is_file() && !matches!(Source::parse(from)?, Source::Sqlite(_)) {
        return Ok(vec![read_file(path)?]);
    }
    let source = Source::parse(from)?;
    let mut out = Vec::new();
    for_each_session(&source, |id, status, state| {
        let mut stored = parse_stored(state);
        stored.name = id.to_owned();
        stored.status = Some(status.to_owned());
        out.push(stored);
    })?;
    Ok(out)
}

fn read_file(file: &Path) -> Result<Stored, Fail> {
    let size = std::fs::metadata(file)
        .map_err(|e| Fail::usage(format!("cannot read {}: {e}", file.display())))?
        .len();
    let name = file.file_name().map_or_else(
        || file.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    if size > 16 * MAX_LINE as u64 {
        return Ok(Stored {
            name,
            save: Err(format!("{size} bytes: too large for a saved session")),
            handoff: None,
            status: None,
        });
    }
    let text = std::fs::read_to_string(file)
        .map_err(|e| Fail::usage(format!("cannot read {}: {e}", file.display())))?;
    let mut stored = parse_stored(&text);
    stored.name = name;
    Ok(stored)
}

/// A save as `troubletree run --save` writes it, or the service's stored state
/// (`{"save": ..., "handoff": ...}`).
fn parse_stored(text: &str) -> Stored {
    let value: Result<serde_json::Value, _> = serde_json::from_str(text);
    let (save, handoff) = match value {
        Ok(serde_json::Value::Object(mut map)) if map.contains_key("save") => {
            let handoff = map
                .get("handoff")
                .and_then(|h| h.as_str())
                .map(str::to_owned);
            let save = map.remove("save").unwrap_or_default();
            (
                serde_json::from_value(save).map_err(|e| e.to_string()),
                handoff,
            )
        }
        Ok(v) => (serde_json::from_value(v).map_err(|e| e.to_string()), None),
        Err(e) => (Err(e.to_string()), None),
    };
    Stored {
        name: String::new(),
        save,
        handoff,
        status: None,
    }
}

/// Where a session stands, in words: `tree/node (resolved)`.
fn place(session: &Session) -> (String, Outcome) {
    let step = session.current();
    let outcome = match &step {
        Step::Resolved(r) => Outcome::Resolved(Some(r.kind.as_str())),
        Step::Escalated(_) | Step::Goto(_) => Outcome::Escalated,
        _ => Outcome::Open,
    };
    (step.place().to_string(), outcome)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Open,
    /// With the resolution's kind when known.
    Resolved(Option<&'static str>),
    Escalated,
}

impl Outcome {
    /// The same end: a resolution of unknown kind matches any resolution.
    fn same(self, other: Outcome) -> bool {
        match (self, other) {
            (Outcome::Resolved(a), Outcome::Resolved(b)) => a.is_none() || b.is_none() || a == b,
            (a, b) => a == b,
        }
    }
}

fn outcome_words(place: &str, outcome: Outcome, handoff: Option<&str>) -> String {
    if let Some(node) = handoff {
        return format!("handed off at {node}");
    }
    match outcome {
        Outcome::Resolved(Some(kind)) => format!("resolved at {place} [{kind}]"),
        Outcome::Resolved(None) => format!("resolved at {place}"),
        Outcome::Escalated => format!("escalated at {place}"),
        Outcome::Open => format!("stopped at {place}"),
    }
}

fn judge(stored: &Stored, new: &Catalogue, old: Option<&Catalogue>) -> Verdict {
    let unreadable = |reason: String, was: String| Verdict {
        session: stored.name.clone(),
        state: "open",
        verdict: "unreadable",
        reason: Some(reason),
        was,
        now: None,
        answers: 0,
        applied: 0,
    };
    let save = match &stored.save {
        Ok(save) => save,
        Err(e) => return unreadable(format!("not a saved session: {e}"), String::new()),
    };
    let was_place = format!("{}/{}", save.tree(), save.node());
    let answers = save.answers().count();
    // Where it stood when stored, and how: from the store's status, from the old
    // trees, or (without them) from the new trees' node of that name.
    let was_outcome = match stored.status.as_deref() {
        Some("resolved") => old
            .and_then(|c| Resume::new(c).trust_saved_facts().resume(save).ok())
            .map_or(Outcome::Resolved(None), |(s, _)| place(&s).1),
        Some("escalated" | "handed_off") => Outcome::Escalated,
        Some(_) => Outcome::Open,
        None => match old {
            Some(old) => match Resume::new(old).trust_saved_facts().resume(save) {
                Ok((s, _)) => place(&s).1,
                Err(e) => {
                    return unreadable(
                        format!("it does not resume on the trees of --from: {e}"),
                        was_place,
                    );
                }
            },
            None => Session::builder(new)
                .tree(save.tree())
                .at(save.node())
                .start()
                .map_or(Outcome::Open, |s| place(&s).1),
        },
    };
    let handoff = stored.handoff.as_deref();
    let finished = handoff.is_some() || was_outcome != Outcome::Open;
    let was = outcome_words(&was_place, was_outcome, handoff);
    let replay = Resume::new(new).trust_saved_facts().replay(save);
    let (now, applied) = match &replay {
        Ok(r) => {
            let (p, o) = place(r.session());
            (Some(outcome_words(&p, o, None)), r.applied())
        }
        Err(_) => (None, 0),
    };
    let verdict = |state, verdict, reason: Option<String>| Verdict {
        session: stored.name.clone(),
        state,
        verdict,
        reason,
        was: was.clone(),
        now: now.clone(),
        answers,
        applied,
    };
    if !finished {
        return match Resume::new(new).trust_saved_facts().resume(save) {
            Ok((_, Resumed::Restored)) => verdict("open", "restored", None),
            Ok(_) => verdict("open", "replayed", None),
            Err(e @ (ResumeError::Stale { .. } | ResumeError::UnknownTree { .. })) => {
                verdict("open", "stranded", Some(e.to_string()))
            }
            Err(e) => unreadable(e.to_string(), was.clone()),
        };
    }
    let replay = match replay {
        Ok(r) => r,
        Err(e @ (ResumeError::Stale { .. } | ResumeError::UnknownTree { .. })) => {
            return verdict("finished", "changed", Some(e.to_string()));
        }
        Err(e) => return unreadable(e.to_string(), was.clone()),
    };
    if let Some(reason) = replay.stopped() {
        return verdict(
            "finished",
            "changed",
            Some(format!(
                "its answers no longer fit after {} of {answers}: {reason}",
                replay.applied()
            )),
        );
    }
    let (now_place, now_outcome) = place(replay.session());
    let same = match handoff {
        // The user asked for a person at a question: the walk must still stop there.
        Some(_) => now_place == was_place && now_outcome == Outcome::Open,
        None => now_place == was_place && now_outcome.same(was_outcome),
    };
    if same {
        verdict("finished", "kept", None)
    } else {
        let now_words = outcome_words(&now_place, now_outcome, None);
        verdict("finished", "changed", Some(format!("{was} → {now_words}")))
    }
}

fn words(r: &ReplayReport, from: &str) -> String {
    let s = &r.summary;
    let mut out = format!(
        "replay of {} stored session(s) from {} on the new trees\n",
        s.sessions,
        one_line(from)
    );
    out.push_str(&format!(
        "  open      {:>5}: restored {}, replayed {}, stranded {} ({:.1} % of open sessions)\n",
        s.open, s.restored, s.replayed, s.stranded, s.stranded_percent
    ));
    out.push_str(&format!(
        "  finished  {:>5}: outcome kept {}, changed {}\n",
        s.finished, s.kept, s.changed
    ));
    if s.unreadable > 0 {
        out.push_str(&format!(
            "  unreadable {:>4} (broken saves, not counted above)\n",
            s.unreadable
        ));
    }
    for v in &r.verdicts {
        if matches!(v.verdict, "restored" | "kept") {
            continue;
        }
        out.push_str(&format!(
            "  {}: {} {}",
            one_line(&v.session),
            v.state,
            v.verdict
        ));
        if let Some(reason) = &v.reason {
            out.push_str(&format!(": {}", one_line(reason)));
        }
        if v.verdict == "stranded"
            && let Some(now) = &v.now
        {
            out.push_str(&format!(
                "; its answers now lead to: {} ({} of {} answer(s) fit)",
                one_line(now),
                v.applied,
                v.answers
            ));
        }
        out.push('\n');
    }
    if let Some(m) = r.max_stranded_percent {
        if r.passed {
            out.push_str(&format!(
                "stranded {:.1} % ≤ --max-stranded {m} %: the change may ship\n",
                s.stranded_percent
            ));
        } else {
            out.push_str(&format!(
                "stranded {:.1} % > --max-stranded {m} %: the change would strand too many sessions in progress (exit 1)\n",
                s.stranded_percent
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::Outcome;

    #[test]
    fn a_resolution_of_unknown_kind_matches_any_resolution_only() {
        let waiting = Outcome::Resolved(Some("waiting"));
        assert!(Outcome::Resolved(None).same(waiting));
        assert!(waiting.same(Outcome::Resolved(None)));
        assert!(!waiting.same(Outcome::Resolved(Some("fixed"))));
        assert!(!Outcome::Resolved(None).same(Outcome::Escalated));
        assert!(Outcome::Escalated.same(Outcome::Escalated));
    }
}

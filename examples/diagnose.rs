//! A diagnosis in the terminal.
//!
//! ```text
//! cargo run --example diagnose                       # recharge failure, scripted demo
//! cargo run --example diagnose -- --lang en          # the same in English
//! cargo run --example diagnose -- trees/recharge_failure.ron --fact network_ok=true
//! cargo run --example diagnose -- --at "2026-11-11 22:30"   # fix the clock for the ticket
//! ```
//!
//! On a terminal it asks you: type the number of an answer (or a value for number and
//! text questions), `b` to go back, `q` to quit. Without a terminal it takes its answers
//! from the lines piped in (`printf '2\n1\n' | cargo run --example diagnose`); with
//! nothing piped in (CI) it says so and plays a demonstration script, so the command
//! always shows a whole walk.

use std::error::Error;
use std::io::{BufRead, IsTerminal, Write};

use troubletree::directory::LocalTime;
use troubletree::text::printable as clean;
use troubletree::{Catalogue, Directory, Session, Step, Tree, Value};

/// The demonstration: a recharge that failed, a network that was fine, a retry loop that
/// runs out, and the escalation that follows.
/// Where the service directory lives (example contacts).
const DIRECTORY: &str = "trees/directory.ron";

const DEMO: &[&str] = &[
    "false",
    "true",
    "no",
    "normal",
    "no",
    "false",
    "not_solved",
    "no",
    "not_solved",
    "no",
];

fn main() -> Result<(), Box<dyn Error>> {
    let mut path = "trees/recharge_failure.ron".to_owned();
    let mut lang: Option<String> = None;
    let mut facts: Vec<(String, String)> = Vec::new();
    let mut at: Option<LocalTime> = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--lang" => lang = Some(args.next().ok_or("--lang needs zh or en")?),
            "--at" => {
                let text = args.next().ok_or("--at needs \"YYYY-MM-DD HH:MM\"")?;
                at = Some(LocalTime::parse(&text).ok_or("--at needs \"YYYY-MM-DD HH:MM\"")?);
            }
            "--fact" => {
                let pair = args.next().ok_or("--fact needs NAME=VALUE")?;
                let (name, value) = pair.split_once('=').ok_or("--fact needs NAME=VALUE")?;
                facts.push((name.to_owned(), value.to_owned()));
            }
            other => path = other.to_owned(),
        }
    }
    let tree = Tree::from_path(&path)?;
    // The tree's folder as a catalogue, when it checks: `Goto` links are followed, and
    // texts get the service directory's values (`{hotline.hours}`) filled in.
    let folder = std::path::Path::new(&path)
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let catalogue = Catalogue::from_dir(folder)
        .ok()
        .filter(|c| {
            c.get(tree.id())
                .is_some_and(|t| t.fingerprint() == tree.fingerprint())
        })
        .unwrap_or_else(|| Catalogue::from(&tree));
    let mut builder = Session::builder(&catalogue).tree(tree.id());
    if let Some(lang) = &lang {
        builder = builder.locale(lang.clone());
    }
    for (name, value) in facts {
        builder = builder.fact(&name, parse(&value));
    }
    let mut session = builder.start()?;
    let interactive = std::io::stdin().is_terminal();
    // The clock is injected: `--at` fixes it, otherwise now in China Standard Time.
    let now = at.unwrap_or_else(|| {
        let unix = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0));
        LocalTime::from_unix(unix, 8 * 60)
    });
    let title = tree.title(session.locale()).unwrap_or(tree.id()).to_owned();
    println!("== {title} ==\n");
    let stdin = std::io::stdin();
    let mut lines = stdin.lock().lines();
    // Without a terminal: the answers piped in, or else the demonstration, said so.
    let piped: Vec<String> = if interactive {
        Vec::new()
    } else {
        lines.by_ref().map_while(Result::ok).collect()
    };
    let script: Vec<String> = if !interactive && piped.is_empty() {
        println!("(no terminal and no answers piped in: playing a demonstration)\n");
        DEMO.iter().map(|s| (*s).to_owned()).collect()
    } else {
        piped
    };
    let mut script = script.into_iter();
    loop {
        let (question, is_act) = match session.current() {
            Step::Ask(q) => (q, false),
            Step::Act(q) => (q, true),
            Step::Resolved(r) => {
                println!("✔ {}\n", clean(r.text));
                break;
            }
            Step::Escalated(_) => {
                // The ticket an agent receives: channel chosen for the time of day.
                let directory = Directory::from_path(DIRECTORY)?;
                if let Some(ticket) = session.ticket(&directory, now) {
                    println!("{}", ticket.render());
                }
                break;
            }
            Step::Goto(j) => {
                println!("→ continues in tree \"{}\"", clean(j.tree));
                break;
            }
            _ => break,
        };
        println!(
            "{} {}",
            if is_act { "▶" } else { "?" },
            clean(question.text)
        );
        let answers: Vec<(Value, String)> = question
            .answers()
            .map(|a| (a.value.clone(), clean(a.text)))
            .collect();
        for (i, (_, text)) in answers.iter().enumerate() {
            println!("  {}. {text}", i + 1);
        }
        println!("  (b: back, q: quit)");
        let input = if interactive {
            print!("> ");
            std::io::stdout().flush()?;
            match lines.next() {
                Some(line) => line?.trim().to_owned(),
                None => break,
            }
        } else {
            let Some(step) = script.next() else {
                println!("(no more answers: the walk stops here)");
                break;
            };
            println!("> {step}");
            step.trim().to_owned()
        };
        let result = match input.as_str() {
            "q" => break,
            "b" => session.back(),
            _ => match input.parse::<usize>() {
                Ok(n) if n >= 1 && n <= answers.len() => session.choose(n - 1),
                _ => session.answer_str(&input),
            },
        };
        if let Err(err) = result {
            println!("  ! {err}");
        }
        println!();
    }
    let path: Vec<String> = session.path().iter().map(ToString::to_string).collect();
    println!("path: {}", path.join(" → "));
    Ok(())
}

fn parse(text: &str) -> Value {
    match text {
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        _ => text
            .parse::<f64>()
            .map_or_else(|_| Value::from(text), Value::Number),
    }
}

//! `troubletree run`: a diagnosis at the terminal, or scripted for bug reports and
//! other programs.

use std::collections::{HashMap, VecDeque};
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use troubletree::directory::LocalTime;
use troubletree::{
    Catalogue, Directory, FactType, Loader, Place, Resume, SavedSession, Session, StartError, Step,
    Tree, Value,
};

use crate::Fail;
use crate::text::{clean, json, print};
use crate::words::{refusal, words};

/// The example directory shipped with the crate, used when none is found beside the tree.
const EXAMPLE_DIRECTORY: &str = include_str!("../../../trees/directory.ron");

pub(crate) struct Options {
    pub tree: PathBuf,
    pub answers: Vec<String>,
    pub facts: Vec<String>,
    pub lang: Option<String>,
    pub json: bool,
    pub save: Option<PathBuf>,
    pub resume: Option<PathBuf>,
    pub at: Option<String>,
    pub directory: Option<PathBuf>,
    pub trees: Vec<PathBuf>,
}

/// A journey and what the command line remembers about it.
struct Walk {
    session: Session,
    /// Facts given on the command line, by name, as typed.
    facts: Vec<(String, String)>,
}

impl Walk {
    /// The places passed, as the command line writes them: a node of the start tree by
    /// its id, a node of another tree as `tree/node`.
    fn path(&self) -> Vec<String> {
        let start = self.session.start().tree;
        self.session
            .path()
            .into_iter()
            .map(|p| written(start, p))
            .collect()
    }
}

fn written(start: &str, place: Place<'_>) -> String {
    if place.tree == start {
        place.node.to_owned()
    } else {
        place.to_string()
    }
}

/// A value typed as the fact declares it; wrong text stays text, and the session then
/// refuses it with a message naming what it takes.
fn typed(catalogue: &Catalogue, name: &str, text: &str) -> Value {
    let ty = catalogue
        .trees()
        .find_map(|t| t.fact(name).map(|f| f.kind()));
    let Some(ty) = ty else {
        return Value::from(text);
    };
    match ty {
        FactType::Bool if text == "true" => Value::Bool(true),
        FactType::Bool if text == "false" => Value::Bool(false),
        FactType::Number => text
            .trim()
            .parse::<f64>()
            .map_or_else(|_| Value::from(text), Value::Number),
        _ => Value::Text(crate::answers::text(text)),
    }
}

fn pair(text: &str, what: &str, form: &str) -> Result<(String, String), Fail> {
    text.split_once('=')
        .map(|(a, b)| (a.trim().to_owned(), b.trim().to_owned()))
        .filter(|(a, _)| !a.is_empty())
        .ok_or_else(|| Fail::usage(format!("{what} takes {form}, not \"{text}\"")))
}

pub(crate) fn run(options: Options) -> Result<ExitCode, Fail> {
    // The tree itself, for its id; then the catalogue it is walked in. A `Goto` is
    // followed by tree id inside that catalogue, never to a file it names.
    let tree = Tree::from_path(&options.tree).map_err(Fail::load)?;
    let trees = if options.trees.is_empty() {
        vec![parent_dir(&options.tree)]
    } else {
        options.trees.clone()
    };
    let catalogue = catalogue(&trees, &options.tree, &tree)?;
    let facts = options
        .facts
        .iter()
        .map(|f| pair(f, "--fact", "NAME=VALUE"))
        .collect::<Result<Vec<_>, _>>()?;
    let mut answers: HashMap<String, VecDeque<String>> = HashMap::new();
    for a in &options.answers {
        let (node, value) = pair(a, "--answer", "NODE=VALUE")?;
        answers.entry(node).or_default().push_back(value);
    }
    let now = match &options.at {
        Some(text) => LocalTime::parse(text).ok_or_else(|| {
            Fail::usage(format!("--at takes \"YYYY-MM-DD HH:MM\", not \"{text}\""))
        })?,
        None => {
            let unix = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0));
            LocalTime::from_unix(unix, 8 * 60)
        }
    };
    let session = match &options.resume {
        Some(file) => {
            let bytes = troubletree::Limits::default()
                .read(file)
                .map_err(Fail::load)?;
            let saved: SavedSession = serde_json::from_slice(&bytes).map_err(|e| {
                Fail::input(format!("{} is not a saved session: {e}", file.display()))
            })?;
            if saved.start_tree() != tree.id() {
                return Err(Fail::input(format!(
                    "{} was saved on a journey that started in tree \"{}\", not \"{}\"",
                    file.display(),
                    saved.start_tree(),
                    tree.id()
                )));
            }
            // A save file on this machine is the user's own, like --fact: its host
            // facts are taken as they are.
            let mut session = Resume::new(&catalogue)
                .trust_saved_facts()
                .resume(&saved)
                .map_err(|e| Fail::input(e.to_string()))?
                .0;
            if let Some(lang) = &options.lang {
                session
                    .set_locale(lang)
                    .map_err(|e| Fail::usage(e.to_string()))?;
            }
            session
        }
        None => {
            let mut builder = Session::builder(&catalogue).tree(tree.id());
            if let Some(lang) = &options.lang {
                builder = builder.locale(lang.clone());
            }
            for (name, value) in &facts {
                builder = builder.fact(name, typed(&catalogue, name, value));
            }
            builder.start().map_err(|e| match e {
                StartError::UnknownLocale { .. } => Fail::usage(e.to_string()),
                other => Fail::input(other.to_string()),
            })?
        }
    };
    if let Some(file) = &options.save {
        refuse_to_overwrite_input(file, &options, &catalogue)?;
    }
    let mut walk = Walk { session, facts };
    // Facts given with --resume answer questions, which only a scripted walk does.
    let interactive = !options.json
        && options.answers.is_empty()
        && (options.resume.is_none() || walk.facts.is_empty());
    if interactive {
        interactive_walk(&mut walk, &options, &catalogue)?;
    } else {
        scripted_walk(&mut walk, &mut answers)?;
        // A typo in a node id should not go unnoticed.
        let mut unused: Vec<&str> = answers
            .iter()
            .filter(|(_, queue)| !queue.is_empty())
            .map(|(node, _)| node.as_str())
            .collect();
        unused.sort_unstable();
        if !unused.is_empty() {
            crate::text::eprint(&format!(
                "troubletree: warning: --answer given for node(s) the walk never asked: {}",
                clean(&unused.join(", "))
            ));
        }
    }
    if let Some(file) = &options.save {
        let text = json(&walk.session.save())?;
        std::fs::write(file, text)
            .map_err(|e| Fail::usage(format!("cannot write {}: {e}", file.display())))?;
    }
    let directory = load_directory(options.directory.as_deref(), &catalogue)?;
    if options.json {
        print(&json(&summary(&walk, &directory, now))?);
    } else if !interactive || walk.session.current().is_end() {
        print(&ending(&walk, &directory, now, !interactive));
    }
    Ok(ExitCode::SUCCESS)
}

/// The directory a file is in: `.` for a bare file name (whose parent is the empty path).
pub(crate) fn parent_dir(file: &Path) -> PathBuf {
    match file.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// `--save` must not overwrite what the walk reads: the tree, every tree of its
/// catalogue, the service directory. Writing a save over one of them would destroy it.
/// The file saved from (`--resume`) may be written again.
fn refuse_to_overwrite_input(
    save: &Path,
    options: &Options,
    catalogue: &Catalogue,
) -> Result<(), Fail> {
    let mut inputs: Vec<PathBuf> = vec![options.tree.clone()];
    inputs.extend(catalogue.trees().map(|t| PathBuf::from(t.file())));
    inputs.extend(options.directory.clone());
    for place in &options.trees {
        inputs.push(place.join("directory.ron"));
    }
    inputs.push(parent_dir(&options.tree).join("directory.ron"));
    if save.is_dir() {
        return Err(Fail::usage(format!(
            "--save {} names a directory; give the path of a file",
            save.display()
        )));
    }
    if inputs.iter().any(|input| same_file(save, input)) {
        return Err(Fail::usage(format!(
            "--save {} would overwrite a tree or service directory this walk reads; save to another file",
            save.display()
        )));
    }
    Ok(())
}

/// Whether two paths name the same existing file (a link or another spelling included).
fn same_file(a: &Path, b: &Path) -> bool {
    let (Ok(x), Ok(y)) = (std::fs::metadata(a), std::fs::metadata(b)) else {
        return false;
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        x.dev() == y.dev() && x.ino() == y.ino()
    }
    #[cfg(not(unix))]
    {
        let _ = (x, y);
        matches!(
            (std::fs::canonicalize(a), std::fs::canonicalize(b)),
            (Ok(p), Ok(q)) if p == q
        )
    }
}

/// The catalogue the walk goes through: every tree under `trees` (the tree's own folder
/// unless --trees says otherwise), and the tree itself. It must check clean: a journey
/// never enters a tree with errors.
fn catalogue(trees: &[PathBuf], file: &Path, tree: &Tree) -> Result<Catalogue, Fail> {
    let mut paths: Vec<PathBuf> = trees.to_vec();
    let inside = |dir: &PathBuf| {
        let (Ok(dir), Ok(file)) = (dir.canonicalize(), file.canonicalize()) else {
            return false;
        };
        file.starts_with(dir)
    };
    if !paths.iter().any(inside) {
        paths.push(file.to_path_buf());
    }
    let report = troubletree::Loader::new()
        .check(&paths)
        .map_err(|e| Fail::usage(e.to_string()))?;
    let Some(catalogue) = report.loaded else {
        let shown: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        let errors: Vec<String> = report
            .findings
            .iter()
            .filter(|f| f.is_error())
            .take(5)
            .map(ToString::to_string)
            .collect();
        return Err(Fail::input(format!(
            "the trees in {} do not check, so no journey is started through them (run `troubletree check`); first errors:\n  {}",
            shown.join(", "),
            errors.join("\n  ")
        )));
    };
    match catalogue.get(tree.id()) {
        Some(found) if found.fingerprint() == tree.fingerprint() => Ok(catalogue),
        _ => Err(Fail::input(format!(
            "another file in {} also declares tree \"{}\"; give --trees the folder that holds {}",
            trees
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", "),
            tree.id(),
            file.display()
        ))),
    }
}

fn load_directory(given: Option<&Path>, catalogue: &Catalogue) -> Result<Directory, Fail> {
    if let Some(path) = given {
        return Directory::from_path(path).map_err(Fail::load);
    }
    match catalogue.directory() {
        Some(directory) => Ok(directory.clone()),
        None => Loader::new()
            .directory("<built-in example directory>", EXAMPLE_DIRECTORY)
            .loaded
            .ok_or_else(|| Fail::usage("the built-in example directory is invalid")),
    }
}

/// Gives each stop the next answer for its node (`NODE`, or `TREE/NODE` for a node of
/// another tree); stops at the first stop without one.
fn scripted_walk(
    walk: &mut Walk,
    answers: &mut HashMap<String, VecDeque<String>>,
) -> Result<(), Fail> {
    loop {
        let step = walk.session.current();
        if step.is_end() {
            return Ok(());
        }
        let place = step.place();
        let node = place.node.to_owned();
        let qualified = place.to_string();
        let key = if answers.get(&qualified).is_some_and(|q| !q.is_empty()) {
            qualified
        } else {
            node
        };
        let fact = match &step {
            Step::Ask(q) => q.fact.map(str::to_owned),
            _ => None,
        };
        let value = match answers.get_mut(&key).and_then(VecDeque::pop_front) {
            Some(value) => value,
            // A question that fills a fact may equally be answered with --fact (after
            // --resume, or when the fact belongs to a tree reached by `Goto`).
            None => match fact.and_then(|f| walk.facts.iter().find(|(n, _)| *n == f)) {
                Some((_, value)) => value.clone(),
                None => return Ok(()),
            },
        };
        crate::answers::answer(&mut walk.session, &value)?;
    }
}

/// The walk at a terminal: the session's language on screen, the answers' own texts,
/// the keys shown with every question, and an offer to save when the user quits.
fn interactive_walk(walk: &mut Walk, options: &Options, catalogue: &Catalogue) -> Result<(), Fail> {
    let stdin = std::io::stdin();
    let mut lines = stdin.lock().lines();
    let title = walk
        .session
        .tree()
        .title(walk.session.locale())
        .unwrap_or(walk.session.tree().id())
        .to_owned();
    print(&format!("== {} ==\n\n", clean(&title)));
    let mut shown_tree = walk.session.tree().id().to_owned();
    loop {
        let locale = walk.session.locale().to_owned();
        let w = words(&locale);
        let tree = walk.session.tree();
        if tree.id() != shown_tree {
            shown_tree = tree.id().to_owned();
            print(&format!(
                "→ {}\n\n",
                clean(tree.title(&locale).unwrap_or(tree.id()))
            ));
        }
        let (question, act) = match walk.session.current() {
            Step::Ask(q) => (q, false),
            Step::Act(q) => (q, true),
            _ => return Ok(()),
        };
        let mut screen = format!("{} {}\n", if act { "▶" } else { "?" }, clean(question.text));
        let count = question.answers().len();
        for (i, a) in question.answers().enumerate() {
            screen.push_str(&format!("  {}. {}\n", i + 1, clean(a.text)));
        }
        screen.push_str(&format!("  {}\n> ", w.keys));
        print(&screen);
        let Some(Ok(line)) = lines.next() else {
            // End of input (Ctrl-D): leave the prompt's line before anything else.
            print("\n");
            return Ok(());
        };
        let input = line.trim();
        let result = match input {
            "q" | "Q" => {
                offer_to_save(walk, &mut lines, options, catalogue)?;
                return Ok(());
            }
            "b" | "B" => walk.session.back(),
            _ => match input.parse::<usize>() {
                Ok(n) if (1..=count).contains(&n) => walk.session.choose(n - 1),
                // An answer's spelling, or the number or text a free question takes.
                _ => crate::answers::typed(&mut walk.session, input),
            },
        };
        match result {
            Ok(()) => print("\n"),
            Err(err) => print(&format!(
                "  ! {}\n\n",
                clean(&refusal(&err, count, &locale))
            )),
        }
    }
}

/// After `q`: unless `--save` already names a file, ask for one, and say how to go on.
fn offer_to_save(
    walk: &Walk,
    lines: &mut impl Iterator<Item = std::io::Result<String>>,
    options: &Options,
    catalogue: &Catalogue,
) -> Result<(), Fail> {
    let w = words(walk.session.locale());
    if options.save.is_some() {
        return Ok(());
    }
    print(&format!("{} ", w.save_offer));
    let answer = match lines.next() {
        Some(Ok(line)) => line.trim().to_owned(),
        _ => String::new(),
    };
    if answer.is_empty() {
        print(&format!("\n{} {}\n", w.not_saved, w.goodbye));
        return Ok(());
    }
    let file = PathBuf::from(&answer);
    refuse_to_overwrite_input(&file, options, catalogue)?;
    let text = json(&walk.session.save())?;
    std::fs::write(&file, text)
        .map_err(|e| Fail::usage(format!("cannot write {}: {e}", file.display())))?;
    print(&format!(
        "{}\n  troubletree run {} --resume {}\n",
        w.saved,
        crate::text::shell_word(&options.tree.display().to_string()),
        crate::text::shell_word(&answer)
    ));
    Ok(())
}

fn outcome(step: &Step<'_>) -> &'static str {
    match step {
        Step::Resolved(_) => "resolved",
        Step::Escalated(_) => "escalated",
        _ => "needs_answer",
    }
}

/// The JSON object of the contract: outcome, node, path, and ticket or question.
fn summary(walk: &Walk, directory: &Directory, now: LocalTime) -> serde_json::Value {
    let step = walk.session.current();
    let journey: Vec<serde_json::Value> = walk
        .session
        .path()
        .into_iter()
        .map(|p| serde_json::json!({ "tree": p.tree, "node": p.node }))
        .collect();
    let mut out = serde_json::json!({
        "outcome": outcome(&step),
        "tree": walk.session.tree().id(),
        "node": step.node(),
        "path": walk.path(),
        "journey": journey,
    });
    match &step {
        Step::Escalated(_) => {
            out["ticket"] = serde_json::to_value(walk.session.ticket(directory, now))
                .unwrap_or(serde_json::Value::Null);
        }
        Step::Ask(q) | Step::Act(q) => {
            let values: Vec<&Value> = q.answers().map(|a| a.value).collect();
            let spelled = crate::answers::spellings(&values);
            let answers: Vec<serde_json::Value> = q
                .answers()
                .zip(spelled)
                .map(|(a, answer)| {
                    serde_json::json!({ "value": a.value, "text": a.text, "answer": answer })
                })
                .collect();
            out["question"] = serde_json::json!({
                "node": q.node,
                "fact": q.fact,
                "kind": q.kind.as_str(),
                "text": q.text,
                "answers": answers,
            });
        }
        _ => {}
    }
    out
}

/// How the walk ended, for a person; `with_path` adds the node ids walked (for a
/// scripted run, where they help; a person at the terminal sees the texts only).
fn ending(walk: &Walk, directory: &Directory, now: LocalTime, with_path: bool) -> String {
    let mut out = String::new();
    match walk.session.current() {
        Step::Resolved(r) => out.push_str(&format!("✔ {}\n", clean(r.text))),
        Step::Escalated(_) => {
            if let Some(ticket) = walk.session.ticket(directory, now) {
                out.push_str(&ticket.render());
            }
        }
        Step::Ask(q) | Step::Act(q) => {
            let node = if q.tree == walk.session.start().tree {
                q.node.to_owned()
            } else {
                format!("{}/{}", q.tree, q.node)
            };
            out.push_str(&format!(
                "needs an answer at \"{}\": {}\n",
                clean(&node),
                clean(q.text)
            ));
            let values: Vec<&Value> = q.answers().map(|a| a.value).collect();
            let spelled = crate::answers::spellings(&values);
            for (a, spelling) in q.answers().zip(spelled) {
                out.push_str(&format!(
                    "  --answer {}   ({})\n",
                    clean(&crate::text::shell_word(&format!("{node}={spelling}"))),
                    clean(a.text)
                ));
            }
            if let Some(fact) = q.fact {
                out.push_str(&format!(
                    "  or --fact {}=<{}>\n",
                    clean(fact),
                    q.kind.as_str()
                ));
            }
        }
        other => out.push_str(&format!("ended at {}\n", clean(other.node()))),
    }
    if with_path {
        out.push_str(&format!("path: {}\n", clean(&walk.path().join(" → "))));
    }
    out
}

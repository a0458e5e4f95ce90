//! `troubletree run`: a diagnosis at the terminal, or scripted for bug reports and
//! other programs.

use std::collections::{HashMap, VecDeque};
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use troubletree::{Directory, FactType, LocalTime, SavedSession, Session, Step, Tree, Value};

use crate::Fail;
use crate::text::{clean, json, print};

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
}

/// A walk that may continue from tree to tree through `Goto`.
struct Walk {
    dir: PathBuf,
    session: Session,
    /// Nodes of the trees already left, `tree:node` after the first tree.
    done: Vec<String>,
    /// Facts given on the command line, by name, as typed.
    facts: Vec<(String, String)>,
    first_tree: String,
}

impl Walk {
    fn path(&self) -> Vec<String> {
        let prefix = self.prefix();
        let mut path = self.done.clone();
        path.extend(
            self.session
                .path()
                .into_iter()
                .map(|n| format!("{prefix}{n}")),
        );
        path
    }

    fn prefix(&self) -> String {
        let id = self.session.tree().id();
        if id == self.first_tree {
            String::new()
        } else {
            format!("{id}:")
        }
    }

    /// At a `Goto`: continues in the target tree (found beside the first), carrying
    /// facts. Returns false when the walk is not at a `Goto`.
    fn follow(&mut self) -> Result<bool, Fail> {
        let Step::Goto(jump) = self.session.next() else {
            return Ok(false);
        };
        // The tree names the file: only a plain file name beside the first tree, never a
        // path that leads elsewhere.
        let plain = !jump.tree.is_empty()
            && !jump.tree.starts_with('.')
            && !jump.tree.contains(['/', '\\', ':', '\0']);
        if !plain {
            return Err(Fail::input(format!(
                "Goto \"{}\" names tree \"{}\", which is not a plain file name; trees are looked up beside the first one",
                jump.node, jump.tree
            )));
        }
        let target_path = self.dir.join(format!("{}.ron", jump.tree));
        let target = Tree::from_path(&target_path).map_err(|e| {
            Fail::input(format!(
                "Goto \"{}\" leads to tree \"{}\", which could not be loaded from {}: {e}",
                jump.node,
                jump.tree,
                target_path.display()
            ))
        })?;
        let mut builder = self
            .session
            .follow(&target)
            .map_err(|e| Fail::input(e.to_string()))?;
        for (name, value) in &self.facts {
            if let Some(ty) = target.facts().find(|(n, _)| n == name).map(|(_, t)| t) {
                builder = builder.fact(name.clone(), typed(ty, value));
            }
        }
        let next = builder.start().map_err(|e| Fail::input(e.to_string()))?;
        self.done = self.path();
        self.session = next;
        Ok(true)
    }
}

/// A value typed as the fact declares it; wrong text stays text, and the session then
/// refuses it with a message naming what it takes.
fn typed(ty: FactType, text: &str) -> Value {
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
    let tree = Tree::from_path(&options.tree).map_err(Fail::load)?;
    let dir = parent_dir(&options.tree);
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
            let mut session = Session::resume(&tree, &saved)
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
            let mut builder = Session::builder(&tree);
            if let Some(lang) = &options.lang {
                builder = builder.locale(lang.clone());
            }
            for (name, value) in &facts {
                // A fact only a linked tree declares waits for the `Goto` (see `follow`).
                if let Some(ty) = tree.facts().find(|(n, _)| n == name).map(|(_, t)| t) {
                    builder = builder.fact(name.clone(), typed(ty, value));
                }
            }
            builder.start().map_err(|e| match e {
                troubletree::SessionError::UnknownLocale { .. } => Fail::usage(e.to_string()),
                other => Fail::input(other.to_string()),
            })?
        }
    };
    undeclared_facts(&tree, &dir, &facts)?;
    if let Some(file) = &options.save {
        refuse_to_overwrite_input(file, &options, &dir)?;
    }
    let mut walk = Walk {
        dir: dir.clone(),
        session,
        done: Vec::new(),
        facts,
        first_tree: tree.id().to_owned(),
    };
    // Facts given with --resume answer questions, which only a scripted walk does.
    let interactive = !options.json
        && options.answers.is_empty()
        && (options.resume.is_none() || walk.facts.is_empty());
    if interactive {
        interactive_walk(&mut walk)?;
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
    let directory = load_directory(options.directory.as_deref(), &dir)?;
    if options.json {
        print(&json(&summary(&walk, &directory, now))?);
    } else if !interactive || walk.session.next().is_end() {
        print(&ending(&walk, &directory, now));
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

/// `--save` must not overwrite what the walk reads: the tree, the trees beside it (a
/// `Goto` may load any of them), the service directory. Writing a save over one of them
/// would destroy it. The file saved from (`--resume`) may be written again.
fn refuse_to_overwrite_input(save: &Path, options: &Options, dir: &Path) -> Result<(), Fail> {
    let mut inputs: Vec<PathBuf> = vec![options.tree.clone(), dir.join("directory.ron")];
    inputs.extend(options.directory.clone());
    if let Ok(entries) = std::fs::read_dir(dir) {
        inputs.extend(
            entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "ron")),
        );
    }
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

/// A `--fact` no tree declares is a mistake worth stopping for: the first tree, or one
/// beside it that a `Goto` may lead to.
fn undeclared_facts(tree: &Tree, dir: &Path, facts: &[(String, String)]) -> Result<(), Fail> {
    let missing: Vec<&str> = facts
        .iter()
        .map(|(name, _)| name.as_str())
        .filter(|name| tree.facts().all(|(n, _)| n != *name))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let beside: Vec<Tree> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "ron"))
                .filter_map(|p| Tree::from_path(p).ok())
                .collect()
        })
        .unwrap_or_default();
    for name in missing {
        if !beside.iter().any(|t| t.facts().any(|(n, _)| n == name)) {
            let declared: Vec<&str> = tree.facts().map(|(n, _)| n).collect();
            return Err(Fail::input(format!(
                "tree \"{}\" declares no fact \"{name}\", nor does any tree beside it (declared: {})",
                tree.id(),
                declared.join(", ")
            )));
        }
    }
    Ok(())
}

fn load_directory(given: Option<&Path>, dir: &Path) -> Result<Directory, Fail> {
    let beside = dir.join("directory.ron");
    let path = given
        .map(Path::to_path_buf)
        .or_else(|| beside.exists().then_some(beside));
    match path {
        Some(path) => Directory::from_path(&path).map_err(Fail::load),
        None => Directory::check_str("<built-in example directory>", EXAMPLE_DIRECTORY)
            .0
            .ok_or_else(|| Fail::usage("the built-in example directory is invalid")),
    }
}

/// Gives each stop the next answer for its node (`NODE` or `TREE:NODE`); stops at the
/// first stop without one.
fn scripted_walk(
    walk: &mut Walk,
    answers: &mut HashMap<String, VecDeque<String>>,
) -> Result<(), Fail> {
    loop {
        if walk.follow()? {
            continue;
        }
        let step = walk.session.next();
        if step.is_end() {
            return Ok(());
        }
        let node = step.node().to_owned();
        let qualified = format!("{}:{node}", walk.session.tree().id());
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

fn interactive_walk(walk: &mut Walk) -> Result<(), Fail> {
    let stdin = std::io::stdin();
    let mut lines = stdin.lock().lines();
    let title = walk
        .session
        .tree()
        .title(walk.session.locale())
        .unwrap_or(walk.session.tree().id())
        .to_owned();
    print(&format!("== {} ==\n(b: back, q: quit)\n\n", clean(&title)));
    loop {
        if walk.follow()? {
            let tree = walk.session.tree();
            print(&format!(
                "→ {}\n\n",
                clean(tree.title(walk.session.locale()).unwrap_or(tree.id()))
            ));
            continue;
        }
        let (question, act) = match walk.session.next() {
            Step::Ask(q) => (q, false),
            Step::Act(q) => (q, true),
            _ => return Ok(()),
        };
        let mut screen = format!("{} {}\n", if act { "▶" } else { "?" }, clean(question.text));
        let values: Vec<Value> = question.answers().map(|a| a.value.clone()).collect();
        for (i, a) in question.answers().enumerate() {
            screen.push_str(&format!("  {}. {}\n", i + 1, clean(a.text)));
        }
        if values.is_empty() {
            screen.push_str(&format!("  ({})\n", question.kind.as_str()));
        }
        screen.push_str("> ");
        print(&screen);
        let Some(Ok(line)) = lines.next() else {
            print("\n");
            return Ok(());
        };
        let input = line.trim();
        let result = match input {
            "q" => return Ok(()),
            "b" => walk.session.back().map_err(|e| Fail::input(e.to_string())),
            _ => match input.parse::<usize>() {
                Ok(n) if (1..=values.len()).contains(&n) => walk
                    .session
                    .answer(values[n - 1].clone())
                    .map(|_| ())
                    .map_err(|e| Fail::input(e.to_string())),
                _ => crate::answers::answer(&mut walk.session, input),
            },
        };
        match result {
            Ok(()) => print("\n"),
            Err(err) => print(&format!("  ! {}\n\n", clean(&err.message))),
        }
    }
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
    let step = walk.session.next();
    let mut out = serde_json::json!({
        "outcome": outcome(&step),
        "tree": walk.session.tree().id(),
        "node": step.node(),
        "path": walk.path(),
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

/// How the walk ended, for a person.
fn ending(walk: &Walk, directory: &Directory, now: LocalTime) -> String {
    let mut out = String::new();
    match walk.session.next() {
        Step::Resolved(r) => out.push_str(&format!("✔ {}\n", clean(r.text))),
        Step::Escalated(_) => {
            if let Some(ticket) = walk.session.ticket(directory, now) {
                out.push_str(&ticket.render());
            }
        }
        Step::Ask(q) | Step::Act(q) => {
            out.push_str(&format!(
                "needs an answer at \"{}\": {}\n",
                clean(q.node),
                clean(q.text)
            ));
            let values: Vec<&Value> = q.answers().map(|a| a.value).collect();
            let spelled = crate::answers::spellings(&values);
            for (a, spelling) in q.answers().zip(spelled) {
                out.push_str(&format!(
                    "  --answer {}   ({})\n",
                    clean(&crate::text::shell_word(&format!("{}={spelling}", q.node))),
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
    out.push_str(&format!("path: {}\n", clean(&walk.path().join(" → "))));
    out
}

//! The service under load, on loopback only: simulated users walk random trees the way
//! the chat page does, against the release server and, in the same run, against a bare
//! axum handler that returns a fixed JSON, so that the service's own cost per turn is a
//! ratio to the framework's.
//!
//! ```sh
//! cargo build --release -p troubletree-server --example load
//! # SQLite (a fresh file in a temporary folder):
//! target/release/examples/load --users 64,512 --seconds 10 --rounds 3
//! # PostgreSQL (a fresh database on the throwaway cluster of tests/pg.sh):
//! eval "$(crates/server/tests/pg.sh start)"
//! target/release/examples/load --database "$TROUBLETREE_TEST_DATABASE_URL"
//! crates/server/tests/pg.sh stop "$TROUBLETREE_TEST_PG_DIR"
//! ```
//!
//! A user starts a session on a random published tree in a random locale
//! (`POST /v1/sessions`), then answers the step it sees with its `seq` (`POST
//! /v1/sessions/{id}/answer`): a random offered answer, or a number or a text for a free
//! question; now and then (1 turn in 50) it asks for a person instead (`POST
//! .../handoff`). When the walk ends it starts another session. Each answer or hand-off
//! is one *turn*. Users do not wait between turns (a closed loop): the figures are the
//! most the machine gives, and latency includes the queue.
//!
//! Against the bare handler the same users send the same requests and read the same
//! kind of response (a fixed session view), so the client's own work is the same in
//! both phases. Phases alternate (bare, service, bare, service...) so that the machine's
//! other load falls on both alike; each phase prints the CPU time the server, the
//! database (PostgreSQL: the postmaster and its children) and this generator used, and
//! the CPU the rest of the machine used meanwhile.
//!
//! All users talk to one server process, so every turn after a session's first finds
//! the walk the server kept (`--live-sessions`); the run ends with the server's count
//! of turns that did and that read their session. `--server-arg=--live-sessions=0`
//! measures turns that read.
//!
//! Every non-2xx answer and every transport failure is an error; the run exits 1 if
//! there was any.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// Simulated users walking random trees against the troubletree service, on loopback.
#[derive(Debug, Parser)]
struct Args {
    /// The server binary (a release build).
    #[arg(long, default_value = "target/release/troubletree-server")]
    server: PathBuf,
    /// The trees to publish.
    #[arg(long, default_value = "trees")]
    trees: PathBuf,
    /// `sqlite` (a fresh file in a temporary folder) or a PostgreSQL URL on loopback,
    /// on which a fresh database is created (and dropped at the end).
    #[arg(long, default_value = "sqlite")]
    database: String,
    /// Concurrent users, one phase pair per count (comma-separated).
    #[arg(long, value_delimiter = ',', default_value = "64,512")]
    users: Vec<usize>,
    /// Seconds per phase.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Bare/service phase pairs per user count.
    #[arg(long, default_value_t = 3)]
    rounds: u32,
    /// Seconds of service load before the first measured phase (warms caches, fills
    /// the pool).
    #[arg(long, default_value_t = 3)]
    warmup: u64,
    /// The database server's process (its children are counted too); by default the
    /// postmaster of `$TROUBLETREE_TEST_PG_DIR` when the database is PostgreSQL.
    #[arg(long)]
    db_pid: Option<u32>,
    /// Extra flags for the server (e.g. `--server-arg=--max-connections=4`).
    #[arg(long, allow_hyphen_values = true)]
    server_arg: Vec<String>,
    /// Only the service phases (no bare handler).
    #[arg(long)]
    service_only: bool,
    /// Stop after the warm-up and keep the server running for this many seconds of
    /// service load (for a profiler attached to the printed pid).
    #[arg(long)]
    profile: Option<u64>,
    /// Internal: serve the bare handler and print its address.
    #[arg(long, hide = true)]
    serve_bare: bool,
}

fn main() -> std::process::ExitCode {
    let args = Args::parse();
    // The same runtime as the server's `main`: multi-threaded, one worker per core.
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("load: cannot start the runtime: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    if args.serve_bare {
        runtime.block_on(serve_bare());
        return std::process::ExitCode::SUCCESS;
    }
    match runtime.block_on(run(args)) {
        Ok(true) => std::process::ExitCode::SUCCESS,
        Ok(false) => std::process::ExitCode::FAILURE,
        Err(e) => {
            eprintln!("load: {e}");
            std::process::ExitCode::from(2)
        }
    }
}

// ---------------------------------------------------------------------- the bare handler

/// A session view as the service returns it for a typical question (the shape and about
/// the size of a real one), fixed.
fn bare_view() -> String {
    json!({
        "id": "0123456789abcdef0123456789abcdef",
        "seq": 1,
        "status": "open",
        "version": 1,
        "locale": "en",
        "can_go_back": true,
        "step": {
            "kind": "ask",
            "tree": "recharge_failure",
            "node": "check_network",
            "text": "Is your internet connection stable? Try opening another app or web page.",
            "fact": "network_ok",
            "answer_kind": "bool",
            "answers": [{"value": true, "text": "Yes"}, {"value": false, "text": "No"}],
            "priority": null,
            "prepare": []
        },
        "ticket": null
    })
    .to_string()
}

async fn serve_bare() {
    use axum::http::header;
    use axum::routing::post;
    let body: &'static str = Box::leak(bare_view().into_boxed_str());
    let fixed = move || async move { ([(header::CONTENT_TYPE, "application/json")], body) };
    let app = axum::Router::new()
        .route("/v1/sessions", post(fixed))
        .route("/v1/sessions/{id}/answer", post(fixed))
        .route("/v1/sessions/{id}/handoff", post(fixed));
    let Ok(listener) = tokio::net::TcpListener::bind("127.0.0.1:0").await else {
        eprintln!("load: the bare server cannot listen");
        return;
    };
    let Ok(addr) = listener.local_addr() else {
        return;
    };
    println!("bare listening on http://{addr}");
    let _ = axum::serve(listener, app).await;
}

// ---------------------------------------------------------------------- processes

struct Spawned {
    child: Child,
    base: String,
    pid: u32,
}

/// Starts a child and waits for its `... listening on http://ADDR` line.
async fn spawn(mut cmd: Command, what: &str) -> Result<Spawned, String> {
    cmd.stdout(Stdio::piped()).kill_on_drop(true);
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot start {what}: {e}"))?;
    let pid = child.id().ok_or("no pid")?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let mut lines = BufReader::new(stdout).lines();
    let line = tokio::time::timeout(Duration::from_secs(60), lines.next_line())
        .await
        .map_err(|_| format!("{what} did not say where it listens within 60 s"))?
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("{what} exited before listening"))?;
    let base = line
        .split_once("listening on ")
        .map(|(_, a)| a.trim().to_owned())
        .ok_or_else(|| format!("{what} printed {line:?}"))?;
    if !base.starts_with("http://127.0.0.1:") {
        return Err(format!("{what} listens on {base}, not on loopback"));
    }
    // Keep reading so that the child never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Ok(Spawned { child, base, pid })
}

/// CPU ticks (user + system) of a process, from `/proc/PID/stat`.
fn ticks(pid: u32) -> u64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return 0;
    };
    // Fields after the command (which may hold spaces) are after the last ')'.
    let Some((_, rest)) = stat.rsplit_once(')') else {
        return 0;
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // rest starts at field 3 (state): utime is field 14, stime 15.
    let get = |i: usize| fields.get(i - 3).and_then(|f| f.parse::<u64>().ok());
    get(14).unwrap_or(0) + get(15).unwrap_or(0)
}

fn parent(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (_, rest) = stat.rsplit_once(')')?;
    rest.split_whitespace().nth(1)?.parse().ok()
}

/// CPU ticks of a process and of each of its children (the PostgreSQL backends), by
/// pid: a backend that ends between two readings must not make the sum go back.
fn tree_ticks(root: u32) -> BTreeMap<u32, u64> {
    let mut out = BTreeMap::from([(root, ticks(root))]);
    if let Ok(dir) = std::fs::read_dir("/proc") {
        for entry in dir.flatten() {
            if let Some(pid) = entry.file_name().to_str().and_then(|n| n.parse().ok())
                && parent(pid) == Some(root)
            {
                out.insert(pid, ticks(pid));
            }
        }
    }
    out
}

/// Ticks used between two readings by the processes alive at the second one.
fn tree_delta(before: &BTreeMap<u32, u64>, after: &BTreeMap<u32, u64>) -> u64 {
    after
        .iter()
        .map(|(pid, t)| t.saturating_sub(before.get(pid).copied().unwrap_or(0)))
        .sum()
}

/// Busy ticks of the whole machine (every core), from `/proc/stat`.
fn machine_ticks() -> u64 {
    let Ok(stat) = std::fs::read_to_string("/proc/stat") else {
        return 0;
    };
    let Some(cpu) = stat.lines().next() else {
        return 0;
    };
    // user nice system idle iowait irq softirq steal: busy = all but idle and iowait.
    cpu.split_whitespace()
        .skip(1)
        .take(8)
        .enumerate()
        .filter(|(i, _)| *i != 3 && *i != 4)
        .filter_map(|(_, v)| v.parse::<u64>().ok())
        .sum()
}

const TICK: f64 = 0.01; // CLK_TCK is 100 on Linux.

// ---------------------------------------------------------------------- users

/// xorshift64*: enough randomness to pick answers, seeded from the OS.
struct Rng(u64);

impl Rng {
    fn new() -> Rng {
        let mut b = [0u8; 8];
        let _ = getrandom::fill(&mut b);
        Rng(u64::from_le_bytes(b) | 1)
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

#[derive(Default)]
struct Tally {
    turns: u64,
    starts: u64,
    handoffs: u64,
    ended: u64,
    /// Microseconds of each turn (answers and hand-offs).
    turn_us: Vec<u32>,
    start_us: Vec<u32>,
    errors: BTreeMap<String, u64>,
    first_errors: Vec<String>,
}

impl Tally {
    fn error(&mut self, key: String, detail: String) {
        *self.errors.entry(key).or_default() += 1;
        if self.first_errors.len() < 5 {
            self.first_errors.push(detail);
        }
    }
    fn merge(&mut self, o: Tally) {
        self.turns += o.turns;
        self.starts += o.starts;
        self.handoffs += o.handoffs;
        self.ended += o.ended;
        self.turn_us.extend(o.turn_us);
        self.start_us.extend(o.start_us);
        for (k, v) in o.errors {
            *self.errors.entry(k).or_default() += v;
        }
        for e in o.first_errors {
            if self.first_errors.len() < 5 {
                self.first_errors.push(e);
            }
        }
    }
}

/// Sends one POST; the parsed body on 2xx, or an error recorded in the tally.
async fn post(http: &reqwest::Client, url: &str, body: &Value, tally: &mut Tally) -> Option<Value> {
    let response = match http.post(url).json(body).send().await {
        Ok(r) => r,
        Err(e) => {
            tally.error("transport".into(), format!("{url}: {e}"));
            return None;
        }
    };
    let status = response.status();
    let bytes = match response.bytes().await {
        Ok(b) => b,
        Err(e) => {
            tally.error("transport".into(), format!("{url}: {e}"));
            return None;
        }
    };
    if !status.is_success() {
        let code = serde_json::from_slice::<Value>(&bytes)
            .ok()
            .and_then(|v| v["code"].as_str().map(str::to_owned))
            .unwrap_or_default();
        tally.error(
            format!("{} {code}", status.as_u16()),
            format!("{url}: {status}: {}", String::from_utf8_lossy(&bytes)),
        );
        return None;
    }
    match serde_json::from_slice(&bytes) {
        Ok(v) => Some(v),
        Err(e) => {
            tally.error("bad json".into(), format!("{url}: {e}"));
            None
        }
    }
}

/// The answer a user gives to a view: a random offered value, or a free number (in
/// range) or text.
fn pick(view: &Value, rng: &mut Rng) -> Option<Value> {
    let step = &view["step"];
    match step["answer_kind"].as_str() {
        // 1 to 2000: inside every range the shipped trees give (amounts from 0.01,
        // hours up to 8760); a number outside one is refused with 422 `out-of-range`.
        Some("number") => Some(json!(1 + rng.below(2000))),
        Some("text") => Some(json!("load test")),
        _ => {
            let answers = step["answers"].as_array()?;
            if answers.is_empty() {
                return None;
            }
            Some(answers[rng.below(answers.len())]["value"].clone())
        }
    }
}

struct Tree {
    id: String,
    locales: Vec<String>,
}

async fn user(
    http: reqwest::Client,
    base: Arc<str>,
    trees: Arc<Vec<Tree>>,
    until: Instant,
) -> Tally {
    let mut tally = Tally::default();
    let mut rng = Rng::new();
    let mut view: Option<Value> = None;
    while Instant::now() < until {
        let current = match view.take() {
            Some(v) if v["status"] == "open" => v,
            Some(_) | None => {
                let tree = &trees[rng.below(trees.len())];
                let locale = &tree.locales[rng.below(tree.locales.len())];
                let t = Instant::now();
                let started = post(
                    &http,
                    &format!("{base}/v1/sessions"),
                    &json!({"tree": tree.id, "locale": locale}),
                    &mut tally,
                )
                .await;
                if Instant::now() < until {
                    tally.starts += 1;
                    tally.start_us.push(micros(t));
                }
                match started {
                    Some(v) if v["status"] == "open" => v,
                    Some(_) => continue, // ended at once (a decision on defaults)
                    None => continue,
                }
            }
        };
        let id = current["id"].as_str().unwrap_or_default().to_owned();
        let seq = current["seq"].clone();
        let (url, body, handoff) = if rng.below(50) == 0 {
            (
                format!("{base}/v1/sessions/{id}/handoff"),
                json!({"seq": seq}),
                true,
            )
        } else {
            let Some(value) = pick(&current, &mut rng) else {
                tally.error(
                    "no answer".into(),
                    format!("an open step offers no answer: {current}"),
                );
                continue;
            };
            (
                format!("{base}/v1/sessions/{id}/answer"),
                json!({"seq": seq, "value": value}),
                false,
            )
        };
        let t = Instant::now();
        let next = post(&http, &url, &body, &mut tally).await;
        if Instant::now() >= until {
            break;
        }
        tally.turns += 1;
        tally.handoffs += u64::from(handoff);
        tally.turn_us.push(micros(t));
        if let Some(v) = &next
            && v["status"] != "open"
        {
            tally.ended += 1;
        }
        view = next;
    }
    tally
}

fn micros(since: Instant) -> u32 {
    u32::try_from(since.elapsed().as_micros()).unwrap_or(u32::MAX)
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    f64::from(sorted[i.min(sorted.len() - 1)]) / 1000.0
}

// ---------------------------------------------------------------------- phases

struct Phase {
    turns_per_s: f64,
    p50: f64,
    p99: f64,
    errors: u64,
}

struct Watched {
    server: u32,
    db: Option<u32>,
}

#[allow(clippy::too_many_arguments)]
async fn phase(
    label: &str,
    http: &reqwest::Client,
    base: &str,
    trees: &Arc<Vec<Tree>>,
    users: usize,
    seconds: u64,
    watched: &Watched,
    print: bool,
) -> (Phase, Tally) {
    let base: Arc<str> = base.into();
    let me = std::process::id();
    let before = (
        ticks(watched.server),
        watched.db.map(tree_ticks),
        ticks(me),
        machine_ticks(),
    );
    let t0 = Instant::now();
    let until = t0 + Duration::from_secs(seconds);
    let tasks: Vec<_> = (0..users)
        .map(|_| tokio::spawn(user(http.clone(), base.clone(), trees.clone(), until)))
        .collect();
    let mut tally = Tally::default();
    for t in tasks {
        if let Ok(t) = t.await {
            tally.merge(t);
        }
    }
    let wall = seconds as f64;
    let after = (
        ticks(watched.server),
        watched.db.map(tree_ticks),
        ticks(me),
        machine_ticks(),
    );
    tally.turn_us.sort_unstable();
    tally.start_us.sort_unstable();
    let server_cpu = (after.0 - before.0) as f64 * TICK;
    let db_cpu = match (&before.1, &after.1) {
        (Some(b), Some(a)) => Some(tree_delta(b, a) as f64 * TICK),
        _ => None,
    };
    let client_cpu = (after.2 - before.2) as f64 * TICK;
    let machine_cpu = after.3.saturating_sub(before.3) as f64 * TICK;
    let others = (machine_cpu - server_cpu - db_cpu.unwrap_or(0.0) - client_cpu).max(0.0) / wall;
    let errors: u64 = tally.errors.values().sum();
    let requests = tally.turns + tally.starts;
    let result = Phase {
        turns_per_s: tally.turns as f64 / wall,
        p50: percentile(&tally.turn_us, 0.50),
        p99: percentile(&tally.turn_us, 0.99),
        errors,
    };
    if print {
        let per = |cpu: f64| {
            if requests == 0 {
                f64::NAN
            } else {
                cpu * 1e6 / requests as f64
            }
        };
        println!(
            "| {label} | {users} | {:.0} | {:.0} | {:.2} | {:.2} | {:.2} | {errors} | {:.0} | {} | {:.0} | {:.2} |",
            result.turns_per_s,
            tally.starts as f64 / wall,
            result.p50,
            result.p99,
            percentile(&tally.start_us, 0.50),
            per(server_cpu),
            db_cpu.map_or("–".to_owned(), |c| format!("{:.0}", per(c))),
            per(client_cpu),
            others,
        );
        for (k, v) in &tally.errors {
            println!("    errors {k}: {v}");
        }
        for e in &tally.first_errors {
            println!("    e.g. {}", e.chars().take(300).collect::<String>());
        }
    }
    (result, tally)
}

const HEADER: &str = "| target | users | turns/s | starts/s | p50 ms | p99 ms | start p50 ms | errors | server CPU µs/req | db CPU µs/req | client CPU µs/req | other load (cores) |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |";

async fn run(args: Args) -> Result<bool, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let scratch = std::env::temp_dir().join(format!("troubletree-load-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).map_err(|e| e.to_string())?;
    let (url, drop_db, db_pid) = if args.database == "sqlite" {
        (
            format!("sqlite://{}", scratch.join("load.db").display()),
            None,
            None,
        )
    } else if args.database.starts_with("postgres://") {
        if !(args.database.contains("@127.0.0.1") || args.database.contains("@localhost")) {
            return Err("the load runs on loopback only: the database must be on 127.0.0.1".into());
        }
        let name = format!("tt_load_{}", std::process::id());
        let mut conn = <sqlx::postgres::PgConnection as sqlx::Connection>::connect(&args.database)
            .await
            .map_err(|e| format!("cannot reach {}: {e}", args.database))?;
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await
            .map_err(|e| e.to_string())?;
        let pid = args.db_pid.or_else(|| {
            let dir = std::env::var("TROUBLETREE_TEST_PG_DIR").ok()?;
            std::fs::read_to_string(format!("{dir}/data/postmaster.pid"))
                .ok()?
                .lines()
                .next()?
                .trim()
                .parse()
                .ok()
        });
        (
            with_database(&args.database, &name),
            Some((conn, name)),
            pid,
        )
    } else {
        return Err("--database is sqlite or a postgres:// URL".into());
    };

    let log_path = scratch.join("server.log");
    let log = std::fs::File::create(&log_path).map_err(|e| e.to_string())?;
    let mut cmd = Command::new(&args.server);
    cmd.stderr(Stdio::from(log))
        .arg(&args.trees)
        .args(["--listen", "127.0.0.1:0", "--database-url", &url])
        .args(&args.server_arg)
        .env("RUST_LOG", "warn");
    let server = spawn(cmd, "the server").await?;
    let mut bare_cmd = Command::new(&exe);
    bare_cmd.arg("--serve-bare");
    let bare = spawn(bare_cmd, "the bare server").await?;

    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(usize::MAX)
        .build()
        .map_err(|e| e.to_string())?;
    let list: Value = http
        .get(format!("{}/v1/trees", server.base))
        .send()
        .await
        .map_err(|e| e.to_string())?
        .json()
        .await
        .map_err(|e| e.to_string())?;
    let trees: Vec<Tree> = list["trees"]
        .as_array()
        .ok_or("no tree list")?
        .iter()
        .map(|t| Tree {
            id: t["id"].as_str().unwrap_or_default().to_owned(),
            locales: t["locales"]
                .as_array()
                .map(|l| {
                    l.iter()
                        .filter_map(|x| x.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default(),
        })
        .filter(|t| !t.locales.is_empty())
        .collect();
    let trees = Arc::new(trees);
    let server_w = Watched {
        server: server.pid,
        db: db_pid,
    };
    let bare_w = Watched {
        server: bare.pid,
        db: None,
    };
    println!(
        "database {}; {} trees; server pid {}, bare pid {}{}; {} cores; load average at start {}",
        if drop_db.is_some() {
            "PostgreSQL"
        } else {
            "SQLite"
        },
        trees.len(),
        server.pid,
        bare.pid,
        db_pid.map_or(String::new(), |p| format!(", database pid {p}")),
        std::thread::available_parallelism().map_or(0, usize::from),
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" "),
    );
    let warm_users = args.users.first().copied().unwrap_or(64);
    let (w, _) = phase(
        "warm-up",
        &http,
        &server.base,
        &trees,
        warm_users,
        args.warmup,
        &server_w,
        false,
    )
    .await;
    println!("warm-up: {:.0} turns/s, {} errors", w.turns_per_s, w.errors);
    let mut clean = w.errors == 0;
    if let Some(secs) = args.profile {
        println!(
            "profiling window: server pid {} under load for {secs} s",
            server.pid
        );
        let (p, _) = phase(
            "service",
            &http,
            &server.base,
            &trees,
            warm_users,
            secs,
            &server_w,
            true,
        )
        .await;
        clean &= p.errors == 0;
    } else {
        println!("\n{HEADER}");
        let mut summary = Vec::new();
        for &users in &args.users {
            let mut ratios = Vec::new();
            for _ in 0..args.rounds {
                let b = if args.service_only {
                    None
                } else {
                    let (b, _) = phase(
                        "bare",
                        &http,
                        &bare.base,
                        &trees,
                        users,
                        args.seconds,
                        &bare_w,
                        true,
                    )
                    .await;
                    Some(b)
                };
                let (s, _) = phase(
                    "service",
                    &http,
                    &server.base,
                    &trees,
                    users,
                    args.seconds,
                    &server_w,
                    true,
                )
                .await;
                clean &= s.errors == 0 && b.as_ref().is_none_or(|b| b.errors == 0);
                if let Some(b) = b {
                    ratios.push(b.turns_per_s / s.turns_per_s);
                }
                summary.push((users, s.turns_per_s, s.p50, s.p99));
            }
            if !ratios.is_empty() {
                ratios.sort_by(f64::total_cmp);
                println!(
                    "| ratio bare/service, {users} users | {} |",
                    ratios
                        .iter()
                        .map(|r| format!("{r:.1}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
        }
        println!();
        for &users in &args.users {
            let mut t: Vec<f64> = summary
                .iter()
                .filter(|s| s.0 == users)
                .map(|s| s.1)
                .collect();
            t.sort_by(f64::total_cmp);
            if let (Some(lo), Some(hi)) = (t.first(), t.last()) {
                println!(
                    "service, {users} users: {lo:.0}–{hi:.0} turns/s over {} rounds (median {:.0})",
                    t.len(),
                    t[t.len() / 2]
                );
            }
        }
    }
    // Whether turns started from the walk the server kept (`--live-sessions`).
    if let Ok(r) = http.get(format!("{}/metrics", server.base)).send().await
        && let Ok(text) = r.text().await
    {
        let count = |from: &str| {
            let prefix = format!("troubletree_turns_total{{session=\"{from}\"}} ");
            text.lines()
                .find_map(|l| l.strip_prefix(&prefix))
                .unwrap_or("?")
                .to_owned()
        };
        println!(
            "turns over the whole run: {} started from a kept walk, {} read their session",
            count("kept"),
            count("read")
        );
    }
    println!(
        "load average at end {}",
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
    drop(http);
    let Spawned { mut child, .. } = server;
    let _ = child.kill().await;
    let Spawned { mut child, .. } = bare;
    let _ = child.kill().await;
    let log = std::fs::read_to_string(&log_path).unwrap_or_default();
    let logged: Vec<&str> = log.lines().collect();
    println!("the server logged {} lines at warn or above", logged.len());
    for line in logged.iter().take(3) {
        println!("    {}", line.chars().take(300).collect::<String>());
    }
    if let Some((mut conn, name)) = drop_db {
        let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .execute(&mut conn)
            .await;
    }
    let _ = std::fs::remove_dir_all(&scratch);
    if !clean {
        println!("ERRORS: see the rows above");
    }
    Ok(clean)
}

/// The URL with another database name.
fn with_database(url: &str, name: &str) -> String {
    let (head, query) = url
        .split_once('?')
        .map_or((url, None), |(h, q)| (h, Some(q)));
    let authority_end = head.find("://").map_or(0, |i| i + 3);
    let path_start = head[authority_end..]
        .find('/')
        .map_or(head.len(), |i| authority_end + i);
    let mut out = format!("{}/{name}", &head[..path_start]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

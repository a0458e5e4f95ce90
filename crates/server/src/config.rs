//! Configuration: flags with environment-variable fallbacks, and secrets from the
//! environment only (a command line is visible to every user of the machine).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;

/// Everything the server needs to run. [`Config::from_env_and_args`] fills it from the
/// command line and the environment; tests build one directly.
#[derive(Debug, Clone)]
pub struct Config {
    /// The folder (or files) of trees and the service directory to publish at start.
    pub trees: Vec<PathBuf>,
    /// Where to listen.
    pub listen: SocketAddr,
    /// `sqlite://FILE` or `postgres://...`.
    pub database_url: String,
    /// Most connections the pool opens.
    pub max_connections: u32,
    /// How long a request waits for a database connection before it gets a 503.
    pub database_timeout: Duration,
    /// Most sessions whose walk this process keeps between turns (0: none). A turn on
    /// a kept session skips reading and replaying it; see `AppState::act`.
    pub live_sessions: usize,
    /// Largest request body accepted, in bytes.
    pub body_limit: usize,
    /// How long one request may take before it is answered with a 503.
    pub request_timeout: Duration,
    /// Origins allowed to call the API from a browser (the wallet's own domain).
    pub cors_origins: Vec<String>,
    /// The local time zone of the help desk, as minutes east of UTC, for opening hours.
    pub utc_offset_minutes: i32,
    /// A session with no step for this long is recorded as abandoned.
    pub abandon_after: Duration,
    /// Bearer token of the wallet's back end (may start sessions with facts).
    pub backend_token: Option<String>,
    /// Bearer token of the agents' console (tickets).
    pub agent_token: Option<String>,
    /// Bearer token for administration (reload, retire).
    pub admin_token: Option<String>,
    /// Bearer token of the writers' preview (`/v1/preview/*`); the admin token works
    /// there too.
    pub writer_token: Option<String>,
    /// Scenario files or folders the preview runs for coverage (none: no coverage).
    pub scenarios: Vec<PathBuf>,
    /// Where tickets are delivered; none: they stay in the outbox and the agent queue.
    pub webhook_url: Option<String>,
    /// Key of the HMAC-SHA256 signature of each delivery.
    pub webhook_secret: Option<String>,
    /// How long one delivery may take.
    pub webhook_timeout: Duration,
    /// First retry delay; each further retry doubles it, up to `webhook_backoff_max`.
    pub webhook_backoff: Duration,
    /// Longest retry delay.
    pub webhook_backoff_max: Duration,
    /// How often the outbox and the abandonment sweep look for work.
    pub poll_interval: Duration,
}

impl Config {
    /// The defaults: 127.0.0.1:8080 and a SQLite file in the working directory.
    pub fn new(trees: impl Into<PathBuf>) -> Config {
        Config {
            trees: vec![trees.into()],
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            database_url: "sqlite://troubletree.db".into(),
            max_connections: 8,
            database_timeout: Duration::from_millis(500),
            live_sessions: 10_000,
            body_limit: 16 * 1024,
            request_timeout: Duration::from_secs(10),
            cors_origins: Vec::new(),
            utc_offset_minutes: 8 * 60,
            abandon_after: Duration::from_secs(30 * 60),
            backend_token: None,
            agent_token: None,
            admin_token: None,
            writer_token: None,
            scenarios: Vec::new(),
            webhook_url: None,
            webhook_secret: None,
            webhook_timeout: Duration::from_secs(10),
            webhook_backoff: Duration::from_secs(1),
            webhook_backoff_max: Duration::from_secs(300),
            poll_interval: Duration::from_millis(500),
        }
    }

    /// Reads the command line, then the environment for anything not given there.
    /// Tokens and the webhook secret come from the environment only.
    pub fn from_env_and_args() -> Config {
        Args::parse().into_config(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
    }
}

/// The troubletree HTTP service: sessions, tickets and webhooks over the trees in a folder.
///
/// Secrets are read from the environment only: TROUBLETREE_BACKEND_TOKEN,
/// TROUBLETREE_AGENT_TOKEN, TROUBLETREE_ADMIN_TOKEN, TROUBLETREE_WRITER_TOKEN,
/// TROUBLETREE_WEBHOOK_SECRET.
#[derive(Debug, Parser)]
#[command(name = "troubletree-server", version)]
struct Args {
    /// Tree files or folders to publish at start (and at each reload).
    #[arg(required = true, env = "TROUBLETREE_TREES", value_delimiter = ',')]
    trees: Vec<PathBuf>,
    /// Address to listen on.
    #[arg(long, env = "TROUBLETREE_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// sqlite://FILE (one node) or postgres://USER@HOST/DB (many replicas).
    #[arg(
        long,
        env = "TROUBLETREE_DATABASE_URL",
        default_value = "sqlite://troubletree.db"
    )]
    database_url: String,
    /// Most database connections.
    #[arg(long, env = "TROUBLETREE_MAX_CONNECTIONS", default_value_t = 8)]
    max_connections: u32,
    /// Milliseconds a request waits for the database before answering 503.
    #[arg(long, env = "TROUBLETREE_DATABASE_TIMEOUT_MS", default_value_t = 500)]
    database_timeout_ms: u64,
    /// Most sessions whose walk is kept in memory between turns, so that their next
    /// turn skips reading and replaying them (0: none). It pays when the load balancer
    /// sends a session's requests to the same replica.
    #[arg(long, env = "TROUBLETREE_LIVE_SESSIONS", default_value_t = 10_000)]
    live_sessions: usize,
    /// Largest request body in bytes.
    #[arg(long, env = "TROUBLETREE_BODY_LIMIT", default_value_t = 16 * 1024)]
    body_limit: usize,
    /// Seconds one request may take.
    #[arg(long, env = "TROUBLETREE_REQUEST_TIMEOUT", default_value_t = 10)]
    request_timeout: u64,
    /// Browser origins allowed by CORS (comma-separated), e.g. https://help.wallet.example
    #[arg(long, env = "TROUBLETREE_CORS_ORIGINS", value_delimiter = ',')]
    cors_origin: Vec<String>,
    /// Minutes east of UTC of the help desk's clock (opening hours); 480 is UTC+8.
    #[arg(
        long,
        env = "TROUBLETREE_UTC_OFFSET_MINUTES",
        default_value_t = 480,
        allow_negative_numbers = true
    )]
    utc_offset_minutes: i32,
    /// Minutes without a step after which a session counts as abandoned.
    #[arg(long, env = "TROUBLETREE_ABANDON_AFTER_MINUTES", default_value_t = 30)]
    abandon_after_minutes: u64,
    /// Scenario files or folders (comma-separated) the writers' preview runs to show
    /// coverage, e.g. tests/scenarios.
    #[arg(long, env = "TROUBLETREE_SCENARIOS", value_delimiter = ',')]
    scenarios: Vec<PathBuf>,
    /// URL that receives tickets (POST, JSON, signed).
    #[arg(long, env = "TROUBLETREE_WEBHOOK_URL")]
    webhook_url: Option<String>,
    /// Seconds one webhook delivery may take.
    #[arg(long, env = "TROUBLETREE_WEBHOOK_TIMEOUT", default_value_t = 10)]
    webhook_timeout: u64,
    /// Milliseconds before the first retry (doubled at each retry).
    #[arg(long, env = "TROUBLETREE_WEBHOOK_BACKOFF_MS", default_value_t = 1000)]
    webhook_backoff_ms: u64,
    /// Longest wait between retries, in milliseconds.
    #[arg(
        long,
        env = "TROUBLETREE_WEBHOOK_BACKOFF_MAX_MS",
        default_value_t = 300_000
    )]
    webhook_backoff_max_ms: u64,
    /// Milliseconds between two looks at the outbox.
    #[arg(long, env = "TROUBLETREE_POLL_MS", default_value_t = 500)]
    poll_ms: u64,
}

impl Args {
    fn into_config(self, env: impl Fn(&str) -> Option<String>) -> Config {
        Config {
            trees: self.trees,
            listen: self.listen,
            database_url: self.database_url,
            max_connections: self.max_connections.max(1),
            database_timeout: Duration::from_millis(self.database_timeout_ms.max(1)),
            live_sessions: self.live_sessions,
            body_limit: self.body_limit,
            request_timeout: Duration::from_secs(self.request_timeout.max(1)),
            cors_origins: self.cors_origin,
            utc_offset_minutes: self.utc_offset_minutes.clamp(-14 * 60, 14 * 60),
            abandon_after: Duration::from_secs(self.abandon_after_minutes.max(1) * 60),
            backend_token: env("TROUBLETREE_BACKEND_TOKEN"),
            agent_token: env("TROUBLETREE_AGENT_TOKEN"),
            admin_token: env("TROUBLETREE_ADMIN_TOKEN"),
            writer_token: env("TROUBLETREE_WRITER_TOKEN"),
            scenarios: self.scenarios,
            webhook_url: self.webhook_url,
            webhook_secret: env("TROUBLETREE_WEBHOOK_SECRET"),
            webhook_timeout: Duration::from_secs(self.webhook_timeout.max(1)),
            webhook_backoff: Duration::from_millis(self.webhook_backoff_ms.max(1)),
            webhook_backoff_max: Duration::from_millis(self.webhook_backoff_max_ms.max(1)),
            poll_interval: Duration::from_millis(self.poll_ms.max(10)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_listen_on_loopback_with_sqlite() {
        let args = Args::try_parse_from(["troubletree-server", "trees/"]).expect("parses");
        let config = args.into_config(|_| None);
        assert_eq!(config.listen.to_string(), "127.0.0.1:8080");
        assert!(config.database_url.starts_with("sqlite://"));
        assert!(config.backend_token.is_none());
        assert_eq!(config.live_sessions, 10_000);
    }

    #[test]
    fn kept_walks_can_be_turned_off() {
        let args = Args::try_parse_from(["troubletree-server", "--live-sessions", "0", "trees/"])
            .expect("parses");
        assert_eq!(args.into_config(|_| None).live_sessions, 0);
        assert!(
            Args::try_parse_from(["troubletree-server", "--live-sessions", "-1", "trees/"])
                .is_err()
        );
    }

    #[test]
    fn secrets_come_from_the_environment_only() {
        let args = Args::try_parse_from(["troubletree-server", "trees/"]).expect("parses");
        let config =
            args.into_config(|name| (name == "TROUBLETREE_AGENT_TOKEN").then(|| "a".into()));
        assert_eq!(config.agent_token.as_deref(), Some("a"));
        assert!(
            Args::try_parse_from(["troubletree-server", "--agent-token", "x", "trees/"]).is_err()
        );
    }
}

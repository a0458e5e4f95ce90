//! Where sessions, tickets, versions, the outbox and events live: SQLite (one node) or
//! PostgreSQL (many replicas), through sqlx's `Any` driver with SQL written once.
//!
//! The two databases differ in three places, each a `match` on [`Dialect`]: the schema
//! types (`migrations/*.sql`), the migration lock (an advisory lock on PostgreSQL), and
//! the outbox claim (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so that replicas never
//! wait on each other's rows). Everything else is the same statements: `$1` parameters,
//! `RETURNING`, and optimistic updates guarded by the session's `seq`.
//!
//! Writes go through the store's write connections: on SQLite one connection, so that
//! writers queue in the process instead of sleeping in SQLite's busy handler (WAL allows
//! one writer at a time anyway; readers use the others and are never blocked); on
//! PostgreSQL the same connections as reads. Connections are held in `conns.rs`,
//! not in sqlx's pool, which pings each one as it comes back. What a turn writes (the
//! session, its step, its events, its ticket) is one statement on PostgreSQL
//! (data-modifying `WITH`, one round trip instead of six) and one transaction on SQLite;
//! see `docs/PERFORMANCE.md`.

use std::collections::BTreeMap;
use std::time::Duration;

use sqlx::any::AnyRow;
use sqlx::{Any, AnyConnection, Executor, Row};

use crate::conns::{Conns, Lease};

use crate::engine::{Sources, TreeSource};

/// Which database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// A file, one node.
    Sqlite,
    /// A server, any number of replicas.
    Postgres,
}

/// The database failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database cannot be reached (down, restarting, overloaded): retry later.
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    /// Anything else: a bug or a broken schema.
    #[error("database error: {0}")]
    Other(String),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match e {
            sqlx::Error::Io(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Tls(_)
            | sqlx::Error::Protocol(_)
            | sqlx::Error::WorkerCrashed => StoreError::Unavailable(e.to_string()),
            sqlx::Error::Database(ref db) => {
                // SQLite busy/locked, PostgreSQL shutting down or too many clients.
                let code = db.code().unwrap_or_default();
                if matches!(&*code, "5" | "6" | "57P01" | "57P02" | "57P03" | "53300") {
                    StoreError::Unavailable(e.to_string())
                } else {
                    StoreError::Other(e.to_string())
                }
            }
            other => StoreError::Other(other.to_string()),
        }
    }
}

type Result<T> = std::result::Result<T, StoreError>;

/// A session as stored.
#[derive(Debug, Clone)]
pub struct SessionRow {
    /// The session id.
    pub id: String,
    /// The published version it is pinned to.
    pub catalogue: i64,
    /// Actions applied so far.
    pub seq: i64,
    /// `open`, `resolved`, `escalated`, `handed_off`, `abandoned`.
    pub status: String,
    /// The engine's save.
    pub state: String,
    /// Last change, Unix milliseconds.
    pub updated_at: i64,
}

/// A ticket as stored.
#[derive(Debug, Clone)]
pub struct TicketRow {
    /// The ticket id.
    pub id: String,
    /// The session.
    pub session: String,
    /// `open`, `claimed`, `closed`.
    pub status: String,
    /// Who claimed it.
    pub agent: Option<String>,
    /// The ticket (JSON).
    pub body: String,
    /// Created, Unix milliseconds.
    pub created_at: i64,
    /// Last change, Unix milliseconds.
    pub updated_at: i64,
}

/// A ticket to write with a step, and its delivery.
#[derive(Debug, Clone)]
pub struct NewTicket {
    /// The ticket id (also the delivery's idempotency key).
    pub id: String,
    /// 3 urgent … 0 low.
    pub priority: i64,
    /// The ticket (JSON), also the delivery's body.
    pub body: String,
}

/// An analytics event to append.
#[derive(Debug, Clone)]
pub struct NewEvent {
    /// The session's seq when it happened.
    pub seq: i64,
    /// `started`, `shown`, ...
    pub kind: String,
    /// The JSON payload.
    pub payload: String,
}

/// Everything one action writes, in one transaction.
#[derive(Debug, Clone)]
pub struct Commit {
    /// The session.
    pub session: String,
    /// The seq the action was applied at; the write happens only if it is still current.
    pub seq: i64,
    /// The version the session is on after the action.
    pub catalogue: i64,
    /// The new state.
    pub state: String,
    /// The new status.
    pub status: String,
    /// The request, as the service compares retries.
    pub action: String,
    /// The response it got.
    pub response: String,
    /// Unix milliseconds.
    pub now: i64,
    /// Events to append.
    pub events: Vec<NewEvent>,
    /// A ticket the action created.
    pub ticket: Option<NewTicket>,
}

/// A new session, written with its first step.
#[derive(Debug, Clone)]
pub struct NewSession {
    /// The id.
    pub id: String,
    /// The first tree.
    pub tree: String,
    /// The action's other fields: `seq` is 0.
    pub commit: Commit,
}

/// A delivery to attempt.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// Row id.
    pub id: i64,
    /// Idempotency key.
    pub key: String,
    /// Body.
    pub payload: String,
    /// Attempts including this one.
    pub attempts: i64,
}

/// A published version.
#[derive(Debug, Clone)]
pub struct CatalogueRow {
    /// Its number.
    pub id: i64,
    /// The digest of its sources.
    pub digest: String,
    /// Published, Unix milliseconds.
    pub published_at: i64,
    /// Retired, Unix milliseconds.
    pub retired_at: Option<i64>,
}

/// The database.
#[derive(Debug, Clone)]
pub struct Store {
    /// Reads (and, on PostgreSQL, writes).
    reads: Conns,
    /// Writes: on SQLite one connection of its own, on PostgreSQL `reads` again.
    writes: Conns,
    dialect: Dialect,
    timeout: Duration,
}

/// How long a turn's write waits in all for a connection while every connection of
/// the pool is busy (a queue, not an outage): SQLite's single writer, or PostgreSQL's
/// pool under a peak. SQLite's own `busy_timeout` on every connection is the same.
const QUEUE_WAIT: Duration = Duration::from_secs(5);

const SQLITE_SCHEMA: &str = include_str!("../migrations/sqlite.sql");
const POSTGRES_SCHEMA: &str = include_str!("../migrations/postgres.sql");

/// Events in time order, for statistics over a time range (`troubletree stats`, the
/// `/stats` page): the same index on both databases.
const EVENTS_AT: &str = "CREATE INDEX events_at ON events (at, id);";

/// No query reads events by session (statistics read them by time, the admin feed by
/// id), so the initial schema's index on `(session, id)` was only a cost: one more
/// B-tree insert, at a random place, for every event written.
const DROP_EVENTS_SESSION: &str = "DROP INDEX IF EXISTS events_session;";

/// Schema versions, in order: (version, name, SQLite text, PostgreSQL text).
const MIGRATIONS: &[(i64, &str, &str, &str)] = &[
    (1, "initial", SQLITE_SCHEMA, POSTGRES_SCHEMA),
    (2, "events_at", EVENTS_AT, EVENTS_AT),
    (
        3,
        "drop events_session",
        DROP_EVENTS_SESSION,
        DROP_EVENTS_SESSION,
    ),
];

impl Store {
    /// Opens the database and brings its schema up to date. `sqlite://FILE` creates the
    /// file (WAL mode); `postgres://...` connects to a server.
    ///
    /// # Errors
    ///
    /// An unknown scheme, an unreachable database, or a failed migration.
    pub async fn connect(url: &str, max_connections: u32, timeout: Duration) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let (dialect, url) = if let Some(rest) = url.strip_prefix("sqlite:") {
            let sep = if rest.contains('?') { '&' } else { '?' };
            let url = if rest.contains("mode=") {
                url.to_owned()
            } else {
                format!("{url}{sep}mode=rwc")
            };
            (Dialect::Sqlite, url)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            (Dialect::Postgres, url.to_owned())
        } else {
            return Err(StoreError::Other(format!(
                "database URL must start with sqlite:// or postgres://, not {:?}",
                url.split(':').next().unwrap_or_default()
            )));
        };
        // No test of a connection before or after use: a connection that broke
        // meanwhile fails one query and is then closed (see `conns`).
        let setup: &'static [&'static str] = match dialect {
            Dialect::Sqlite => &[
                "PRAGMA busy_timeout = 5000",
                "PRAGMA foreign_keys = ON",
                "PRAGMA synchronous = NORMAL",
            ],
            Dialect::Postgres => &[],
        };
        let reads = Conns::open(
            &url,
            usize::try_from(max_connections).unwrap_or(1),
            timeout,
            setup,
        )
        .await?;
        if dialect == Dialect::Sqlite {
            // WAL is a property of the file: set once, kept by every later connection.
            let mut conn = reads.acquire(timeout).await?;
            let wal = conn.execute("PRAGMA journal_mode = WAL").await.map(drop);
            conn.finish(wal)?;
        }
        // SQLite's single writer is where one node's turns queue (their engine work
        // included). (A file that cannot be opened fails at once; there is no outage to
        // detect.)
        let writes = match dialect {
            Dialect::Sqlite => Conns::open(&url, 1, timeout, setup).await?,
            Dialect::Postgres => reads.clone(),
        };
        let store = Store {
            reads,
            writes,
            dialect,
            timeout,
        };
        store.migrate().await?;
        Ok(store)
    }

    /// Which database this is.
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// Closes every connection.
    pub async fn close(&self) {
        self.reads.close().await;
        self.writes.close().await;
    }

    async fn migrate(&self) -> Result<()> {
        let mut conn = self.writes.acquire(self.write_wait()).await?;
        if self.dialect == Dialect::Postgres {
            // Replicas starting together: one migrates, the others wait.
            sqlx::query("SELECT pg_advisory_lock(7461726565)")
                .execute(&mut *conn)
                .await?;
        }
        let result = async {
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
            )
            .await?;
            for (version, name, sqlite, postgres) in MIGRATIONS {
                let done = sqlx::query("SELECT version FROM schema_migrations WHERE version = $1")
                    .bind(*version)
                    .fetch_optional(&mut *conn)
                    .await?;
                if done.is_some() {
                    continue;
                }
                let text = match self.dialect {
                    Dialect::Sqlite => sqlite,
                    Dialect::Postgres => postgres,
                };
                let mut tx = sqlx::Connection::begin(&mut *conn).await?;
                sqlx::raw_sql(text).execute(&mut *tx).await?;
                sqlx::query("INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)")
                    .bind(*version)
                    .bind(*name)
                    .bind(now_ms())
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
            }
            Ok::<(), sqlx::Error>(())
        }
        .await;
        let unlocked = if self.dialect == Dialect::Postgres {
            sqlx::query("SELECT pg_advisory_unlock(7461726565)")
                .execute(&mut *conn)
                .await
                .map(drop)
        } else {
            Ok(())
        };
        let done = match (result, unlocked) {
            (Err(e), _) | (Ok(()), Err(e)) => Err(e),
            (Ok(()), Ok(())) => Ok(()),
        };
        Ok(conn.finish(done)?)
    }

    /// Work on a connection for reading, bounded in time (acquiring it included).
    async fn read<T>(
        &self,
        work: impl AsyncFnOnce(&mut AnyConnection) -> std::result::Result<T, sqlx::Error>,
    ) -> Result<T> {
        self.on(&self.reads, self.timeout, work).await
    }

    /// Work on a connection for writing, bounded in time (acquiring it included).
    async fn write<T>(
        &self,
        work: impl AsyncFnOnce(&mut AnyConnection) -> std::result::Result<T, sqlx::Error>,
    ) -> Result<T> {
        self.on(&self.writes, self.write_wait(), work).await
    }

    /// Work on a connection of `conns`, waiting up to `wait` for one while all are in
    /// use; the work's end, or its error, says whether the connection is kept.
    async fn on<T>(
        &self,
        conns: &Conns,
        wait: Duration,
        work: impl AsyncFnOnce(&mut AnyConnection) -> std::result::Result<T, sqlx::Error>,
    ) -> Result<T> {
        self.bounded(async {
            let mut conn = conns.acquire(wait).await?;
            let result = work(&mut conn).await;
            conn.finish(result)
        })
        .await
    }

    /// How long a write other than a turn's waits for a connection while all are in
    /// use: SQLite's single writer is a queue, as its lock was before (busy_timeout).
    fn write_wait(&self) -> Duration {
        match self.dialect {
            Dialect::Sqlite => self.timeout.max(QUEUE_WAIT),
            Dialect::Postgres => self.timeout,
        }
    }

    /// Bounds one database operation in time: a database that hangs is unavailable.
    async fn bounded<T>(
        &self,
        work: impl std::future::Future<Output = std::result::Result<T, sqlx::Error>>,
    ) -> Result<T> {
        let limit = match self.dialect {
            Dialect::Sqlite => self.timeout * 4 + QUEUE_WAIT,
            Dialect::Postgres => self.timeout * 4,
        };
        match tokio::time::timeout(limit, work).await {
            Ok(r) => Ok(r?),
            Err(_) => Err(StoreError::Unavailable(
                "the database did not answer in time".into(),
            )),
        }
    }

    /// Whether the database answers.
    ///
    /// # Errors
    ///
    /// When it does not.
    pub async fn ping(&self) -> Result<()> {
        self.read(async |conn| sqlx::query("SELECT 1").execute(conn).await.map(drop))
            .await
    }

    // ------------------------------------------------------------------ versions

    /// Publishes a version unless it is already the newest; returns its number and
    /// whether it is new.
    ///
    /// # Errors
    ///
    /// A database failure.
    pub async fn publish(&self, sources: &Sources) -> Result<(i64, bool)> {
        let digest = sources.digest();
        let manifest = serde_json::to_string(&sources.manifest()).unwrap_or_default();
        self.write(async |conn| {
            let mut tx = sqlx::Connection::begin(conn).await?;
            let newest = sqlx::query(
                "SELECT id, digest FROM catalogues WHERE retired_at IS NULL ORDER BY id DESC LIMIT 1",
            )
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(row) = newest
                && row.try_get::<String, _>("digest")? == digest
            {
                return Ok((row.try_get::<i64, _>("id")?, false));
            }
            let now = now_ms();
            for t in &sources.trees {
                sqlx::query(
                    "INSERT INTO trees (tree, fingerprint, version, source, first_published) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (tree, fingerprint) DO NOTHING",
                )
                .bind(&t.id)
                .bind(&t.fingerprint)
                .bind(t.version)
                .bind(&t.source)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
            let row = sqlx::query(
                "INSERT INTO catalogues (digest, manifest, directory, published_at) VALUES ($1, $2, $3, $4) RETURNING id",
            )
            .bind(&digest)
            .bind(&manifest)
            .bind(&sources.directory)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            let id: i64 = row.try_get("id")?;
            tx.commit().await?;
            Ok((id, true))
        })
        .await
    }

    /// The newest version still served.
    ///
    /// # Errors
    ///
    /// A database failure.
    pub async fn newest_catalogue(&self) -> Result<Option<i64>> {
        // Read by the first start after each second: queues like a write under a peak.
        let mut conn = self.reads.acquire(QUEUE_WAIT).await?;
        self.bounded(async {
            let row = sqlx::query(
                "SELECT id FROM catalogues WHERE retired_at IS NULL ORDER BY id DESC LIMIT 1",
            )
            .fetch_optional(&mut *conn)
            .await;
            conn.finish(row)?
                .map(|r| r.try_get::<i64, _>("id"))
                .transpose()
        })
        .await
    }

    /// Every version, newest first.
    ///
    /// # Errors
    ///
    /// A database failure.
    pub async fn catalogues(&self) -> Result<Vec<CatalogueRow>> {
        self.read(async |conn| {
            let rows = sqlx::query(
                "SELECT id, digest, published_at, retired_at FROM catalogues ORDER BY id DESC",
            )
            .fetch_all(conn)
            .await?;
            rows.iter()
                .map(|r| {
                    Ok(CatalogueRow {
                        id: r.try_get("id")?,
                        digest: r.try_get("digest")?,
                        published_at: r.try_get("published_at")?,
                        retired_at: r.try_get("retired_at")?,
                    })
                })
                .collect()
        })
        .await
    }

    /// The sources of a version that is still served (`None`: unknown or retired).
    ///
    /// # Errors
    ///
    /// A database failure, or a manifest that names a tree text the store lacks.
    pub async fn catalogue(&self, id: i64) -> Result<Option<Sources>> {
        self.read(async |conn| {
            let Some(row) = sqlx::query(
                "SELECT manifest, directory FROM catalogues WHERE id = $1 AND retired_at IS NULL",
            )
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?
            else {
                return Ok(None);
            };
            let manifest: String = row.try_get("manifest")?;
            let manifest: BTreeMap<String, String> =
                serde_json::from_str(&manifest).map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
            let mut trees = Vec::with_capacity(manifest.len());
            for (tree, fingerprint) in manifest {
                let row = sqlx::query(
                    "SELECT version, source FROM trees WHERE tree = $1 AND fingerprint = $2",
                )
                .bind(&tree)
                .bind(&fingerprint)
                .fetch_one(&mut *conn)
                .await?;
                trees.push(TreeSource {
                    id: tree,
                    fingerprint,
                    version: row.try_get("version")?,
                    source: row.try_get("source")?,
                });
            }
            Ok(Some(Sources {
                trees,
                directory: row.try_get("directory")?,
            }))
        })
        .await
    }

    /// Retires a version: its sessions resume on the newest by the engine's replay
    /// rules, or are told the flow changed. The newest version cannot be retired.
    ///
    /// # Errors
    ///
    /// A database failure.
    pub async fn retire(&self, id: i64) -> Result<RetireOutcome> {
        self.write(async |conn| {
            let mut tx = sqlx::Connection::begin(conn).await?;
            let done = sqlx::query(
                "UPDATE catalogues SET retired_at = $1 WHERE id = $2 AND retired_at IS NULL AND id < (SELECT max(id) FROM catalogues WHERE retired_at IS NULL)",
            )
            .bind(now_ms())
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            let outcome = if done == 1 {
                RetireOutcome::Retired
            } else {
                let exists = sqlx::query("SELECT retired_at FROM catalogues WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?;
                match exists {
                    None => RetireOutcome::NotFound,
                    Some(r) if r.try_get::<Option<i64>, _>("retired_at")?.is_some() => {
                        RetireOutcome::Retired
                    }
                    Some(_) => RetireOutcome::Newest,
                }
            };
            tx.commit().await?;
            Ok(outcome)
        })
        .await
    }

    // ------------------------------------------------------------------ sessions

    /// Writes a new session and what its start produced.
    ///
    /// # Errors
    ///
    /// A database failure.
    pub async fn insert_session(&self, new: &NewSession) -> Result<()> {
        let conn = self.write_connection().await?;
        self.bounded(write_commit(
            conn,
            self.dialect,
            Write::Insert(&new.tree),
            &new.commit,
        ))
        .await
        .map(drop)
    }

    /// A session by id.
    ///
    /// # Errors
    ///
    /// A database failure.
    pub async fn session(&self, id: &str) -> Result<Option<SessionRow>> {
        self.read(async |conn| {
            let row = sqlx::query(SESSION_BY_ID)
                .bind(id)
                .fetch_optional(conn)
                .await?;
            row.as_ref().map(session_row).transpose()
        })
        .await
    }

    /// A connection for one turn: the session is read and its change written on it, so
    /// that a turn takes one connection (and its release) instead of two. On SQLite it
    /// is the single writer's, so hold it only for the turn.
    ///
    /// # Errors
    ///
    /// A database failure, or the database unreachable within its timeout (while the
    /// pool is merely full, the turn waits up to 5 s, `QUEUE_WAIT`, first).
    pub async fn hold(&self) -> Result<Held<'_>> {
        let conn = self.write_connection().await?;
        Ok(Held { store: self, conn })
    }

    /// A connection to write on. While every connection of the pool is in use, the
    /// pool is a queue (one SQLite writer; PostgreSQL under a peak): the write waits
    /// there up to [`QUEUE_WAIT`] in all. A database that cannot be reached still
    /// fails after the pool's own timeout, since the pool then holds fewer connections
    /// than its maximum (broken ones are dropped, new ones fail to open).
    async fn write_connection(&self) -> Result<Lease> {
        Ok(self.writes.acquire(QUEUE_WAIT).await?)
    }

    /// The action applied at `seq` and its response.
    ///
    /// # Errors
    ///
    /// A database failure.
    pub async fn step(&self, session: &str, seq: i64) -> Result<Option<(String, String)>> {
        self.read(async |conn| {
            let row =
                sqlx::query("SELECT action, response FROM steps WHERE session = $1 AND seq = $2")
                    .bind(session)
                    .bind(seq)
                    .fetch_optional(conn)
                    .await?;
            row.map(|r| Ok((r.try_get("action")?, r.try_get("response")?)))
                .transpose()
        })
        .await
    }

    /// Applies an action if the session is still at `commit.seq`: the new state, the
    /// step, its events, and its ticket with the ticket's delivery, all or nothing.
    /// `false`: another request got there first; nothing was written.
    ///
    /// # Errors
    ///
    /// A database failure (nothing was written).
    pub async fn commit(&self, c: &Commit) -> Result<bool> {
        self.hold().await?.commit(c).await
    }

    /// Open sessions idle since before `before` (Unix ms), oldest first.
    ///
    /// # Errors
    ///
    /// A database failure.
    pub async fn idle_sessions(&self, before: i64, limit: i64) -> Result<Vec<SessionRow>> {
        self.read(async |conn| {
            let rows = sqlx::query(
                "SELECT id, catalogue, seq, status, state, updated_at FROM sessions WHERE status = 'open' AND updated_at < $1 ORDER BY updated_at LIMIT $2",
            )
            .bind(before)
            .bind(limit)
            .fetch_all(conn)
            .await?;
            rows.iter().map(session_row).collect()
        })
        .await
    }

    /// Marks an idle session abandoned, with its event, unless it moved meanwhile.
    ///
    /// # Errors
    ///
    /// A database failure.
    pub async fn abandon(&self, row: &SessionRow, event: &NewEvent, now: i64) -> Result<bool> {
        self.write(async |conn| {
            let mut tx = sqlx::Connection::begin(conn).await?;
            let updated = sqlx::query(
                "UPDATE sessions SET status = 'abandoned', updated_at = $1 WHERE id = $2 AND seq = $3 AND status = 'open'",
            )
            .bind(now)
            .bind(&row.id)
            .bind(row.seq)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if updated != 1 {
                tx.rollback().await?;
                return Ok(false);
            }
            insert_event(&mut tx, &row.id, event, now).await?;
            tx.commit().await?;
            Ok(true)
        })
        .await
    }

    // ------------------------------------------------------------------ tickets

    /// The ticket of a session, if it has one.
    ///
    /// # Errors
    ///
    /// A database failure.
    pub async fn ticket_of_session(&self, session: &str) -> Result<Option<TicketRow>> {
        self.read(async |conn| {
            let row = sqlx::query(&format!("{TICKET_COLUMNS} WHERE session = $1"))
                .bind(session)
                .fetch_optional(conn)
                .await?;
            row.as_ref().map(ticket_row).transpose()
        })
        .await
    }

    /// A ticket by id.
    ///
    /// # Errors
    ///
    /// A database failure.
    pub async fn ticket(&self, id: &str) -> Result<Option<TicketRow>> {
        self.read(async |conn| {
            let row = sqlx::query(&format!("{TICKET_COLUMNS} WHERE id = $1"))
                .bind(id)
                .fetch_optional(conn)
                .await?;
            row.as_ref().map(ticket_row).transpose()
        })
        .await
    }

    /// Tickets with this status, most urgent first, then newest first.
    ///
    /// # Errors
    ///
    /// A database failure.
    pub async fn tickets(&self, status: &str, limit: i64) -> Result<Vec<TicketRow>> {
        self.read(async |conn| {
            let rows = sqlx::query(&format!(
                "{TICKET_COLUMNS} WHERE status = $1 ORDER BY priority DESC, created_at DESC, id LIMIT $2"
            ))
            .bind(status)
            .bind(limit)
            .fetch_all(conn)
            .await?;
            rows.iter().map(ticket_row).collect()
        })
        .await
    }

    /// Moves a ticket from one of `from` to `to`, recording the agent; `false` if it was
    /// in none of them.
    ///
    /// # Errors
    ///
    /// A database failure.
    pub async fn move_ticket(
        &self,
        id: &str,
        from: &[&str],
        to: &str,
        agent: &str,
    ) -> Result<bool> {
        self.write(async |conn| {
            let placeholders: Vec<String> = (0..from.len()).map(|i| format!("${}", i + 5)).collect();
            let sql = format!(
                "UPDATE tickets SET status = $1, agent = $2, updated_at = $3 WHERE id = $4 AND status IN ({})",
                placeholders.join(", ")
            );
            let mut q = sqlx::query(&sql).bind(to).bind(agent).bind(now_ms()).bind(id);
            for f in from {
                q = q.bind(*f);
            }
            Ok(q.execute(conn).await?.rows_affected() == 1)
        })
        .await
    }

    // ------------------------------------------------------------------ outbox

    /// Takes up to `limit` due deliveries for `lease`: no other replica takes them
    /// until it expires.
    ///
    /// # Errors
    ///
    /// A database failure.
    pub async fn claim_deliveries(&self, lease: Duration, limit: i64) -> Result<Vec<Delivery>> {
        let now = now_ms();
        let until = now.saturating_add(i64::try_from(lease.as_millis()).unwrap_or(i64::MAX));
        let lock = match self.dialect {
            Dialect::Postgres => " FOR UPDATE SKIP LOCKED",
            Dialect::Sqlite => "",
        };
        let sql = format!(
            "UPDATE outbox SET locked_until = $1, attempts = attempts + 1 WHERE id IN (SELECT id FROM outbox WHERE delivered_at IS NULL AND next_attempt_at <= $2 AND locked_until <= $2 ORDER BY id LIMIT $3{lock}) RETURNING id, key, payload, attempts"
        );
        self.write(async |conn| {
            let rows = sqlx::query(&sql)
                .bind(until)
                .bind(now)
                .bind(limit)
                .fetch_all(conn)
                .await?;
            rows.iter()
                .map(|r| {
                    Ok(Delivery {
                        id: r.try_get("id")?,
                        key: r.try_get("key")?,
                        payload: r.try_get("payload")?,
                        attempts: r.try_get("attempts")?,
                    })
                })
                .collect()
        })
        .await
    }

    /// The receiver acknowledged a delivery.
    ///
    /// # Errors
    ///
    /// A database failure.
    pub async fn delivered(&self, id: i64) -> Result<()> {
        self.write(async |conn| {
            sqlx::query("UPDATE outbox SET delivered_at = $1, last_error = NULL WHERE id = $2")
                .bind(now_ms())
                .bind(id)
                .execute(conn)
                .await
                .map(drop)
        })
        .await
    }

    /// A delivery failed: try again at `next_attempt_at` (Unix ms).
    ///
    /// # Errors
    ///
    /// A database failure.
    pub async fn failed(&self, id: i64, next_attempt_at: i64, error: &str) -> Result<()> {
        self.write(async |conn| {
            sqlx::query(
                "UPDATE outbox SET next_attempt_at = $1, locked_until = 0, last_error = $2 WHERE id = $3 AND delivered_at IS NULL",
            )
            .bind(next_attempt_at)
            .bind(error)
            .bind(id)
            .execute(conn)
            .await
            .map(drop)
        })
        .await
    }

    /// Deliveries not yet acknowledged.
    ///
    /// # Errors
    ///
    /// A database failure.
    pub async fn backlog(&self) -> Result<i64> {
        self.read(async |conn| {
            let row = sqlx::query("SELECT count(*) AS n FROM outbox WHERE delivered_at IS NULL")
                .fetch_one(conn)
                .await?;
            row.try_get::<i64, _>("n")
        })
        .await
    }

    // ------------------------------------------------------------------ events

    /// Events after `after` (an event id), oldest first: `(id, payload)`.
    ///
    /// # Errors
    ///
    /// A database failure.
    pub async fn events(&self, after: i64, limit: i64) -> Result<Vec<(i64, String)>> {
        self.read(async |conn| {
            let rows =
                sqlx::query("SELECT id, payload FROM events WHERE id > $1 ORDER BY id LIMIT $2")
                    .bind(after)
                    .bind(limit)
                    .fetch_all(conn)
                    .await?;
            rows.iter()
                .map(|r| Ok((r.try_get("id")?, r.try_get("payload")?)))
                .collect()
        })
        .await
    }
}

impl Store {
    /// Events from `from` (inclusive) to `to` (exclusive), Unix milliseconds, in time
    /// order: `(at, id, payload)` after the cursor `(at, id)`, at most `limit`. Read
    /// page by page on the `events_at` index, so a long range never sits in memory.
    ///
    /// # Errors
    ///
    /// A database failure.
    pub async fn events_between(
        &self,
        after: (i64, i64),
        to: i64,
        limit: i64,
    ) -> Result<Vec<(i64, i64, String)>> {
        self.read(async |conn| {
            let rows = sqlx::query(
                "SELECT at, id, payload FROM events WHERE (at > $1 OR (at = $1 AND id > $2)) AND at < $3 ORDER BY at, id LIMIT $4",
            )
            .bind(after.0)
            .bind(after.1)
            .bind(to)
            .bind(limit)
            .fetch_all(conn)
            .await?;
            rows.iter()
                .map(|r| Ok((r.try_get("at")?, r.try_get("id")?, r.try_get("payload")?)))
                .collect()
        })
        .await
    }

    /// The text of a published tree version.
    ///
    /// # Errors
    ///
    /// A database failure.
    pub async fn tree_source(&self, tree: &str, fingerprint: &str) -> Result<Option<String>> {
        self.read(async |conn| {
            let row = sqlx::query("SELECT source FROM trees WHERE tree = $1 AND fingerprint = $2")
                .bind(tree)
                .bind(fingerprint)
                .fetch_optional(conn)
                .await?;
            row.map(|r| r.try_get("source")).transpose()
        })
        .await
    }
}

/// What retiring a version did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetireOutcome {
    /// Retired (now or before).
    Retired,
    /// No such version.
    NotFound,
    /// It is the newest: publish another first.
    Newest,
}

const TICKET_COLUMNS: &str =
    "SELECT id, session, status, agent, body, created_at, updated_at FROM tickets";

fn session_row(r: &AnyRow) -> std::result::Result<SessionRow, sqlx::Error> {
    Ok(SessionRow {
        id: r.try_get("id")?,
        catalogue: r.try_get("catalogue")?,
        seq: r.try_get("seq")?,
        status: r.try_get("status")?,
        state: r.try_get("state")?,
        updated_at: r.try_get("updated_at")?,
    })
}

fn ticket_row(r: &AnyRow) -> std::result::Result<TicketRow, sqlx::Error> {
    Ok(TicketRow {
        id: r.try_get("id")?,
        session: r.try_get("session")?,
        status: r.try_get("status")?,
        agent: r.try_get("agent")?,
        body: r.try_get("body")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

const SESSION_BY_ID: &str =
    "SELECT id, catalogue, seq, status, state, updated_at FROM sessions WHERE id = $1";

/// A connection held for one turn ([`Store::hold`]): read the session, then commit.
pub struct Held<'s> {
    store: &'s Store,
    conn: Lease,
}

impl std::fmt::Debug for Held<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Held").finish_non_exhaustive()
    }
}

impl Held<'_> {
    /// A session by id.
    ///
    /// # Errors
    ///
    /// A database failure.
    pub async fn session(&mut self, id: &str) -> Result<Option<SessionRow>> {
        let conn = &mut self.conn;
        self.store
            .bounded(async move {
                let row = sqlx::query(SESSION_BY_ID)
                    .bind(id)
                    .fetch_optional(&mut **conn)
                    .await;
                conn.finish(row)?.as_ref().map(session_row).transpose()
            })
            .await
    }

    /// [`Store::commit`] on this connection, which it then gives back.
    ///
    /// # Errors
    ///
    /// A database failure (nothing was written).
    pub async fn commit(self, c: &Commit) -> Result<bool> {
        let store = self.store;
        store
            .bounded(write_commit(self.conn, store.dialect, Write::Update, c))
            .await
    }
}

/// What [`write_commit`] does to the session row.
enum Write<'a> {
    /// Creates it, in this tree.
    Insert(&'a str),
    /// Moves it on from `seq`, if it is still there.
    Update,
}

/// Writes a session's change with its step, events and ticket, all or nothing; `false`
/// when the session was no longer at `c.seq` (nothing written). One command to the
/// database either way: on PostgreSQL one statement ([`postgres_write`]), on SQLite one
/// batch of statements ([`sqlite_write`]), where each separate statement would cost a
/// hand-over to sqlx's SQLite thread and back.
async fn write_commit(
    mut conn: Lease,
    dialect: Dialect,
    what: Write<'_>,
    c: &Commit,
) -> std::result::Result<bool, sqlx::Error> {
    let tree = match what {
        Write::Insert(tree) => Some(tree.to_owned()),
        Write::Update => None,
    };
    if dialect == Dialect::Postgres {
        let sql = postgres_write(tree.as_deref(), c);
        let row = bind_write(sqlx::query(&sql), tree.as_deref(), c)
            .fetch_one(&mut *conn)
            .await;
        return Ok(conn.finish(row)?.try_get::<i64, _>("n")? == 1);
    }
    // sqlx stops running a batch whose caller went away (a request cancelled by its
    // client or its timeout), which would leave the transaction open on the writer:
    // the batch runs in a task of its own, which always sees it to the end.
    let sql = sqlite_write(tree.as_deref(), c);
    let c = c.clone();
    tokio::spawn(async move {
        let rows = bind_write(sqlx::query(&sql), tree.as_deref(), &c)
            .fetch_all(&mut *conn)
            .await;
        match rows {
            Ok(rows) => {
                conn.finish(Ok(()))?;
                match rows.first() {
                    Some(row) => Ok(row.try_get::<i64, _>("applied")? == 1),
                    None => Err(sqlx::Error::RowNotFound),
                }
            }
            Err(e) => {
                // A statement failed: the batch stopped inside its transaction. The
                // connection is kept only if that transaction is rolled back.
                let rolled_back = conn.execute("ROLLBACK").await.map(drop);
                let _ = conn.finish(rolled_back);
                Err(e)
            }
        }
    })
    .await
    .map_err(|_| sqlx::Error::WorkerCrashed)?
}

/// Binds a write's parameters: `$1` catalogue, `$2` status, `$3` state, `$4` now, `$5`
/// session, `$6` seq, `$7` action, `$8` response, then (a new session) `$9` tree, then
/// three per event (seq, kind, payload), then the ticket's id, priority and body.
fn bind_write<'q>(
    q: sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>>,
    tree: Option<&'q str>,
    c: &'q Commit,
) -> sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>> {
    let mut q = q
        .bind(c.catalogue)
        .bind(&c.status)
        .bind(&c.state)
        .bind(c.now)
        .bind(&c.session)
        .bind(c.seq)
        .bind(&c.action)
        .bind(&c.response);
    if let Some(tree) = tree {
        q = q.bind(tree);
    }
    for e in &c.events {
        q = q.bind(e.seq).bind(&e.kind).bind(&e.payload);
    }
    if let Some(t) = &c.ticket {
        q = q.bind(&t.id).bind(t.priority).bind(&t.body);
    }
    q
}

/// The first statement of a write and the number of parameters before the events'.
fn session_statement(tree: Option<&str>) -> (&'static str, usize) {
    match tree {
        None => (
            "UPDATE sessions SET seq = seq + 1, catalogue = $1, status = $2, state = $3, updated_at = $4 WHERE id = $5 AND seq = $6",
            8,
        ),
        Some(_) => (
            "INSERT INTO sessions (id, catalogue, tree, seq, status, state, created_at, updated_at) VALUES ($5, $1, $9, 1, $2, $3, $4, $4)",
            9,
        ),
    }
}

/// `(0, $a, $b, $c), (1, ...)`: the events' rows, numbered to keep their order.
fn event_rows(c: &Commit, first: usize) -> String {
    (0..c.events.len())
        .map(|i| {
            let b = first + 3 * i;
            format!("({i}, ${}, ${}, ${})", b + 1, b + 2, b + 3)
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The PostgreSQL form of [`write_commit`]: one statement whose `WITH` clauses write the
/// session row and, only if that row was written, the step, the events (in order) and
/// the ticket with its delivery. One statement is atomic without a transaction, and the
/// foreign keys are checked at its end, once every row exists.
fn postgres_write(tree: Option<&str>, c: &Commit) -> String {
    use std::fmt::Write as _;
    let (first, n) = session_statement(tree);
    let mut sql = format!(
        "WITH u AS ({first} RETURNING id), s AS (INSERT INTO steps (session, seq, action, response, at) SELECT $5, $6, $7, $8, $4 FROM u)"
    );
    if !c.events.is_empty() {
        let _ = write!(
            sql,
            ", e AS (INSERT INTO events (session, seq, kind, payload, at) SELECT $5, v.seq, v.kind, v.payload, $4 FROM u, (VALUES {}) AS v (ord, seq, kind, payload) ORDER BY v.ord)",
            event_rows(c, n)
        );
    }
    if c.ticket.is_some() {
        let id = n + 3 * c.events.len() + 1;
        let (priority, body) = (id + 1, id + 2);
        let _ = write!(
            sql,
            ", t AS (INSERT INTO tickets (id, session, priority, status, agent, body, created_at, updated_at) SELECT ${id}, $5, ${priority}, 'open', NULL, ${body}, $4, $4 FROM u), o AS (INSERT INTO outbox (key, ticket, payload, attempts, next_attempt_at, locked_until, created_at) SELECT ${id}, ${id}, ${body}, 0, $4, 0, $4 FROM u)"
        );
    }
    sql.push_str(" SELECT count(*) AS n FROM u");
    sql
}

/// The SQLite form of [`write_commit`]: one batch in a transaction. `changes()` is the number
/// of rows the last INSERT or UPDATE wrote: the batch reports the session row's as
/// `applied`, and every later statement writes only if the one before it wrote its one
/// row, so that nothing follows an UPDATE that found the session moved on.
fn sqlite_write(tree: Option<&str>, c: &Commit) -> String {
    use std::fmt::Write as _;
    let (first, n) = session_statement(tree);
    let mut sql = format!(
        "BEGIN; {first}; SELECT changes() AS applied; INSERT INTO steps (session, seq, action, response, at) SELECT $5, $6, $7, $8, $4 WHERE changes() = 1;"
    );
    if c.ticket.is_some() {
        let id = n + 3 * c.events.len() + 1;
        let (priority, body) = (id + 1, id + 2);
        let _ = write!(
            sql,
            " INSERT INTO tickets (id, session, priority, status, agent, body, created_at, updated_at) SELECT ${id}, $5, ${priority}, 'open', NULL, ${body}, $4, $4 WHERE changes() = 1; INSERT INTO outbox (key, ticket, payload, attempts, next_attempt_at, locked_until, created_at) SELECT ${id}, ${id}, ${body}, 0, $4, 0, $4 WHERE changes() = 1;"
        );
    }
    if !c.events.is_empty() {
        let _ = write!(
            sql,
            " INSERT INTO events (session, seq, kind, payload, at) SELECT $5, column2, column3, column4, $4 FROM (VALUES {}) WHERE changes() = 1 ORDER BY column1;",
            event_rows(c, n)
        );
    }
    sql.push_str(" COMMIT;");
    sql
}

async fn insert_event(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    session: &str,
    e: &NewEvent,
    now: i64,
) -> std::result::Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO events (session, seq, kind, payload, at) VALUES ($1, $2, $3, $4, $5)")
        .bind(session)
        .bind(e.seq)
        .bind(&e.kind)
        .bind(&e.payload)
        .bind(now)
        .execute(&mut **tx)
        .await
        .map(drop)
}

/// The clock, Unix milliseconds.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

//! Database connections held without sqlx's pool.
//!
//! sqlx's pool pings every connection as it goes back (a round trip to PostgreSQL, a
//! hand-off to SQLite's thread and back): one more exchange per turn than the turn needs,
//! and the pool has no option to skip it. Here a connection goes back as it is, when the
//! work on it *finished*: it gave a result, or an error the database itself reported.
//! A connection dropped midway (a timeout, a request its client cancelled) or one that
//! failed on the way (I/O, protocol) is closed instead, since nothing says what state it
//! is in; the next caller opens a new one.
//!
//! At most `max` connections are open: each one in use holds one of `max` permits, and a
//! connection is opened only with a permit in hand and none idle. While every permit is
//! taken, [`Conns::acquire`] waits (a queue, not an outage); a database that cannot be
//! reached fails when opening a connection, within the connect timeout.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sqlx::any::AnyConnectOptions;
use sqlx::{AnyConnection, ConnectOptions, Connection, Executor};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// A connection older than this is closed instead of reused (sqlx's pool default), so
/// that a database server's per-connection memory does not only grow.
const MAX_LIFETIME: Duration = Duration::from_secs(30 * 60);
/// An idle connection unused for this long is closed instead of reused: a server or a
/// firewall may have dropped it meanwhile (sqlx's pool default).
const MAX_IDLE: Duration = Duration::from_secs(10 * 60);

/// A set of at most `max` connections to one database, shared by clones.
#[derive(Clone)]
pub(crate) struct Conns {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Conns {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Conns")
            .field("max", &self.inner.max)
            .finish_non_exhaustive()
    }
}

struct Inner {
    options: AnyConnectOptions,
    /// Statements every new connection runs first (SQLite's pragmas).
    setup: &'static [&'static str],
    idle: Mutex<Vec<Idle>>,
    permits: Arc<Semaphore>,
    max: usize,
    connect_timeout: Duration,
}

struct Idle {
    conn: AnyConnection,
    opened: Instant,
    since: Instant,
}

impl Conns {
    /// Opens one connection at once, so that a wrong URL or a database out of reach is
    /// known at start.
    ///
    /// # Errors
    ///
    /// The URL does not parse, or the first connection fails.
    pub async fn open(
        url: &str,
        max: usize,
        connect_timeout: Duration,
        setup: &'static [&'static str],
    ) -> Result<Conns, sqlx::Error> {
        let options: AnyConnectOptions = url.parse()?;
        let max = max.max(1);
        let conns = Conns {
            inner: Arc::new(Inner {
                options,
                setup,
                idle: Mutex::new(Vec::with_capacity(max)),
                permits: Arc::new(Semaphore::new(max)),
                max,
                connect_timeout,
            }),
        };
        // Given back at once: unused, it is finished.
        drop(conns.acquire(connect_timeout).await?);
        Ok(conns)
    }

    /// A connection: an idle one, or a new one. Waits up to `wait` while all `max` are
    /// in use ([`sqlx::Error::PoolTimedOut`] after that).
    ///
    /// # Errors
    ///
    /// `PoolTimedOut` when none came free in time, `PoolClosed` after [`Conns::close`],
    /// or the error of opening a new connection (`PoolTimedOut` when it took longer
    /// than the connect timeout).
    pub async fn acquire(&self, wait: Duration) -> Result<Lease, sqlx::Error> {
        let permits = Arc::clone(&self.inner.permits);
        let permit = match tokio::time::timeout(wait, permits.acquire_owned()).await {
            Ok(Ok(permit)) => permit,
            Ok(Err(_)) => return Err(sqlx::Error::PoolClosed),
            Err(_) => return Err(sqlx::Error::PoolTimedOut),
        };
        let now = Instant::now();
        loop {
            let idle = self.inner.idle.lock().map(|mut idle| idle.pop());
            match idle {
                Ok(Some(idle))
                    if now.duration_since(idle.opened) < MAX_LIFETIME
                        && now.duration_since(idle.since) < MAX_IDLE =>
                {
                    return Ok(self.lease(idle.conn, idle.opened, permit));
                }
                // Too old: dropped, which closes it.
                Ok(Some(_)) => {}
                Ok(None) | Err(_) => break,
            }
        }
        let conn = tokio::time::timeout(self.inner.connect_timeout, self.connect())
            .await
            .map_err(|_| sqlx::Error::PoolTimedOut)??;
        Ok(self.lease(conn, Instant::now(), permit))
    }

    async fn connect(&self) -> Result<AnyConnection, sqlx::Error> {
        let mut conn = self.inner.options.connect().await?;
        for statement in self.inner.setup {
            conn.execute(*statement).await?;
        }
        Ok(conn)
    }

    fn lease(&self, conn: AnyConnection, opened: Instant, permit: OwnedSemaphorePermit) -> Lease {
        Lease {
            conn: Some(conn),
            opened,
            finished: true,
            inner: Arc::clone(&self.inner),
            _permit: permit,
        }
    }

    /// Refuses new work and closes the idle connections; those in use are closed as
    /// they come back.
    pub async fn close(&self) {
        self.inner.permits.close();
        let idle = self
            .inner
            .idle
            .lock()
            .map(|mut idle| std::mem::take(&mut *idle))
            .unwrap_or_default();
        for idle in idle {
            let _ = idle.conn.close().await;
        }
    }

    /// Connections open and idle now.
    #[cfg(test)]
    fn idle_count(&self) -> usize {
        self.inner.idle.lock().map_or(0, |idle| idle.len())
    }
}

/// One connection in use. Any use of it marks it busy; [`Lease::finish`] marks the work
/// done. Dropped when done, it goes back to the idle connections; dropped busy, it is
/// closed.
pub(crate) struct Lease {
    conn: Option<AnyConnection>,
    opened: Instant,
    finished: bool,
    inner: Arc<Inner>,
    _permit: OwnedSemaphorePermit,
}

impl Lease {
    /// Marks the work on this connection done with `result`, and passes it on. The
    /// connection stays usable unless the error says the connection itself failed.
    pub fn finish<T>(&mut self, result: Result<T, sqlx::Error>) -> Result<T, sqlx::Error> {
        self.finished = match &result {
            Ok(_) => true,
            Err(e) => still_usable(e),
        };
        result
    }
}

impl std::ops::Deref for Lease {
    type Target = AnyConnection;

    fn deref(&self) -> &AnyConnection {
        self.conn
            .as_ref()
            .expect("a lease holds its connection until dropped")
    }
}

impl std::ops::DerefMut for Lease {
    /// Every query needs the connection mutably: from here until [`Lease::finish`], the
    /// connection is busy.
    fn deref_mut(&mut self) -> &mut AnyConnection {
        self.finished = false;
        self.conn
            .as_mut()
            .expect("a lease holds its connection until dropped")
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        let Some(conn) = self.conn.take() else {
            return;
        };
        if !self.finished || self.inner.permits.is_closed() {
            // Busy (its work was dropped midway) or failed: closed by dropping it.
            return;
        }
        if let Ok(mut idle) = self.inner.idle.lock()
            && idle.len() < self.inner.max
        {
            idle.push(Idle {
                conn,
                opened: self.opened,
                since: Instant::now(),
            });
        }
    }
}

/// Whether a connection that gave this error can be used again: the database reported
/// an error in the statement (a constraint, a type, SQLite busy), or the rows did not
/// decode; not when the connection itself broke or the server is going away.
fn still_usable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(db) => {
            // PostgreSQL's class 08 (connection exception) and 57P (operator
            // intervention: shutdown, restart).
            let code = db.code().unwrap_or_default();
            !(code.starts_with("08") || code.starts_with("57P"))
        }
        sqlx::Error::RowNotFound
        | sqlx::Error::TypeNotFound { .. }
        | sqlx::Error::ColumnIndexOutOfBounds { .. }
        | sqlx::Error::ColumnNotFound(_)
        | sqlx::Error::ColumnDecode { .. }
        | sqlx::Error::Decode(_)
        | sqlx::Error::Encode(_) => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// In-memory SQLite: each connection its own database, which these tests never
    /// need to share.
    async fn sqlite(max: usize) -> Conns {
        sqlx::any::install_default_drivers();
        Conns::open(
            "sqlite::memory:",
            max,
            Duration::from_secs(5),
            &["PRAGMA foreign_keys = ON"],
        )
        .await
        .expect("opens")
    }

    async fn leased(conns: &Conns) -> Lease {
        conns
            .acquire(Duration::from_secs(1))
            .await
            .expect("a connection comes free")
    }

    /// Why no connection came within `wait`.
    async fn refusal(conns: &Conns, wait: Duration) -> sqlx::Error {
        conns.acquire(wait).await.err().expect("no connection")
    }

    #[tokio::test]
    async fn a_finished_connection_is_reused_and_a_busy_one_closed() {
        let conns = sqlite(2).await;
        assert_eq!(
            conns.idle_count(),
            1,
            "the first connection, opened at once"
        );
        let mut lease = leased(&conns).await;
        assert_eq!(conns.idle_count(), 0);
        let r = sqlx::query("SELECT 1").execute(&mut *lease).await.map(drop);
        lease.finish(r).expect("runs");
        drop(lease);
        assert_eq!(conns.idle_count(), 1, "finished: back, no ping");

        // A statement the database refuses leaves the connection usable.
        let mut lease = leased(&conns).await;
        let r = sqlx::query("SELECT * FROM no_such_table")
            .execute(&mut *lease)
            .await;
        assert!(lease.finish(r).is_err());
        drop(lease);
        assert_eq!(
            conns.idle_count(),
            1,
            "a database error keeps the connection"
        );

        // Work dropped midway: the connection is closed, not given back.
        let mut lease = leased(&conns).await;
        let _busy: &mut AnyConnection = &mut lease;
        drop(lease);
        assert_eq!(conns.idle_count(), 0, "busy when dropped: closed");
        let mut lease = leased(&conns).await;
        let r = sqlx::query("SELECT 1").execute(&mut *lease).await.map(drop);
        lease.finish(r).expect("the new connection works");
    }

    #[tokio::test]
    async fn all_in_use_is_a_queue_with_a_deadline_and_closing_refuses() {
        let conns = sqlite(1).await;
        let held = leased(&conns).await;
        let waited = Instant::now();
        let err = refusal(&conns, Duration::from_millis(100)).await;
        assert!(matches!(err, sqlx::Error::PoolTimedOut), "{err}");
        assert!(waited.elapsed() >= Duration::from_millis(100));
        // Given back while another waits: the waiter gets it.
        let waiter = {
            let conns = conns.clone();
            tokio::spawn(async move { conns.acquire(Duration::from_secs(5)).await.map(drop) })
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        drop(held);
        waiter
            .await
            .expect("joins")
            .expect("served once it came back");
        conns.close().await;
        assert_eq!(conns.idle_count(), 0);
        let err = refusal(&conns, Duration::from_secs(1)).await;
        assert!(matches!(err, sqlx::Error::PoolClosed), "{err}");
    }

    #[tokio::test]
    async fn a_wrong_url_fails_at_open() {
        sqlx::any::install_default_drivers();
        let err = Conns::open("nosuch://x", 1, Duration::from_secs(1), &[])
            .await
            .expect_err("refused");
        assert!(!err.to_string().is_empty());
    }
}

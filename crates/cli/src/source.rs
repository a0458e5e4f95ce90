//! Where stored events and sessions come from: a JSON Lines file (or standard input),
//! the service's SQLite file, or its PostgreSQL database (with the `postgres` feature).
//!
//! Every read is bounded: lines longer than [`MAX_LINE`] are skipped (and counted), the
//! database is read row by row, and nothing is held beyond the row being counted.

use std::io::Read;
use std::path::{Path, PathBuf};

use troubletree::Timestamp;

use crate::Fail;

/// The longest line (or payload) read; longer ones are counted as unreadable.
pub(crate) const MAX_LINE: usize = 1 << 20;

/// A place that holds events (and, for a database, sessions).
#[derive(Debug, Clone)]
pub(crate) enum Source {
    /// A JSON Lines file; `-` is standard input.
    Lines(PathBuf),
    /// The service's SQLite file.
    Sqlite(PathBuf),
    /// The service's PostgreSQL database.
    Postgres(String),
}

impl Source {
    /// `sqlite:FILE` / `sqlite://FILE`, `postgres://…` / `postgresql://…`, `-`, or a
    /// path: a SQLite file when it starts with SQLite's header, JSON Lines otherwise.
    pub(crate) fn parse(text: &str) -> Result<Source, Fail> {
        if let Some(rest) = text.strip_prefix("sqlite:") {
            let path = rest.strip_prefix("//").unwrap_or(rest);
            let path = path.split('?').next().unwrap_or(path);
            return Ok(Source::Sqlite(PathBuf::from(path)));
        }
        if text.starts_with("postgres://") || text.starts_with("postgresql://") {
            return Ok(Source::Postgres(text.to_owned()));
        }
        if text == "-" {
            return Ok(Source::Lines(PathBuf::from("-")));
        }
        let path = PathBuf::from(text);
        let mut head = [0u8; 16];
        let is_sqlite = std::fs::File::open(&path)
            .and_then(|mut f| f.read_exact(&mut head))
            .is_ok_and(|()| &head == b"SQLite format 3\0");
        Ok(if is_sqlite {
            Source::Sqlite(path)
        } else {
            Source::Lines(path)
        })
    }

    /// For messages: the file or the database, without a password.
    pub(crate) fn name(&self) -> String {
        match self {
            Source::Lines(p) if p.as_os_str() == "-" => "standard input".to_owned(),
            Source::Lines(p) | Source::Sqlite(p) => p.display().to_string(),
            Source::Postgres(url) => redact(url),
        }
    }

    /// Calls `each` with every event line in order (time order for a database;
    /// file order for JSON Lines). `since` and `until` narrow a database query (with a
    /// second of slack: the figures apply the exact range); a line that cannot be read
    /// is passed as `None`.
    pub(crate) fn for_each_event(
        &self,
        since: Option<Timestamp>,
        until: Option<Timestamp>,
        mut each: impl FnMut(Option<&str>),
    ) -> Result<(), Fail> {
        match self {
            Source::Lines(path) => {
                if path.as_os_str() == "-" {
                    lines(std::io::stdin().lock(), &mut each)
                        .map_err(|e| Fail::usage(format!("cannot read standard input: {e}")))
                } else {
                    let file = std::fs::File::open(path)
                        .map_err(|e| Fail::usage(format!("cannot open {}: {e}", path.display())))?;
                    lines(file, &mut each)
                        .map_err(|e| Fail::usage(format!("cannot read {}: {e}", path.display())))
                }
            }
            Source::Sqlite(path) => sqlite_events(path, since, until, &mut each),
            Source::Postgres(url) => postgres_events(url, since, until, &mut each),
        }
    }
}

/// Splits a byte stream into lines, reading in large blocks; each line is checked as
/// UTF-8 and bounded by [`MAX_LINE`].
fn lines(mut input: impl Read, each: &mut impl FnMut(Option<&str>)) -> std::io::Result<()> {
    const BLOCK: usize = 4 << 20;
    let mut buf: Vec<u8> = vec![0; BLOCK];
    let (mut start, mut end) = (0usize, 0usize);
    // Inside a line longer than MAX_LINE: skip to its end.
    let mut skipping = false;
    loop {
        if start > 0 && (buf.len() - end) < BLOCK / 4 {
            buf.copy_within(start..end, 0);
            end -= start;
            start = 0;
        }
        if end == buf.len() {
            buf.resize(buf.len() + BLOCK, 0);
        }
        let n = input.read(&mut buf[end..])?;
        let eof = n == 0;
        end += n;
        loop {
            let Some(nl) = buf[start..end].iter().position(|&b| b == b'\n') else {
                break;
            };
            let line = &buf[start..start + nl];
            start += nl + 1;
            if skipping {
                skipping = false;
                continue;
            }
            emit(line, each);
        }
        if end - start > MAX_LINE {
            if !skipping {
                each(None);
            }
            skipping = true;
            start = end;
        }
        if eof {
            if start < end && !skipping {
                emit(&buf[start..end], each);
            }
            return Ok(());
        }
    }
}

fn emit(line: &[u8], each: &mut impl FnMut(Option<&str>)) {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if line.iter().all(u8::is_ascii_whitespace) {
        return;
    }
    each(std::str::from_utf8(line).ok());
}

/// The query bounds in the store's column (milliseconds), with a second of slack.
fn bounds(since: Option<Timestamp>, until: Option<Timestamp>) -> (i64, i64) {
    (
        since.map_or(i64::MIN, |t| t.unix_ms().saturating_sub(1000)),
        until.map_or(i64::MAX, |t| t.unix_ms().saturating_add(1000)),
    )
}

fn open_sqlite(path: &Path) -> Result<rusqlite::Connection, Fail> {
    if !path.is_file() {
        return Err(Fail::usage(format!(
            "{} is not a file (give the service's database as sqlite:FILE)",
            path.display()
        )));
    }
    let connection = rusqlite::Connection::open_with_flags(
        path,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| Fail::usage(format!("cannot open {}: {e}", path.display())))?;
    connection
        .busy_timeout(std::time::Duration::from_secs(5))
        .map_err(|e| Fail::usage(format!("cannot open {}: {e}", path.display())))?;
    Ok(connection)
}

fn sqlite_events(
    path: &Path,
    since: Option<Timestamp>,
    until: Option<Timestamp>,
    each: &mut impl FnMut(Option<&str>),
) -> Result<(), Fail> {
    let connection = open_sqlite(path)?;
    let failed = |e: rusqlite::Error| {
        Fail::usage(format!(
            "cannot read the events of {} (is it the service's database?): {e}",
            path.display()
        ))
    };
    let (from, to) = bounds(since, until);
    let mut statement = connection
        .prepare("SELECT payload FROM events WHERE at >= ?1 AND at < ?2 ORDER BY at, id")
        .map_err(failed)?;
    let mut rows = statement.query((from, to)).map_err(failed)?;
    while let Some(row) = rows.next().map_err(failed)? {
        match row.get_ref(0).map_err(failed)? {
            rusqlite::types::ValueRef::Text(t) if t.len() <= MAX_LINE => {
                each(std::str::from_utf8(t).ok());
            }
            _ => each(None),
        }
    }
    Ok(())
}

/// The service's stored sessions: `(id, status, state)`, in creation order.
pub(crate) fn for_each_session(
    source: &Source,
    mut each: impl FnMut(&str, &str, &str),
) -> Result<(), Fail> {
    match source {
        Source::Sqlite(path) => {
            let connection = open_sqlite(path)?;
            let failed = |e: rusqlite::Error| {
                Fail::usage(format!(
                    "cannot read the sessions of {} (is it the service's database?): {e}",
                    path.display()
                ))
            };
            let mut statement = connection
                .prepare("SELECT id, status, state FROM sessions ORDER BY created_at, id")
                .map_err(failed)?;
            let mut rows = statement.query(()).map_err(failed)?;
            while let Some(row) = rows.next().map_err(failed)? {
                let id: String = row.get(0).map_err(failed)?;
                let status: String = row.get(1).map_err(failed)?;
                let state: String = row.get(2).map_err(failed)?;
                each(&id, &status, &state);
            }
            Ok(())
        }
        Source::Postgres(url) => postgres_sessions(url, &mut each),
        Source::Lines(path) => Err(Fail::usage(format!(
            "{} is not a database; give a folder of saves, sqlite:FILE or a postgres:// URL",
            path.display()
        ))),
    }
}

#[cfg(feature = "postgres")]
fn postgres_client(url: &str) -> Result<postgres::Client, Fail> {
    postgres::Client::connect(url, postgres::NoTls)
        .map_err(|e| Fail::usage(format!("cannot connect to {}: {e}", redact(url))))
}

#[cfg(feature = "postgres")]
fn postgres_events(
    url: &str,
    since: Option<Timestamp>,
    until: Option<Timestamp>,
    each: &mut impl FnMut(Option<&str>),
) -> Result<(), Fail> {
    use postgres::fallible_iterator::FallibleIterator;
    let mut client = postgres_client(url)?;
    let failed =
        |e: postgres::Error| Fail::usage(format!("cannot read the events of {}: {e}", redact(url)));
    let (from, to) = bounds(since, until);
    let mut tx = client.transaction().map_err(failed)?;
    let statement = tx
        .prepare("SELECT payload FROM events WHERE at >= $1 AND at < $2 ORDER BY at, id")
        .map_err(failed)?;
    let params: [&(dyn postgres::types::ToSql + Sync); 2] = [&from, &to];
    let mut rows = tx
        .query_raw(&statement, params.iter().copied())
        .map_err(failed)?;
    while let Some(row) = rows.next().map_err(failed)? {
        let payload: &str = row.try_get(0).map_err(failed)?;
        each((payload.len() <= MAX_LINE).then_some(payload));
    }
    drop(rows);
    tx.commit().map_err(failed)
}

#[cfg(feature = "postgres")]
fn postgres_sessions(url: &str, each: &mut impl FnMut(&str, &str, &str)) -> Result<(), Fail> {
    use postgres::fallible_iterator::FallibleIterator;
    let mut client = postgres_client(url)?;
    let failed = |e: postgres::Error| {
        Fail::usage(format!("cannot read the sessions of {}: {e}", redact(url)))
    };
    let mut tx = client.transaction().map_err(failed)?;
    let statement = tx
        .prepare("SELECT id, status, state FROM sessions ORDER BY created_at, id")
        .map_err(failed)?;
    let none: [&(dyn postgres::types::ToSql + Sync); 0] = [];
    let mut rows = tx.query_raw(&statement, none).map_err(failed)?;
    while let Some(row) = rows.next().map_err(failed)? {
        let id: &str = row.try_get(0).map_err(failed)?;
        let status: &str = row.try_get(1).map_err(failed)?;
        let state: &str = row.try_get(2).map_err(failed)?;
        each(id, status, state);
    }
    drop(rows);
    tx.commit().map_err(failed)
}

#[cfg(not(feature = "postgres"))]
fn postgres_events(
    url: &str,
    _: Option<Timestamp>,
    _: Option<Timestamp>,
    _: &mut impl FnMut(Option<&str>),
) -> Result<(), Fail> {
    Err(no_postgres(url))
}

#[cfg(not(feature = "postgres"))]
fn postgres_sessions(url: &str, _: &mut impl FnMut(&str, &str, &str)) -> Result<(), Fail> {
    Err(no_postgres(url))
}

#[cfg(not(feature = "postgres"))]
fn no_postgres(url: &str) -> Fail {
    Fail::usage(format!(
        "this troubletree was built without PostgreSQL support, so it cannot read {}; rebuild with `cargo install troubletree-cli --features postgres`, or pipe the events in: psql URL -Atc \"SELECT payload FROM events ORDER BY at, id\" | troubletree stats -",
        redact(url)
    ))
}

/// A database URL without its password.
fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    match rest.split_once('@') {
        Some((user, host)) => {
            let user = user.split(':').next().unwrap_or_default();
            format!("{scheme}://{user}:***@{host}")
        }
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(input: &[u8]) -> Vec<Option<String>> {
        let mut out = Vec::new();
        lines(input, &mut |l: Option<&str>| out.push(l.map(str::to_owned))).expect("reads");
        out
    }

    #[test]
    fn lines_are_split_checked_and_bounded() {
        assert_eq!(
            collect(b"a\r\n\n  \nb\xff\nlast"),
            [Some("a".into()), None, Some("last".into())]
        );
        let mut long = vec![b'x'; MAX_LINE + 10];
        long.extend_from_slice(b"\nafter\n");
        assert_eq!(collect(&long), [None, Some("after".into())]);
    }

    #[test]
    fn passwords_are_not_shown() {
        assert_eq!(
            redact("postgres://tt:secret@db:5432/tt"),
            "postgres://tt:***@db:5432/tt"
        );
        assert_eq!(redact("postgres://db/tt"), "postgres://db/tt");
    }
}

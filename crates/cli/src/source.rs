//! Where stored events and sessions come from: a JSON Lines file (or standard input),
//! the service's SQLite file, or its PostgreSQL database (with the `postgres` feature).
//!
//! Every read is bounded: lines longer than [`MAX_LINE`] are skipped (and counted), the
//! database is read row by row, and nothing is held beyond the row being counted.

use std::io::Read;
use std::path::{Path, PathBuf};

use troubletree::Event;
use troubletree::analysis::stats::{Stats, StatsOptions};
use troubletree::event::Timestamp;

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

    /// Counts every event of the source: a JSON Lines file on `parts` threads (see
    /// [`count_lines`]), a database in time order, row by row. `options.since` and
    /// `until` also narrow the database query (with a second of slack: the count applies
    /// the exact range).
    pub(crate) fn count(&self, options: &StatsOptions, parts: usize) -> Result<Stats, Fail> {
        match self {
            Source::Lines(path) => {
                if path.as_os_str() == "-" {
                    count_lines(std::io::stdin(), options, parts)
                        .map_err(|e| Fail::usage(format!("cannot read standard input: {e}")))
                } else {
                    let file = std::fs::File::open(path)
                        .map_err(|e| Fail::usage(format!("cannot open {}: {e}", path.display())))?;
                    count_lines(file, options, parts)
                        .map_err(|e| Fail::usage(format!("cannot read {}: {e}", path.display())))
                }
            }
            Source::Sqlite(path) => {
                let mut stats = Stats::new(options.clone());
                sqlite_events(path, options.since, options.until, &mut |line| {
                    count_one(&mut stats, line);
                })?;
                Ok(stats)
            }
            Source::Postgres(url) => {
                let mut stats = Stats::new(options.clone());
                postgres_events(url, options.since, options.until, &mut |line| {
                    count_one(&mut stats, line);
                })?;
                Ok(stats)
            }
        }
    }
}

fn count_one(stats: &mut Stats, line: Option<&str>) {
    match line {
        // An unreadable line is counted in the report's `skipped.unreadable`.
        Some(line) => {
            let _ = stats.add_line(line);
        }
        None => stats.count_unreadable(),
    }
}

/// Splits a byte stream into lines (without the line feed, nor a carriage return
/// before it; blank lines skipped), reading in large blocks on a second thread so that
/// reading and counting overlap. A line longer than [`MAX_LINE`] is passed as `None`.
fn split(input: impl Read + Send, each: &mut impl FnMut(Option<&[u8]>)) -> std::io::Result<()> {
    let (send, blocks) = std::sync::mpsc::sync_channel::<std::io::Result<Vec<u8>>>(2);
    std::thread::scope(|scope| {
        scope.spawn(move || read_blocks(input, &send));
        // The start of a line the next block continues; `skipping`: inside a line
        // already found too long.
        let mut partial: Vec<u8> = Vec::new();
        let mut skipping = false;
        for block in blocks {
            let block = block?;
            if block.is_empty() {
                break;
            }
            let mut start = 0;
            while let Some(nl) = newline(&block[start..]) {
                let line = &block[start..start + nl];
                start += nl + 1;
                if skipping {
                    skipping = false;
                } else if partial.is_empty() {
                    bounded(line, each);
                } else if partial.len() + line.len() > MAX_LINE {
                    each(None);
                    partial.clear();
                } else {
                    partial.extend_from_slice(line);
                    bounded(&partial, each);
                    partial.clear();
                }
            }
            let tail = &block[start..];
            if !skipping {
                if partial.len() + tail.len() > MAX_LINE {
                    each(None);
                    partial.clear();
                    skipping = true;
                } else {
                    partial.extend_from_slice(tail);
                }
            }
        }
        if !skipping && !partial.is_empty() {
            bounded(&partial, each);
        }
        Ok(())
    })
}

/// Lines as text: [`split`], each line checked as UTF-8 (`None` if it is not).
#[cfg(test)]
fn lines(input: impl Read + Send, each: &mut impl FnMut(Option<&str>)) -> std::io::Result<()> {
    split(input, &mut |line: Option<&[u8]>| {
        each(line.and_then(|l| std::str::from_utf8(l).ok()));
    })
}

/// Counts the events of a JSON Lines stream on `parts` threads: each line goes to the
/// part its session id falls in (every event of a session in one part, in order), and
/// the parts are merged (see [`Stats::merge`]).
pub(crate) fn count_lines(
    input: impl Read + Send,
    options: &StatsOptions,
    parts: usize,
) -> std::io::Result<Stats> {
    /// Lines are handed to a part in batches of about this many bytes.
    const BATCH: usize = 1 << 20;
    let parts = parts.clamp(1, 64);
    std::thread::scope(|scope| {
        let mut senders = Vec::with_capacity(parts);
        let mut counters = Vec::with_capacity(parts);
        for _ in 0..parts {
            let (send, batches) = std::sync::mpsc::sync_channel::<Vec<u8>>(4);
            let options = options.clone();
            counters.push(scope.spawn(move || {
                let mut stats = Stats::new(options);
                for batch in batches {
                    count_batch(&mut stats, &batch);
                }
                stats
            }));
            senders.push(send);
        }
        let mut batches: Vec<Vec<u8>> = (0..parts).map(|_| Vec::with_capacity(BATCH)).collect();
        let mut unreadable = 0u64;
        let read = split(input, &mut |line: Option<&[u8]>| {
            let Some(line) = line else {
                unreadable += 1;
                return;
            };
            let part = part_of(line, parts);
            let batch = &mut batches[part];
            batch.extend_from_slice(line);
            batch.push(b'\n');
            if batch.len() >= BATCH {
                let full = std::mem::replace(batch, Vec::with_capacity(BATCH));
                // A part that stopped has panicked; the join below reports it.
                let _ = senders[part].send(full);
            }
        });
        for (part, batch) in batches.into_iter().enumerate() {
            if !batch.is_empty() {
                let _ = senders[part].send(batch);
            }
        }
        drop(senders);
        let mut all: Option<Stats> = None;
        for counter in counters {
            let stats = counter
                .join()
                .map_err(|_| std::io::Error::other("a counting thread failed"))?;
            match &mut all {
                None => all = Some(stats),
                Some(all) => all.merge(stats),
            }
        }
        read?;
        let mut all = all.unwrap_or_else(|| Stats::new(options.clone()));
        for _ in 0..unreadable {
            all.count_unreadable();
        }
        Ok(all)
    })
}

/// Counts a batch of whole lines, checked as UTF-8 in one go when they all are.
fn count_batch(stats: &mut Stats, batch: &[u8]) {
    match std::str::from_utf8(batch) {
        Ok(text) => {
            for line in text.split_terminator('\n') {
                // An unreadable line is counted in the report's `skipped.unreadable`.
                let _ = stats.add_line(line);
            }
        }
        Err(_) => {
            for line in batch.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
                match std::str::from_utf8(line) {
                    Ok(line) => {
                        let _ = stats.add_line(line);
                    }
                    Err(_) => stats.count_unreadable(),
                }
            }
        }
    }
}

/// The part a line's session falls in: its id read straight from the line when it
/// starts as events are written, else from the parsed event.
fn part_of(line: &[u8], parts: usize) -> usize {
    if parts == 1 {
        return 0;
    }
    let quick = line.strip_prefix(b"{\"session\":\"").and_then(|rest| {
        let end = rest.iter().position(|&b| b == b'"' || b == b'\\')?;
        (rest[end] == b'"').then(|| &rest[..end])
    });
    let parsed;
    let id: &[u8] = match quick {
        Some(id) => id,
        None => match std::str::from_utf8(line)
            .ok()
            .and_then(|l| Event::parse(l).ok())
        {
            Some(event) => {
                parsed = event.session.into_owned();
                parsed.as_bytes()
            }
            None => return 0,
        },
    };
    // A multiply-rotate hash, a word at a time: it only spreads the sessions (nothing is
    // looked up by it), so it need not resist chosen ids.
    let mut h: u64 = 0;
    for chunk in id.chunks(8) {
        let mut word = [0u8; 8];
        word[..chunk.len()].copy_from_slice(chunk);
        h = (h.rotate_left(5) ^ u64::from_le_bytes(word)).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
    let h = h ^ (h >> 29);
    usize::try_from(h % parts as u64).unwrap_or(0)
}

/// Reads `input` in blocks of 4 MiB and sends them on; an empty block at the end.
fn read_blocks(mut input: impl Read, send: &std::sync::mpsc::SyncSender<std::io::Result<Vec<u8>>>) {
    const BLOCK: usize = 4 << 20;
    loop {
        let mut block = vec![0u8; BLOCK];
        let mut filled = 0;
        while filled < BLOCK {
            match input.read(&mut block[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    let _ = send.send(Err(e));
                    return;
                }
            }
        }
        block.truncate(filled);
        let end = block.is_empty();
        if send.send(Ok(block)).is_err() || end {
            return;
        }
    }
}

/// The position of the first line feed, eight bytes at a time (lines are long; this is
/// most of the reading).
fn newline(b: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let mut at = 0;
    while let Some(chunk) = b.get(at..at + 8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let x = u64::from_le_bytes(word) ^ (ONES * u64::from(b'\n'));
        if x.wrapping_sub(ONES) & !x & HIGH != 0 {
            break;
        }
        at += 8;
    }
    b[at..].iter().position(|&c| c == b'\n').map(|p| at + p)
}

/// A line within the bound (blank lines skipped, a carriage return before the line
/// feed removed), or `None` for one beyond it.
fn bounded(line: &[u8], each: &mut impl FnMut(Option<&[u8]>)) {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if line.len() > MAX_LINE {
        each(None);
    } else if !line.iter().all(u8::is_ascii_whitespace) {
        each(Some(line));
    }
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
    fn lines_across_blocks_are_whole() {
        // Lines of every length around the 4 MiB block boundary.
        let mut text = Vec::new();
        let mut expected = Vec::new();
        let mut n = 0;
        while text.len() < (9 << 20) {
            let line = format!("{n}:{}", "é".repeat(n % 5000));
            text.extend_from_slice(line.as_bytes());
            text.push(b'\n');
            expected.push(Some(line));
            n += 1;
        }
        assert_eq!(collect(&text), expected);
        // A line longer than the limit across blocks is one unreadable line.
        let mut long = b"first\n".to_vec();
        long.extend(std::iter::repeat_n(b'y', (4 << 20) + 100));
        long.extend_from_slice(b"\nnext\n");
        assert_eq!(
            collect(&long),
            [Some("first".into()), None, Some("next".into())]
        );
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
    fn line_feeds_are_found_wherever_they_are() {
        for len in 0..40 {
            for at in 0..=len {
                let mut b = vec![b'x'; len];
                if at < len {
                    b[at] = b'\n';
                }
                assert_eq!(newline(&b), (at < len).then_some(at), "{len} {at}");
            }
        }
        assert_eq!(newline("é\u{100a}\n".as_bytes()), Some(5));
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

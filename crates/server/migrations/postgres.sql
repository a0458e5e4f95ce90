-- troubletree-server schema, PostgreSQL. Kept in step with sqlite.sql: same tables,
-- columns and meaning; only the types and the key generators differ.

-- Every published tree version, by fingerprint: its RON text, so that a session
-- continues on the version it started on.
CREATE TABLE trees (
    tree TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    version BIGINT NOT NULL,
    source TEXT NOT NULL,
    first_published BIGINT NOT NULL,
    PRIMARY KEY (tree, fingerprint)
);

-- A published set of trees (a journey may cross them) plus the service directory.
-- The newest row is the version new sessions start on. retired_at: no longer served.
CREATE TABLE catalogues (
    id BIGSERIAL PRIMARY KEY,
    digest TEXT NOT NULL,
    manifest TEXT NOT NULL,
    directory TEXT NOT NULL,
    published_at BIGINT NOT NULL,
    retired_at BIGINT
);

-- One row per session. seq counts the actions applied; state is the engine's save
-- (JSON). status: open, resolved, escalated, handed_off, abandoned.
CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    catalogue BIGINT NOT NULL REFERENCES catalogues (id),
    tree TEXT NOT NULL,
    seq BIGINT NOT NULL,
    status TEXT NOT NULL,
    state TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX sessions_open ON sessions (status, updated_at);

-- The action applied at each seq and the response it got: a retried request is
-- answered from here instead of being applied twice.
CREATE TABLE steps (
    session TEXT NOT NULL REFERENCES sessions (id),
    seq BIGINT NOT NULL,
    action TEXT NOT NULL,
    response TEXT NOT NULL,
    at BIGINT NOT NULL,
    PRIMARY KEY (session, seq)
);

-- Tickets for agents. priority: 3 urgent, 2 high, 1 normal, 0 low.
-- status: open, claimed, closed.
CREATE TABLE tickets (
    id TEXT PRIMARY KEY,
    session TEXT NOT NULL UNIQUE REFERENCES sessions (id),
    priority BIGINT NOT NULL,
    status TEXT NOT NULL,
    agent TEXT,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX tickets_queue ON tickets (status, priority DESC, created_at DESC);

-- Deliveries to the help desk's webhook, written with the ticket; retried until
-- acknowledged. locked_until: a replica is delivering it (a lease).
CREATE TABLE outbox (
    id BIGSERIAL PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    ticket TEXT NOT NULL REFERENCES tickets (id),
    payload TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    locked_until BIGINT NOT NULL DEFAULT 0,
    delivered_at BIGINT,
    last_error TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX outbox_due ON outbox (delivered_at, next_attempt_at);

-- Append-only analytics events; payload is the JSON the analytics reader expects.
CREATE TABLE events (
    id BIGSERIAL PRIMARY KEY,
    session TEXT NOT NULL,
    seq BIGINT NOT NULL,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    at BIGINT NOT NULL
);
-- Dropped again by schema migration 3 (store.rs): no query reads events by session.
CREATE INDEX events_session ON events (session, id);

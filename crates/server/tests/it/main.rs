//! The server's one test binary: a real server on loopback, a real HTTP client, every
//! test on SQLite and, when `TROUBLETREE_TEST_DATABASE_URL` names a PostgreSQL server,
//! on PostgreSQL too (see `common::pg_url`).

mod api;
mod browser;
mod common;
mod concurrency;
mod delivery;
mod live;
mod openapi;
mod operations;
mod pages;
mod postgres;
mod process;
mod sessions;
mod stats;
mod store;
mod tickets;
mod versions;

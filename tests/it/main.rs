//! The engine's integration tests, in one binary (one link step, shared helpers), as
//! regex and ripgrep do. Each module reads like the behaviour it checks.

mod alloc;
mod analytics;
mod content;
mod export;
mod files;
mod format;
mod invalid;
mod journeys;
mod limits;
mod memory;
mod paths;
mod properties;
mod robustness;
mod scenarios;
mod session;
mod tickets;

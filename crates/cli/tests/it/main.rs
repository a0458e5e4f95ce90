//! The command line, driven as a process, in one test binary.

mod analytics;
mod check_fixtures;
mod cli;
mod import;
mod journeys;
mod outputs;
mod robustness;

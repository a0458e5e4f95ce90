//! Hooks for this repository's own benches and fuzz targets, behind the `internals`
//! feature: hidden from the docs, with no semver promise. Ordinary builds do not have
//! this module.

use crate::compile::check_str_by;
use crate::model::{Parser, parse};
use crate::{Limits, Report, Tree};

/// Parses a tree file as [`crate::Loader::tree`] does (the fast reader, and ron for any
/// text it does not take), without compiling it; `None` on a syntax error.
pub fn parse_fast(text: &str) -> Option<impl Sized + '_> {
    parse(text, Parser::Fast).ok()
}

/// Parses a tree file with ron alone; `None` on a syntax error.
pub fn parse_ron(text: &str) -> Option<impl Sized + '_> {
    parse(text, Parser::Ron).ok()
}

/// [`crate::Loader::tree`] with ron alone as the parser.
pub fn check_str_ron(name: &str, text: &str) -> Report<Tree> {
    check_str_by(name, text, &Limits::default(), Parser::Ron)
}

/// The differential property that holds the fast reader to ron, on any text: the two
/// parsers refuse it with the same error, or read the same tree file bit for bit.
/// `Ok(true)` when the fast reader took the text itself.
///
/// # Errors
///
/// A description of the difference, for the fuzz target to report.
pub fn parsers_agree(text: &str) -> Result<bool, String> {
    crate::model::differential(text)
}

//! Importers: flowcharts drawn elsewhere, turned into troubletree tree files.
//!
//! An importer reads a foreign chart format and writes RON text in the tree format
//! (`docs/FORMAT.md` of the `troubletree` crate), so that the result goes through the
//! same gate as a hand-written tree: [`troubletree::Loader::tree`] validates it, a
//! [`troubletree::Session`] walks it. Importers never build a tree directly.
//!
//! - [`flodial`]: the troubleshooting flowcharts of the FloDial dataset (yes/no
//!   questions and resolutions).
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![warn(clippy::unwrap_used)]

pub mod flodial;

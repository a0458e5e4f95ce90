//! Importers: flowcharts drawn elsewhere, turned into tree files.
//!
//! An importer reads a foreign chart format and writes RON text in the tree format
//! (`docs/FORMAT.md`), so that the result goes through the same gate as a hand-written
//! tree: [`check_str`](crate::check_str) validates it, a [`Session`](crate::Session)
//! walks it. Importers never build a [`Tree`](crate::Tree) directly.
//!
//! - [`flodial`]: the troubleshooting flowcharts of the FloDial dataset (yes/no
//!   questions and resolutions), and a replay of its recorded dialogues through the
//!   walker.
//!
//! This module needs the `import` cargo feature (on by default).

pub mod flodial;

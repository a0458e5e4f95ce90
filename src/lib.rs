//! placeholder
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![warn(clippy::unwrap_used)]

mod catalogue;
mod compile;
mod diagnostic;
mod error;
mod model;
mod source;
mod tree;

pub use catalogue::{check_paths, Catalogue, CatalogueReport};
pub use compile::{check_str, Report};
pub use diagnostic::{Code, Finding, Severity};
pub use error::LoadError;
pub use model::{Value, FORMAT_VERSION};
pub use source::Position;
pub use tree::{Channel, FactType, Priority, Tree};

//! Unpublished test kit for troubletree: the one tree generator, the proptest strategies
//! and the mutators that the engine's tests, benches and fuzz targets share.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![warn(clippy::unwrap_used)]

pub mod events;
pub mod fixtures;
pub mod generate;

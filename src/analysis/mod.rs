//! Tools beside the tree: counting and listing walks, pictures of the flow, and
//! statistics over the events of many sessions.

pub mod export;
pub mod paths;
pub mod stats;

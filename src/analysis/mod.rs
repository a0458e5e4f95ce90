//! Tools beside the tree: counting and listing walks, and pictures of the flow.

pub mod export;
pub mod paths;

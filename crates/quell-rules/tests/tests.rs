//! quell-rules integration tests: one binary, one module per area.
mod common;
mod upstream;
mod fixtures;
mod robustness;

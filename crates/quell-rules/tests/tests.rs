//! quell-rules integration tests: one binary, one module per area.
mod common;
mod diagnostics;
mod fixtures;
mod robustness;
mod upstream;

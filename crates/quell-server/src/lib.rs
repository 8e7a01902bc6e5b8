//! quell's server: `quell serve`.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod ingest;
pub mod metrics;

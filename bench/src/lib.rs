//! The benchmark tools behind `bench/run` (issue 8). Each is a binary under `src/bin/`; this
//! library holds what more than one of them needs.

pub mod s3_store;

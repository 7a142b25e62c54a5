//! Build requests, written in the same transaction as the change that needs them (the
//! queue itself is `almanac-build`'s).

pub use almanac_content::builds::request;

//! Publisher accounts: who may sign in and how, and what admins do to accounts.
//!
//! - `password`: argon2id hashes and the rules for new passwords;
//! - `tokens`: signed, expiring, single-use links for invites, resets and reactivation;
//! - `login`: the password step, lockout, and equal treatment of unknown addresses;
//! - `two_factor`: TOTP enrolment and codes, recovery codes;
//! - `sessions`: server-side sessions with idle and absolute timeouts;
//! - `users`: invites, password resets and account administration;
//! - `audit`: the append-only audit log;
//! - `emails`: the emails these send, from `templates/email/`.
//!
//! Every function takes the time as an argument (`now`) so that expiry is testable, and a
//! connection so that the caller chooses the transaction. Nothing here knows about HTTP.

pub mod api_tokens;
pub mod audit;
pub mod emails;
pub mod keys;
pub mod login;
pub mod password;
pub mod policy;
pub mod sessions;
pub mod tokens;
pub mod two_factor;
pub mod users;

pub use keys::SecretKey;
pub use policy::{AccountPolicy, TwoFactorRule};

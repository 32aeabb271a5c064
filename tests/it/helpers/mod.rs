//! A test app per test: its own fresh database (a temp SQLite file, or a Postgres database), the real
//! route table, and clients that each keep a session cookie and CSRF token like a browser would.
//!
//! - [`app`]: starting an app, or a second instance on the same database; its users, and a client
//!   per user;
//! - [`browser`]: one client's requests, cookie and CSRF token;
//! - [`binary`]: the real binary as a server to start, kill or stop, and raw HTTP clients of it;
//! - [`cable`]: a TCP forwarder in front of Postgres that can be cut, to play outages;
//! - [`db`]: the fresh database of one test, and reading it behind the app's back;
//! - [`answer`]: what a request answered, and the assertions on it;
//! - [`fixtures`]: shared data and the tokens tests start from;
//! - [`at_rest`]: no credential a test was shown is in its database, dump or logs;
//! - [`smtp`]: a real SMTP server (aiosmtpd) on loopback, and the mail it received.

mod answer;
mod app;
mod at_rest;
mod binary;
mod browser;
mod cable;
mod db;
mod fixtures;
mod smtp;

pub use answer::*;
pub use app::*;
pub use binary::*;
pub use browser::*;
pub use cable::*;
pub use db::*;
pub use fixtures::*;
pub use smtp::*;

/// The host every request is sent to.
pub const HOST: &str = "dash.test";
/// The dashboard's own origin, which a same-origin form post names.
pub const ORIGIN: &str = "http://dash.test";
/// The client address requests come from unless a test sets another.
pub const PEER: &str = "203.0.113.10:40000";
/// The password of every user a test adds.
pub const PASSWORD: &str = "a sound passphrase 42";

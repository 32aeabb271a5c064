//! Who is asking: signing in, password hashing and strength rules, and the login throttle. The HTTP side of
//! signing in (sessions, CSRF, the current-user extractor) is in `web`.

pub mod hashing;
pub mod login;
pub mod password;
pub mod profile;
pub mod reset;
pub mod sudo;
pub mod throttle;
pub mod totp;
pub mod two_factor;

pub use hashing::Hashing;
pub use password::Passwords;

//! Who is asking: passwords, login throttling, server-side sessions, CSRF protection and the
//! current-user extractor.

pub mod csrf;
pub mod current_user;
pub mod password;
pub mod session_store;
pub mod throttle;

pub use current_user::CurrentUser;
pub use password::Passwords;

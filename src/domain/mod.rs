//! The use cases: plain values in, decisions and changes out. Nothing here knows HTTP; every change
//! is one transaction with its history event. Below `web`, above `db`.

pub mod audit;
pub mod auth;
pub mod checkout;
pub mod credentials;
pub mod leaks;
pub mod mail;
pub mod support;
pub mod tokens;
pub mod users;

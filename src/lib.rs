//! kwik-dashboard: the Kwik merchant dashboard's Access Tokens screen, server-rendered.
//!
//! Layers point one way: `web` → `domain` → `db`. The base (`config`, `keys`) and the plumbing
//! (`infra`) import from none of them; `cli` and this file sit on top and may use them all.

pub mod cli;
pub mod config;
pub mod db;
pub mod domain;
pub mod infra;
pub mod keys;
pub mod web;

pub use config::Config;
pub use web::routes::{SESSION_COOKIE, configure};
pub use web::state::AppState;

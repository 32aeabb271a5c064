//! The Access Tokens screen: the table, create (modal or page), the one-time reveal, enable/disable,
//! each token's page, and its edit, roll and delete.

pub mod create;
pub mod detail;
pub mod form;
pub mod index;
pub mod leaks;
pub mod lifecycle;
pub mod list;
pub mod pages;
pub mod row;
pub mod rows;
pub mod status;
pub mod views;

pub use create::{create, new_form};
pub use index::index;
pub use status::{confirm_status, set_status};

/// Where the screen lives.
pub const PATH: &str = "/developers/access-tokens";

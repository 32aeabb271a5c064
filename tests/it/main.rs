//! The one integration test binary: the real route table against a fresh database per test.

// Tests may panic on the unexpected: that is how they fail.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod access_tokens;
mod accounts;
mod api;
mod api_errors;
mod assets;
mod backup;
mod checkout;
mod cli;
mod crash;
mod csrf;
mod error_pages;
mod fleet;
mod fleet_redis;
mod helpers;
mod history;
mod hostile;
mod instances;
mod key_lookups;
mod leak_banner;
mod lifecycle;
mod list_cache;
mod login;
mod logs;
mod mail;
mod matrix;
mod metrics;
mod migrations;
mod outage;
mod pool;
mod rate_limit;
mod redirects;
mod secret_scanning;
mod seed_sample;
mod shutdown;
mod support;
mod team;
mod token_chart;
mod token_columns;
mod token_detail;
mod token_table;
mod use_cases;

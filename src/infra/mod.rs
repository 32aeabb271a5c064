//! Plumbing that knows nothing of the product: the threads blocking work runs on, IP networks,
//! gzip members, a request counter, Prometheus metrics, South African time, and sending mail. Imports neither `web` nor the domain.

pub mod gzip;
pub mod mail;
pub mod metrics;
pub mod net;
pub mod random;
pub mod rate_limit;
pub mod redis_set;
pub mod sa_time;
pub mod threads;

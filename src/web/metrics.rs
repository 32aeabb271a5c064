//! Prometheus metrics over HTTP: the middleware that counts and times every request of the app,
//! and the `/metrics` endpoint, mounted only on the listener of its own (`KWIK_METRICS_BIND`, see
//! `cli::serve`), never in the public route table.
//!
//! What a scrape samples, besides the counters recorded as things happen: the pool's connections,
//! the password work queued, and the live sessions (one count on the expiry index, with a short
//! deadline so a database outage does not hold the scrape).

use std::time::{Duration, Instant};

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{HttpResponse, web};

use crate::db::DbError;
use crate::db::models::SessionRow;
use crate::infra::metrics::{self, Exporter};
use crate::web::state::AppState;

/// The path Prometheus scrapes, on the metrics listener only.
pub const PATH: &str = "/metrics";

/// How long a scrape waits to count the live sessions before it reports NaN instead.
const SESSIONS_DEADLINE: Duration = Duration::from_millis(500);

/// The route label of a request that no route took (a 404 page, a JSON scope's 404 or 405).
const UNMATCHED: &str = "unmatched";

/// Middleware for the whole app: counts each request by method, route pattern and status, and
/// times it. The pattern is read before the request is handed on, while the request is still ours
/// (so an error that comes back instead of a response is counted under its route too).
pub async fn track(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let method = metrics::method_label(req.method().as_str());
    let route = req.match_pattern().unwrap_or_else(|| UNMATCHED.to_owned());
    let answer = next.call(req).await;
    let status = match &answer {
        Ok(res) => res.status(),
        Err(e) => e.as_response_error().status_code(),
    };
    metrics::http_request(method, route, status.as_u16(), started.elapsed());
    answer
}

/// The metrics listener's routes: `GET /metrics`, and 404 for anything else.
pub fn configure(cfg: &mut web::ServiceConfig, state: &AppState, exporter: &Exporter) {
    cfg.app_data(web::Data::new(state.clone()))
        .app_data(web::Data::new(exporter.clone()))
        .route(PATH, web::get().to(scrape))
        .default_service(web::to(|| async { HttpResponse::NotFound().finish() }));
}

/// `GET /metrics`: samples what is read at scrape time, then renders every series.
async fn scrape(state: web::Data<AppState>, exporter: web::Data<Exporter>) -> HttpResponse {
    let pool = state.database.pool.state();
    metrics::pool_state(
        pool.connections - pool.idle_connections,
        pool.idle_connections,
        state.database.pool.max_size(),
    );
    metrics::hash_queue(state.hashing.queued());
    let live = state
        .database
        .call_within(SESSIONS_DEADLINE, |c| {
            SessionRow::count_live(c, crate::db::now()).map_err(DbError::from)
        })
        .await;
    if let Err(e) = &live {
        tracing::warn!(error = %e, "metrics: could not count the live sessions");
    }
    metrics::sessions_active(live.ok());
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .insert_header(("Cache-Control", "no-store"))
        .body(exporter.render())
}

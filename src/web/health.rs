//! Liveness and readiness, and turning a database outage seen by the session store into a 503 page.

use std::time::Duration;

use actix_session::storage::{LoadError, SaveError, UpdateError};
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::error::InternalError;
use actix_web::middleware::Next;
use actix_web::{HttpResponse, web};
use diesel::connection::SimpleConnection;

use crate::db::DbError;
use crate::web::error::AppError;
use crate::web::state::AppState;

/// `GET /healthz`: the process is alive. Touches no database, so an outage does not get it restarted.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body("ok")
}

/// How long `/readyz` waits for the database: well under the 1 s a health checker usually allows,
/// whatever the database does (down, or connected and silent), and whatever `KWIK_DB_CALL_TIMEOUT_MS`
/// says.
pub const READY_DEADLINE: Duration = Duration::from_millis(800);

/// `GET /readyz`: whether this instance can serve pages now, i.e. reach its database (and on
/// Postgres its replay store, a table of it) within [`READY_DEADLINE`]. While the replay store is
/// unreachable, signed requests are refused, and the answer says so; it also says where rate limits
/// are counted. A replay store in Redis that does not answer leaves the instance ready ("degraded"):
/// Basic and the pages still work, and every other instance shares the same Redis. Load balancers
/// take an instance out of rotation on 503 and back when it answers 200 again.
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let shared = state.replays.local().is_none();
    // On Postgres the replay store is a table of the same database: reading it proves both.
    let ping = state.database.call_within(READY_DEADLINE, move |c| {
        let sql = if shared {
            "SELECT 1 FROM replay_signatures LIMIT 1"
        } else {
            "SELECT 1"
        };
        c.batch_execute(sql).map_err(DbError::from)
    });
    let replay_store = state.replays.kind();
    // Where rate limits are counted: the fleet's counts, or (the shared ones out of reach) this
    // instance's own, which never stops traffic.
    let limiter = &state.limiter;
    let rate_limits = |ready: bool| match (limiter.is_shared(), ready && limiter.healthy()) {
        (false, _) => "memory",
        (true, true) => "shared",
        (true, false) => "per instance",
    };
    // Redis, when the replay store is there, is asked beside the database. Its outage refuses
    // signed requests only: Basic and pages go on, so the instance stays in rotation and says so.
    let (ping, redis_ok) =
        futures_util::future::join(ping, state.replays.reachable(READY_DEADLINE)).await;
    let signed = if redis_ok { "accepted" } else { "refused" };
    match ping {
        Ok(()) if redis_ok => HttpResponse::Ok().json(serde_json::json!({
            "status": "ready",
            "replay_store": replay_store,
            "rate_limits": rate_limits(true),
        })),
        Ok(()) => HttpResponse::Ok().json(serde_json::json!({
            "status": "degraded",
            "reason": "replay store unreachable",
            "replay_store": replay_store,
            "signed_requests": signed,
            "rate_limits": rate_limits(true),
        })),
        Err(e) => {
            tracing::warn!(error = %e, "not ready");
            HttpResponse::ServiceUnavailable()
                .insert_header(("Retry-After", "5"))
                .json(serde_json::json!({
                    "status": "unavailable",
                    "reason": "database unreachable",
                    "replay_store": replay_store,
                    "signed_requests": if replay_store == "redis" { signed } else { "refused" },
                    "rate_limits": rate_limits(false),
                }))
        }
    }
}

/// Middleware around the session middleware: its storage errors (the database is down) become the
/// "temporarily unavailable" page with 503, instead of an empty 500.
pub async fn session_store_outage(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    next.call(req).await.map_err(|e| {
        let from_store = e.as_error::<InternalError<LoadError>>().is_some()
            || e.as_error::<InternalError<SaveError>>().is_some()
            || e.as_error::<InternalError<UpdateError>>().is_some()
            || e.as_error::<InternalError<anyhow::Error>>().is_some();
        if from_store {
            AppError::Unavailable(anyhow::anyhow!("session store: {e}")).into()
        } else {
            e
        }
    })
}

//! `serve`: the HTTP server with its background jobs (the usage flush, the expired-session,
//! expired-signature and old rate-count cleanups), the metrics listener when `KWIK_METRICS_BIND`
//! asks for one, and the first-run admin printed once.

use std::net::SocketAddr;
use std::time::Duration;

use actix_web::dev::ServerHandle;
use actix_web::middleware::{Condition, from_fn};
use actix_web::{App, HttpServer};
use anyhow::Context;

use crate::db::models::SessionRow;
use crate::domain::users::{self};
use crate::infra::metrics::Exporter;
use crate::infra::threads::Priority;
use crate::web::state::AppState;

/// Sends each write at once (`TCP_NODELAY`), as Go's and Node's servers do by default, so the last
/// piece of a response is never held back for the client's delayed ACK (see `docs/perf.md`).
fn no_delay(conn: &dyn std::any::Any, _: &mut actix_web::dev::Extensions) {
    if let Some(tcp) = conn.downcast_ref::<actix_web::rt::net::TcpStream>()
        && let Err(e) = tcp.set_nodelay(true)
    {
        tracing::warn!(error = %e, "TCP_NODELAY not set on a connection");
    }
}

pub(super) async fn serve() -> anyhow::Result<()> {
    let state = super::open()?;
    let bind = state.config.bind;
    {
        let mut conn = state.database.pool.get()?;
        if let Some(password) = users::seed_first_run(&mut conn, state.hashing.passwords())? {
            // Printed, not logged: it must not end up in log storage.
            println!();
            println!(
                "First run: created merchant \"{}\" and its admin.",
                users::DEMO_MERCHANT
            );
            println!("  Log in at  http://{bind}/login");
            println!("  Email      {}", users::DEMO_ADMIN_EMAIL);
            println!("  Password   {}", password.as_str());
            println!("This password is shown only once.");
            println!();
        }
    }
    spawn_cleanup(state.clone());
    spawn_usage_flush(state.clone());
    spawn_replay_cleanup(state.clone());
    spawn_rate_count_cleanup(state.clone());
    spawn_mail_delivery(&state);
    if state.config.gateway_token.is_none() {
        tracing::info!("POST /internal/v1/verify is disabled (404): KWIK_GATEWAY_TOKEN is not set");
    }
    // Installed before the first request, so that every one is counted.
    let metrics = match state.config.metrics_bind {
        Some(addr) => Some((addr, crate::infra::metrics::install()?)),
        None => {
            tracing::info!("metrics are off: KWIK_METRICS_BIND is not set");
            None
        }
    };
    let track = metrics.is_some();
    tracing::info!(%bind, master_key = state.keyring.current_id(), "serving the Kwik dashboard");
    let app_state = state.clone();
    let server = HttpServer::new(move || {
        // Runs on each request worker's own thread as it starts. See `threads`: with the workers and
        // the database threads both batch-scheduled, neither preempts the other on every call.
        if let Err(e) = crate::infra::threads::schedule(Priority::Batch) {
            tracing::warn!(error = %e, "request workers keep the default scheduling");
        }
        App::new()
            .wrap(Condition::new(track, from_fn(crate::web::metrics::track)))
            .configure(|cfg| crate::configure(cfg, &app_state))
    })
    .on_connect(no_delay)
    // Our own signal handling (below): SIGINT stops as gracefully as SIGTERM.
    .disable_signals()
    .shutdown_timeout(state.config.shutdown_timeout.as_secs())
    .bind(bind)?
    .run();
    let metrics = match metrics {
        Some((addr, exporter)) => Some(serve_metrics(&state, exporter, addr)?),
        None => None,
    };
    let handle = server.handle();
    let grace = state.config.shutdown_timeout;
    actix_web::rt::spawn(async move {
        let signal = stop_signal().await;
        tracing::info!(
            signal,
            grace_s = grace.as_secs(),
            "stopping: no new connections; finishing the requests in flight"
        );
        handle.stop(true).await;
    });
    server.await?;
    if let Some(metrics) = metrics {
        metrics.stop(true).await;
    }
    // Graceful stop: write the last few seconds of token use.
    let usage = state.usage.clone();
    match state.db(move |c| usage.flush(c)).await {
        Ok(n) => tracing::info!(tokens = n, "last-used times written at shutdown"),
        Err(e) => tracing::warn!(error = %e, "could not write last-used times at shutdown"),
    }
    Ok(())
}

/// Serves `/metrics` on `addr`, a listener of its own (one worker: Prometheus scrapes every few
/// seconds), and keeps the recorder's histograms drained. Stops when the handle says so.
fn serve_metrics(
    state: &AppState,
    exporter: Exporter,
    addr: SocketAddr,
) -> anyhow::Result<ServerHandle> {
    let (app_state, app_exporter) = (state.clone(), exporter.clone());
    let server = HttpServer::new(move || {
        App::new().configure(|cfg| crate::web::metrics::configure(cfg, &app_state, &app_exporter))
    })
    .workers(1)
    .disable_signals()
    .shutdown_timeout(1)
    .bind(addr)
    .with_context(|| format!("KWIK_METRICS_BIND: cannot listen on {addr}"))?
    .run();
    let handle = server.handle();
    tracing::info!(%addr, "serving Prometheus metrics at /metrics");
    actix_web::rt::spawn(async move {
        if let Err(e) = server.await {
            tracing::error!(error = %e, "the metrics listener stopped");
        }
    });
    actix_web::rt::spawn(async move {
        let mut every = actix_web::rt::time::interval(Duration::from_secs(5));
        loop {
            every.tick().await;
            exporter.upkeep();
        }
    });
    Ok(handle)
}

/// Waits for SIGTERM (what orchestrators send) or SIGINT (Ctrl-C); names the one that came.
async fn stop_signal() -> &'static str {
    use actix_web::rt::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        tracing::error!("cannot listen for SIGTERM/SIGINT: the server stops only when killed");
        return std::future::pending().await;
    };
    match futures_util::future::select(Box::pin(term.recv()), Box::pin(int.recv())).await {
        futures_util::future::Either::Left(_) => "SIGTERM",
        futures_util::future::Either::Right(_) => "SIGINT",
    }
}

/// How often last-used times are written (at most this much is lost on a crash).
/// Sends the outbox's mail every `KWIK_MAIL_POLL_MS`, queues expiry warnings every 10 minutes, and
/// drops what is older than 30 days once an hour. A round that fails (the database away) is simply the next round's work.
fn spawn_mail_delivery(state: &AppState) {
    let delivery = state.delivery();
    tracing::info!(mail = %state.mailer.describe(), from = %state.config.mail.from, links = %state.config.mail.public_url, "outgoing mail");
    let poll = state.config.mail.poll;
    actix_web::rt::spawn(async move {
        let mut every = actix_web::rt::time::interval(poll);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut last_purge = std::time::Instant::now();
        let mut last_sweep: Option<std::time::Instant> = None;
        loop {
            every.tick().await;
            // Expiry warnings: at start, then every 10 minutes (each is queued once, whoever sweeps).
            if last_sweep.is_none_or(|at| at.elapsed() >= Duration::from_secs(600)) {
                last_sweep = Some(std::time::Instant::now());
                let swept = delivery
                    .database
                    .call(|c| {
                        crate::domain::mail::expiry::queue_warnings(c, crate::db::now())
                            .map_err(crate::db::DbError::from)
                    })
                    .await;
                match swept {
                    Ok(n) if n > 0 => tracing::info!(mails = n, "expiry warnings queued"),
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "expiry warnings not swept; next round"),
                }
            }
            match delivery.run_once().await {
                Ok(report) if !report.is_empty() => tracing::debug!(?report, "mail delivery round"),
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "mail delivery round failed; the mail stays queued")
                }
            }
            if last_purge.elapsed() >= Duration::from_secs(3600) {
                last_purge = std::time::Instant::now();
                match delivery.purge().await {
                    Ok(n) if n > 0 => {
                        tracing::info!(deleted = n, "mail older than 30 days removed")
                    }
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "outbox cleanup failed"),
                }
            }
        }
    });
}

const USAGE_FLUSH_EVERY: Duration = Duration::from_secs(5);

fn spawn_usage_flush(state: AppState) {
    actix_web::rt::spawn(async move {
        let mut every = actix_web::rt::time::interval(USAGE_FLUSH_EVERY);
        loop {
            every.tick().await;
            if state.usage.pending_count() == 0 {
                continue;
            }
            let usage = state.usage.clone();
            if let Err(e) = state.db(move |c| usage.flush(c)).await {
                tracing::warn!(error = %e, "could not write last-used times; will retry");
            }
        }
    });
}

/// Deletes expired sessions every ten minutes (they are already refused; this only frees space).
fn spawn_cleanup(state: AppState) {
    actix_web::rt::spawn(async move {
        let mut every = actix_web::rt::time::interval(Duration::from_secs(600));
        loop {
            every.tick().await;
            match state
                .db(|c| SessionRow::delete_expired(c, crate::db::now()))
                .await
            {
                Ok(n) if n > 0 => tracing::debug!(deleted = n, "expired sessions removed"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "session cleanup failed"),
            }
        }
    });
}

/// Deletes expired signatures of the shared replay store every minute, in batches (they are already
/// refused as too old; this only frees space). Nothing to do in memory.
fn spawn_replay_cleanup(state: AppState) {
    actix_web::rt::spawn(async move {
        let mut every = actix_web::rt::time::interval(Duration::from_secs(60));
        loop {
            every.tick().await;
            let now = time::OffsetDateTime::now_utc().unix_timestamp();
            match state.replays.forget_expired(&state.database, now).await {
                Ok(n) if n > 0 => tracing::debug!(deleted = n, "expired signatures removed"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "replay store cleanup failed"),
            }
        }
    });
}

/// Deletes the shared rate-limit counts of seconds that no longer decide anything, every ten
/// seconds, so each delete is small. Nothing is written on SQLite, so nothing is deleted there.
fn spawn_rate_count_cleanup(state: AppState) {
    if !state.limiter.is_shared() {
        return;
    }
    actix_web::rt::spawn(async move {
        let mut every = actix_web::rt::time::interval(Duration::from_secs(10));
        loop {
            every.tick().await;
            let before = time::OffsetDateTime::now_utc().unix_timestamp() - 5;
            match state
                .db(move |c| crate::db::models::rate_count::delete_before(c, before))
                .await
            {
                Ok(n) if n > 0 => tracing::debug!(deleted = n, "old rate-limit counts removed"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "rate-limit count cleanup failed"),
            }
        }
    });
}

#[cfg(test)]
mod tests {
    #[actix_web::test]
    async fn connections_send_each_write_at_once() {
        let listener = actix_web::rt::net::TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap();
        let addr = listener.local_addr().unwrap();
        let _client = actix_web::rt::net::TcpStream::connect(addr).await.unwrap();
        let (server_side, _) = listener.accept().await.unwrap();
        assert!(!server_side.nodelay().unwrap());
        super::no_delay(&server_side, &mut actix_web::dev::Extensions::new());
        assert!(server_side.nodelay().unwrap());
    }
}

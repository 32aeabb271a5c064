//! Hearing about token changes made by any instance or the CLI, on Postgres: a dedicated connection
//! (diesel cannot listen) runs `LISTEN kwik_tokens`, which the `access_tokens` trigger notifies on
//! commit with the hex SHA-256 of each key whose cached record must go.
//!
//! The connection is its own thread's, named `kwik-listener` in `pg_stat_activity`. When it is lost,
//! it reconnects by itself with a backoff (50 ms doubling to 5 s), and on every (re)connect reports
//! [`Heard::Connected`]: messages sent while it was away are lost, so the caller drops everything it
//! cached. The thread ends when `on` says the app is gone.

use std::time::Duration;

use postgres::fallible_iterator::FallibleIterator;

/// What the listener heard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Heard {
    /// The token with this key hash changed.
    Changed([u8; 32]),
    /// Listening (again): anything may have changed meanwhile.
    Connected,
    /// Nothing for a while (or waiting to reconnect): answer whether the app still wants messages.
    Quiet,
}

/// The channel the `access_tokens` trigger notifies.
pub const CHANNEL: &str = "kwik_tokens";
/// The listener's `application_name`, to find it in `pg_stat_activity`.
pub const APPLICATION_NAME: &str = "kwik-listener";

const FIRST_BACKOFF: Duration = Duration::from_millis(50);
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// How often a quiet listener checks that the app still wants it.
const POLL: Duration = Duration::from_millis(500);

/// Starts listening on the Postgres at `url`, calling `on` with each message; `on` returns false when
/// the app is gone, and the thread ends. A URL the listener cannot parse is logged (without its
/// value: it may hold a password) and nothing listens: the cache's TTL stays the only bound.
pub fn spawn(url: &str, on: impl FnMut(Heard) -> bool + Send + 'static) -> std::io::Result<()> {
    let mut config: postgres::Config = match url.parse() {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "DATABASE_URL is not usable for LISTEN; changes made elsewhere are seen within the token cache TTL");
            return Ok(());
        }
    };
    config
        .application_name(APPLICATION_NAME)
        .connect_timeout(Duration::from_secs(5))
        .keepalives(true)
        .keepalives_idle(Duration::from_secs(5));
    let (tried, first_try) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("kwik-listener".into())
        .spawn(move || listen(&config, on, tried))?;
    // Start with the channel up when the database is: a record cached before the first LISTEN would
    // be dropped by it anyway, but a change made meanwhile would only be seen through the TTL.
    let _ = first_try.recv_timeout(Duration::from_secs(6));
    Ok(())
}

fn listen(
    config: &postgres::Config,
    mut on: impl FnMut(Heard) -> bool,
    tried: std::sync::mpsc::Sender<()>,
) {
    let mut backoff = FIRST_BACKOFF;
    let mut tried = Some(tried);
    loop {
        let attempt = config.connect(postgres::NoTls).and_then(|mut client| {
            client.batch_execute(&format!("LISTEN {CHANNEL}"))?;
            Ok(client)
        });
        let connected = attempt.is_ok() && on(Heard::Connected);
        if let Some(tried) = tried.take() {
            let _ = tried.send(());
        }
        match attempt {
            Ok(mut client) => {
                backoff = FIRST_BACKOFF;
                if !connected {
                    return;
                }
                tracing::info!("listening for token changes");
                if !hear(&mut client, &mut on) {
                    return;
                }
                tracing::warn!("token change listener lost; reconnecting");
            }
            Err(e) => tracing::warn!(error = %e, "token change listener cannot listen; retrying"),
        }
        std::thread::sleep(backoff);
        backoff = (backoff * 2).min(MAX_BACKOFF);
        if !on(Heard::Quiet) {
            return;
        }
    }
}

/// Passes on messages until the connection is lost (true) or the app is gone (false).
fn hear(client: &mut postgres::Client, on: &mut impl FnMut(Heard) -> bool) -> bool {
    loop {
        let mut quiet = true;
        {
            let mut notifications = client.notifications();
            let mut iter = notifications.timeout_iter(POLL);
            loop {
                match iter.next() {
                    Ok(Some(note)) => {
                        quiet = false;
                        let mut hash = [0u8; 32];
                        if hex::decode_to_slice(note.payload(), &mut hash).is_err() {
                            tracing::warn!("unexpected payload on {CHANNEL}; ignored");
                        } else if !on(Heard::Changed(hash)) {
                            return false;
                        }
                    }
                    Ok(None) => break,
                    Err(_) => return true,
                }
            }
        }
        if client.is_closed() {
            return true;
        }
        if quiet && !on(Heard::Quiet) {
            return false;
        }
    }
}

//! The libpq settings added to a Postgres URL so that the socket itself notices a server that has
//! gone or stopped answering: TCP keepalives on idle connections, `tcp_user_timeout` on sent bytes
//! nobody acknowledges, and `connect_timeout` while opening. Without them a query on a dead network
//! waits in libpq's `poll` for TCP's retransmissions (about 15 minutes on Linux), holding its
//! database thread and its connection all that time. A setting the URL already has is kept as given.

use std::time::Duration;

/// Added unless the URL sets them. An idle connection to a vanished host is closed after about
/// 5 + 3 × 2 = 11 s of silence; bytes sent and not acknowledged for 10 s fail the query.
const SOCKET_SETTINGS: [(&str, &str); 5] = [
    ("keepalives", "1"),
    ("keepalives_idle", "5"),
    ("keepalives_interval", "2"),
    ("keepalives_count", "3"),
    ("tcp_user_timeout", "10000"),
];

/// `url` (a `postgres://` or `postgresql://` URI) with [`SOCKET_SETTINGS`] and a `connect_timeout`
/// of `connect` (whole seconds, rounded up, at least libpq's minimum of 2) added as query
/// parameters, each only when the URL does not set it already.
pub fn with_socket_timeouts(url: &str, connect: Duration) -> String {
    let connect_secs = connect
        .as_millis()
        .div_ceil(1000)
        .max(2)
        .min(u128::from(u32::MAX))
        .to_string();
    let wanted = SOCKET_SETTINGS
        .iter()
        .map(|&(k, v)| (k, v.to_owned()))
        .chain([("connect_timeout", connect_secs)]);

    let query_at = query_start(url);
    let query = query_at.map_or("", |at| &url[at + 1..]);
    let given: Vec<&str> = query
        .split('&')
        .filter_map(|pair| pair.split('=').next())
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .collect();
    let added: Vec<String> = wanted
        .filter(|(k, _)| !given.contains(k))
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    if added.is_empty() {
        return url.to_owned();
    }
    let mut out = String::with_capacity(url.len() + 128);
    out.push_str(url);
    match query_at {
        None => out.push('?'),
        Some(_) if query.is_empty() || query.ends_with('&') => {}
        Some(_) => out.push('&'),
    }
    out.push_str(&added.join("&"));
    out
}

/// Where the query (`?...`) of a Postgres URI starts, read as libpq reads it: the user and password
/// run up to an `@` met before any `/`, and may hold a `?` themselves.
fn query_start(url: &str) -> Option<usize> {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    let rest = &url[after_scheme..];
    let host_at = match rest.find(['@', '/']) {
        Some(i) if rest.as_bytes()[i] == b'@' => i + 1,
        _ => 0,
    };
    rest[host_at..]
        .find('?')
        .map(|i| after_scheme + host_at + i)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ADDED: &str = "keepalives=1&keepalives_idle=5&keepalives_interval=2&keepalives_count=3\
                         &tcp_user_timeout=10000&connect_timeout=3";

    fn rewrite(url: &str) -> String {
        with_socket_timeouts(url, Duration::from_millis(3000))
    }

    #[test]
    fn a_url_without_parameters_gets_every_setting() {
        assert_eq!(
            rewrite("postgres://kwik:pw@db.internal:5432/kwik"),
            format!("postgres://kwik:pw@db.internal:5432/kwik?{ADDED}")
        );
        assert_eq!(
            rewrite("postgresql://db/kwik"),
            format!("postgresql://db/kwik?{ADDED}")
        );
    }

    #[test]
    fn existing_parameters_are_kept_and_the_settings_follow_them() {
        assert_eq!(
            rewrite("postgres://u@h/db?sslmode=disable&application_name=kwik"),
            format!("postgres://u@h/db?sslmode=disable&application_name=kwik&{ADDED}")
        );
        assert_eq!(
            rewrite("postgres://u@h/db?"),
            format!("postgres://u@h/db?{ADDED}")
        );
        assert_eq!(
            rewrite("postgres://u@h/db?sslmode=disable&"),
            format!("postgres://u@h/db?sslmode=disable&{ADDED}")
        );
    }

    #[test]
    fn a_setting_the_url_gives_keeps_its_value() {
        let url = rewrite(
            "postgres://u@h/db?keepalives_idle=60&tcp_user_timeout=30000&connect_timeout=9",
        );
        assert_eq!(
            url,
            "postgres://u@h/db?keepalives_idle=60&tcp_user_timeout=30000&connect_timeout=9\
             &keepalives=1&keepalives_interval=2&keepalives_count=3"
        );
        let all = format!("postgres://u@h/db?{ADDED}");
        assert_eq!(rewrite(&all), all, "nothing is added twice");
        let off = "postgres://u@h/db?keepalives=0";
        assert!(rewrite(off).starts_with("postgres://u@h/db?keepalives=0&keepalives_idle=5"));
        assert_eq!(rewrite(off).matches("keepalives=").count(), 1);
    }

    #[test]
    fn a_question_mark_in_the_password_is_not_taken_for_the_query() {
        assert_eq!(
            rewrite("postgres://u:pa?ss@h/db"),
            format!("postgres://u:pa?ss@h/db?{ADDED}")
        );
        assert_eq!(
            rewrite("postgres://u:pa?ss@h/db?sslmode=disable"),
            format!("postgres://u:pa?ss@h/db?sslmode=disable&{ADDED}")
        );
    }

    #[test]
    fn a_url_with_no_path_or_several_hosts_still_gets_its_query() {
        assert_eq!(rewrite("postgres://h"), format!("postgres://h?{ADDED}"));
        assert_eq!(
            rewrite("postgres://h1:5432,h2:5433/db?target_session_attrs=read-write"),
            format!("postgres://h1:5432,h2:5433/db?target_session_attrs=read-write&{ADDED}")
        );
    }

    #[test]
    fn the_connect_timeout_is_in_whole_seconds_and_at_least_two() {
        let timeout = |ms| {
            let url = with_socket_timeouts("postgres://h/db", Duration::from_millis(ms));
            url.rsplit("connect_timeout=")
                .next()
                .unwrap_or_default()
                .to_owned()
        };
        assert_eq!(timeout(500), "2");
        assert_eq!(timeout(2000), "2");
        assert_eq!(timeout(2001), "3");
        assert_eq!(timeout(10_000), "10");
    }
}

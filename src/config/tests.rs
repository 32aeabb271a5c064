//! The configuration's parsing: defaults, checks and messages.

use super::*;

#[test]
fn defaults_follow_the_documented_table() {
    let config = Config::from_lookup(|_| None).unwrap();
    assert_eq!(config.data_dir, PathBuf::from("data"));
    assert_eq!(config.database_url, "data/kwik.db");
    assert_eq!(config.bind.to_string(), "127.0.0.1:8080");
    assert_eq!(config.cookie_secure, CookieSecure::Auto);
    assert_eq!(config.argon2, Argon2Params::OWASP);
    assert_eq!(config.sudo_window, std::time::Duration::from_secs(15 * 60));
    assert!(config.support_require_two_factor);
}

#[test]
fn sudo_minutes_and_the_support_policy_are_read_and_checked() {
    let config = Config::from_lookup(|n| match n {
        "KWIK_SUDO_MINUTES" => Some("5".into()),
        "KWIK_SUPPORT_REQUIRE_2FA" => Some("no".into()),
        _ => None,
    })
    .unwrap();
    assert_eq!(config.sudo_window, std::time::Duration::from_secs(300));
    assert!(!config.support_require_two_factor);
    let every_time = Config::from_lookup(|n| (n == "KWIK_SUDO_MINUTES").then(|| "0".into()));
    assert_eq!(every_time.unwrap().sudo_window, std::time::Duration::ZERO);
    for bad in ["-1", "soon", "1441"] {
        let err =
            Config::from_lookup(|n| (n == "KWIK_SUDO_MINUTES").then(|| bad.into())).unwrap_err();
        assert!(err.to_string().contains("KWIK_SUDO_MINUTES"), "{err}");
    }
}

#[test]
fn database_deadlines_default_to_2_s_and_500_ms_and_are_checked() {
    let config = Config::from_lookup(|_| None).unwrap();
    assert_eq!(
        config.db_call_timeout,
        std::time::Duration::from_millis(2000)
    );
    assert_eq!(
        config.db_verify_timeout,
        std::time::Duration::from_millis(500)
    );
    let with = |pairs: &'static [(&'static str, &'static str)]| {
        Config::from_lookup(|n| {
            pairs
                .iter()
                .find(|(k, _)| *k == n)
                .map(|(_, v)| (*v).to_owned())
        })
    };
    let set = with(&[
        ("KWIK_DB_CALL_TIMEOUT_MS", "3000"),
        ("KWIK_DB_VERIFY_TIMEOUT_MS", "3000"),
    ])
    .unwrap();
    assert_eq!(set.db_verify_timeout, std::time::Duration::from_secs(3));
    for (pairs, says) in [
        (&[("KWIK_DB_CALL_TIMEOUT_MS", "0")][..], "out of range"),
        (
            &[("KWIK_DB_CALL_TIMEOUT_MS", "2s")][..],
            "whole number of milliseconds",
        ),
        (
            &[("KWIK_DB_VERIFY_TIMEOUT_MS", "-1")][..],
            "KWIK_DB_VERIFY_TIMEOUT_MS",
        ),
        (
            &[("KWIK_DB_VERIFY_TIMEOUT_MS", "900000")][..],
            "1 to 600000",
        ),
        (
            &[("KWIK_DB_VERIFY_TIMEOUT_MS", "2500")][..],
            "longer than KWIK_DB_CALL",
        ),
    ] {
        let err = with(pairs).unwrap_err().to_string();
        assert!(err.contains(says), "{pairs:?}: {err}");
    }
}

#[test]
fn a_bad_value_names_its_variable() {
    let err = Config::from_lookup(|n| (n == "KWIK_BIND").then(|| "nowhere".into())).unwrap_err();
    assert!(err.to_string().contains("KWIK_BIND"), "{err}");
}

#[test]
fn metrics_are_off_unless_an_address_is_given() {
    assert_eq!(Config::from_lookup(|_| None).unwrap().metrics_bind, None);
    let config =
        Config::from_lookup(|n| (n == "KWIK_METRICS_BIND").then(|| " 127.0.0.1:9464 ".into()))
            .unwrap();
    assert_eq!(config.metrics_bind, Some("127.0.0.1:9464".parse().unwrap()));
    let v6 = Config::from_lookup(|n| (n == "KWIK_METRICS_BIND").then(|| "[::1]:9464".into()));
    assert_eq!(
        v6.unwrap().metrics_bind,
        Some("[::1]:9464".parse().unwrap())
    );
}

#[test]
fn a_bad_metrics_address_is_refused_with_an_example() {
    for bad in ["9464", "localhost:9464", "127.0.0.1", "127.0.0.1:port"] {
        let err = Config::from_lookup(|n| (n == "KWIK_METRICS_BIND").then(|| bad.into()))
            .unwrap_err()
            .to_string();
        assert!(err.contains("KWIK_METRICS_BIND"), "{bad}: {err}");
        assert!(err.contains("127.0.0.1:9464"), "{bad}: {err}");
    }
    let same = Config::from_lookup(|n| match n {
        "KWIK_BIND" | "KWIK_METRICS_BIND" => Some("127.0.0.1:8080".into()),
        _ => None,
    })
    .unwrap_err()
    .to_string();
    assert!(same.contains("same as KWIK_BIND"), "{same}");
}

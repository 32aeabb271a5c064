//! `kwik-dashboard seed --sample-credentials`: the load test's credentials, drawn from the seeded
//! tokens, really authenticate, and the file is the owner's alone and never overwritten.

use kwik_dashboard::cli::seed::{Sample, seed};

use crate::helpers::*;

#[actix_web::test]
async fn sampled_credentials_authenticate_and_the_file_is_new_and_private() {
    let app = spawn_app().await;
    let mut sample = Sample::new(6);
    let report = app.db(|c| {
        seed(
            c,
            &app.state.keyring,
            None,
            4,
            30,
            |_| {},
            Some(&mut sample),
        )
        .unwrap()
    });
    assert_eq!((report.tokens, sample.len()), (120, 6));
    let dir = tempfile::TempDir::new().unwrap();
    let path = dir.path().join("sample.txt");
    sample.write_new(&path).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    assert!(
        sample.write_new(&path).is_err(),
        "an existing file is never overwritten"
    );
    let text = std::fs::read_to_string(&path).unwrap();
    let pairs: Vec<(&str, &str)> = text.lines().filter_map(|l| l.split_once(':')).collect();
    assert_eq!(pairs.len(), 6, "{text}");
    for (key, secret) in &pairs {
        assert_eq!(app.whoami_from("198.51.100.9", key, secret, "").await, 200);
    }
    // Drawn from the whole run, not its first six tokens.
    let ids: std::collections::BTreeSet<i64> = app
        .all_tokens()
        .iter()
        .filter(|t| pairs.iter().any(|(key, _)| key.starts_with(&t.key_prefix)))
        .map(|t| t.id.0)
        .collect();
    assert_eq!(ids.len(), 6);
    let first_six: std::collections::BTreeSet<i64> = app
        .all_tokens()
        .iter()
        .filter(|t| t.status == kwik_dashboard::domain::credentials::TokenStatus::Live)
        .map(|t| t.id.0)
        .take(6)
        .collect();
    assert_ne!(ids, first_six, "a sample of the whole run, not its start");
}

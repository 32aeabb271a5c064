//! Edit, roll with a grace window, expiry, IP allowlist and delete: the verifier helpers shared here,
//! the tests in one module per concern.

mod allowlist;
mod delete;
mod edit;
mod expiry;
mod roll;

use kwik_dashboard::domain::credentials::verify::{
    Decision, Facts, Presented, Verifier, parse_basic, parse_signed, sign,
};

use crate::helpers::*;

/// Verifies Basic credentials at `at` (unix seconds): the controllable clock.
fn verify_at(app: &TestApp, key: &str, secret: &str, at: i64) -> Decision {
    let presented = parse_basic(basic_auth(key, secret).as_bytes()).unwrap();
    verify_get(app, presented, at)
}

/// Verifies a signed request made at `at` by a client holding `secret`.
fn verify_signed_at(app: &TestApp, key: &str, secret: &str, at: i64) -> Decision {
    let sig = format!("v1={}", sign(secret, at, "GET", "/api/v2/whoami", b""));
    let body = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(b""));
    let presented = parse_signed(key, &at.to_string(), &sig, "/api/v2/whoami", &body).unwrap();
    verify_get(app, presented, at)
}

/// What the app's verifier decides, at `at`, for a GET with no section that presents `presented`.
fn verify_get(app: &TestApp, presented: Presented, at: i64) -> Decision {
    let facts = Facts {
        presented,
        method: "GET".into(),
        section: None,
        client_ip: None,
    };
    let verifier = Verifier {
        keyring: &app.state.keyring,
        replays: app.state.replays.local(),
    };
    app.db(|c| verifier.verify(c, &facts, at).unwrap())
}

/// Whether `d` lets the request through.
fn allowed(d: &Decision) -> bool {
    matches!(d, Decision::Allowed(_))
}

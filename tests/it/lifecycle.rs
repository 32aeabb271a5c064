//! Edit, roll with a grace window, expiry, IP allowlist and delete: the verifier helpers shared here,
//! the tests in one module per concern.

mod allowlist;
mod delete;
mod edit;
mod expiry;
mod roll;

use kwik_dashboard::domain::credentials::verify::{
    Decision, Facts, Verifier, parse_basic, parse_signed, sign,
};

use crate::helpers::*;

/// Verifies Basic credentials at `at` (unix seconds): the controllable clock.
fn verify_at(app: &TestApp, key: &str, secret: &str, at: i64) -> Decision {
    let facts = Facts {
        presented: parse_basic(basic_auth(key, secret).as_bytes()).unwrap(),
        method: "GET".into(),
        section: None,
        client_ip: None,
    };
    let verifier = Verifier {
        keyring: &app.state.keyring,
        replays: &app.state.replays,
    };
    app.db(|c| verifier.verify(c, &facts, at).unwrap())
}

/// Verifies a signed request made at `at` by a client holding `secret`.
fn verify_signed_at(app: &TestApp, key: &str, secret: &str, at: i64) -> Decision {
    let sig = format!("v1={}", sign(secret, at, "GET", "/api/v2/whoami", b""));
    let body = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(b""));
    let facts = Facts {
        presented: parse_signed(key, &at.to_string(), &sig, "/api/v2/whoami", &body).unwrap(),
        method: "GET".into(),
        section: None,
        client_ip: None,
    };
    let verifier = Verifier {
        keyring: &app.state.keyring,
        replays: &app.state.replays,
    };
    app.db(|c| verifier.verify(c, &facts, at).unwrap())
}

fn allowed(d: &Decision) -> bool {
    matches!(d, Decision::Allowed(_))
}

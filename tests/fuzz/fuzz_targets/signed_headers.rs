//! The signed-request headers and the string to sign: never a panic; what parses has the shapes the
//! verifier relies on, and a signature computed over it by a client parses back.
#![no_main]

use kwik_dashboard::domain::credentials::verify::{
    Facts, Presented, parse_signed, precheck, sign, string_to_sign,
};
use libfuzzer_sys::fuzz_target;

// The input is the six fields, one a line: key, timestamp, signature, path and query, the body's
// SHA-256, method (so the corpus reads as requests do).
fuzz_target!(|input: &str| {
    let mut lines = input.split('\n');
    let mut field = || lines.next().unwrap_or("");
    let (key, timestamp, signature, path_and_query, body_sha256, method) =
        (field(), field(), field(), field(), field(), field());
    let Ok(Presented::Signed(signed)) =
        parse_signed(key, timestamp, signature, path_and_query, body_sha256)
    else {
        return;
    };
    assert!(signed.timestamp >= 0);
    assert!(signed.path_and_query.starts_with('/'));
    assert_eq!(signed.body_sha256.len(), 64);
    let text = string_to_sign(
        signed.timestamp,
        method,
        &signed.path_and_query,
        &signed.body_sha256,
    );
    assert!(text.starts_with(&format!("{}\n", signed.timestamp)));
    assert!(text.ends_with(&signed.body_sha256));
    let mac = sign(key, signed.timestamp, method, &signed.path_and_query, b"");
    let header = format!("v1={mac}");
    assert!(
        parse_signed(
            key,
            &signed.timestamp.to_string(),
            &header,
            &signed.path_and_query,
            &signed.body_sha256
        )
        .is_ok(),
        "a client's own signature does not parse"
    );
    let facts = Facts {
        presented: Presented::Signed(signed),
        method: method.to_ascii_uppercase(),
        section: None,
        client_ip: None,
    };
    let _ = precheck(&facts, 1_700_000_000);
});

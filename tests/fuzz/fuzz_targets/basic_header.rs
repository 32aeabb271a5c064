//! `Authorization: Basic ...` as any client may send it: never a panic; what parses re-encodes to
//! a header that parses the same; the offline checks (key shape, secret checksum) take anything.
#![no_main]

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use kwik_dashboard::domain::credentials::verify::{Facts, Presented, parse_basic, precheck};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|header: &[u8]| {
    let Ok(presented) = parse_basic(header) else {
        return;
    };
    let Presented::Basic { key, secret } = &presented else {
        panic!("a Basic header read as another scheme");
    };
    assert!(!key.is_empty() && !secret.is_empty());
    assert!(!key.contains(':'), "the key ends at the first colon");
    let again = format!(
        "Basic {}",
        STANDARD.encode(format!("{key}:{}", secret.as_str()))
    );
    match parse_basic(again.as_bytes()) {
        Ok(Presented::Basic { key: k, secret: s }) => {
            assert_eq!(&k, key);
            assert_eq!(s.as_str(), secret.as_str());
        }
        other => panic!("re-encoded header read as {other:?}"),
    }
    let facts = Facts {
        presented,
        method: "GET".into(),
        section: None,
        client_ip: None,
    };
    let _ = precheck(&facts, 1_700_000_000);
});

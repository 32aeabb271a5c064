use super::parse::well_formed_key;
use super::*;
use crate::domain::credentials::format::has_valid_checksum;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sha2::Sha256;

// The README's worked example; the expected values were computed independently (Python hmac).
const KEY: &str = "kwik_ak_3F9qZt7LmN2pR8sV4wX6yB1cD5eG0hJx";
const SECRET: &str = "kwik_sk_Q2w9E8r7T6y5U4i3O2p1A0s9D8f7G6h5J4k3L2z10F1GCU";
const BODY: &[u8] = br#"{"amount":"125.00","currency":"ZAR"}"#;
const PATH: &str = "/api/v2/payments?reference=INV-1001";

#[test]
fn the_readme_signing_example_holds() {
    assert!(has_valid_checksum(SECRET));
    assert!(well_formed_key(KEY));
    assert_eq!(
        hex::encode(<Sha256 as sha2::Digest>::digest(BODY)),
        "a5d394ee846921c1bd2bde48392a11269685fc79ad059e21a54ce34390cec586"
    );
    assert_eq!(
        sign(SECRET, 1_795_000_000, "POST", PATH, BODY),
        "d33bb57ae8bdea53ff1f7dfea6c8db50201aecb975b5a8aaacbfdc8cfa8bbbb7"
    );
}

#[test]
fn basic_headers_parse_or_are_malformed() {
    let good = format!("Basic {}", STANDARD.encode(format!("{KEY}:{SECRET}")));
    assert!(matches!(
        parse_basic(good.as_bytes()),
        Ok(Presented::Basic { .. })
    ));
    let lower = format!("basic {}", STANDARD.encode(format!("{KEY}:{SECRET}")));
    assert!(parse_basic(lower.as_bytes()).is_ok());
    for bad in [
        "".to_owned(),
        "Basic".to_owned(),
        "Bearer abc".to_owned(),
        "Basic !!!not-base64".to_owned(),
        format!("Basic {}", STANDARD.encode("no-colon-here")),
        format!("Basic {}", STANDARD.encode(":secret")),
        format!("Basic {}", STANDARD.encode("key:")),
        format!("Basic {}", STANDARD.encode("x".repeat(600))),
    ] {
        assert_eq!(
            parse_basic(bad.as_bytes()).err(),
            Some(Code::Malformed),
            "{bad}"
        );
    }
    let not_utf8 = format!("Basic {}", STANDARD.encode([0xff, 0xfe, b':', 0xfd]));
    assert_eq!(
        parse_basic(not_utf8.as_bytes()).err(),
        Some(Code::Malformed)
    );
    assert_eq!(parse_basic(&[0xff, 0xfe]).err(), Some(Code::Malformed));
}

#[test]
fn signed_headers_parse_or_are_malformed() {
    let sig = format!("v1={}", "a".repeat(64));
    let body = "b".repeat(64);
    assert!(parse_signed(KEY, "1795000000", &sig, PATH, &body).is_ok());
    for (ts, s, p, b) in [
        ("", sig.as_str(), PATH, body.as_str()),
        ("-5", &sig, PATH, &body),
        ("12a", &sig, PATH, &body),
        ("1795000000", "a".repeat(64).as_str(), PATH, &body),
        ("1795000000", "v2=aa", PATH, &body),
        ("1795000000", &format!("v1={}", "A".repeat(64)), PATH, &body),
        ("1795000000", &sig, "no-slash", &body),
        ("1795000000", &sig, PATH, "short"),
    ] {
        assert_eq!(
            parse_signed(KEY, ts, s, p, b).err(),
            Some(Code::Malformed),
            "{ts} {s} {p} {b}"
        );
    }
}

mod fuzz {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn parse_basic_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..700)) {
            let _ = parse_basic(&bytes);
        }

        #[test]
        fn parse_basic_never_panics_on_basic_looking_input(inner in ".{0,300}") {
            let _ = parse_basic(format!("Basic {}", STANDARD.encode(inner)).as_bytes());
        }

        #[test]
        fn parse_signed_never_panics(ts in ".{0,20}", sig in ".{0,80}", path in ".{0,50}", body in ".{0,70}") {
            let _ = parse_signed("kwik_ak_x", &ts, &sig, &path, &body);
        }
    }
}

#[test]
fn an_unknown_section_is_told_every_section_there_is() {
    let message = Code::UnknownSection.message();
    for section in crate::domain::credentials::Section::ALL {
        assert!(
            message.contains(section.as_str()),
            "{message} lacks {section:?}"
        );
    }
}

#[test]
fn every_code_is_listed_once_and_reads_back_from_its_wire_form() {
    for code in Code::ALL {
        assert_eq!(Code::parse(code.as_str()), Some(code));
        assert_eq!(
            Code::ALL
                .iter()
                .filter(|c| c.as_str() == code.as_str())
                .count(),
            1
        );
    }
    assert_eq!(Code::parse("disabled"), None);
}

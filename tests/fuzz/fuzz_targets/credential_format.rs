//! The credential formats and API_SECRET's checksum, as a secret scanner or the verifier meets any
//! text: never a panic; a body with its checksum validates, and any one character changed in the
//! body does not (CRC32 catches every burst of up to 32 bits).
#![no_main]

use kwik_dashboard::domain::credentials::format::{
    API_SECRET_PREFIX, CHECKSUM_LEN, checksum, has_valid_checksum, kind_of,
};
use libfuzzer_sys::fuzz_target;

const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

fuzz_target!(|input: (&str, u8, u8)| {
    let (text, at, to) = input;
    let _ = kind_of(text);
    if has_valid_checksum(text) {
        assert!(text.starts_with(API_SECRET_PREFIX));
        let (body, sum) = text.split_at(text.len() - CHECKSUM_LEN);
        assert_eq!(checksum(body), sum);
    }
    let random: String = text
        .bytes()
        .filter(|b| b.is_ascii_alphanumeric())
        .map(char::from)
        .collect();
    if random.is_empty() {
        return;
    }
    let body = format!("{API_SECRET_PREFIX}{random}");
    let secret = format!("{body}{}", checksum(&body));
    assert!(has_valid_checksum(&secret), "{secret}");
    // One character of the random part changed to another.
    let i = API_SECRET_PREFIX.len() + usize::from(at) % random.len();
    let replacement = ALPHABET[usize::from(to) % ALPHABET.len()];
    if secret.as_bytes()[i] != replacement {
        let mut changed = secret.into_bytes();
        changed[i] = replacement;
        let changed = String::from_utf8(changed).unwrap();
        assert!(
            !has_valid_checksum(&changed),
            "{changed} passes its checksum"
        );
    }
});

//! A token's IP allowlist as an admin may type it: never a panic; what parses is written back as
//! text that parses to the same list.
#![no_main]

use kwik_dashboard::domain::tokens::input::{allowlist_text, parse_allowlist};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let Ok(nets) = parse_allowlist(text) else {
        return;
    };
    let written = allowlist_text(&nets);
    let again = parse_allowlist(&written)
        .unwrap_or_else(|e| panic!("{written:?}, written from {text:?}, does not parse: {e}"));
    assert_eq!(again, nets);
});

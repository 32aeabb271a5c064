//! gzip for the token list, where it pays and costs next to nothing. Fifty rows are 59 KB of a 67 KB
//! page, and they are the part the list cache reuses. They are compressed once, when their page is
//! first reused (about 5 KB), and every response is then one gzip member of three parts:
//!
//! 1. the page before the rows, in stored (uncompressed) deflate blocks;
//! 2. the rows' own deflate run, ended by a sync flush, so the next block starts on a byte boundary;
//! 3. the page after the rows, stored, in the last block.
//!
//! Nothing is compressed per request: a response costs a CRC of its own few KB.
//!
//! Only the rows are compressed. The session's CSRF token and the echoed search text travel in stored
//! blocks, and never share a compression context with anything. So the response's size reveals nothing
//! about them (the BREACH attack). The rows hold neither.

use actix_web::http::header::{self, HeaderMap};
use flate2::{Compress, Compression, FlushCompress};

/// Whether the client takes gzip: `Accept-Encoding` lists `gzip` (or `*`) without `q=0`.
pub fn accepted(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|coding| {
            let mut parts = coding.split(';');
            let name = parts.next().unwrap_or_default().trim();
            let refused = parts.any(|p| {
                p.trim()
                    .strip_prefix("q=")
                    .and_then(|q| q.trim().parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            (name.eq_ignore_ascii_case("gzip") || name == "*") && !refused
        })
}

/// Text compressed as a raw deflate run that ends on a byte boundary and is not final, so that
/// stored blocks may follow it in the same stream.
#[derive(Debug)]
pub struct Deflated {
    data: Vec<u8>,
    crc: crc32fast::Hasher,
}

impl Deflated {
    /// `text`, compressed. `None` only if the compressor failed.
    pub fn new(text: &[u8]) -> Option<Self> {
        let mut z = Compress::new(Compression::default(), false);
        let mut data = Vec::with_capacity(text.len() / 4 + 64);
        loop {
            if data.len() == data.capacity() {
                data.reserve(data.capacity().max(1024));
            }
            let consumed = usize::try_from(z.total_in()).ok()?;
            z.compress_vec(&text[consumed..], &mut data, FlushCompress::Sync)
                .ok()?;
            // The flush is complete once all the input is in and the output did not fill up.
            if usize::try_from(z.total_in()).ok()? == text.len() && data.len() < data.capacity() {
                break;
            }
        }
        let mut crc = crc32fast::Hasher::new();
        crc.update(text);
        Some(Self { data, crc })
    }
}

/// The gzip member of `before`, then the text `middle` holds, then `after`.
pub fn member(before: &[u8], middle: &Deflated, after: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(before.len() + middle.data.len() + after.len() + 64);
    // Magic, deflate, no flags, no time, no extra flags, unknown OS.
    out.extend_from_slice(&[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255]);
    stored(&mut out, before, false);
    out.extend_from_slice(&middle.data);
    stored(&mut out, after, true);
    let mut crc = crc32fast::Hasher::new();
    crc.update(before);
    crc.combine(&middle.crc);
    crc.update(after);
    out.extend_from_slice(&crc.finalize().to_le_bytes());
    // ISIZE: the uncompressed length modulo 2^32, as the format says.
    let total = before.len() as u64 + middle.crc.total_len() + after.len() as u64;
    out.extend_from_slice(&(total as u32).to_le_bytes());
    out
}

/// `data` as stored deflate blocks (at most 65,535 bytes each), the last one final if `last`.
/// Starts on a byte boundary, as every part of a [`member`] does.
fn stored(out: &mut Vec<u8>, data: &[u8], last: bool) {
    let mut chunks = data.chunks(usize::from(u16::MAX)).peekable();
    if chunks.peek().is_none() {
        block(out, &[], last);
    }
    while let Some(chunk) = chunks.next() {
        block(out, chunk, last && chunks.peek().is_none());
    }
}

fn block(out: &mut Vec<u8>, chunk: &[u8], last: bool) {
    let len = u16::try_from(chunk.len()).unwrap_or(u16::MAX);
    // BFINAL in bit 0, BTYPE 00 (stored) in bits 1-2, the rest of the byte is padding.
    out.push(u8::from(last));
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(&(!len).to_le_bytes());
    out.extend_from_slice(&chunk[..usize::from(len)]);
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::HeaderValue;
    use std::io::Read;

    fn gunzip(data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        // The decoder checks the trailer's CRC and length, and refuses trailing garbage.
        flate2::read::GzDecoder::new(data)
            .read_to_end(&mut out)
            .unwrap();
        out
    }

    fn rows(n: usize) -> String {
        (0..n)
            .map(|i| format!("<tr id=\"token-{i}\"><td>Integration {i}</td></tr>\n"))
            .collect()
    }

    #[test]
    fn a_member_decodes_to_the_three_parts_in_order() {
        let middle = rows(500);
        let deflated = Deflated::new(middle.as_bytes()).unwrap();
        assert!(
            deflated.data.len() < middle.len() / 4,
            "{}",
            deflated.data.len()
        );
        let zipped = member(b"<table>", &deflated, b"</table>");
        assert_eq!(
            gunzip(&zipped),
            format!("<table>{middle}</table>").as_bytes()
        );
    }

    #[test]
    fn parts_longer_than_a_stored_block_and_empty_parts_decode_too() {
        let long = "x".repeat(150_000);
        for (before, middle, after) in [
            (long.as_str(), "rows", ""),
            ("", "", long.as_str()),
            ("", "", ""),
            ("head", long.as_str(), "tail"),
        ] {
            let zipped = member(
                before.as_bytes(),
                &Deflated::new(middle.as_bytes()).unwrap(),
                after.as_bytes(),
            );
            assert_eq!(
                gunzip(&zipped),
                format!("{before}{middle}{after}").as_bytes()
            );
        }
    }

    #[test]
    fn a_corrupted_member_is_refused_by_its_checksum() {
        let mut zipped = member(b"abc", &Deflated::new(b"def").unwrap(), b"ghi");
        let at = zipped.len() - 7; // inside the CRC
        zipped[at] ^= 1;
        let mut out = Vec::new();
        assert!(
            flate2::read::GzDecoder::new(&zipped[..])
                .read_to_end(&mut out)
                .is_err()
        );
    }

    #[test]
    fn gzip_is_used_when_listed_without_a_zero_quality() {
        let accepts = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(
                header::ACCEPT_ENCODING,
                HeaderValue::from_str(value).unwrap(),
            );
            accepted(&headers)
        };
        assert!(accepts("gzip, deflate, br, zstd"));
        assert!(accepts("br;q=1.0, GZIP;q=0.5"));
        assert!(accepts("*"));
        assert!(!accepts("identity"));
        assert!(!accepts("br, zstd"));
        assert!(!accepts("gzip;q=0"));
        assert!(!accepts("gzip; q=0.0, br"));
        assert!(!accepts("x-gzip-not"));
        assert!(!accepted(&HeaderMap::new()));
    }
}

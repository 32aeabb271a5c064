//! The second factor's mechanics: TOTP codes (RFC 6238: HMAC-SHA-1, 6 digits, 30 s steps, one step
//! either side), the secret sealed under the master key and bound to its user, the `otpauth://` URI
//! and its QR code (an SVG drawn on the server: no script, no inline style), and recovery codes.

use totp_rs::{Builder, Secret, Totp};
use zeroize::Zeroizing;

use crate::db::models::UserId;
use crate::domain::credentials::seal::{Keyring, SealError};
use crate::domain::credentials::{RandomError, random_bytes};

/// Bytes of a TOTP secret: 160 bits, as RFC 4226 recommends.
pub const SECRET_LEN: usize = 20;
/// Seconds of a time step.
pub const STEP_SECONDS: u64 = 30;
/// How many recovery codes a set has.
pub const RECOVERY_CODES: usize = 10;
/// The issuer authenticator apps show next to the account.
const ISSUER: &str = "Kwik";
/// Recovery codes use lower-case letters and digits without look-alikes (no 0/o, 1/l/i).
const RECOVERY_ALPHABET: &[u8] = b"23456789abcdefghjkmnpqrstuvwxyz";
/// Characters of a recovery code (without its dash): 31^10, about 50 bits.
const RECOVERY_LEN: usize = 10;

/// A TOTP secret, wiped from memory when dropped.
pub struct TotpSecret(Zeroizing<[u8; SECRET_LEN]>);

impl std::fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpSecret(..)")
    }
}

impl TotpSecret {
    /// A new secret from the OS random source.
    pub fn generate() -> Result<Self, RandomError> {
        Ok(Self(Zeroizing::new(random_bytes::<SECRET_LEN>()?)))
    }

    /// The secret from its bytes (as opened from the database).
    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        let bytes: [u8; SECRET_LEN] = bytes.try_into().ok()?;
        Some(Self(Zeroizing::new(bytes)))
    }

    /// Base32 (RFC 4648, no padding), as typed into an authenticator app by hand.
    pub fn base32(&self) -> Zeroizing<String> {
        Zeroizing::new(Secret::from(*self.0).to_base32())
    }

    /// The base32 text in groups of four, easier to copy by eye.
    pub fn base32_grouped(&self) -> Zeroizing<String> {
        let text = self.base32();
        let grouped: Vec<&str> = text
            .as_bytes()
            .chunks(4)
            .filter_map(|c| std::str::from_utf8(c).ok())
            .collect();
        Zeroizing::new(grouped.join(" "))
    }

    /// The `otpauth://totp/...` URI an authenticator app scans.
    pub fn uri(&self, account: &str) -> Zeroizing<String> {
        Zeroizing::new(format!(
            "otpauth://totp/{issuer}:{account}?secret={secret}&issuer={issuer}&algorithm=SHA1&digits=6&period={STEP_SECONDS}",
            issuer = ISSUER,
            account = percent_encode(account),
            secret = &*self.base32(),
        ))
    }

    fn totp(&self) -> Option<Totp> {
        Builder::new()
            .with_secret(*self.0)
            .with_digits(6)
            .with_skew(1)
            .with_step_duration(STEP_SECONDS)
            .build()
            .ok()
    }

    /// The time step (`unix seconds / 30`) whose code `code` is, within one step of `now`, compared in
    /// constant time; `None` for a wrong code. Spaces and dashes in the input are ignored. Whether the
    /// step was used already is for the caller (see `two_factor::accept_step`).
    pub fn check(&self, code: &str, now: u64) -> Option<i64> {
        let digits: String = code
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .collect();
        let step = self.totp()?.check(&digits, now)?;
        i64::try_from(step).ok()
    }

    /// The code for the time `at` (unix seconds); tests and the CLI's self-check use it.
    pub fn code_at(&self, at: u64) -> String {
        self.totp()
            .map(|t| t.generate(at).to_string())
            .unwrap_or_default()
    }

    /// Seals the secret for `user` under the current master key: `(key id, sealed bytes)`.
    pub fn seal(&self, keyring: &Keyring, user: UserId) -> Result<(String, Vec<u8>), SealError> {
        keyring.seal(&*self.0, &binding(user))
    }

    /// Opens a secret sealed for `user`; a value moved to another user's row does not open.
    pub fn open(
        keyring: &Keyring,
        user: UserId,
        key_id: &str,
        sealed: &[u8],
    ) -> Result<Self, SealError> {
        let bytes = keyring.open(key_id, sealed, &binding(user))?;
        Self::from_bytes(&bytes).ok_or(SealError::Corrupt)
    }
}

/// The associated data a user's TOTP secret is sealed with: its purpose and the user's id.
pub fn binding(user: UserId) -> Vec<u8> {
    let mut aad = b"kwik totp secret\0".to_vec();
    aad.extend_from_slice(&user.0.to_be_bytes());
    aad
}

/// The current time in unix seconds.
pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// `uri` as a QR code: an inline SVG element (black modules on white, a quiet zone around), labelled
/// for screen readers. Everything in it comes from the encoder, never from user input as markup.
pub fn qr_svg(uri: &str, label: &str) -> Option<String> {
    let code = qrcode::QrCode::with_error_correction_level(uri, qrcode::EcLevel::M).ok()?;
    let svg = code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(200, 200)
        .dark_color(qrcode::render::svg::Color("#000000"))
        .light_color(qrcode::render::svg::Color("#ffffff"))
        .build();
    let start = svg.find("<svg")?;
    let label = label
        .replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;");
    Some(svg[start..].replacen(
        r#" version="1.1""#,
        &format!(r#" role="img" aria-label="{label}" class="qr""#),
        1,
    ))
}

/// A new set of recovery codes, as shown to the user (`xxxxx-xxxxx`).
pub fn recovery_codes() -> Result<Vec<Zeroizing<String>>, RandomError> {
    (0..RECOVERY_CODES)
        .map(|_| {
            let mut code = String::with_capacity(RECOVERY_LEN + 1);
            // Rejection sampling keeps every character equally likely.
            while code.len() < RECOVERY_LEN + 1 {
                for b in random_bytes::<16>()? {
                    let limit = 256 - 256 % RECOVERY_ALPHABET.len();
                    if usize::from(b) < limit && code.len() < RECOVERY_LEN + 1 {
                        if code.len() == RECOVERY_LEN / 2 {
                            code.push('-');
                        }
                        code.push(char::from(
                            RECOVERY_ALPHABET[usize::from(b) % RECOVERY_ALPHABET.len()],
                        ));
                    }
                }
            }
            Ok(Zeroizing::new(code))
        })
        .collect()
}

/// The hash a recovery code is stored and looked up by: SHA-256 of its canonical form (lower case,
/// without spaces or dashes), so `ABCDE-FGHJK`, `abcde fghjk` and `abcdefghjk` are one code.
pub fn recovery_hash(code: &str) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    let canonical: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    Sha256::new()
        .chain_update(b"kwik recovery code\0")
        .chain_update(canonical.as_bytes())
        .finalize()
        .into()
}

/// Whether `code` looks like a recovery code rather than a six-digit TOTP code.
pub fn is_recovery_code(code: &str) -> bool {
    code.chars().filter(|c| c.is_ascii_alphanumeric()).count() == RECOVERY_LEN
}

/// Percent-encodes everything but RFC 3986's unreserved characters and `@`.
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~@".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B's SHA-1 secret ("12345678901234567890") and its 8-digit vectors, of which
    /// a 6-digit code is the last six digits.
    #[test]
    fn codes_follow_the_rfc_6238_test_vectors() {
        let secret = TotpSecret::from_bytes(b"12345678901234567890").unwrap();
        for (time, eight) in [
            (59u64, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
        ] {
            assert_eq!(secret.code_at(time), eight[2..], "at {time}");
        }
    }

    #[test]
    fn a_code_is_accepted_one_step_either_side_and_no_further() {
        let secret = TotpSecret::generate().unwrap();
        let now = 1_800_000_000u64;
        let step = (now / STEP_SECONDS) as i64;
        let code = secret.code_at(now);
        assert_eq!(secret.check(&code, now), Some(step));
        assert_eq!(secret.check(&code, now + STEP_SECONDS), Some(step));
        assert_eq!(secret.check(&code, now - STEP_SECONDS), Some(step));
        assert_eq!(secret.check(&code, now + 2 * STEP_SECONDS), None);
        assert_eq!(secret.check(&code, now - 2 * STEP_SECONDS), None);
        let spaced = format!("{} {}", &code[..3], &code[3..]);
        assert_eq!(secret.check(&spaced, now), Some(step));
        for wrong in ["", "12345", "1234567", "abcdef", "+12345"] {
            assert_eq!(secret.check(wrong, now), None, "{wrong:?}");
        }
    }

    #[test]
    fn a_sealed_secret_opens_only_for_its_own_user() {
        let ring = Keyring::new(
            crate::domain::credentials::seal::MasterKey::new(&[9u8; 32]).unwrap(),
            vec![],
        );
        let secret = TotpSecret::generate().unwrap();
        let (id, sealed) = secret.seal(&ring, UserId(7)).unwrap();
        assert!(!sealed.windows(SECRET_LEN).any(|w| w == *secret.0));
        let opened = TotpSecret::open(&ring, UserId(7), &id, &sealed).unwrap();
        assert_eq!(*opened.0, *secret.0);
        assert!(TotpSecret::open(&ring, UserId(8), &id, &sealed).is_err());
    }

    #[test]
    fn the_uri_and_the_qr_code_carry_the_secret_for_an_app() {
        let secret = TotpSecret::from_bytes(&[0u8; SECRET_LEN]).unwrap();
        assert_eq!(&*secret.base32(), "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
        assert_eq!(secret.base32_grouped().split(' ').count(), 8);
        let uri = secret.uri("ana+ops@shop.example");
        assert_eq!(
            &*uri,
            "otpauth://totp/Kwik:ana%2Bops@shop.example?secret=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA&issuer=Kwik&algorithm=SHA1&digits=6&period=30"
        );
        let svg = qr_svg(&uri, "QR code for \"Kwik\" <app>").unwrap();
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\""));
        assert!(svg.contains("aria-label=\"QR code for &quot;Kwik&quot; &lt;app>\""));
        assert!(!svg.contains("style") && !svg.contains("<script"));
    }

    #[test]
    fn recovery_codes_are_distinct_readable_and_hash_in_any_spelling() {
        let codes = recovery_codes().unwrap();
        assert_eq!(codes.len(), RECOVERY_CODES);
        let unique: std::collections::HashSet<_> = codes.iter().map(|c| c.to_string()).collect();
        assert_eq!(unique.len(), RECOVERY_CODES);
        for code in &codes {
            assert_eq!(code.len(), 11, "{}", &**code);
            assert_eq!(code.as_bytes()[5], b'-');
            assert!(
                code.bytes()
                    .all(|b| b == b'-' || RECOVERY_ALPHABET.contains(&b))
            );
        }
        assert_eq!(recovery_hash("abcde-fghjk"), recovery_hash(" ABCDE FGHJK "));
        assert_ne!(recovery_hash("abcde-fghjk"), recovery_hash("abcde-fghjm"));
        assert!(is_recovery_code("abcde-fghjk"));
        assert!(!is_recovery_code("123456"));
    }
}

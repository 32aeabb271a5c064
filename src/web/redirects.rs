//! Redirect targets taken from a request (the `next` of sign-in, today), judged by one rule: a page
//! of this app, by a path that no browser can read as another site. Anything else is ignored, never
//! an error, and never reaches a `Location` header.

use actix_web::dev::ResourceDef;

/// Longest target kept, in bytes.
pub const MAX_LEN: usize = 2_000;

/// The app's pages, as redirect targets are checked against them: built once by the route table
/// (`routes::pages`) and handed to handlers as app data.
#[derive(Debug)]
pub struct Pages(Vec<ResourceDef>);

impl Pages {
    /// Pages at these path patterns.
    pub fn new<'a>(patterns: impl IntoIterator<Item = &'a str>) -> Self {
        Self(patterns.into_iter().map(ResourceDef::new).collect())
    }

    /// `target` when it is safe to redirect to: a path that starts with exactly one `/`, in
    /// printable ASCII (no control character, space, backslash or raw non-ASCII, which browsers
    /// drop, turn into `/` or read otherwise), without an encoded slash, backslash or control
    /// character, at most [`MAX_LEN`] bytes, whose path is one of these pages other than the
    /// sign-in page itself. `None` otherwise.
    pub fn local_page<'a>(&self, target: &'a str) -> Option<&'a str> {
        let bytes = target.as_bytes();
        if bytes.len() > MAX_LEN
            || bytes.first() != Some(&b'/')
            || matches!(bytes.get(1), Some(b'/' | b'\\'))
            || !bytes.iter().all(|b| (0x21..=0x7e).contains(b))
            || bytes.contains(&b'\\')
        {
            return None;
        }
        let path = target.split(['?', '#']).next().unwrap_or_default();
        if encodes_a_separator(path) || path == "/login" {
            return None;
        }
        self.0
            .iter()
            .any(|page| page.is_match(path))
            .then_some(target)
    }
}

/// Whether `path` holds a percent-encoded slash, backslash or control character (`%2F`, `%5C`,
/// `%00`–`%1F`, `%7F`), which some servers and proxies decode before routing.
fn encodes_a_separator(path: &str) -> bool {
    path.as_bytes().windows(3).any(|w| {
        w[0] == b'%'
            && std::str::from_utf8(&w[1..])
                .ok()
                .and_then(|hex| u8::from_str_radix(hex, 16).ok())
                .is_some_and(|b| b == b'/' || b == b'\\' || b < 0x20 || b == 0x7f)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn local_page(target: &str) -> Option<&str> {
        static PAGES: std::sync::LazyLock<Pages> =
            std::sync::LazyLock::new(crate::web::routes::pages);
        PAGES.local_page(target)
    }

    #[test]
    fn pages_of_this_app_are_kept_with_their_query() {
        for good in [
            "/",
            "/developers/access-tokens",
            "/developers/access-tokens?q=shop&status=live&page=2",
            "/developers/access-tokens/42",
            "/developers/access-tokens/42/edit",
            "/settings/history?event=token.created#top",
            "/settings/teams",
            "/support?q=kwik_ak_3F9q",
        ] {
            assert_eq!(local_page(good), Some(good), "{good}");
        }
    }

    #[test]
    fn nothing_hostile_or_foreign_is_ever_a_redirect_target() {
        let overlong = format!("/developers/access-tokens?q={}", "a".repeat(MAX_LEN));
        let hostile = [
            // Control characters, which browsers drop (or which split a header).
            "/\t/evil.test",
            "/%09/evil.test",
            "/\n/evil.test",
            "/\r/evil.test",
            "/\r\nSet-Cookie: a=b",
            "/\0x",
            "/developers/access-tokens\u{7f}",
            "/developers/access-tokens\n",
            "/developers/access-tokens?q=a\rb",
            // Another host, one way or another.
            "//evil.test",
            "///evil.test",
            "/\\evil.test",
            "\\/evil.test",
            "\\\\evil.test",
            "/%2F/evil.test",
            "/%2f%2fevil.test",
            "/%5Cevil.test",
            "/%5cevil.test",
            "/developers/%2F/x",
            "/developers%00",
            "/developers%0d%0aSet-Cookie:%20a=b",
            "https://evil.test/",
            "http://evil.test",
            "https:evil.test",
            "//evil.test/developers/access-tokens",
            "javascript:alert(1)",
            "JaVaScRiPt:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "vbscript:msgbox(1)",
            // Userinfo and IDN tricks.
            "//user@evil.test",
            "/@evil.test",
            "//dash.test@evil.test",
            "/\u{FF0F}evil.test",
            "/\u{3002}evil.test",
            "//ｅｖｉｌ.test",
            "/é",
            // Not a path, or not a page.
            "",
            " /developers/access-tokens",
            "/ developers",
            "developers/access-tokens",
            "evil.test",
            "?next=//evil.test",
            "#/evil",
            "/login",
            "/login?next=//evil.test",
            "/logout",
            "/static/app.js",
            "/api/v2/whoami",
            "/internal/v1/verify",
            "/healthz",
            "/no/such/page",
            "/developers/access-tokens/42/status/extra",
            &overlong,
        ];
        assert!(hostile.len() >= 40);
        for bad in hostile {
            assert_eq!(local_page(bad), None, "{bad:?}");
        }
    }
}

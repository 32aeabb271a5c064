//! The table's rows rendered once to HTML, and pages built around them. A page of rows is kept by
//! the list cache and, with gzip, compressed once and spliced into each answer (see `infra::gzip`).

use actix_web::HttpResponse;
use askama::Template;

use crate::web::error::AppError;
use crate::web::html_sized;
use crate::web::tokens::views::TokenRow;

/// The table's rows, rendered once to HTML, so a page of them can be kept and shown again (see
/// `web::tokens::list::cache`) without formatting and escaping every cell anew.
#[derive(Debug, Clone)]
pub struct Rows {
    // A String, not a `str`, behind the Arc: turning the rendered String into an `Arc<str>` copied
    // the page's 50 KB of rows once more.
    html: std::sync::Arc<String>,
    len: usize,
    /// The HTML compressed, once, when first asked for: shared by every copy of these rows.
    deflated: std::sync::Arc<std::sync::OnceLock<Option<crate::infra::gzip::Deflated>>>,
}

#[derive(Template)]
#[template(path = "access_tokens/_rows.html")]
struct RowsTemplate<'a> {
    tokens: &'a [TokenRow],
    can_manage: bool,
}

impl Rows {
    /// `tokens` as table rows, with the row actions when `can_manage`.
    pub fn render(tokens: &[TokenRow], can_manage: bool) -> askama::Result<Self> {
        // Room for every row at once: grown from askama's small guess, the buffer was copied ten
        // times over (a row is about 1 KB).
        let mut html = String::with_capacity(tokens.len() * ROW_BYTES + 64);
        RowsTemplate { tokens, can_manage }.render_into(&mut html)?;
        Ok(Self::of(std::sync::Arc::new(html), tokens.len()))
    }

    fn of(html: std::sync::Arc<String>, len: usize) -> Self {
        Self {
            html,
            len,
            deflated: Default::default(),
        }
    }

    /// How many rows.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Bytes of HTML.
    pub fn html_len(&self) -> usize {
        self.html.len()
    }

    /// Whether `other` is the same HTML.
    pub fn same_html(&self, other: &Self) -> bool {
        self.html == other.html
    }

    /// The HTML as a deflate run for a gzip response (see `infra::gzip`), compressed on the first call.
    /// `None` if compressing failed.
    pub fn deflated(&self) -> Option<&crate::infra::gzip::Deflated> {
        self.deflated
            .get_or_init(|| crate::infra::gzip::Deflated::new(self.html.as_bytes()))
            .as_ref()
    }

    /// Rows of the same count that write a marker in place of their HTML, so that a page rendered
    /// around them can be split where the rows go ([`html_around_rows`]). The marker holds 128
    /// random bits drawn at start, and anything a user typed is escaped before it reaches a page, so
    /// no one can forge it. `None` if no marker could be drawn (the system's random source failed).
    pub fn stand_in(&self) -> Option<Self> {
        ROWS_MARK
            .as_ref()
            .map(|mark| Self::of(mark.clone(), self.len))
    }

    /// Rows of this HTML, for tests.
    #[cfg(test)]
    pub fn from_html(html: &str, len: usize) -> Self {
        Self::of(std::sync::Arc::new(html.to_owned()), len)
    }
}

/// Bytes of HTML a row takes, or a little more: the rows' buffer is sized by it.
const ROW_BYTES: usize = 1_280;

/// See [`Rows::stand_in`].
pub static ROWS_MARK: std::sync::LazyLock<Option<std::sync::Arc<String>>> =
    std::sync::LazyLock::new(|| {
        let nonce = crate::domain::credentials::random_bytes::<16>().ok()?;
        Some(std::sync::Arc::new(format!(
            "<!--rows {}-->",
            hex::encode(nonce)
        )))
    });

/// Already-escaped HTML: templates write it with `|safe`.
impl std::fmt::Display for Rows {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.html)
    }
}

/// A page built around a page of `rows` by `page`. When `gzip`, it is one gzip member in which only
/// the rows are compressed (see [`gzip`]): the page is rendered with `rows.stand_in()` and split at
/// its marker. Otherwise, or if the rows could not be compressed, plain [`html_sized`].
pub fn html_around_rows<T: askama::Template>(
    status: actix_web::http::StatusCode,
    rows: &Rows,
    gzip: bool,
    page: impl FnOnce(Rows) -> T,
) -> Result<HttpResponse, AppError> {
    let zipped = if gzip {
        rows.deflated()
            .zip(rows.stand_in())
            .zip(ROWS_MARK.as_deref())
    } else {
        None
    };
    let Some(((deflated, stand_in), mark)) = zipped else {
        return html_sized(status, &page(rows.clone()), rows.html_len());
    };
    let mut shell = String::with_capacity(T::SIZE_HINT.max(16 << 10));
    page(stand_in).render_into(&mut shell)?;
    let mut res = HttpResponse::build(status);
    res.content_type("text/html; charset=utf-8");
    let Some(at) = memchr::memmem::find(shell.as_bytes(), mark.as_bytes()) else {
        // No table (no rows to show): the page is whole, and small.
        return Ok(res.body(shell));
    };
    let (before, after) = (&shell[..at], &shell[at + mark.len()..]);
    Ok(res
        .insert_header((actix_web::http::header::CONTENT_ENCODING, "gzip"))
        .body(crate::infra::gzip::member(
            before.as_bytes(),
            deflated,
            after.as_bytes(),
        )))
}

//! The files of `static/`, embedded in the binary and served with their content type, a strong ETag,
//! and a year-long cache behind a URL versioned by their hash.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "static/"]
struct Static;

/// Hex digits of the content hash used as the version in asset URLs.
const VERSION_LEN: usize = 12;

fn version_of(file: &rust_embed::EmbeddedFile) -> String {
    let full = hex::encode(file.metadata.sha256_hash());
    full[..VERSION_LEN].to_owned()
}

/// The versioned URL of a static file: `/static/app.css?v=<hash>`.
pub fn url(path: &str) -> String {
    match Static::get(path) {
        Some(file) => format!("/static/{path}?v={}", version_of(&file)),
        None => format!("/static/{path}"),
    }
}

/// The URLs every page links to.
#[derive(Debug, Clone)]
pub struct AssetUrls {
    /// The base stylesheet: scales, shell, components.
    pub css: String,
    /// The screens' stylesheet (history, support, token list and detail, profile).
    pub screens_css: String,
    /// The dark scheme's stylesheet, linked for `prefers-color-scheme: dark` only.
    pub dark_css: String,
    /// htmx.
    pub htmx: String,
    /// The dashboard's own script.
    pub js: String,
    /// The token table's row menus and the phone's Filters button.
    pub table_js: String,
}

impl AssetUrls {
    /// The URLs, worked out once: the files are part of the binary, so they never change while it runs.
    pub fn get() -> &'static Self {
        static URLS: std::sync::LazyLock<AssetUrls> = std::sync::LazyLock::new(|| AssetUrls {
            css: url("app.css"),
            screens_css: url("screens.css"),
            dark_css: url("dark.css"),
            htmx: url("htmx.min.js"),
            js: url("app.js"),
            table_js: url("table.js"),
        });
        &URLS
    }
}

/// Query of an asset URL.
#[derive(Debug, serde::Deserialize)]
pub struct Version {
    v: Option<String>,
}

/// `GET /static/{path}`.
pub async fn serve(
    req: HttpRequest,
    path: web::Path<String>,
    query: web::Query<Version>,
) -> HttpResponse {
    let Some(file) = Static::get(&path) else {
        return HttpResponse::NotFound()
            .content_type("text/plain; charset=utf-8")
            .body("not found");
    };
    let etag = format!("\"{}\"", hex::encode(file.metadata.sha256_hash()));
    // Only a URL naming the current version may be cached for a year; anything else revalidates.
    let cache = if query.v.as_deref() == Some(version_of(&file).as_str()) {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let matches = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    let mut res = if matches {
        HttpResponse::NotModified().finish()
    } else {
        HttpResponse::Ok().body(file.data.into_owned())
    };
    let headers = res.headers_mut();
    if let Ok(ct) = HeaderValue::from_str(file.metadata.mimetype()) {
        headers.insert(header::CONTENT_TYPE, ct);
    }
    if let Ok(etag) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, etag);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    res
}

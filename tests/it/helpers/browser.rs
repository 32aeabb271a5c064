//! One client's requests, as a browser makes them: the Host, the peer address, the session cookie
//! it keeps, and the CSRF token it picks up from each page and sends back with each form.

use actix_web::test;

use super::{Answer, HOST, ORIGIN, TestApp};

/// The CSRF token a page carries (its meta tag for htmx, or a form's hidden field), if any.
pub fn csrf_in(body: &str) -> Option<String> {
    let re = regex::Regex::new(
        r#"name="csrf-token" content="([^"]+)"|name="csrf_token" value="([^"]+)""#,
    )
    .unwrap();
    let caps = re.captures(body)?;
    Some(caps.get(1).or_else(|| caps.get(2))?.as_str().to_owned())
}

/// `text` as a browser writes it for a query string value.
pub fn urlencode(text: &str) -> String {
    serde_html_form::to_string([("q", text)]).unwrap()[2..].to_owned()
}

impl TestApp {
    /// The client address the next requests come from (`ip:port`).
    pub fn set_peer(&self, addr: &str) {
        *self.peer.borrow_mut() = addr.into();
    }

    /// The session cookie this client holds (`name=value`), if any.
    pub fn session_cookie(&self) -> Option<String> {
        self.cookie.borrow().clone()
    }

    /// Replaces the session cookie this client holds: `None` forgets the session.
    pub fn set_session_cookie(&self, cookie: Option<String>) {
        *self.cookie.borrow_mut() = cookie;
    }

    /// The CSRF token of the last page that carried one.
    pub fn csrf_token(&self) -> String {
        self.csrf
            .borrow()
            .clone()
            .expect("no CSRF token seen yet: GET a page first")
    }

    /// Sends `req` from this client (its Host, peer address and session cookie), and remembers the
    /// session cookie and CSRF token that come back.
    pub async fn send(&self, mut req: test::TestRequest) -> Answer {
        req = req
            .insert_header(("Host", HOST))
            .peer_addr(self.peer.borrow().parse().unwrap());
        if let Some(cookie) = self.cookie.borrow().as_ref() {
            req = req.insert_header(("Cookie", cookie.clone()));
        }
        // Errors that escape the app become responses the way the server makes them.
        let res = match (self.routes)(req.to_request()).await {
            Ok(res) => res.into_parts().1,
            Err(e) => actix_web::ResponseError::error_response(e.as_response_error()),
        };
        let status = res.status();
        let headers = res.headers().clone();
        // No Location the app sends holds a control character (a tab that browsers would drop, say).
        for location in headers.get_all(actix_web::http::header::LOCATION) {
            assert!(
                !location.as_bytes().iter().any(u8::is_ascii_control),
                "a Location with a control character: {location:?}"
            );
        }
        for c in res.cookies() {
            if c.name() == kwik_dashboard::SESSION_COOKIE {
                let removed = c.value().is_empty()
                    || c.max_age().is_some_and(|a| a.is_zero() || a.is_negative());
                *self.cookie.borrow_mut() =
                    (!removed).then(|| format!("{}={}", c.name(), c.value()));
            }
        }
        let bytes = actix_web::body::to_bytes(res.into_body())
            .await
            .unwrap_or_default();
        let raw_len = bytes.len();
        // A gzip body is read as a browser would, and must be whole: the decoder checks its CRC and length.
        let body = if headers.get("content-encoding").is_some_and(|v| v == "gzip") {
            let mut text = String::new();
            std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&bytes[..]), &mut text)
                .expect("a gzip body that decodes");
            text
        } else {
            String::from_utf8_lossy(&bytes).into_owned()
        };
        if let Some(token) = csrf_in(&body) {
            *self.csrf.borrow_mut() = Some(token);
        }
        Answer {
            status,
            headers,
            body,
            raw_len,
            raw: bytes,
        }
    }

    /// A plain GET, as following a link.
    pub async fn get(&self, path: &str) -> Answer {
        self.send(test::TestRequest::get().uri(path)).await
    }

    /// A GET as a browser sends it, taking gzip.
    pub async fn get_gzip(&self, path: &str, htmx: bool) -> Answer {
        let mut req = test::TestRequest::get()
            .uri(path)
            .insert_header(("Accept-Encoding", "gzip, deflate, br, zstd"));
        if htmx {
            req = req.insert_header(("HX-Request", "true"));
        }
        self.send(req).await
    }

    /// A GET the way htmx sends it: with `HX-Request`.
    pub async fn get_htmx(&self, path: &str) -> Answer {
        self.send(
            test::TestRequest::get()
                .uri(path)
                .insert_header(("HX-Request", "true")),
        )
        .await
    }

    /// POSTs a form as a same-origin browser would: Origin set, `csrf_token` added.
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Answer {
        let mut all: Vec<(&str, &str)> = fields.to_vec();
        let token = self.csrf_token();
        all.push(("csrf_token", &token));
        self.post_raw(path, &all, &[("Origin", ORIGIN)]).await
    }

    /// POSTs a form the way htmx does: `HX-Request` and the `X-CSRF-Token` header.
    pub async fn post_htmx(&self, path: &str, fields: &[(&str, &str)]) -> Answer {
        let token = self.csrf_token();
        self.post_raw(
            path,
            fields,
            &[
                ("Origin", ORIGIN),
                ("HX-Request", "true"),
                ("X-CSRF-Token", &token),
            ],
        )
        .await
    }

    /// POSTs exactly these fields and headers.
    pub async fn post_raw(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> Answer {
        let body = serde_html_form::to_string(fields).unwrap();
        let mut req = test::TestRequest::post()
            .uri(path)
            .insert_header(("Content-Type", "application/x-www-form-urlencoded"))
            .set_payload(body);
        for (k, v) in headers {
            req = req.insert_header((k.to_string(), v.to_string()));
        }
        self.send(req).await
    }

    /// Logs in through the form.
    pub async fn login(&self, email: &str, password: &str) -> Answer {
        self.get("/login").await;
        self.post("/login", &[("email", email), ("password", password)])
            .await
    }
}

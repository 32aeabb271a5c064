//! What a request answered, and the assertions that read like what a test checks.

use actix_web::http::StatusCode;
use actix_web::http::header::HeaderMap;

/// What a request answered.
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
    /// Bytes on the wire (the body may be compressed).
    pub raw_len: usize,
    /// The body as sent (compressed, if it was).
    pub raw: actix_web::web::Bytes,
}

impl Answer {
    /// The value of header `name`, if it was sent as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts the status code, showing the body if it differs.
    #[track_caller]
    pub fn assert_status(&self, expected: u16) -> &Self {
        assert_eq!(self.status.as_u16(), expected, "body:\n{}", self.body);
        self
    }

    /// Asserts a 303 See Other to exactly `location`.
    #[track_caller]
    pub fn assert_redirect_to(&self, location: &str) -> &Self {
        assert_eq!(self.status, StatusCode::SEE_OTHER, "body:\n{}", self.body);
        assert_eq!(self.header("location"), Some(location));
        self
    }

    /// Asserts the body contains `needle`.
    #[track_caller]
    pub fn assert_contains(&self, needle: &str) -> &Self {
        assert!(
            self.body.contains(needle),
            "expected {needle:?} in:\n{}",
            self.body
        );
        self
    }

    /// Asserts the body does not contain `needle`.
    #[track_caller]
    pub fn assert_lacks(&self, needle: &str) -> &Self {
        assert!(
            !self.body.contains(needle),
            "did not expect {needle:?} in:\n{}",
            self.body
        );
        self
    }

    /// Asserts `Cache-Control: no-store`: the answer is kept by no cache.
    #[track_caller]
    pub fn assert_no_store(&self) -> &Self {
        assert_eq!(self.header("cache-control"), Some("no-store"));
        self
    }

    /// The text of the element carrying `data-credential="<which>"`.
    pub fn credential(&self, which: &str) -> String {
        let re = regex::Regex::new(&format!(r#"data-credential="{which}">([^<]*)<"#)).unwrap();
        let value = re
            .captures(&self.body)
            .unwrap_or_else(|| panic!("no {which} in:\n{}", self.body))[1]
            .to_owned();
        super::at_rest::remember(which, &value);
        value
    }

    /// The form's one-time `submission_id` (create and roll forms).
    pub fn submission_id(&self) -> String {
        let re = regex::Regex::new(r#"name="submission_id" value="([^"]+)""#).unwrap();
        re.captures(&self.body)
            .unwrap_or_else(|| panic!("no submission_id in:\n{}", self.body))[1]
            .to_owned()
    }
}

//! Shared data, and the tokens tests start from.

use super::{Answer, TestApp};

impl TestApp {
    /// Creates a token through the form (GETting the form first, as a browser does).
    pub async fn create_token(&self, name: &str, sections: &[&str], permission: &str) -> Answer {
        let form = self.get("/developers/access-tokens/new").await;
        let id = form.submission_id();
        let mut fields = vec![
            ("name", name),
            ("permission", permission),
            ("submission_id", id.as_str()),
        ];
        fields.extend(sections.iter().map(|s| ("sections", *s)));
        self.post("/developers/access-tokens", &fields).await
    }
}

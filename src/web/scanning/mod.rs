//! The secret-scanning receivers: GitHub's partner program (`POST /secret-scanning/github`, signed
//! by GitHub) and GitLab's token revocation API (`/secret-scanning/gitlab/v1/*`, a bearer token).
//! Server to server: no session, no CSRF, JSON errors. What a report does is decided in
//! `domain::leaks`; a reported secret is never logged nor sent back.

pub mod github;
pub mod gitlab;

use crate::domain::leaks::{self, Finding, Outcome, Reporter};
use crate::web::error::AppError;
use crate::web::state::AppState;

/// Largest report body taken: GitHub batches matches, but a megabyte is thousands of them.
pub const BODY_LIMIT: usize = 1 << 20;

/// One finding as the receivers pass it on (owned: it crosses to the database threads).
pub struct Reported {
    /// The text found.
    pub token: String,
    /// Where.
    pub source: String,
    /// The link.
    pub url: String,
}

/// Acts on every finding, each in its own transaction and its own database call (so a large batch
/// is not held to one call's deadline, and what was done stays done if a later one fails); the
/// outcomes in the same order.
pub async fn handle_all(
    state: &AppState,
    reporter: Reporter,
    findings: Vec<Reported>,
) -> Result<Vec<Outcome>, AppError> {
    let mut outcomes = Vec::with_capacity(findings.len());
    for f in findings {
        let cache = state.token_cache.clone();
        let outcome = state
            .db(move |conn| {
                let finding = Finding {
                    token: &f.token,
                    source: &f.source,
                    url: &f.url,
                };
                leaks::handle(conn, &cache, reporter, finding)
            })
            .await?;
        outcomes.push(outcome);
    }
    let disabled = outcomes.iter().filter(|o| **o == Outcome::Disabled).count();
    tracing::info!(
        reporter = reporter.as_str(),
        findings = outcomes.len(),
        true_positives = outcomes.iter().filter(|o| o.is_true_positive()).count(),
        disabled,
        "leak report"
    );
    Ok(outcomes)
}

//! One-time forms (create, roll): each carries a random id, and a session remembers the ids already
//! submitted, so a reload or the back button never repeats the change.

use actix_session::Session;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::web::error::AppError;

/// Session key of the create forms already used, so a resubmitted form (reload, back) never creates a
/// second token.
const SPENT_FORMS_KEY: &str = "spent_forms";
/// How many used form ids a session remembers.
const SPENT_FORMS_KEPT: usize = 20;

/// Whether a one-time form (create, roll) with this id was already submitted in this session.
pub fn already_used(session: &Session, submission_id: &str) -> bool {
    let spent: Vec<String> = session
        .get(SPENT_FORMS_KEY)
        .ok()
        .flatten()
        .unwrap_or_default();
    !submission_id.is_empty() && spent.iter().any(|s| s == submission_id)
}

/// Remembers that a one-time form was submitted, so a reload or a back button cannot repeat it.
pub fn mark_used(session: &Session, submission_id: String) -> Result<(), AppError> {
    if submission_id.is_empty() {
        return Ok(());
    }
    let mut spent: Vec<String> = session
        .get(SPENT_FORMS_KEY)
        .ok()
        .flatten()
        .unwrap_or_default();
    spent.push(submission_id);
    let excess = spent.len().saturating_sub(SPENT_FORMS_KEPT);
    spent.drain(..excess);
    session
        .insert(SPENT_FORMS_KEY, &spent)
        .map_err(AppError::internal)
}

/// A random id for a one-time form.
pub fn new_submission_id() -> Result<String, AppError> {
    Ok(URL_SAFE_NO_PAD
        .encode(crate::domain::credentials::random_bytes::<16>().map_err(AppError::internal)?))
}

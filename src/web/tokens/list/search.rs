//! The list's search box read: a name, or a key as the table shows it; a whole API_KEY is searched
//! by its displayed ends and kept out of the address, and an API_SECRET is never searched for.

use super::Notice;
use crate::db::models::token_list::TokenSearch;
use crate::domain::credentials::API_KEY_RANDOM_LEN;
use crate::domain::credentials::format::{API_KEY_PREFIX, API_SECRET_PREFIX};

/// Longest search used (characters); a name has at most 100.
pub(super) const SEARCH_MAX: usize = 200;
/// Characters of a key's random part the table shows at each end (`kwik_ak_3F9q…x7Lm`).
const KEY_SHOWN: usize = 4;

/// A search box entry: what to look for, what to keep in the address, and what to say about it.
pub(super) fn search(text: &str) -> (Option<TokenSearch>, String, Option<Notice>) {
    // Trimmed after the cut too: the address keeps this text, and reading it back must give the
    // same search (found by the list_query fuzz target: a cut before a space did not).
    let cut: String = text.trim().chars().take(SEARCH_MAX).collect();
    let text = cut.trim_end().to_owned();
    if text.is_empty() {
        return (None, text, None);
    }
    if text.starts_with(API_SECRET_PREFIX) {
        let notice = Notice {
            kind: "warning",
            text: "That was an API_SECRET: it was not searched for and is not kept in the address. \
                   Never paste a secret anywhere but your server's configuration; if it was shared, \
                   disable its token and create a new one."
                .into(),
        };
        return (None, String::new(), Some(notice));
    }
    let Some(rest) = text.strip_prefix(API_KEY_PREFIX) else {
        return (Some(TokenSearch::Name(text.clone())), text, None);
    };
    if rest.len() == API_KEY_RANDOM_LEN && rest.bytes().all(|b| b.is_ascii_alphanumeric()) {
        // A whole API_KEY: look for it as the table shows it, and keep only that in the address.
        let prefix = text
            .get(..API_KEY_PREFIX.len() + KEY_SHOWN)
            .unwrap_or_default();
        let suffix = rest.get(rest.len() - KEY_SHOWN..).unwrap_or_default();
        let shown = format!("{prefix}…{suffix}");
        let notice = Notice {
            kind: "info",
            text: format!(
                "Searched for the key as the table shows it, {shown}: a whole API key is kept out \
                 of the address bar and the browser's history."
            ),
        };
        let search = TokenSearch::Key {
            prefix: prefix.to_owned(),
            suffix: Some(suffix.to_owned()),
        };
        return (Some(search), shown, Some(notice));
    }
    let (prefix, suffix) = match text.split_once('…').or_else(|| text.split_once("...")) {
        Some((head, tail)) => (head.trim(), Some(tail.trim()).filter(|t| !t.is_empty())),
        None => (text.as_str(), None),
    };
    let search = TokenSearch::Key {
        prefix: prefix.to_owned(),
        suffix: suffix.map(str::to_owned),
    };
    (Some(search), text.clone(), None)
}

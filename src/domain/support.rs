//! Kwik Support's search: find a token, across merchants, from whatever an integrator pastes. Never
//! returns a secret; a pasted secret is refused with a warning.

use diesel::prelude::*;

use crate::db::models::AccessToken;
use crate::db::schema::{access_tokens, merchants};
use crate::db::{DbConn, sql::fold_case};
use crate::domain::credentials::format::{API_KEY_PREFIX, API_SECRET_PREFIX, PUBLIC_KEY_PREFIX};
use crate::domain::credentials::sha256;

/// Most results shown.
pub const LIMIT: i64 = 50;

/// What a search box entry is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Query {
    /// A whole API_KEY: found by its hash.
    FullKey(String),
    /// The key as the table shows it (`kwik_ak_3F9q…x7Lm`), or its start.
    KeyDisplay {
        /// `kwik_ak_3F9q` or a shorter start.
        prefix: String,
        /// `x7Lm`, when given.
        suffix: Option<String>,
    },
    /// A PUBLIC_KEY (or its start).
    PublicKey(String),
    /// A token or merchant name (part of it).
    Name(String),
}

/// Why a search is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Nothing to search for.
    Empty,
    /// Someone pasted an API_SECRET: it must never be shared, even with support.
    Secret,
}

impl Refusal {
    /// What to tell the support agent.
    pub fn message(self) -> &'static str {
        match self {
            Self::Empty => {
                "Paste an API key (whole or as shown in the table), a public key, or a token or merchant name."
            }
            Self::Secret => {
                "That is an API_SECRET. Secrets must never be shared, not even with Kwik Support: nothing was searched. \
                 Ask the merchant to find the token by its key and disable it; its secret should be treated as leaked."
            }
        }
    }
}

/// Reads what was typed.
pub fn parse(text: &str) -> Result<Query, Refusal> {
    let q = text.trim();
    if q.is_empty() {
        return Err(Refusal::Empty);
    }
    if q.starts_with(API_SECRET_PREFIX) {
        return Err(Refusal::Secret);
    }
    if let Some(rest) = q.strip_prefix(API_KEY_PREFIX) {
        if rest.len() == crate::domain::credentials::API_KEY_RANDOM_LEN
            && rest.bytes().all(|b| b.is_ascii_alphanumeric())
        {
            return Ok(Query::FullKey(q.to_owned()));
        }
        let (head, tail) = match q.split_once('…').or_else(|| q.split_once("...")) {
            Some((h, t)) => (h, Some(t.trim().to_owned()).filter(|t| !t.is_empty())),
            None => (q, None),
        };
        return Ok(Query::KeyDisplay {
            prefix: head.trim().to_owned(),
            suffix: tail,
        });
    }
    if q.starts_with(PUBLIC_KEY_PREFIX) {
        return Ok(Query::PublicKey(q.to_owned()));
    }
    Ok(Query::Name(q.to_owned()))
}

/// Tokens disabled after a leak report and still disabled (not re-enabled since), across
/// merchants, newest report first, at most [`LIMIT`].
pub fn leak_disabled(conn: &mut DbConn) -> QueryResult<Vec<(AccessToken, String)>> {
    Ok(
        crate::db::models::leak_report::disabled_tokens(conn, LIMIT)?
            .into_iter()
            .filter(|(t, _)| crate::domain::leaks::disabled_by_leak(t))
            .collect(),
    )
}

/// `text` with LIKE's wildcards escaped (with `\\`).
fn like_escaped(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// The matching tokens with their merchant's name, newest first, at most [`LIMIT`].
pub fn search(conn: &mut DbConn, query: &Query) -> QueryResult<Vec<(AccessToken, String)>> {
    let base = access_tokens::table
        .inner_join(merchants::table)
        .select((AccessToken::as_select(), merchants::name))
        .order((access_tokens::created_at.desc(), access_tokens::id.desc()))
        .limit(LIMIT)
        .into_boxed::<crate::db::models::audit::Db>();
    let filtered = match query {
        Query::FullKey(key) => base.filter(access_tokens::key_hash.eq(sha256(key).to_vec())),
        Query::KeyDisplay { prefix, suffix } => {
            let mut q = if prefix.len() >= 12 {
                base.filter(access_tokens::key_prefix.eq(prefix[..12].to_owned()))
            } else {
                base.filter(
                    access_tokens::key_prefix
                        .like(format!("{}%", like_escaped(prefix)))
                        .escape('\\'),
                )
            };
            if let Some(s) = suffix {
                q = q.filter(access_tokens::key_suffix.eq(s.clone()));
            }
            q
        }
        Query::PublicKey(key) => base.filter(
            access_tokens::public_key
                .like(format!("{}%", like_escaped(key)))
                .escape('\\'),
        ),
        Query::Name(name) => {
            let pattern = format!("%{}%", like_escaped(&name.to_lowercase()));
            // Every script in lower case, on SQLite too (see `fold_case`).
            base.filter(
                fold_case(access_tokens::name)
                    .like(pattern.clone())
                    .escape('\\')
                    .or(fold_case(merchants::name).like(pattern).escape('\\')),
            )
        }
    };
    filtered.load(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_recognised() {
        let key = format!("kwik_ak_{}", "A".repeat(32));
        assert_eq!(parse(&key), Ok(Query::FullKey(key.clone())));
        assert_eq!(
            parse("kwik_ak_3F9q…x7Lm"),
            Ok(Query::KeyDisplay {
                prefix: "kwik_ak_3F9q".into(),
                suffix: Some("x7Lm".into())
            })
        );
        assert_eq!(
            parse(" kwik_ak_3F9q...x7Lm "),
            Ok(Query::KeyDisplay {
                prefix: "kwik_ak_3F9q".into(),
                suffix: Some("x7Lm".into())
            })
        );
        assert_eq!(
            parse("kwik_ak_3F"),
            Ok(Query::KeyDisplay {
                prefix: "kwik_ak_3F".into(),
                suffix: None
            })
        );
        assert_eq!(
            parse("kwik_pk_abc"),
            Ok(Query::PublicKey("kwik_pk_abc".into()))
        );
        assert_eq!(parse("Acme"), Ok(Query::Name("Acme".into())));
        assert_eq!(parse("  "), Err(Refusal::Empty));
        assert_eq!(parse("kwik_sk_whatever"), Err(Refusal::Secret));
    }

    #[test]
    fn like_wildcards_are_taken_literally() {
        assert_eq!(like_escaped("50%_off\\"), "50\\%\\_off\\\\");
    }
}

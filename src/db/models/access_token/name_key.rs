//! A token name's sort key, for the table's natural order ("Integration 2" before "Integration 10"),
//! and the start-up step that gives older rows theirs.

use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::models::TokenId;
use crate::db::schema::access_tokens;

/// Width every run of digits is padded to in a name's sort key.
const DIGITS: usize = 20;

/// A name's sort key for natural order: lower case, and every run of digits padded with zeros to the
/// same width, so that byte order puts "Integration 2" before "Integration 10" (runs longer than the
/// width keep their length and sort after).
pub fn natural_key(name: &str) -> String {
    let mut key = String::with_capacity(name.len() + DIGITS);
    let mut digits = String::new();
    let flush = |digits: &mut String, key: &mut String| {
        if digits.is_empty() {
            return;
        }
        let trimmed = digits.trim_start_matches('0');
        let trimmed = if trimmed.is_empty() { "0" } else { trimmed };
        for _ in trimmed.len()..DIGITS {
            key.push('0');
        }
        key.push_str(trimmed);
        digits.clear();
    };
    for c in name.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
        } else {
            flush(&mut digits, &mut key);
            key.extend(c.to_lowercase());
        }
    }
    flush(&mut digits, &mut key);
    key
}

/// Gives every token written before the name key existed its key (see the migration
/// `natural_name_sort`); a no-op once done. Idempotent, so instances starting together agree.
pub fn backfill_name_keys(conn: &mut DbConn) -> QueryResult<usize> {
    let missing: Vec<(TokenId, String)> = access_tokens::table
        // Written out, not bound, so both backends match it to the partial index
        // `access_tokens_missing_name_key` and read that instead of the table.
        .filter(diesel::dsl::sql::<diesel::sql_types::Bool>("name_key = ''"))
        .select((access_tokens::id, access_tokens::name))
        .load(conn)?;
    for (id, name) in &missing {
        diesel::update(access_tokens::table.find(*id))
            .set(access_tokens::name_key.eq(natural_key(name)))
            .execute(conn)?;
    }
    Ok(missing.len())
}

#[cfg(test)]
mod tests {
    use super::natural_key;

    #[test]
    fn names_sort_in_natural_order_ignoring_case() {
        let mut names = vec![
            "Integration 10",
            "integration 2",
            "Integration 1",
            "Zapier",
            "integration 02b",
            "École",
            "Integration 100000000000000000000000",
            "Integration 0",
        ];
        names.sort_by_key(|n| natural_key(n));
        assert_eq!(
            names,
            [
                "Integration 0",
                "Integration 1",
                "integration 2",
                "integration 02b",
                "Integration 10",
                "Integration 100000000000000000000000",
                "Zapier",
                "École",
            ]
        );
        assert_eq!(natural_key("Till 7"), format!("till {}7", "0".repeat(19)));
    }
}

//! SQL that diesel's query builder does not write in a form it keeps prepared.
//!
//! diesel prepares a statement again for every query that holds a raw `sql()` fragment or an
//! `IN (?, ?, ...)` list on SQLite (both mark themselves unsafe to cache): a parse and a plan each
//! time, which on SQLite costs more than running a small query. The pieces here say the same
//! things as typed expressions, so the statements that use them are prepared once per connection.

/// Runs `$body` with `$c` bound to the concrete connection (SQLite or Postgres) inside a
/// [`DbConn`](super::DbConn). For the queries of every page: through the `MultiConnection` wrapper
/// diesel cannot key its prepared-statement cache by the query's type, so it writes the SQL text out
/// again on every call and decodes each field through one more layer.
macro_rules! on_backend {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::db::DbConn::Sqlite($c) => $body,
            $crate::db::DbConn::Pg($c) => $body,
        }
    };
}
pub(crate) use on_backend;

use diesel::QueryResult;
use diesel::expression::{AppearsOnTable, Expression, SelectableExpression, ValidGrouping};
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::sql_types::{BigInt, Bool, Nullable, Numeric, Text};
use diesel::sqlite::Sqlite;

diesel::define_sql_function!(
    /// Postgres `int8(numeric)`: a `SUM` of `BIGINT`s, which Postgres widens to `NUMERIC`, back
    /// to a `BIGINT` (the sums it is used on fit one).
    fn int8(x: Nullable<Numeric>) -> Nullable<BigInt>
);

diesel::define_sql_function!(
    /// SQLite `SUM` of integers, which is an integer (`NULL` over no rows).
    #[aggregate]
    #[sql_name = "SUM"]
    fn sum_integers(x: BigInt) -> Nullable<BigInt>
);

diesel::define_sql_function!(
    /// `kwik_fold(text)`: the text in lower case, every script, for a search. SQLite's own `lower()`
    /// folds ASCII only (so "école" found no "École"): there it is Rust's `to_lowercase`, registered
    /// on each connection by [`register_fold_case`]; on Postgres it is `lower()` (migration
    /// `fold_case`). Never in an index or a stored expression: a tool without the app's function
    /// could not read those on SQLite.
    #[sql_name = "kwik_fold"]
    fn fold_case(x: Text) -> Text
);

/// Gives an SQLite connection [`fold_case`].
pub fn register_fold_case(conn: &mut diesel::SqliteConnection) -> QueryResult<()> {
    fold_case_utils::register_impl(conn, |text: String| text.to_lowercase())
}

/// `column IN (SELECT value FROM json_each(?))` on SQLite, with the values bound as one JSON
/// array: one statement, kept prepared, for any number of values.
#[derive(Debug, Clone)]
pub struct InJsonArray<C> {
    column: C,
    json: String,
}

/// `column` is one of `values` (SQLite only).
pub fn in_json_array<C>(column: C, values: &[i64]) -> InJsonArray<C> {
    InJsonArray {
        column,
        json: serde_json::to_string(values).unwrap_or_else(|_| "[]".to_owned()),
    }
}

impl<C: Expression> Expression for InJsonArray<C> {
    type SqlType = Bool;
}

impl<C: QueryFragment<Sqlite>> QueryFragment<Sqlite> for InJsonArray<C> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Sqlite>) -> QueryResult<()> {
        self.column.walk_ast(out.reborrow())?;
        out.push_sql(" IN (SELECT value FROM json_each(");
        out.push_bind_param::<Text, _>(&self.json)?;
        out.push_sql("))");
        Ok(())
    }
}

impl<C: QueryId> QueryId for InJsonArray<C> {
    type QueryId = InJsonArray<C::QueryId>;
    const HAS_STATIC_QUERY_ID: bool = C::HAS_STATIC_QUERY_ID;
}

impl<QS, C: AppearsOnTable<QS>> AppearsOnTable<QS> for InJsonArray<C> {}

impl<QS, C: SelectableExpression<QS>> SelectableExpression<QS> for InJsonArray<C> {}

impl<GB, C: ValidGrouping<GB>> ValidGrouping<GB> for InJsonArray<C> {
    type IsAggregate = C::IsAggregate;
}

-- `kwik_fold(text)`: a name in lower case for a search, every script. SQLite's `lower()` folds ASCII
-- only, so on SQLite the app registers `kwik_fold` on each connection (Rust's `to_lowercase`, see
-- `db::sql::register_fold_case`); here it is Postgres's own `lower()`, which the planner inlines.
-- One name on both backends lets one query serve both. Never used in an index: a tool without the
-- app's function could not read one on SQLite.
CREATE FUNCTION kwik_fold(text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT lower($1) $$;

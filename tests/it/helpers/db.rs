//! The fresh database of one test, and reading it behind the app's back.

use kwik_dashboard::db::DbConn;
use tempfile::TempDir;

use super::TestApp;

/// The database of one test: a temp SQLite file by default, or a fresh Postgres database when
/// `TEST_DATABASE_URL` names a server (dropped again when the test ends), so tests run in parallel.
pub struct TestDb {
    pub url: String,
    pub dir: TempDir,
    postgres: Option<(String, String)>,
}

impl TestDb {
    /// A fresh, empty database for one test (the app migrates it when it starts).
    pub fn new() -> Self {
        let dir = TempDir::new().unwrap();
        match std::env::var("TEST_DATABASE_URL")
            .ok()
            .filter(|u| !u.is_empty())
        {
            None => Self {
                url: dir.path().join("kwik.db").to_string_lossy().into_owned(),
                dir,
                postgres: None,
            },
            Some(admin) => {
                use diesel::Connection;
                use diesel::connection::SimpleConnection;
                let name = format!(
                    "kwik_test_{}",
                    hex::encode(kwik_dashboard::domain::credentials::random_bytes::<8>().unwrap())
                );
                let mut conn = diesel::PgConnection::establish(&admin)
                    .unwrap_or_else(|e| panic!("TEST_DATABASE_URL={admin} is not reachable: {e}"));
                conn.batch_execute(&format!("CREATE DATABASE \"{name}\""))
                    .unwrap();
                Self {
                    url: with_database(&admin, &name),
                    dir,
                    postgres: Some((admin, name)),
                }
            }
        }
    }

    /// Whether this test runs on Postgres (`TEST_DATABASE_URL` was set).
    pub fn is_postgres(&self) -> bool {
        self.postgres.is_some()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        use diesel::Connection;
        use diesel::connection::SimpleConnection;
        if !std::thread::panicking() {
            let postgres = self.postgres.as_ref().map(|_| self.url.as_str());
            super::at_rest::assert_none_at_rest(self.dir.path(), postgres);
        }
        if let Some((admin, name)) = &self.postgres
            && let Ok(mut conn) = diesel::PgConnection::establish(admin)
        {
            let _ = conn.batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"));
        }
    }
}

/// `url` with its database name replaced by `name`.
pub fn with_database(url: &str, name: &str) -> String {
    let scheme_end = url.find("://").map_or(0, |i| i + 3);
    let (path_start, query) = match url[scheme_end..].find('/') {
        Some(i) => {
            let start = scheme_end + i;
            (
                start,
                url[start..]
                    .find('?')
                    .map(|q| &url[start + q..])
                    .unwrap_or(""),
            )
        }
        None => (url.len(), ""),
    };
    format!("{}/{name}{query}", &url[..path_start])
}

impl TestApp {
    /// Runs `f` on a database connection.
    pub fn db<T>(&self, f: impl FnOnce(&mut DbConn) -> T) -> T {
        let mut conn = self.state.database.pool.get().unwrap();
        f(&mut conn)
    }

    /// Everything the database holds, as text: the SQLite files, or every Postgres row. A secret that
    /// was stored anywhere in plain text shows up in here.
    pub fn database_text(&self) -> String {
        if !self.db.is_postgres() {
            return ["kwik.db", "kwik.db-wal"]
                .iter()
                .map(|f| {
                    String::from_utf8_lossy(&std::fs::read(self.dir.join(f)).unwrap_or_default())
                        .into_owned()
                })
                .collect();
        }
        use diesel::prelude::*;
        self.db(|c| {
            [
                "merchants",
                "users",
                "sessions",
                "access_tokens",
                "login_failures",
                "login_lockouts",
                "recovery_codes",
                "audit_events",
                "leak_reports",
            ]
            .iter()
            .map(|table| {
                let query = format!("(SELECT string_agg(t::text, E'\\n') FROM {table} t)");
                diesel::select(diesel::dsl::sql::<
                    diesel::sql_types::Nullable<diesel::sql_types::Text>,
                >(&query))
                .get_result::<Option<String>>(c)
                .unwrap()
                .unwrap_or_default()
            })
            .collect()
        })
    }

    /// Every access token row, whatever the merchant.
    pub fn all_tokens(&self) -> Vec<kwik_dashboard::db::models::AccessToken> {
        use diesel::prelude::*;
        use kwik_dashboard::db::schema::access_tokens;
        self.db(|c| {
            access_tokens::table
                .select(access_tokens::all_columns)
                .load::<kwik_dashboard::db::models::AccessToken>(c)
                .unwrap()
        })
    }
}

/// The plan Postgres makes for `sql` prepared as a generic statement and executed with the literal
/// `args` (as the app's queries run, with bound values), a line per plan node.
pub fn prepared_plan(c: &mut DbConn, sql: &str, args: &str) -> String {
    use diesel::prelude::*;
    #[derive(QueryableByName)]
    struct Line {
        #[diesel(sql_type = diesel::sql_types::Text, column_name = "QUERY PLAN")]
        line: String,
    }
    let DbConn::Pg(pg) = c else {
        panic!("query plans are read on Postgres")
    };
    diesel::connection::SimpleConnection::batch_execute(
        pg,
        &format!("DEALLOCATE ALL; PREPARE q AS {sql}"),
    )
    .unwrap();
    let plan: Vec<Line> = diesel::sql_query(format!("EXPLAIN EXECUTE q({args})"))
        .load(pg)
        .unwrap();
    plan.into_iter()
        .map(|l| l.line)
        .collect::<Vec<_>>()
        .join("\n")
}

//! Migrating a database that already holds tokens: what a release's migrations derive from them, and
//! the statement timeout meant for requests, which must not cut a long migration short.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use kwik_dashboard::db::DbConn;

use crate::helpers::*;

#[actix_web::test]
async fn a_migration_over_many_tokens_outlives_the_statement_timeout_and_derives_the_counts() {
    use kwik_dashboard::db::schema::{access_tokens as t, merchants as m};
    let Some(app) = postgres_app_with_ten_thousand_tokens().await else {
        return;
    };
    app.db(|c| {
        let DbConn::Pg(pg) = c else { unreachable!() };
        // As if this database were a release older: the kept counts by status and permission undone.
        pg.batch_execute(include_str!(
            "../../migrations/postgres/2026-12-07-000020_filter_counts/down.sql"
        ))
        .unwrap();
        // A timeout far shorter than the migration's count of 10,000 tokens.
        pg.batch_execute(
            "DELETE FROM __diesel_schema_migrations WHERE version = '20261207000020'; \
             SET statement_timeout = '2ms';",
        )
        .unwrap();
        kwik_dashboard::db::migrate(c).unwrap();
        let DbConn::Pg(pg) = c else { unreachable!() };
        #[derive(QueryableByName)]
        struct Setting {
            #[diesel(sql_type = diesel::sql_types::Text)]
            timeout: String,
        }
        let setting: Setting =
            diesel::sql_query("SELECT current_setting('statement_timeout') AS timeout")
                .get_result(pg)
                .unwrap();
        assert_eq!(
            setting.timeout, "2ms",
            "the connection gets its timeout back"
        );
        pg.batch_execute("SET statement_timeout = '5s'").unwrap();

        // The migration counted every merchant's tokens of each status and permission.
        let kept: Vec<(i64, i64, i64, i64, i64)> = m::table
            .select((
                m::id,
                m::tokens_live_read_only,
                m::tokens_live_read_write,
                m::tokens_disabled_read_only,
                m::tokens_disabled_read_write,
            ))
            .order(m::id)
            .load(c)
            .unwrap();
        let real: Vec<(i64, String, String)> = t::table
            .filter(t::deleted_at.is_null())
            .select((t::merchant_id, t::status, t::permission))
            .load(c)
            .unwrap();
        let count = |id: i64, status: &str, permission: &str| {
            real.iter()
                .filter(|(m, s, p)| *m == id && s == status && p == permission)
                .count() as i64
        };
        assert_eq!(
            kept.iter().map(|k| k.1 + k.2 + k.3 + k.4).sum::<i64>(),
            10_000
        );
        for (id, live_ro, live_rw, disabled_ro, disabled_rw) in kept {
            assert_eq!(
                (live_ro, live_rw, disabled_ro, disabled_rw),
                (
                    count(id, "live", "read_only"),
                    count(id, "live", "read_write"),
                    count(id, "disabled", "read_only"),
                    count(id, "disabled", "read_write"),
                ),
                "merchant {id}"
            );
        }
    });
}

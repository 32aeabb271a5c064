-- Mirrors migrations/postgres/2026-12-07-000021_fold_case. On SQLite `kwik_fold` is registered by the
-- app on each connection (`db::sql::register_fold_case`), so nothing is stored.
SELECT 1;

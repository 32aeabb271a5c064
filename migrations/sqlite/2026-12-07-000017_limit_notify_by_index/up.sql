-- Mirrors migrations/postgres/2026-12-07-000017_limit_notify_by_index,
-- which mends a Postgres trigger; SQLite (one instance) has no change channel: nothing here.
SELECT 1;

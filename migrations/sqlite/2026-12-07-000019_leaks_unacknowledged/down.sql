DROP TRIGGER leak_reports_count_insert;
DROP TRIGGER leak_reports_count_update;
DROP TRIGGER leak_reports_count_delete;
ALTER TABLE merchants DROP COLUMN leaks_unacknowledged;

DROP TRIGGER leak_reports_count ON leak_reports;
DROP FUNCTION leak_reports_count();
ALTER TABLE merchants DROP COLUMN leaks_unacknowledged;

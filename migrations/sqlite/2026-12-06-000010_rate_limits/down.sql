DROP TABLE rate_counts;
ALTER TABLE token_usage_daily DROP COLUMN limited;
ALTER TABLE access_tokens DROP COLUMN rate_limit;
ALTER TABLE merchants DROP COLUMN rate_limit;

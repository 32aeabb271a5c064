DROP TRIGGER merchants_notify_limit ON merchants;
DROP FUNCTION kwik_notify_merchant_limit();
DROP TABLE rate_counts;
ALTER TABLE token_usage_daily DROP COLUMN limited;
ALTER TABLE access_tokens DROP COLUMN rate_limit;
ALTER TABLE merchants DROP COLUMN rate_limit;

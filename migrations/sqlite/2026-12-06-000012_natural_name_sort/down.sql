DROP INDEX access_tokens_missing_name_key;
DROP INDEX access_tokens_merchant_name_key;
ALTER TABLE access_tokens DROP COLUMN name_key;

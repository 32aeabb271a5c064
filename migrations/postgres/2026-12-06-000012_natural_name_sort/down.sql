DROP INDEX access_tokens_merchant_name_key;
ALTER TABLE access_tokens DROP COLUMN name_key;

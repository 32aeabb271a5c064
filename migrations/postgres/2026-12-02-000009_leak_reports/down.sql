DROP INDEX access_tokens_previous_secret_hash;
DROP INDEX access_tokens_secret_hash;
DROP TABLE leak_reports;

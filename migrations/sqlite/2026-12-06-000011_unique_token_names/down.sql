DROP INDEX access_tokens_unique_name;

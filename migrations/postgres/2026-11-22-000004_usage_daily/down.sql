DROP TABLE token_usage_daily;

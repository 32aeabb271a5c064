DROP INDEX access_tokens_expiring;
DROP TABLE alert_opt_outs;

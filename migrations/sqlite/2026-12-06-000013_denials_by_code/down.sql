DROP TABLE token_denials_daily;

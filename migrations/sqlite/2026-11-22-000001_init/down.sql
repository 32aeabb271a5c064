DROP TABLE login_lockouts;
DROP TABLE login_failures;
DROP TABLE access_tokens;
DROP TABLE sessions;
DROP TABLE users;
DROP TABLE merchants;

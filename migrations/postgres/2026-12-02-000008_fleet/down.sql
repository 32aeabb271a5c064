DROP TRIGGER access_tokens_notify ON access_tokens;
DROP FUNCTION kwik_notify_token();
DROP TABLE replay_signatures;

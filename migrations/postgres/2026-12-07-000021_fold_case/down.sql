DROP FUNCTION kwik_fold(text);

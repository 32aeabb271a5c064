-- Mirrors migrations/sqlite/2026-12-06-000011_unique_token_names.

-- A token's name is unique within its merchant, ignoring case, among the tokens not deleted: the
-- History and Support name tokens, and two tokens called "Shopify" cannot be told apart there.
-- Names given before this rule keep the oldest token's name; each later duplicate gets its id
-- appended ("Shopify (42)"), and the merchant's History says so.
CREATE TEMPORARY TABLE duplicate_token_names AS
SELECT id, merchant_id, name, name || ' (' || id || ')' AS renamed
FROM (
    SELECT id, merchant_id, name,
           row_number() OVER (PARTITION BY merchant_id, lower(name) ORDER BY id) AS n
    FROM access_tokens
    WHERE deleted_at IS NULL
) ranked
WHERE n > 1;

INSERT INTO audit_events
    (occurred_at, event, actor_role, merchant_id, target_type, target_id, target_label, detail)
SELECT now() AT TIME ZONE 'UTC', 'token.updated', 'system', merchant_id, 'token', id, renamed,
       'name: ' || name || ' → ' || renamed || ' (another token had the same name; names are now unique)'
FROM duplicate_token_names;

UPDATE access_tokens
SET name = d.renamed
FROM duplicate_token_names d
WHERE access_tokens.id = d.id;

DROP TABLE duplicate_token_names;

CREATE UNIQUE INDEX access_tokens_unique_name
    ON access_tokens (merchant_id, lower(name))
    WHERE deleted_at IS NULL;

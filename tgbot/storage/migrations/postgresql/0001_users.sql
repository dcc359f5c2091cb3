-- One row per Telegram user. No message texts are ever stored (data minimisation).
-- The same versions as SQLite's migrations (../NNNN_*.sql), in PostgreSQL's types.
CREATE TABLE users (
    user_id      bigint PRIMARY KEY,           -- Telegram user id (private chat id is the same)
    language     text,                         -- chosen language code, e.g. "en"
    time_zone    text,                         -- IANA zone name, e.g. "Europe/Berlin"
    settings     jsonb  NOT NULL DEFAULT '{}', -- small JSON object of user choices
    created_at   bigint NOT NULL,              -- unix seconds, UTC
    last_seen_at bigint NOT NULL               -- unix seconds, UTC
);

-- SQLite's json_patch (RFC 7396): a patch's null removes the key, objects merge recursively.
-- jsonb's || would store the nulls and replace nested objects whole.
CREATE FUNCTION json_merge_patch(target jsonb, patch jsonb) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    merged jsonb;
    item record;
BEGIN
    IF patch IS NULL OR jsonb_typeof(patch) <> 'object' THEN
        RETURN patch;
    END IF;
    merged := CASE WHEN jsonb_typeof(target) = 'object' THEN target ELSE '{}'::jsonb END;
    FOR item IN SELECT key, value FROM jsonb_each(patch) LOOP
        IF jsonb_typeof(item.value) = 'null' THEN
            merged := merged - item.key;
        ELSE
            merged := jsonb_set(merged, ARRAY[item.key],
                                json_merge_patch(merged -> item.key, item.value));
        END IF;
    END LOOP;
    RETURN merged;
END
$$;

-- Webhook mode: each update_id handled once, whichever replica Telegram (or a load balancer)
-- delivered it to. The row is written after the update was handled, so a replica that dies
-- mid-update leaves no row and Telegram's retry (or the chat's next update) handles it. Rows
-- older than Telegram's 24 h retention are deleted (storage/updates.py).
CREATE TABLE processed_updates (
    update_id  bigint NOT NULL PRIMARY KEY,
    handled_at bigint NOT NULL,  -- unix seconds
    replica    text   NOT NULL   -- which replica handled it (audits, tests)
);
CREATE INDEX processed_updates_by_age ON processed_updates (handled_at);

-- The webhook settings last given to Telegram (a hash, never the secret itself): replicas
-- starting together call setWebhook once, and again only when the settings change.
CREATE TABLE webhook_settings (
    id          integer NOT NULL PRIMARY KEY CHECK (id = 1),
    fingerprint text    NOT NULL,
    set_at      bigint  NOT NULL  -- unix seconds
);

-- Each update as it arrives, before it waits for its chat's turn: whichever replica holds the
-- chat's lock handles the chat's arrived updates in update_id order, its own last. Deleted
-- when handled (with the processed_updates row, in one transaction).
CREATE TABLE update_inbox (
    update_id  bigint NOT NULL PRIMARY KEY,
    chat_key   bigint NOT NULL,  -- the chat (else the user, else the update id)
    payload    text   NOT NULL,  -- the update as Telegram sent it (JSON)
    arrived_at bigint NOT NULL   -- unix seconds
);
CREATE INDEX update_inbox_by_chat ON update_inbox (chat_key, update_id);

-- A chat's turn, in one round trip: the chat's lock for the rest of the transaction (its
-- commit, with the update marked done, releases it), then the oldest arrived update of the
-- chat up to ``upto`` not handled yet. VOLATILE: the query after the lock takes a fresh
-- snapshot, so it sees arrivals committed while the lock was awaited.
CREATE FUNCTION tgbot_chat_turn(chat bigint, upto bigint)
RETURNS TABLE (waiting_id bigint, waiting_payload text)
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(
        hashtextextended(coalesce(current_schema(), '') || ':chat:' || chat::text, 0));
    RETURN QUERY
        SELECT i.update_id, i.payload FROM update_inbox i
        WHERE i.chat_key = chat AND i.update_id <= upto
          AND NOT EXISTS (SELECT 1 FROM processed_updates p WHERE p.update_id = i.update_id)
        ORDER BY i.update_id
        LIMIT 1;
END
$$;

-- An update handled: out of the inbox, into processed_updates (in the caller's transaction).
CREATE FUNCTION tgbot_update_done(done_id bigint, by_replica text, done_at bigint)
RETURNS void
LANGUAGE sql VOLATILE AS $$
    DELETE FROM update_inbox WHERE update_id = done_id;
    INSERT INTO processed_updates (update_id, handled_at, replica)
        VALUES (done_id, done_at, by_replica)
        ON CONFLICT (update_id) DO NOTHING;
$$;

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

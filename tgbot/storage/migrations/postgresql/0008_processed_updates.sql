-- Webhook mode: each update_id handled once, whichever replica Telegram (or a load balancer)
-- delivered it to. The row is inserted inside the transaction that holds the chat's advisory
-- lock and commits only after the update was handled, so a replica that dies mid-update
-- leaves no row and Telegram's retry is handled. Rows older than Telegram's 24 h retention
-- are deleted (storage/updates.py).
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

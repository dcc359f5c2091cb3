-- Webhook mode: each update_id handled once, even when Telegram delivers it again. The row is
-- written after the update was handled, so a bot that dies mid-update leaves no row and
-- Telegram's retry is handled. Rows older than Telegram's 24 h retention are deleted
-- (storage/updates.py). SQLite serves one instance: a chat's order is kept in-process, so
-- PostgreSQL's update_inbox has no counterpart here.
CREATE TABLE processed_updates (
    update_id  INTEGER NOT NULL PRIMARY KEY,
    handled_at INTEGER NOT NULL,  -- unix seconds
    replica    TEXT    NOT NULL   -- which replica handled it (audits, tests)
) STRICT;
CREATE INDEX processed_updates_by_age ON processed_updates (handled_at);

-- The webhook settings last given to Telegram (a hash, never the secret itself): replicas
-- starting together call setWebhook once, and again only when the settings change.
CREATE TABLE webhook_settings (
    id          INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
    fingerprint TEXT    NOT NULL,
    set_at      INTEGER NOT NULL  -- unix seconds
) STRICT;

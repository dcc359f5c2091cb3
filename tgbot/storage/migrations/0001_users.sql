-- One row per Telegram user. No message texts are ever stored (data minimisation).
CREATE TABLE users (
    user_id      INTEGER PRIMARY KEY,           -- Telegram user id (private chat id is the same)
    language     TEXT,                          -- chosen language code, e.g. "en"
    time_zone    TEXT,                          -- IANA zone name, e.g. "Europe/Berlin"
    settings     TEXT    NOT NULL DEFAULT '{}', -- small JSON object of user choices
    created_at   INTEGER NOT NULL,              -- unix seconds, UTC
    last_seen_at INTEGER NOT NULL               -- unix seconds, UTC
) STRICT;

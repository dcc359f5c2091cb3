-- Opt-in bedtime reminders. SQLite is the source of truth: nothing about a reminder lives only
-- in memory. Times are unix seconds (UTC); local dates are ISO strings in the user's zone.
CREATE TABLE reminders (
    user_id         INTEGER PRIMARY KEY REFERENCES users (user_id) ON DELETE CASCADE,
    local_time      TEXT    NOT NULL,            -- "HH:MM", the user's wall-clock time
    time_zone       TEXT    NOT NULL,            -- IANA zone name
    days            INTEGER NOT NULL DEFAULT 127, -- bit i = weekday i, 0 = Monday
    enabled         INTEGER NOT NULL DEFAULT 1,
    paused_until    INTEGER,                     -- no reminders before this instant
    next_fire_at    INTEGER,                     -- when the next one is due (NULL when off)
    next_local_date TEXT,                        -- the local day that next one belongs to
    last_sent_date  TEXT,                        -- the local day of the last one sent
    snooze_at       INTEGER,                     -- a snoozed reminder comes again at this instant
    last_done_date  TEXT,                        -- the last local day the user tapped Done
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
) STRICT;

-- The engine's cost follows the send rate, not the user count: it only reads due rows.
CREATE INDEX reminders_due ON reminders (next_fire_at) WHERE enabled = 1;
CREATE INDEX reminders_snoozed ON reminders (snooze_at) WHERE snooze_at IS NOT NULL;

-- Opt-in bedtime reminders. The database is the source of truth: nothing about a reminder
-- lives only in memory. Times are unix seconds (UTC); local dates are ISO strings in the
-- user's zone. enabled is 0/1, as in SQLite, so the repositories' SQL is the same.
CREATE TABLE reminders (
    user_id         bigint   PRIMARY KEY REFERENCES users (user_id) ON DELETE CASCADE,
    local_time      text     NOT NULL,             -- "HH:MM", the user's wall-clock time
    time_zone       text     NOT NULL,             -- IANA zone name
    days            integer  NOT NULL DEFAULT 127, -- bit i = weekday i, 0 = Monday
    enabled         smallint NOT NULL DEFAULT 1,
    paused_until    bigint,                        -- no reminders before this instant
    next_fire_at    bigint,                        -- when the next one is due (NULL when off)
    next_local_date text,                          -- the local day that next one belongs to
    last_sent_date  text,                          -- the local day of the last one sent
    snooze_at       bigint,                        -- a snoozed reminder comes again then
    last_done_date  text,                          -- the last local day the user tapped Done
    created_at      bigint   NOT NULL,
    updated_at      bigint   NOT NULL
);

-- The engine's cost follows the send rate, not the user count: it only reads due rows.
CREATE INDEX reminders_due ON reminders (next_fire_at) WHERE enabled = 1;
CREATE INDEX reminders_snoozed ON reminders (snooze_at) WHERE snooze_at IS NOT NULL;

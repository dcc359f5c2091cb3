-- The morning check-in ("Any cramps last night?"), the day after a bedtime reminder.
ALTER TABLE reminders ADD COLUMN checkin_enabled smallint NOT NULL DEFAULT 1;
ALTER TABLE reminders ADD COLUMN checkin_at bigint;  -- when to ask (NULL: nothing to ask)
ALTER TABLE reminders ADD COLUMN checkin_date text;  -- the night it asks about (local date)
CREATE INDEX reminders_checkin ON reminders (checkin_at) WHERE checkin_at IS NOT NULL;

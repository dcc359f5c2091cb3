-- An entry keeps the wall-clock time the person meant, so a time zone set or changed later
-- never moves it (the design is described in tgbot/services/diary/service.py).
-- local_time: 'YYYY-MM-DDTHH:MM' as the person's clock read it.
-- time_zone: the zone local_time was read in; NULL while the user had none ("floating":
-- occurred_at is then local_time read as UTC, re-anchored once a zone is known).
ALTER TABLE diary_entries ADD COLUMN local_time text;
ALTER TABLE diary_entries ADD COLUMN time_zone text;

-- Entries of users who still have no zone were logged in UTC: that is their wall clock.
-- Entries of users with a zone were shown in it: NULL local_time means exactly that.
UPDATE diary_entries
SET local_time = to_char(to_timestamp(occurred_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI')
WHERE user_id IN (SELECT user_id FROM users WHERE time_zone IS NULL);
UPDATE diary_entries
SET time_zone = (SELECT time_zone FROM users WHERE users.user_id = diary_entries.user_id);

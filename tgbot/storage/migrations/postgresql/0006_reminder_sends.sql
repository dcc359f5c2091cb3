-- Each local night a bedtime reminder went out, so the doctor summary can count reminders
-- sent, routines done and reminders skipped (reminders.last_sent_date keeps only the last).
-- Deleted with the user (/forget).
CREATE TABLE reminder_sends (
    user_id    bigint NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    local_date text   NOT NULL,  -- the user's local day the reminder was for (ISO)
    PRIMARY KEY (user_id, local_date)
);

-- The one send each user's history already records.
INSERT INTO reminder_sends (user_id, local_date)
    SELECT user_id, last_sent_date FROM reminders WHERE last_sent_date IS NOT NULL
    ON CONFLICT DO NOTHING;

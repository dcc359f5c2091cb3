-- The cramp diary: stored because the user asked to log it. Deleted with the user (/forget)
-- and by the user's retention setting.
CREATE TABLE diary_entries (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    occurred_at INTEGER NOT NULL,  -- unix seconds, UTC
    local_date  TEXT    NOT NULL,  -- the user's local day of occurred_at (ISO)
    site        TEXT    NOT NULL,  -- calf, thigh_front, thigh_back, foot, hand, neck, back, other
    side        TEXT,              -- left, right, both
    severity    INTEGER,           -- 1-10
    duration    TEXT,              -- under_1, 1_to_10, over_10
    note        TEXT,              -- short, only if the user typed one
    source      TEXT    NOT NULL,  -- menu, text, checkin
    created_at  INTEGER NOT NULL
) STRICT;

CREATE INDEX diary_by_user ON diary_entries (user_id, occurred_at);
CREATE INDEX diary_by_age ON diary_entries (occurred_at);

-- Nights the user marked the bedtime routine Done (for the diary chart and the comparison).
CREATE TABLE routine_done (
    user_id    INTEGER NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
    local_date TEXT    NOT NULL,
    PRIMARY KEY (user_id, local_date)
) STRICT, WITHOUT ROWID;

-- Reminder claims with a lease (issue 14). SQLite serves one process, whose engine keeps its
-- claims in memory: these columns stay NULL here. They exist so that both dialects have the
-- same reminders table (and migrate-store copies the same columns).
ALTER TABLE reminders ADD COLUMN claimed_by TEXT;        -- the replica sending it now
ALTER TABLE reminders ADD COLUMN claimed_until INTEGER;  -- its lease ends then (unix seconds)

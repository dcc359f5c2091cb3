-- The open question moved from settings.awaiting to settings.prompt (UserSettings); a
-- question expires after 10 minutes, so the old key is simply dropped.
UPDATE users SET settings = settings - 'awaiting' WHERE settings ? 'awaiting';

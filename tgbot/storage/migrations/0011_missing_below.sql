-- PostgreSQL gains tgbot_missing_below (see migrations/postgresql/): webhook replicas wait for
-- the update ids just below their own. SQLite serves one instance, whose update gate is
-- in-process: nothing changes here; the file keeps both dialects at the same versions.
SELECT 1;

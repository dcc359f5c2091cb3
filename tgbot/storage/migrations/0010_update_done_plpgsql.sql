-- PostgreSQL's tgbot_update_done becomes PL/pgSQL (see migrations/postgresql/). SQLite has no
-- such function (its update gate is in-process): nothing changes here; the file keeps both
-- dialects at the same versions.
SELECT 1;

-- Several replicas on one database (issue 14).
--
-- A due reminder is claimed by one replica with a lease: claim_due sets claimed_by and
-- claimed_until (FOR UPDATE SKIP LOCKED, so claimers never wait on each other); the owner
-- renews the lease while the send is in flight; settling the row (sent, skipped, blocked)
-- clears both in the same statement. A replica that dies stops renewing, and once
-- claimed_until has passed another replica claims the row.
ALTER TABLE reminders ADD COLUMN claimed_by text;
ALTER TABLE reminders ADD COLUMN claimed_until bigint;  -- unix seconds
-- Only rows claimed right now (a few hundred at most): lapsed claims are taken over first.
CREATE INDEX reminders_claimed ON reminders (claimed_until) WHERE claimed_until IS NOT NULL;

-- The live replicas, for the shared send budget: each takes rate / live count.
CREATE TABLE replicas (
    replica_id text             PRIMARY KEY,
    joined_at  double precision NOT NULL,  -- unix seconds
    last_seen  double precision NOT NULL   -- its last heartbeat (unix seconds)
);

-- One row: Telegram said 429 to some replica; no replica sends before paused_until.
CREATE TABLE send_pause (
    id           smallint         PRIMARY KEY CHECK (id = 1),
    paused_until double precision NOT NULL  -- unix seconds
);
INSERT INTO send_pause (id, paused_until) VALUES (1, 0);

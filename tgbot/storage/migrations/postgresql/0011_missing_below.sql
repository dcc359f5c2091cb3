-- Webhook order across replicas: the ids in the ``span`` just below ``upto`` that no replica
-- has recorded yet (in neither update_inbox nor processed_updates). update_id is Telegram's
-- bot-wide sequence, so one of them may be an earlier update of the same chat still on its
-- way through a busier replica: the turn waits for it (storage/updates.py). Nothing below
-- the oldest id either table holds counts (a new deployment's first updates).
CREATE FUNCTION tgbot_missing_below(upto bigint, span integer)
RETURNS bigint[]
LANGUAGE plpgsql STABLE AS $$
DECLARE
    low bigint := greatest(upto - span, least(
        (SELECT min(update_id) FROM update_inbox),
        (SELECT min(update_id) FROM processed_updates)));
BEGIN
    IF low IS NULL OR low >= upto THEN
        RETURN '{}';
    END IF;
    RETURN array(
        SELECT g.id FROM generate_series(low, upto - 1) AS g(id)
        EXCEPT SELECT update_id FROM update_inbox WHERE update_id >= low AND update_id < upto
        EXCEPT SELECT update_id FROM processed_updates WHERE update_id >= low AND update_id < upto
        ORDER BY 1);
END
$$;

-- Completion callbacks of v2 jobs: one delivery row per completed job that asked for a callback.
-- Rows are created by triggers in the transaction that completes the job, so no completion is missed
-- even when no node is listening; nodes claim due rows with FOR UPDATE SKIP LOCKED and a lease.

CREATE TABLE callback_deliveries (
    job_id           uuid PRIMARY KEY REFERENCES jobs (id) ON DELETE CASCADE,
    url              text NOT NULL,
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    lease_owner      text,
    lease_until      timestamptz,
    delivered_at     timestamptz,
    abandoned_at     timestamptz,
    last_error       text,
    created_on       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX callback_deliveries_due ON callback_deliveries (next_attempt_at)
    WHERE delivered_at IS NULL AND abandoned_at IS NULL;

CREATE FUNCTION enqueue_callback_delivery() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO callback_deliveries (job_id, url)
    VALUES (NEW.id, NEW.callback ->> 'url')
    ON CONFLICT (job_id) DO NOTHING;
    RETURN NULL;
END;
$$;

CREATE TRIGGER jobs_completed_callback_insert
    AFTER INSERT ON jobs
    FOR EACH ROW
    WHEN (NEW.status = 'Completed' AND NEW.callback ->> 'url' IS NOT NULL)
    EXECUTE FUNCTION enqueue_callback_delivery();

CREATE TRIGGER jobs_completed_callback_update
    AFTER UPDATE OF status ON jobs
    FOR EACH ROW
    WHEN (NEW.status = 'Completed' AND OLD.status <> 'Completed' AND NEW.callback ->> 'url' IS NOT NULL)
    EXECUTE FUNCTION enqueue_callback_delivery();

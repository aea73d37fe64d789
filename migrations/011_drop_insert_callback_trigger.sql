-- Jobs are always inserted InProgress, so the AFTER INSERT trigger of migration 010 never fires:
-- delivery rows come from jobs_completed_callback_update alone.

DROP TRIGGER jobs_completed_callback_insert ON jobs;

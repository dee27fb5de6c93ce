-- A new job's steps are counted once, in bulk, by the store's InsertJob
-- (server/store/jobs.cc) rather than step by step: in one transaction
-- PostgreSQL keeps every version of a row updated again and again (each of
-- a fleet-wide job's count rows 10,000 times), and each update walked them
-- all, which made a 10,000-device submit take 35 s. While the transaction
-- sets mdefleet.bulk_step_counts to 'on', the row trigger leaves the counts
-- to its caller.
CREATE OR REPLACE FUNCTION mdf_count_step() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('mdefleet.bulk_step_counts', true) = 'on' THEN
    RETURN NULL;
  END IF;
  IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.superseded = 0 THEN
    UPDATE job_step_counts SET count = count - 1
    WHERE job_id = OLD.job_id AND name = OLD.name AND state = OLD.state;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.superseded = 0 THEN
    INSERT INTO job_step_counts (job_id, name, state, count, min_idx)
    VALUES (NEW.job_id, NEW.name, NEW.state, 1, NEW.idx)
    ON CONFLICT (job_id, name, state) DO UPDATE
    SET count = job_step_counts.count + 1,
        min_idx = LEAST(job_step_counts.min_idx, excluded.min_idx);
  END IF;
  RETURN NULL;
END;
$$;

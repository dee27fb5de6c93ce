-- mdefleet schema, version 6: indexes for the Prometheus gauges that
-- /metrics reads at every scrape (server/store/metrics_queries.cc), so a
-- scrape reads index entries, not the rows with their facts and outputs.

-- mdefleet_devices{os_family,mde_state} and mdefleet_runners{status}: a
-- covering index, counted without touching the facts blobs.
CREATE INDEX devices_by_os_mde_seen ON devices (os_family, mde_state,
                                                last_seen_at);

-- mdefleet_step_failures{step}: only failed steps (state 4,
-- STEP_STATE_FAILED) are indexed, so the index stays small and the scrape
-- never scans the steps table.
CREATE INDEX steps_failed_by_name ON steps (name) WHERE state = 4;

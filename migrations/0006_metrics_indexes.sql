-- mdefleet schema, version 6: indexes for the Prometheus gauges that
-- /metrics reads at every scrape (server/store/metrics_queries.cc), so a
-- scrape reads index entries, not the rows with their facts and outputs.

-- mdefleet_devices{os_family,mde_state}: counted from this covering index
-- without touching the facts blobs. last_seen_at is left out on purpose:
-- heartbeats update it on every poll and would then rewrite this index too
-- (runners online are counted from devices_by_last_seen instead).
CREATE INDEX devices_by_os_mde ON devices (os_family, mde_state);

-- mdefleet_step_failures{step}: only failed steps (state 4,
-- STEP_STATE_FAILED) are indexed, so the index stays small and the scrape
-- never scans the steps table. state is a column too: SQLite counts an index
-- as covering only when it holds every column the query names, its WHERE
-- clause's included, and the steps rows (with their output) stay unread.
CREATE INDEX steps_failed_by_name ON steps (name, state) WHERE state = 4;

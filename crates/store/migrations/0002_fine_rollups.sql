-- Per target per 5 minutes, beside the hourly roll-ups, so ranges up to a day and buckets
-- narrower than an hour read a few hundred roll-ups instead of tens of thousands of raw rows.
-- Same columns and meaning as `rollups`; `start_ms` is the slot's first millisecond. Kept as long
-- as raw checks (the same retention cut deletes both); `fine_rolled_until_ms` in `meta` is their
-- horizon, like `rolled_until_ms` for the hourly ones.
CREATE TABLE rollups_5m (
    target         INTEGER NOT NULL REFERENCES targets(rid),
    start_ms       INTEGER NOT NULL,
    checks         INTEGER NOT NULL,
    ok             INTEGER NOT NULL,
    soft           INTEGER NOT NULL,
    hard           INTEGER NOT NULL,
    latency_sum_ms INTEGER NOT NULL,
    hist           BLOB NOT NULL,
    PRIMARY KEY (target, start_ms)
) WITHOUT ROWID;

-- Timestamps are INTEGER unix milliseconds UTC. Classes and statuses are the stable small codes
-- of `monitor::Class::code()` / `monitor::Status::code()`: the big tables stay a few dozen bytes
-- per row.

-- The configuration's text id, with a small integer key that the big tables reference instead of
-- repeating the text millions of times.
CREATE TABLE targets (
    rid  INTEGER PRIMARY KEY,
    id   TEXT NOT NULL UNIQUE,
    kind TEXT,
    name TEXT
);

-- One row per probe. No model inventory here: it is the same on almost every row and lives in
-- `target_state.last_outcome` for the latest probe only.
CREATE TABLE checks (
    target      INTEGER NOT NULL REFERENCES targets(rid),
    ts_ms       INTEGER NOT NULL,
    class       INTEGER NOT NULL,
    status      INTEGER NOT NULL,
    http_status INTEGER,
    latency_ms  INTEGER NOT NULL,
    message     TEXT,
    ttft_ms     INTEGER,
    tokens_in   INTEGER,
    tokens_out  INTEGER
);
-- Covers the history statistics (class and latency ride along), so a range of one target reads a
-- few contiguous index pages instead of one table page per check (targets interleave in the table).
CREATE INDEX checks_by_target_ts ON checks(target, ts_ms, class, latency_ms);

-- The latest of everything per target, so the snapshot is one small read.
CREATE TABLE target_state (
    target       INTEGER PRIMARY KEY REFERENCES targets(rid),
    status       INTEGER NOT NULL,
    since_ms     INTEGER,
    score        REAL,
    last_ts_ms   INTEGER,
    last_outcome TEXT
);

CREATE TABLE transitions (
    target      INTEGER NOT NULL REFERENCES targets(rid),
    at_ms       INTEGER NOT NULL,
    from_status INTEGER NOT NULL,
    to_status   INTEGER NOT NULL,
    class       INTEGER NOT NULL,
    reason      TEXT NOT NULL
);
CREATE INDEX transitions_by_target_at ON transitions(target, at_ms);

-- The engine re-sends an incident whole on every change; (target, started) identifies it.
CREATE TABLE incidents (
    target     INTEGER NOT NULL REFERENCES targets(rid),
    started_ms INTEGER NOT NULL,
    ended_ms   INTEGER,
    worst      INTEGER NOT NULL,
    cause      INTEGER NOT NULL,
    message    TEXT NOT NULL,
    PRIMARY KEY (target, started_ms)
) WITHOUT ROWID;
CREATE INDEX incidents_by_start ON incidents(started_ms);

-- Spans the machine slept, for every target at once: unknown time.
CREATE TABLE sleeps (
    from_ms INTEGER NOT NULL,
    to_ms   INTEGER NOT NULL,
    PRIMARY KEY (from_ms, to_ms)
) WITHOUT ROWID;

-- Per target per hour, so long ranges never scan raw rows. `latency_sum_ms` and `hist` cover the
-- checks that got an answer (severity ok or soft); `hist` is the sparse log-bucket histogram of
-- `hist.rs`.
CREATE TABLE rollups (
    target         INTEGER NOT NULL REFERENCES targets(rid),
    hour_ms        INTEGER NOT NULL,
    checks         INTEGER NOT NULL,
    ok             INTEGER NOT NULL,
    soft           INTEGER NOT NULL,
    hard           INTEGER NOT NULL,
    latency_sum_ms INTEGER NOT NULL,
    hist           BLOB NOT NULL,
    PRIMARY KEY (target, hour_ms)
) WITHOUT ROWID;

-- Bookkeeping: `rolled_until_ms` (every hour before it is in `rollups`) and `raw_kept_from_ms`
-- (raw checks before it may have been deleted by retention).
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) WITHOUT ROWID;

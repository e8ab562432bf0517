-- What providers' status pages reported about the components targets watch, as seen in checks:
-- context for the timeline and the incident list, never part of a target's status. `key` is the
-- page's incident id, or its name and start when the page gives no id. `ended_ms` is the first
-- check that no longer saw it (NULL while it is reported).
CREATE TABLE provider_incidents (
    target     INTEGER NOT NULL REFERENCES targets(rid),
    key        TEXT NOT NULL,
    provider   TEXT NOT NULL,
    id         TEXT,
    name       TEXT NOT NULL,
    impact     TEXT,
    status     TEXT,
    url        TEXT,
    started_ms INTEGER NOT NULL,
    ended_ms   INTEGER,
    PRIMARY KEY (target, key)
) WITHOUT ROWID;
CREATE INDEX provider_incidents_by_start ON provider_incidents(started_ms);

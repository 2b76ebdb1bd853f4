-- 0005: break glass: requests to read a record outside one's need to know, and their
-- decisions (Security issue). Never edit once landed.

CREATE TABLE access_grants (
    id           TEXT PRIMARY KEY,             -- UUIDv7
    username     TEXT NOT NULL REFERENCES users (username),
    record_id    TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'refused')),
    version      INTEGER NOT NULL CHECK (version >= 1),
    requested_at TEXT NOT NULL,
    grant_json   TEXT NOT NULL                 -- JSON: the AccessGrant
);
CREATE INDEX access_grants_by_user ON access_grants (username, status);
CREATE INDEX access_grants_by_status ON access_grants (status, requested_at);

-- 0001: the POLE store, its version history, the audit trail and the outbox.
-- Never edit this file once landed: add a new numbered migration instead. The PostgreSQL
-- adapter has a migration with the same number and the same meaning.

-- The current state of every record. Entities differ only in `body`, which holds the
-- validated domain entity as JSON (the pattern of HMCTS Core Case Data: one table, typed
-- content), so a new object kind needs no schema change.
CREATE TABLE records (
    id             TEXT PRIMARY KEY,           -- UUIDv7, text form
    kind           TEXT NOT NULL CHECK (kind IN ('person', 'object', 'location', 'event', 'link')),
    version        INTEGER NOT NULL CHECK (version >= 1), -- grows by one per change
    classification INTEGER NOT NULL CHECK (classification BETWEEN 1 AND 3), -- 1 OFFICIAL, 2 OFFICIAL-SENSITIVE, 3 SECRET
    marking        TEXT NOT NULL,              -- JSON: classification, compartments, caveats
    summary        TEXT NOT NULL,              -- one-line description shown in lists
    sort_key       TEXT NOT NULL,              -- lower-cased summary, for ordering and prefix filters
    subtype        TEXT,                       -- object kind, event type or location type
    body           TEXT NOT NULL,              -- JSON: the domain entity
    link_from      TEXT REFERENCES records (id), -- links only: the record the link starts at
    link_to        TEXT REFERENCES records (id), -- links only: the record it points to
    link_role      TEXT,                       -- links only: suspect, owner, resides_at ...
    status         TEXT NOT NULL CHECK (status IN ('active', 'ended')), -- only links end
    created_at     TEXT NOT NULL,              -- RFC 3339 UTC, microseconds
    created_by     TEXT NOT NULL,              -- display name of the creator
    updated_at     TEXT NOT NULL,
    updated_by     TEXT NOT NULL,
    CHECK ((kind = 'link') = (link_from IS NOT NULL AND link_to IS NOT NULL AND link_role IS NOT NULL))
);
CREATE INDEX records_kind_sort ON records (kind, sort_key);
CREATE INDEX records_kind_updated ON records (kind, updated_at);
CREATE INDEX records_kind_subtype_sort ON records (kind, subtype, sort_key) WHERE subtype IS NOT NULL; -- "vehicles only" lists; persons have no sub-type
CREATE INDEX records_link_from ON records (link_from) WHERE link_from IS NOT NULL;
CREATE INDEX records_link_to ON records (link_to) WHERE link_to IS NOT NULL;

-- Every version of every record, kept for ever: what did we know, and when.
CREATE TABLE record_versions (
    record_id       TEXT NOT NULL REFERENCES records (id),
    version         INTEGER NOT NULL,
    kind            TEXT NOT NULL,
    classification  INTEGER NOT NULL,
    marking         TEXT NOT NULL,
    summary         TEXT NOT NULL,
    body            TEXT NOT NULL,
    status          TEXT NOT NULL,
    change          TEXT NOT NULL CHECK (change IN ('create', 'update', 'end')),
    changed_at      TEXT NOT NULL,
    changed_by      TEXT NOT NULL,             -- user id
    changed_by_name TEXT NOT NULL,             -- display name at the time
    audit_id        TEXT NOT NULL,             -- the audit entry that recorded the change
    PRIMARY KEY (record_id, version)
);

-- The audit trail: every change and every consultation. Append-only: the triggers below
-- refuse UPDATE and DELETE. (The Security issue adds hash chaining and signed checkpoints.)
CREATE TABLE audit_log (
    seq            INTEGER PRIMARY KEY AUTOINCREMENT, -- order of commit
    id             TEXT NOT NULL UNIQUE,       -- the entry's UUIDv7
    at             TEXT NOT NULL,              -- when, RFC 3339 UTC, microseconds
    user_id        TEXT NOT NULL,              -- who
    user_name      TEXT NOT NULL,
    action         TEXT NOT NULL,              -- what: create, update, view, list ...
    outcome        TEXT NOT NULL,              -- success, denied, failed
    service        TEXT NOT NULL,              -- which part of Bluelamp acted
    correlation_id TEXT,                       -- the request id
    source_address TEXT,
    user_agent     TEXT,
    subjects       TEXT NOT NULL,              -- JSON: [{id, kind, version, classification}]
    details        TEXT NOT NULL               -- JSON: filters, reasons, fields changed
);
CREATE TRIGGER audit_log_is_append_only_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_is_append_only_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

-- Events for the information bus, written in the same transaction as the change; a relay
-- delivers them after commit and marks them delivered, so a crash loses nothing.
CREATE TABLE outbox (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id     TEXT NOT NULL UNIQUE,         -- consumers de-duplicate on it
    event_type   TEXT NOT NULL,                -- <context>.<entity>.<past-tense-verb>
    occurred_at  TEXT NOT NULL,
    payload      TEXT NOT NULL,                -- JSON envelope
    delivered_at TEXT                          -- NULL until delivered
);
CREATE INDEX outbox_pending ON outbox (seq) WHERE delivered_at IS NULL;
CREATE INDEX outbox_delivered ON outbox (delivered_at) WHERE delivered_at IS NOT NULL; -- pruning

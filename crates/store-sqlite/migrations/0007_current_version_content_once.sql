-- 0007: a record's current content is stored once.
--
-- Until now every version row repeated the record's marking, summary and body, so the
-- current content was written twice (in `records` and in its version row): a third of the
-- bytes of a bulk load. From this migration on, the version row of a record's CURRENT
-- version may leave marking, summary and body NULL: they are the ones in `records`. Before
-- a record changes, the store copies the content of its current version into that version's
-- row (in the same transaction), so a superseded version always has its own content.
-- Rows written before this migration keep their content. History reads take a NULL
-- content from `records` and check that the row is still the current version.
--
-- SQLite cannot drop NOT NULL in place, so the table is rebuilt (same columns, same key),
-- and rebuilt WITHOUT ROWID: its rows are now mostly small, so one B-tree keyed by
-- (record_id, version) replaces a table plus an index on that key (one insert a version
-- instead of two).
CREATE TABLE record_versions_0007 (
    record_id       TEXT NOT NULL REFERENCES records (id),
    version         INTEGER NOT NULL,
    kind            TEXT NOT NULL,
    classification  INTEGER NOT NULL,
    marking         TEXT,                      -- NULL: the current version; see records
    summary         TEXT,                      -- NULL: the current version; see records
    body            TEXT,                      -- NULL: the current version; see records
    status          TEXT NOT NULL,
    change          TEXT NOT NULL CHECK (change IN ('create', 'update', 'end')),
    changed_at      TEXT NOT NULL,
    changed_by      TEXT NOT NULL,             -- user id
    changed_by_name TEXT NOT NULL,             -- display name at the time
    audit_id        TEXT NOT NULL,             -- the audit entry that recorded the change
    PRIMARY KEY (record_id, version),
    -- content is all there or all held in records
    CHECK ((marking IS NULL) = (body IS NULL) AND (summary IS NULL) = (body IS NULL))
) WITHOUT ROWID;
INSERT INTO record_versions_0007
    SELECT record_id, version, kind, classification, marking, summary, body, status, change,
           changed_at, changed_by, changed_by_name, audit_id
    FROM record_versions;
DROP TABLE record_versions;
ALTER TABLE record_versions_0007 RENAME TO record_versions;

-- 0007: a record's current content is stored once (the SQLite migration 0007 explains).
-- The version row of a record's CURRENT version may leave marking, summary and body NULL:
-- they are the ones in `records`. Before a record changes, the store copies the content of
-- its current version into that version's row in the same transaction, so a superseded
-- version always has its own content. Rows written before this migration keep theirs.
ALTER TABLE record_versions ALTER COLUMN marking DROP NOT NULL;
ALTER TABLE record_versions ALTER COLUMN summary DROP NOT NULL;
ALTER TABLE record_versions ALTER COLUMN body DROP NOT NULL;
ALTER TABLE record_versions ADD CONSTRAINT record_versions_content_whole
    CHECK ((marking IS NULL) = (body IS NULL) AND (summary IS NULL) = (body IS NULL));

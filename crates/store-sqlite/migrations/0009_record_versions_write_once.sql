-- 0009: a version row is written once.
--
-- History is what the store promises never to rewrite. Until now that rested on the code
-- alone; from here the database refuses too, so a bug, a hand-run statement or a later
-- migration cannot rewrite or delete a superseded version. A version row may change only
-- as migration 0007 allows: the row of a record's current version, written without
-- content, receives that record's current marking, summary and body, once, just before the
-- record changes. Nothing else about a version row may change, and no version row may be
-- deleted. And a record may not move past a version whose row has no content of its own
-- (it would lose that version's content).
--
-- Not covered: the current version's content lives in `records`, which changes with every
-- update, so a hand-run UPDATE of `records` that keeps the version number is not refused
-- (docs/ARCHITECTURE.md says what would close that); and someone with the database file
-- can drop these triggers.
CREATE TRIGGER record_versions_written_once BEFORE UPDATE ON record_versions
WHEN OLD.body IS NOT NULL
    OR NEW.body IS NULL
    OR NEW.record_id IS NOT OLD.record_id
    OR NEW.version IS NOT OLD.version
    OR NEW.kind IS NOT OLD.kind
    OR NEW.classification IS NOT OLD.classification
    OR NEW.status IS NOT OLD.status
    OR NEW.change IS NOT OLD.change
    OR NEW.changed_at IS NOT OLD.changed_at
    OR NEW.changed_by IS NOT OLD.changed_by
    OR NEW.changed_by_name IS NOT OLD.changed_by_name
    OR NEW.audit_id IS NOT OLD.audit_id
    OR NOT EXISTS (
        SELECT 1 FROM records r
        WHERE r.id = NEW.record_id AND r.version = NEW.version
          AND r.marking IS NEW.marking AND r.summary IS NEW.summary AND r.body IS NEW.body
    )
BEGIN
    SELECT RAISE(ABORT, 'record_versions: a version row is written once');
END;
CREATE TRIGGER record_versions_never_deleted BEFORE DELETE ON record_versions
BEGIN
    SELECT RAISE(ABORT, 'record_versions: a version row is never deleted');
END;
CREATE TRIGGER records_supersede_kept_versions_only AFTER UPDATE OF version ON records
WHEN NEW.version IS NOT OLD.version AND EXISTS (
    SELECT 1 FROM record_versions
    WHERE record_id = NEW.id AND version = OLD.version AND body IS NULL
)
BEGIN
    SELECT RAISE(ABORT, 'record_versions: a version is superseded only once its content is kept');
END;

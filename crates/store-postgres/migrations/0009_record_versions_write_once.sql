-- 0009: a version row is written once (the SQLite migration 0009 explains). The only change
-- allowed is migration 0007's: the row of a record's current version, written without
-- content, receives that record's current marking, summary and body, once. No version row
-- may be deleted, and the table may not be truncated. A record may not move past a version
-- whose row has no content of its own.
CREATE FUNCTION record_versions_written_once() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'UPDATE' THEN
        RAISE EXCEPTION 'record_versions: a version row is never deleted';
    END IF;
    IF OLD.body IS NOT NULL
        OR NEW.body IS NULL
        OR (NEW.record_id, NEW.version, NEW.kind, NEW.classification, NEW.status, NEW.change,
            NEW.changed_at, NEW.changed_by, NEW.changed_by_name, NEW.audit_id)
           IS DISTINCT FROM
           (OLD.record_id, OLD.version, OLD.kind, OLD.classification, OLD.status, OLD.change,
            OLD.changed_at, OLD.changed_by, OLD.changed_by_name, OLD.audit_id)
        OR NOT EXISTS (
            SELECT 1 FROM records r
            WHERE r.id = NEW.record_id AND r.version = NEW.version
              AND r.marking = NEW.marking AND r.summary = NEW.summary AND r.body = NEW.body
        )
    THEN
        RAISE EXCEPTION 'record_versions: a version row is written once';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER record_versions_written_once BEFORE UPDATE OR DELETE ON record_versions
    FOR EACH ROW EXECUTE FUNCTION record_versions_written_once();
CREATE TRIGGER record_versions_never_truncated BEFORE TRUNCATE ON record_versions
    FOR EACH STATEMENT EXECUTE FUNCTION record_versions_written_once();

CREATE FUNCTION records_supersede_kept_versions_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (
        SELECT 1 FROM record_versions
        WHERE record_id = NEW.id AND version = OLD.version AND body IS NULL
    ) THEN
        RAISE EXCEPTION 'record_versions: a version is superseded only once its content is kept';
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER records_supersede_kept_versions_only AFTER UPDATE OF version ON records
    FOR EACH ROW WHEN (NEW.version IS DISTINCT FROM OLD.version)
    EXECUTE FUNCTION records_supersede_kept_versions_only();

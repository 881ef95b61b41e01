-- A published rulebook is never edited or removed: the law changes by publishing a new version.
CREATE FUNCTION rulebooks_reject_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'rulebooks are immutable: publish a new version instead (% refused)', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END;
$$;
--> statement-breakpoint
CREATE TRIGGER rulebooks_immutable BEFORE UPDATE OR DELETE ON rulebooks
  FOR EACH ROW EXECUTE FUNCTION rulebooks_reject_change();
--> statement-breakpoint
CREATE TRIGGER rulebooks_no_truncate BEFORE TRUNCATE ON rulebooks
  FOR EACH STATEMENT EXECUTE FUNCTION rulebooks_reject_change();
--> statement-breakpoint
-- A committed document version is immutable: only its supersession may be recorded, and only
-- pending rows (objects not yet committed) may be removed.
CREATE FUNCTION documents_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    IF OLD.status <> 'pending' THEN
      RAISE EXCEPTION 'document % is committed and cannot be deleted', OLD.id USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN OLD;
  END IF;
  IF OLD.status = 'superseded' THEN
    RAISE EXCEPTION 'document % is superseded and immutable', OLD.id USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF OLD.status = 'active' AND (
      NEW.status <> 'superseded' OR NEW.sha256 IS DISTINCT FROM OLD.sha256 OR NEW.size_bytes IS DISTINCT FROM OLD.size_bytes
      OR NEW.version IS DISTINCT FROM OLD.version OR NEW.object_key IS DISTINCT FROM OLD.object_key
      OR NEW.media_type IS DISTINCT FROM OLD.media_type OR NEW.component IS DISTINCT FROM OLD.component
      OR NEW.project_id IS DISTINCT FROM OLD.project_id) THEN
    RAISE EXCEPTION 'document % is committed: only its supersession may be recorded', OLD.id USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER documents_guard BEFORE UPDATE OR DELETE ON documents
  FOR EACH ROW EXECUTE FUNCTION documents_guard();

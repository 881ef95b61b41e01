-- A committed document's scan verdict is part of its record: freeze it with the other columns
-- (same guard as 0004, with scan_status/scan_engine/scan_signatures/scanned_at added).
CREATE OR REPLACE FUNCTION documents_guard() RETURNS trigger
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
      OR NEW.project_id IS DISTINCT FROM OLD.project_id
      OR NEW.scan_status IS DISTINCT FROM OLD.scan_status OR NEW.scan_engine IS DISTINCT FROM OLD.scan_engine
      OR NEW.scan_signatures IS DISTINCT FROM OLD.scan_signatures OR NEW.scanned_at IS DISTINCT FROM OLD.scanned_at) THEN
    RAISE EXCEPTION 'document % is committed: only its supersession may be recorded', OLD.id USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END;
$$;
--> statement-breakpoint
-- The sweeper's query: pending rows by their last sign of life.
CREATE INDEX documents_pending_activity_idx ON documents (coalesce(last_activity_at, created_at)) WHERE status = 'pending';

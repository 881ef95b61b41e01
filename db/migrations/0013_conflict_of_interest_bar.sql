-- A declared conflict of interest bars every later act of that person on that project, under any
-- role they hold (an appraiser who is also an approver or a clerk may not decide, assign or
-- check completeness instead). The machine refuses first; these triggers refuse whatever code or
-- hand-written SQL tries anyway.

CREATE FUNCTION has_conflict_of_interest(project uuid, person text) RETURNS boolean
LANGUAGE sql STABLE AS $$
  SELECT EXISTS (SELECT 1 FROM conflict_declarations c WHERE c.project_id = project AND c.appraiser_sub = person)
$$;
--> statement-breakpoint
-- Every act on a project appends an audit event in its own transaction: refuse the conflicted
-- person's. Their declaration itself and the record of their refusals stay writable.
CREATE FUNCTION audit_events_conflict_bar() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.project_id IS NOT NULL AND NEW.action NOT IN ('conflict.declared', 'access.denied')
     AND has_conflict_of_interest(NEW.project_id, NEW.actor_sub) THEN
    RAISE EXCEPTION '% declared a conflict of interest on project % and may not act on it (%)', NEW.actor_sub, NEW.project_id, NEW.action
      USING ERRCODE = 'check_violation', CONSTRAINT = 'coi_actor_conflicted';
  END IF;
  RETURN NEW;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER audit_events_conflict_bar BEFORE INSERT ON audit_events
  FOR EACH ROW EXECUTE FUNCTION audit_events_conflict_bar();
--> statement-breakpoint
CREATE FUNCTION decisions_conflict_bar() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF has_conflict_of_interest(NEW.project_id, NEW.decided_by) THEN
    RAISE EXCEPTION '% declared a conflict of interest on project % and cannot decide it', NEW.decided_by, NEW.project_id
      USING ERRCODE = 'check_violation', CONSTRAINT = 'coi_decision_by_conflicted';
  END IF;
  RETURN NEW;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER decisions_conflict_bar BEFORE INSERT ON decisions
  FOR EACH ROW EXECUTE FUNCTION decisions_conflict_bar();
--> statement-breakpoint
CREATE FUNCTION assignments_conflict_bar() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.status = 'active' AND has_conflict_of_interest(NEW.project_id, NEW.appraiser_sub) THEN
    RAISE EXCEPTION '% declared a conflict of interest on project % and cannot be assigned to it', NEW.appraiser_sub, NEW.project_id
      USING ERRCODE = 'check_violation', CONSTRAINT = 'coi_assignment_of_conflicted';
  END IF;
  IF TG_OP = 'INSERT' AND has_conflict_of_interest(NEW.project_id, NEW.assigned_by) THEN
    RAISE EXCEPTION '% declared a conflict of interest on project % and cannot assign its appraisers', NEW.assigned_by, NEW.project_id
      USING ERRCODE = 'check_violation', CONSTRAINT = 'coi_assignment_by_conflicted';
  END IF;
  RETURN NEW;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER assignments_conflict_bar BEFORE INSERT OR UPDATE ON assignments
  FOR EACH ROW EXECUTE FUNCTION assignments_conflict_bar();

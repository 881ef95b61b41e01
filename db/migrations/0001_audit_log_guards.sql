-- The audit log is append-only: no UPDATE, DELETE or TRUNCATE, whoever asks.
CREATE FUNCTION audit_events_reject_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_events is append-only: % is not allowed', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END;
$$;
--> statement-breakpoint
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
  FOR EACH ROW EXECUTE FUNCTION audit_events_reject_change();
--> statement-breakpoint
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
  FOR EACH ROW EXECUTE FUNCTION audit_events_reject_change();
--> statement-breakpoint
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
  FOR EACH STATEMENT EXECUTE FUNCTION audit_events_reject_change();
--> statement-breakpoint
-- Privileges as a second line: nobody but the owner may change rows, and the owner gives up
-- UPDATE, DELETE and TRUNCATE too (it could grant them back, which a superuser would see).
REVOKE UPDATE, DELETE, TRUNCATE ON audit_events FROM PUBLIC;
--> statement-breakpoint
REVOKE UPDATE, DELETE, TRUNCATE ON audit_events FROM CURRENT_USER;
--> statement-breakpoint
-- Where the deployment has a separate application role, it gets INSERT and SELECT only.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'appraisal_app') THEN
    GRANT SELECT, INSERT ON audit_events TO appraisal_app;
    REVOKE UPDATE, DELETE, TRUNCATE ON audit_events FROM appraisal_app;
  END IF;
END;
$$;
--> statement-breakpoint
-- Separation of duties, checked again in the database: nobody from the investor's
-- organisation appraises its project, and nobody who declared a conflict of interest is assigned.
CREATE FUNCTION assignments_check_independence() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.status = 'active' THEN
    IF NEW.appraiser_org IS NOT NULL AND EXISTS (
      SELECT 1 FROM projects p WHERE p.id = NEW.project_id AND p.organisation = NEW.appraiser_org
    ) THEN
      RAISE EXCEPTION 'appraiser % belongs to the investor organisation of project %', NEW.appraiser_sub, NEW.project_id
        USING ERRCODE = 'check_violation', CONSTRAINT = 'assignments_independent_of_investor';
    END IF;
    IF EXISTS (
      SELECT 1 FROM conflict_declarations c WHERE c.project_id = NEW.project_id AND c.appraiser_sub = NEW.appraiser_sub
    ) THEN
      RAISE EXCEPTION 'appraiser % declared a conflict of interest on project %', NEW.appraiser_sub, NEW.project_id
        USING ERRCODE = 'check_violation', CONSTRAINT = 'assignments_no_conflict_of_interest';
    END IF;
  END IF;
  RETURN NEW;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER assignments_independence BEFORE INSERT OR UPDATE ON assignments
  FOR EACH ROW EXECUTE FUNCTION assignments_check_independence();

-- Separation of duties at assignment: whoever already acted on a project in another role (checked
-- its completeness, requested supplementation, assigned, escalated, decided, extended a deadline,
-- issued an apology) may not also appraise it. The assignment command refuses first with 422
-- APPRAISER_ACTED_IN_OTHER_ROLE (src/modules/appraisal/assignment-rules.ts, OTHER_ROLE_ACTIONS:
-- test/unit/assignment-rules.test.ts checks this list equals that one); this trigger refuses
-- whatever code or hand-written SQL tries anyway.
CREATE FUNCTION assignments_other_role_bar() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.status = 'active' AND EXISTS (
    SELECT 1 FROM audit_events e
    WHERE e.project_id = NEW.project_id AND e.actor_sub = NEW.appraiser_sub
      AND e.action IN ('completeness.confirmed', 'supplement.requested', 'appraisers.assigned', 'appraisal.escalated', 'decision.recorded', 'deadline.extended', 'apology.issued')
  ) THEN
    RAISE EXCEPTION '% already acted on project % in another role and cannot be assigned to appraise it', NEW.appraiser_sub, NEW.project_id
      USING ERRCODE = 'check_violation', CONSTRAINT = 'sod_appraiser_acted_in_other_role';
  END IF;
  RETURN NEW;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER assignments_other_role_bar BEFORE INSERT OR UPDATE ON assignments
  FOR EACH ROW EXECUTE FUNCTION assignments_other_role_bar();

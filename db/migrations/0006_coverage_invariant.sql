-- "100% appraisal coverage", enforced by the database whatever code or hand-written SQL runs:
-- a project reaches approved or rejected only on a decision that rests on a concluded appraisal
-- of its current round, whose required opinions are all present and current.

-- Projects are born in draft.
CREATE FUNCTION projects_born_draft() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.state <> 'draft' THEN
    RAISE EXCEPTION 'a project is created in draft, not %', NEW.state
      USING ERRCODE = 'check_violation', CONSTRAINT = 'coverage_projects_born_draft';
  END IF;
  RETURN NEW;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER projects_born_draft BEFORE INSERT ON projects
  FOR EACH ROW EXECUTE FUNCTION projects_born_draft();
--> statement-breakpoint
-- Current opinions of an appraisal.
CREATE FUNCTION appraisal_current_opinions(appraisal uuid) RETURNS bigint
LANGUAGE sql STABLE AS $$
  SELECT count(*) FROM opinions o WHERE o.appraisal_id = appraisal AND NOT o.stale
$$;
--> statement-breakpoint
-- An appraisal concludes only with its required opinions present and current; in opinion mode
-- every appraiser actively assigned in the round must have given one.
CREATE FUNCTION appraisals_check_conclusion() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND OLD.status = 'concluded' AND NEW.status = 'open'
     AND EXISTS (SELECT 1 FROM decisions d WHERE d.appraisal_id = OLD.id) THEN
    RAISE EXCEPTION 'appraisal % has a decision and cannot be reopened', OLD.id
      USING ERRCODE = 'check_violation', CONSTRAINT = 'coverage_decided_appraisal_final';
  END IF;
  IF NEW.status = 'concluded' THEN
    IF appraisal_current_opinions(NEW.id) < NEW.required_opinions THEN
      RAISE EXCEPTION 'appraisal % needs % current opinions, has %', NEW.id, NEW.required_opinions, appraisal_current_opinions(NEW.id)
        USING ERRCODE = 'check_violation', CONSTRAINT = 'coverage_required_opinions';
    END IF;
    IF NEW.mode = 'opinion' AND EXISTS (
      SELECT 1 FROM assignments s
      WHERE s.project_id = NEW.project_id AND s.round = NEW.round AND s.status = 'active'
        AND NOT EXISTS (SELECT 1 FROM opinions o WHERE o.appraisal_id = NEW.id AND o.appraiser_sub = s.appraiser_sub AND NOT o.stale)
    ) THEN
      RAISE EXCEPTION 'appraisal % lacks the opinion of an assigned appraiser', NEW.id
        USING ERRCODE = 'check_violation', CONSTRAINT = 'coverage_every_assigned_opinion';
    END IF;
  END IF;
  RETURN NEW;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER appraisals_check_conclusion BEFORE INSERT OR UPDATE ON appraisals
  FOR EACH ROW EXECUTE FUNCTION appraisals_check_conclusion();
--> statement-breakpoint
-- Opinions: only from an actively assigned appraiser without a conflict of interest, who is not
-- of the investor's organisation, on an open appraisal; immutable, except being marked stale.
CREATE FUNCTION opinions_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    IF NOT EXISTS (
      SELECT 1 FROM appraisals a JOIN assignments s ON s.project_id = a.project_id AND s.round = a.round
      WHERE a.id = NEW.appraisal_id AND a.status = 'open' AND a.project_id = NEW.project_id
        AND s.appraiser_sub = NEW.appraiser_sub AND s.status = 'active'
    ) THEN
      RAISE EXCEPTION 'opinion by % on an appraisal that is not open or not assigned to them', NEW.appraiser_sub
        USING ERRCODE = 'check_violation', CONSTRAINT = 'coverage_opinion_by_assigned_appraiser';
    END IF;
    IF EXISTS (SELECT 1 FROM conflict_declarations c WHERE c.project_id = NEW.project_id AND c.appraiser_sub = NEW.appraiser_sub) THEN
      RAISE EXCEPTION 'appraiser % declared a conflict of interest', NEW.appraiser_sub
        USING ERRCODE = 'check_violation', CONSTRAINT = 'coverage_opinion_no_conflict';
    END IF;
    IF NEW.appraiser_org IS NOT NULL AND EXISTS (SELECT 1 FROM projects p WHERE p.id = NEW.project_id AND p.organisation = NEW.appraiser_org) THEN
      RAISE EXCEPTION 'appraiser % belongs to the investor', NEW.appraiser_sub
        USING ERRCODE = 'check_violation', CONSTRAINT = 'coverage_opinion_independent';
    END IF;
    RETURN NEW;
  END IF;
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION 'opinions are never deleted' USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF NOT (OLD.stale = false AND NEW.stale = true)
     OR (to_jsonb(NEW) - 'stale' - 'stale_since') IS DISTINCT FROM (to_jsonb(OLD) - 'stale' - 'stale_since') THEN
    RAISE EXCEPTION 'opinion % is immutable (only becoming stale is recorded)', OLD.id USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER opinions_guard BEFORE INSERT OR UPDATE OR DELETE ON opinions
  FOR EACH ROW EXECUTE FUNCTION opinions_guard();
--> statement-breakpoint
-- A newer upload of a document an opinion read makes that opinion stale.
CREATE FUNCTION documents_mark_opinions_stale() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.status = 'active' AND NEW.status = 'superseded' THEN
    UPDATE opinions o SET stale = true, stale_since = now()
    WHERE NOT o.stale AND o.id IN (SELECT od.opinion_id FROM opinion_documents od WHERE od.document_id = OLD.id);
  END IF;
  RETURN NEW;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER documents_mark_opinions_stale AFTER UPDATE ON documents
  FOR EACH ROW EXECUTE FUNCTION documents_mark_opinions_stale();
--> statement-breakpoint
-- A decision rests on a concluded appraisal of the project's current round, is made by someone
-- who gave no opinion on the project and is not of the investor, and is final.
CREATE FUNCTION decisions_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  a appraisals%ROWTYPE;
  p projects%ROWTYPE;
BEGIN
  IF TG_OP <> 'INSERT' THEN
    RAISE EXCEPTION 'decisions are final' USING ERRCODE = 'insufficient_privilege';
  END IF;
  SELECT * INTO a FROM appraisals WHERE id = NEW.appraisal_id;
  SELECT * INTO p FROM projects WHERE id = NEW.project_id;
  IF a.id IS NULL OR a.project_id <> NEW.project_id OR a.round <> p.round OR a.status <> 'concluded' THEN
    RAISE EXCEPTION 'a decision needs a concluded appraisal of the current round'
      USING ERRCODE = 'check_violation', CONSTRAINT = 'coverage_decision_on_concluded_appraisal';
  END IF;
  IF appraisal_current_opinions(a.id) < a.required_opinions THEN
    RAISE EXCEPTION 'the appraisal lacks current opinions' USING ERRCODE = 'check_violation', CONSTRAINT = 'coverage_required_opinions';
  END IF;
  IF EXISTS (SELECT 1 FROM opinions o WHERE o.project_id = NEW.project_id AND o.appraiser_sub = NEW.decided_by) THEN
    RAISE EXCEPTION '% gave an opinion on this project and cannot decide it', NEW.decided_by
      USING ERRCODE = 'check_violation', CONSTRAINT = 'sod_appraiser_cannot_decide';
  END IF;
  IF NEW.decided_by_org IS NOT NULL AND NEW.decided_by_org = p.organisation THEN
    RAISE EXCEPTION 'a member of the investor cannot decide its project'
      USING ERRCODE = 'check_violation', CONSTRAINT = 'sod_investor_cannot_decide';
  END IF;
  RETURN NEW;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER decisions_guard BEFORE INSERT OR UPDATE OR DELETE ON decisions
  FOR EACH ROW EXECUTE FUNCTION decisions_guard();
--> statement-breakpoint
CREATE TRIGGER decisions_no_truncate BEFORE TRUNCATE ON decisions
  FOR EACH STATEMENT EXECUTE FUNCTION audit_events_reject_change();
--> statement-breakpoint
-- The state change itself: appraised needs a concluded appraisal; approved or rejected needs a
-- matching decision on it, with every required opinion still present and current.
CREATE FUNCTION projects_check_coverage() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  a appraisals%ROWTYPE;
BEGIN
  IF NEW.state IS NOT DISTINCT FROM OLD.state AND NEW.round = OLD.round THEN
    RETURN NEW;
  END IF;
  IF NEW.state IN ('appraised', 'approved', 'rejected') THEN
    SELECT * INTO a FROM appraisals WHERE project_id = NEW.id AND round = NEW.round;
    IF a.id IS NULL OR a.status <> 'concluded' OR appraisal_current_opinions(a.id) < a.required_opinions THEN
      RAISE EXCEPTION 'project % cannot be % without a concluded appraisal of round % with every required opinion current', NEW.id, NEW.state, NEW.round
        USING ERRCODE = 'check_violation', CONSTRAINT = 'coverage_appraisal_concluded';
    END IF;
    IF NEW.state IN ('approved', 'rejected') AND NOT EXISTS (
      SELECT 1 FROM decisions d WHERE d.appraisal_id = a.id AND d.project_id = NEW.id
        AND ((NEW.state = 'approved' AND d.outcome IN ('approved', 'approved_with_conditions'))
          OR (NEW.state = 'rejected' AND d.outcome = 'rejected'))
    ) THEN
      RAISE EXCEPTION 'project % cannot be % without a matching decision on its appraisal', NEW.id, NEW.state
        USING ERRCODE = 'check_violation', CONSTRAINT = 'coverage_decision_required';
    END IF;
  END IF;
  RETURN NEW;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER projects_check_coverage BEFORE UPDATE ON projects
  FOR EACH ROW EXECUTE FUNCTION projects_check_coverage();

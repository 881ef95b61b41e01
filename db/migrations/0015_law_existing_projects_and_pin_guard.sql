-- Existing projects, migrated explicitly (issue #10):
-- 1. Decision-stage projects registered before "construction" was asked were all reviewed under
--    Chapter II (Art. 13.3 reviews construction projects only): mark them construction projects so
--    their route does not silently change.
-- 2. environmental_group stays NULL for existing projects: their environmental_risk flag is kept as
--    the investor's declaration (shown as basis "declared", unverified) until the group is set.
-- 3. Pinning the rulebook version of projects already accepted complete needs the rulebook rows,
--    so the runtime seed step does it (src/modules/rulebook/rulebook-service.ts, pinExistingProjects).
UPDATE projects SET construction = true WHERE stage = 'investment_decision' AND construction IS NULL;
--> statement-breakpoint
-- Transitional rule in the database: once pinned, a project's rulebook version never changes.
CREATE FUNCTION projects_rulebook_pin_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.rulebook_version IS NOT NULL AND (NEW.rulebook_version IS DISTINCT FROM OLD.rulebook_version OR NEW.rulebook_pinned_at IS DISTINCT FROM OLD.rulebook_pinned_at) THEN
    RAISE EXCEPTION 'project % keeps rulebook version % (pinned at %): it cannot be changed', OLD.id, OLD.rulebook_version, OLD.rulebook_pinned_at
      USING ERRCODE = 'check_violation', CONSTRAINT = 'projects_rulebook_pin_fixed';
  END IF;
  RETURN NEW;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER projects_rulebook_pin_fixed BEFORE UPDATE OF rulebook_version, rulebook_pinned_at ON projects
  FOR EACH ROW EXECUTE FUNCTION projects_rulebook_pin_guard();

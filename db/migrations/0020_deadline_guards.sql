-- Deadlines are history once closed: a closed row never changes, and no row is ever deleted
-- (the on-time report and the as-of view read them). Open rows change only through the
-- deadline service (open, pause, resume, extend, close, mark overdue, draft the apology).
CREATE OR REPLACE FUNCTION deadlines_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION 'deadlines are never deleted' USING ERRCODE = 'check_violation', CONSTRAINT = 'deadlines_append_only';
  END IF;
  IF OLD.closed_at IS NOT NULL THEN
    RAISE EXCEPTION 'a closed deadline never changes' USING ERRCODE = 'check_violation', CONSTRAINT = 'deadlines_closed_immutable';
  END IF;
  -- What the period was computed from stays as opened.
  IF NEW.project_id <> OLD.project_id OR NEW.round <> OLD.round OR NEW.step <> OLD.step OR NEW.started_at <> OLD.started_at
     OR NEW.unit <> OLD.unit OR NEW.period_limit <> OLD.period_limit OR NEW.time_limit_id <> OLD.time_limit_id
     OR NEW.rulebook_version <> OLD.rulebook_version THEN
    RAISE EXCEPTION 'a deadline keeps its step, start, unit, limit and rulebook time limit' USING ERRCODE = 'check_violation', CONSTRAINT = 'deadlines_inputs_fixed';
  END IF;
  -- Pauses are only ever appended.
  IF jsonb_array_length(OLD.pauses) > 0 AND (jsonb_array_length(NEW.pauses) < jsonb_array_length(OLD.pauses)
     OR jsonb_path_query_array(NEW.pauses, ('$[0 to ' || (jsonb_array_length(OLD.pauses) - 1) || ']')::jsonpath) <> OLD.pauses) THEN
    RAISE EXCEPTION 'pause intervals are appended, never rewritten' USING ERRCODE = 'check_violation', CONSTRAINT = 'deadlines_pauses_append_only';
  END IF;
  -- An extension happens once and is never reduced.
  IF OLD.extension_days > 0 AND NEW.extension_days <> OLD.extension_days THEN
    RAISE EXCEPTION 'a deadline is extended at most once' USING ERRCODE = 'check_violation', CONSTRAINT = 'deadlines_extended_once';
  END IF;
  NEW.updated_at := now();
  RETURN NEW;
END $$;
--> statement-breakpoint
CREATE TRIGGER deadlines_guard BEFORE UPDATE OR DELETE ON deadlines FOR EACH ROW EXECUTE FUNCTION deadlines_guard();
--> statement-breakpoint
CREATE OR REPLACE FUNCTION deadlines_no_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'deadlines are never truncated' USING ERRCODE = 'check_violation', CONSTRAINT = 'deadlines_append_only';
END $$;
--> statement-breakpoint
CREATE TRIGGER deadlines_no_truncate BEFORE TRUNCATE ON deadlines FOR EACH STATEMENT EXECUTE FUNCTION deadlines_no_truncate();

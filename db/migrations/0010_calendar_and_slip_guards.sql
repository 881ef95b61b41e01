-- Calendar versions and their entries are never edited or removed: a correction publishes the
-- next version of the year. Entries may only be added in the transaction that published their
-- version (so a published year cannot grow later), and must be dated in that year.
CREATE FUNCTION calendar_reject_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is immutable: publish a new calendar version instead (% refused)', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'insufficient_privilege';
END;
$$;
--> statement-breakpoint
CREATE TRIGGER calendar_versions_immutable BEFORE UPDATE OR DELETE ON calendar_versions
  FOR EACH ROW EXECUTE FUNCTION calendar_reject_change();
--> statement-breakpoint
CREATE TRIGGER calendar_versions_no_truncate BEFORE TRUNCATE ON calendar_versions
  FOR EACH STATEMENT EXECUTE FUNCTION calendar_reject_change();
--> statement-breakpoint
CREATE TRIGGER calendar_entries_immutable BEFORE UPDATE OR DELETE ON calendar_entries
  FOR EACH ROW EXECUTE FUNCTION calendar_reject_change();
--> statement-breakpoint
CREATE TRIGGER calendar_entries_no_truncate BEFORE TRUNCATE ON calendar_entries
  FOR EACH STATEMENT EXECUTE FUNCTION calendar_reject_change();
--> statement-breakpoint
-- A new version follows the year's latest one and names it as superseded.
CREATE FUNCTION calendar_versions_check_sequence() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  latest calendar_versions%ROWTYPE;
BEGIN
  SELECT * INTO latest FROM calendar_versions WHERE year = NEW.year ORDER BY version DESC LIMIT 1;
  IF latest.id IS NULL THEN
    IF NEW.version <> 1 THEN
      RAISE EXCEPTION 'the first calendar version of % must be 1', NEW.year USING ERRCODE = 'check_violation';
    END IF;
  ELSIF NEW.version <> latest.version + 1 OR NEW.supersedes_id IS DISTINCT FROM latest.id THEN
    RAISE EXCEPTION 'calendar % version % must be % and supersede %', NEW.year, NEW.version, latest.version + 1, latest.id
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER calendar_versions_sequence BEFORE INSERT ON calendar_versions
  FOR EACH ROW EXECUTE FUNCTION calendar_versions_check_sequence();
--> statement-breakpoint
CREATE FUNCTION calendar_entries_check_insert() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  v_year integer;
  v_xmin text;
BEGIN
  SELECT year, xmin::text INTO v_year, v_xmin FROM calendar_versions WHERE id = NEW.calendar_version_id;
  IF extract(year FROM NEW.date)::integer <> v_year THEN
    RAISE EXCEPTION 'calendar entry % is not in the version''s year %', NEW.date, v_year USING ERRCODE = 'check_violation';
  END IF;
  -- xmin is the inserting transaction's 32-bit id; pg_current_xact_id() carries an epoch above it.
  IF v_xmin <> (pg_current_xact_id()::text::bigint & 4294967295)::text THEN
    RAISE EXCEPTION 'calendar version % is published: entries cannot be added to it', NEW.calendar_version_id
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER calendar_entries_insert_guard BEFORE INSERT ON calendar_entries
  FOR EACH ROW EXECUTE FUNCTION calendar_entries_check_insert();
--> statement-breakpoint
-- An issued slip (its PDF, hashes, number) never changes and is never removed.
CREATE FUNCTION slips_reject_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'issued slips are immutable: issue a correcting slip instead (% refused)', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END;
$$;
--> statement-breakpoint
CREATE TRIGGER slips_immutable BEFORE UPDATE OR DELETE ON slips
  FOR EACH ROW EXECUTE FUNCTION slips_reject_change();
--> statement-breakpoint
CREATE TRIGGER slips_no_truncate BEFORE TRUNCATE ON slips
  FOR EACH STATEMENT EXECUTE FUNCTION slips_reject_change();
--> statement-breakpoint
-- A correction refers to an earlier slip of the same project.
CREATE FUNCTION slips_check_correction() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.corrects_slip_id IS NOT NULL AND NOT EXISTS (
      SELECT 1 FROM slips s WHERE s.id = NEW.corrects_slip_id AND s.project_id = NEW.project_id) THEN
    RAISE EXCEPTION 'slip % corrects a slip of another project', NEW.id USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER slips_correction_same_project BEFORE INSERT ON slips
  FOR EACH ROW EXECUTE FUNCTION slips_check_correction();

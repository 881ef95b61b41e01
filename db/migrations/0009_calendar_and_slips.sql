CREATE TABLE "calendar_entries" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"calendar_version_id" uuid NOT NULL,
	"date" date NOT NULL,
	"kind" text NOT NULL,
	"name" text NOT NULL,
	"source" text NOT NULL,
	"verified" boolean NOT NULL,
	"note" text,
	CONSTRAINT "calendar_entries_kind_known" CHECK ("calendar_entries"."kind" in ('public_holiday','compensatory_day_off','swapped_working_day','swapped_day_off')),
	CONSTRAINT "calendar_entries_source_given" CHECK (length(btrim("calendar_entries"."source")) > 0),
	CONSTRAINT "calendar_entries_unverified_noted" CHECK ("calendar_entries"."verified" or length(btrim(coalesce("calendar_entries"."note", ''))) > 0),
	CONSTRAINT "calendar_entries_kind_fits_weekday" CHECK (case when "calendar_entries"."kind" = 'swapped_working_day' then extract(isodow from "calendar_entries"."date") in (6, 7)
               when "calendar_entries"."kind" in ('swapped_day_off','compensatory_day_off') then extract(isodow from "calendar_entries"."date") between 1 and 5
               else true end)
);
--> statement-breakpoint
CREATE TABLE "calendar_versions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"year" integer NOT NULL,
	"version" integer NOT NULL,
	"notice" text NOT NULL,
	"supersedes_id" uuid,
	"published_by" text NOT NULL,
	"published_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "calendar_versions_year_range" CHECK ("calendar_versions"."year" between 2000 and 2100),
	CONSTRAINT "calendar_versions_version_positive" CHECK ("calendar_versions"."version" > 0),
	CONSTRAINT "calendar_versions_supersedes_first" CHECK (("calendar_versions"."version" = 1) = ("calendar_versions"."supersedes_id" is null))
);
--> statement-breakpoint
CREATE TABLE "slip_counters" (
	"form" text NOT NULL,
	"year" integer NOT NULL,
	"last_number" integer NOT NULL,
	CONSTRAINT "slip_counters_form_year_pk" PRIMARY KEY("form","year"),
	CONSTRAINT "slip_counters_positive" CHECK ("slip_counters"."last_number" > 0)
);
--> statement-breakpoint
CREATE TABLE "slips" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"project_id" uuid NOT NULL,
	"form" text NOT NULL,
	"year" integer NOT NULL,
	"number" integer NOT NULL,
	"object_key" text NOT NULL,
	"sha256" text NOT NULL,
	"content_sha256" text NOT NULL,
	"verification_code" text NOT NULL,
	"size_bytes" integer NOT NULL,
	"view" jsonb NOT NULL,
	"corrects_slip_id" uuid,
	"issued_by" text NOT NULL,
	"issued_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "slips_object_key_unique" UNIQUE("object_key"),
	CONSTRAINT "slips_sha256_unique" UNIQUE("sha256"),
	CONSTRAINT "slips_verification_code_unique" UNIQUE("verification_code"),
	CONSTRAINT "slips_form_known" CHECK ("slips"."form" in ('receipt','supplementation_request','refusal','apology','process_control','result')),
	CONSTRAINT "slips_number_positive" CHECK ("slips"."number" > 0 and "slips"."size_bytes" > 0),
	CONSTRAINT "slips_hashes_hex" CHECK ("slips"."sha256" ~ '^[0-9a-f]{64}$' and "slips"."content_sha256" ~ '^[0-9a-f]{64}$')
);
--> statement-breakpoint
ALTER TABLE "calendar_entries" ADD CONSTRAINT "calendar_entries_calendar_version_id_calendar_versions_id_fk" FOREIGN KEY ("calendar_version_id") REFERENCES "public"."calendar_versions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "calendar_versions" ADD CONSTRAINT "calendar_versions_supersedes_id_calendar_versions_id_fk" FOREIGN KEY ("supersedes_id") REFERENCES "public"."calendar_versions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "slips" ADD CONSTRAINT "slips_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "slips" ADD CONSTRAINT "slips_corrects_slip_id_slips_id_fk" FOREIGN KEY ("corrects_slip_id") REFERENCES "public"."slips"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "calendar_entries_version_date_unique" ON "calendar_entries" USING btree ("calendar_version_id","date");--> statement-breakpoint
CREATE UNIQUE INDEX "calendar_versions_year_version_unique" ON "calendar_versions" USING btree ("year","version");--> statement-breakpoint
CREATE INDEX "calendar_versions_supersedes_idx" ON "calendar_versions" USING btree ("supersedes_id");--> statement-breakpoint
CREATE UNIQUE INDEX "slips_form_year_number_unique" ON "slips" USING btree ("form","year","number");--> statement-breakpoint
CREATE INDEX "slips_project_idx" ON "slips" USING btree ("project_id","issued_at");--> statement-breakpoint
CREATE INDEX "slips_corrects_idx" ON "slips" USING btree ("corrects_slip_id");
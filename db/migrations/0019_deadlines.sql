CREATE TABLE "deadlines" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"project_id" uuid NOT NULL,
	"round" integer NOT NULL,
	"step" text NOT NULL,
	"rulebook_version" text NOT NULL,
	"time_limit_id" text NOT NULL,
	"citation" text NOT NULL,
	"verified" boolean NOT NULL,
	"unit" text NOT NULL,
	"period_limit" integer NOT NULL,
	"extension_days" integer DEFAULT 0 NOT NULL,
	"extension_notice" text,
	"extended_at" timestamp (3) with time zone,
	"extended_by" text,
	"started_at" timestamp (3) with time zone NOT NULL,
	"pauses" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"paused_since" timestamp (3) with time zone,
	"due_at" timestamp (3) with time zone,
	"calendar_version" text NOT NULL,
	"status" text NOT NULL,
	"closed_at" timestamp (3) with time zone,
	"closed_by" text,
	"due_soon_notified_at" timestamp (3) with time zone,
	"overdue_marked_at" timestamp (3) with time zone,
	"apology_drafted_at" timestamp (3) with time zone,
	"apology_proposed_date" date,
	"rescheduled_to" date,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "deadlines_unit_known" CHECK ("deadlines"."unit" in ('working_days','calendar_days')),
	CONSTRAINT "deadlines_limit_positive" CHECK ("deadlines"."period_limit" > 0 and "deadlines"."extension_days" >= 0),
	CONSTRAINT "deadlines_status_known" CHECK ("deadlines"."status" in ('running','paused','met','overdue')),
	CONSTRAINT "deadlines_status_consistent" CHECK (case "deadlines"."status"
        when 'running' then "deadlines"."closed_at" is null and "deadlines"."paused_since" is null and "deadlines"."due_at" is not null
        when 'paused' then "deadlines"."closed_at" is null and "deadlines"."paused_since" is not null and "deadlines"."due_at" is null
        when 'met' then "deadlines"."closed_at" is not null and "deadlines"."due_at" is not null and "deadlines"."closed_at" <= "deadlines"."due_at"
        when 'overdue' then "deadlines"."due_at" is not null and "deadlines"."paused_since" is null and ("deadlines"."closed_at" is null or "deadlines"."closed_at" > "deadlines"."due_at")
      end),
	CONSTRAINT "deadlines_extension_has_notice" CHECK (("deadlines"."extension_days" = 0) = ("deadlines"."extension_notice" is null)),
	CONSTRAINT "deadlines_closed_after_start" CHECK ("deadlines"."closed_at" is null or "deadlines"."closed_at" >= "deadlines"."started_at")
);
--> statement-breakpoint
ALTER TABLE "deadlines" ADD CONSTRAINT "deadlines_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "deadlines_project_idx" ON "deadlines" USING btree ("project_id","round");--> statement-breakpoint
CREATE UNIQUE INDEX "deadlines_one_open_per_step" ON "deadlines" USING btree ("project_id","step") WHERE "deadlines"."closed_at" is null;--> statement-breakpoint
CREATE INDEX "deadlines_open_due_idx" ON "deadlines" USING btree ("due_at") WHERE "deadlines"."closed_at" is null;
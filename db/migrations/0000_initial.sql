CREATE TABLE "assignments" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"project_id" uuid NOT NULL,
	"round" integer NOT NULL,
	"appraiser_sub" text NOT NULL,
	"appraiser_org" text,
	"assigned_by" text NOT NULL,
	"status" text DEFAULT 'active' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "assignments_status_known" CHECK ("assignments"."status" in ('active','recused','replaced'))
);
--> statement-breakpoint
CREATE TABLE "audit_chain_heads" (
	"chain_id" text PRIMARY KEY NOT NULL,
	"chain_seq" integer NOT NULL,
	"row_hash" text NOT NULL,
	"seq" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "audit_events" (
	"seq" bigserial PRIMARY KEY NOT NULL,
	"chain_id" text NOT NULL,
	"chain_seq" integer NOT NULL,
	"occurred_at" timestamp (3) with time zone NOT NULL,
	"actor_sub" text NOT NULL,
	"actor_roles" text[] NOT NULL,
	"actor_org" text,
	"action" text NOT NULL,
	"project_id" uuid,
	"from_state" text,
	"to_state" text,
	"revision" integer,
	"machine_id" text,
	"machine_version" integer,
	"request_id" text,
	"idempotency_key" text,
	"payload" jsonb NOT NULL,
	"prev_hash" text NOT NULL,
	"row_hash" text NOT NULL,
	CONSTRAINT "audit_events_prev_hash_unique" UNIQUE("prev_hash"),
	CONSTRAINT "audit_events_row_hash_unique" UNIQUE("row_hash"),
	CONSTRAINT "audit_events_chain_seq_positive" CHECK ("audit_events"."chain_seq" > 0),
	CONSTRAINT "audit_events_hashes_hex" CHECK ("audit_events"."prev_hash" ~ '^[0-9a-f]{64}$' and "audit_events"."row_hash" ~ '^[0-9a-f]{64}$'),
	CONSTRAINT "audit_events_project_chain" CHECK ("audit_events"."project_id" is null or "audit_events"."chain_id" = "audit_events"."project_id"::text)
);
--> statement-breakpoint
CREATE TABLE "conflict_declarations" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"project_id" uuid NOT NULL,
	"appraiser_sub" text NOT NULL,
	"statement" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "idempotency_keys" (
	"principal_sub" text NOT NULL,
	"key" text NOT NULL,
	"request_hash" text NOT NULL,
	"response_status" integer NOT NULL,
	"response_body" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	CONSTRAINT "idempotency_keys_principal_sub_key_pk" PRIMARY KEY("principal_sub","key")
);
--> statement-breakpoint
CREATE TABLE "notifications" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"outbox_id" bigint NOT NULL,
	"project_id" uuid,
	"recipient_sub" text,
	"recipient_role" text,
	"recipient_org" text,
	"kind" text NOT NULL,
	"message" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "notifications_outbox_id_unique" UNIQUE("outbox_id"),
	CONSTRAINT "notifications_has_recipient" CHECK ("notifications"."recipient_sub" is not null or "notifications"."recipient_role" is not null)
);
--> statement-breakpoint
CREATE TABLE "outbox" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"topic" text NOT NULL,
	"payload" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"available_at" timestamp with time zone DEFAULT now() NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"processed_at" timestamp with time zone,
	"last_error" text
);
--> statement-breakpoint
CREATE TABLE "principals" (
	"sub" text PRIMARY KEY NOT NULL,
	"organisation" text,
	"roles" text[] NOT NULL,
	"display_name" text,
	"first_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_seen_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "projects" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"code" text NOT NULL,
	"organisation" text NOT NULL,
	"name" text NOT NULL,
	"description" text,
	"sector" text NOT NULL,
	"location" text NOT NULL,
	"capital_vnd" bigint NOT NULL,
	"stage" text NOT NULL,
	"project_group" text NOT NULL,
	"capital_source" text NOT NULL,
	"deciding_level" text NOT NULL,
	"environmental_risk" boolean NOT NULL,
	"technology_as_capital" boolean DEFAULT false NOT NULL,
	"state" text NOT NULL,
	"snapshot" jsonb NOT NULL,
	"machine_id" text NOT NULL,
	"machine_version" integer NOT NULL,
	"round" integer DEFAULT 1 NOT NULL,
	"appraisal_mode" text,
	"created_by" text NOT NULL,
	"revision" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "projects_code_unique" UNIQUE("code"),
	CONSTRAINT "projects_revision_positive" CHECK ("projects"."revision" > 0),
	CONSTRAINT "projects_capital_nonnegative" CHECK ("projects"."capital_vnd" >= 0),
	CONSTRAINT "projects_state_known" CHECK ("projects"."state" in ('draft','screening','completeness_review','awaiting_supplement','under_appraisal','appraised','approved','rejected','withdrawn')),
	CONSTRAINT "projects_state_matches_snapshot" CHECK ("projects"."snapshot"->>'state' = "projects"."state"),
	CONSTRAINT "projects_stage_known" CHECK ("projects"."stage" in ('investment_policy','investment_decision')),
	CONSTRAINT "projects_group_known" CHECK ("projects"."project_group" in ('national_key','A','B','C')),
	CONSTRAINT "projects_mode_known" CHECK ("projects"."appraisal_mode" is null or "projects"."appraisal_mode" in ('opinion','council'))
);
--> statement-breakpoint
CREATE TABLE "technology_declarations" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"project_id" uuid NOT NULL,
	"version" integer NOT NULL,
	"content" jsonb NOT NULL,
	"declared_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "technology_declarations_version_positive" CHECK ("technology_declarations"."version" > 0)
);
--> statement-breakpoint
CREATE TABLE "tracking_code_counters" (
	"prefix" text NOT NULL,
	"year" integer NOT NULL,
	"last_number" integer NOT NULL,
	CONSTRAINT "tracking_code_counters_prefix_year_pk" PRIMARY KEY("prefix","year")
);
--> statement-breakpoint
ALTER TABLE "assignments" ADD CONSTRAINT "assignments_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "audit_events" ADD CONSTRAINT "audit_events_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "conflict_declarations" ADD CONSTRAINT "conflict_declarations_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "notifications" ADD CONSTRAINT "notifications_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "technology_declarations" ADD CONSTRAINT "technology_declarations_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "assignments_project_idx" ON "assignments" USING btree ("project_id","round");--> statement-breakpoint
CREATE INDEX "assignments_appraiser_idx" ON "assignments" USING btree ("appraiser_sub","project_id");--> statement-breakpoint
CREATE UNIQUE INDEX "assignments_active_unique" ON "assignments" USING btree ("project_id","round","appraiser_sub") WHERE "assignments"."status" = 'active';--> statement-breakpoint
CREATE UNIQUE INDEX "audit_events_chain_idx" ON "audit_events" USING btree ("chain_id","chain_seq");--> statement-breakpoint
CREATE INDEX "audit_events_project_idx" ON "audit_events" USING btree ("project_id","seq");--> statement-breakpoint
CREATE INDEX "audit_events_actor_idx" ON "audit_events" USING btree ("actor_sub","seq");--> statement-breakpoint
CREATE INDEX "audit_events_action_idx" ON "audit_events" USING btree ("action","seq");--> statement-breakpoint
CREATE INDEX "audit_events_time_idx" ON "audit_events" USING btree ("occurred_at","seq");--> statement-breakpoint
CREATE UNIQUE INDEX "conflict_declarations_unique" ON "conflict_declarations" USING btree ("project_id","appraiser_sub");--> statement-breakpoint
CREATE INDEX "idempotency_keys_expires_idx" ON "idempotency_keys" USING btree ("expires_at");--> statement-breakpoint
CREATE INDEX "notifications_project_idx" ON "notifications" USING btree ("project_id");--> statement-breakpoint
CREATE INDEX "notifications_recipient_idx" ON "notifications" USING btree ("recipient_sub","id");--> statement-breakpoint
CREATE INDEX "notifications_role_idx" ON "notifications" USING btree ("recipient_role","id");--> statement-breakpoint
CREATE INDEX "outbox_pending_idx" ON "outbox" USING btree ("available_at") WHERE "outbox"."processed_at" is null;--> statement-breakpoint
CREATE INDEX "projects_organisation_idx" ON "projects" USING btree ("organisation");--> statement-breakpoint
CREATE INDEX "projects_state_idx" ON "projects" USING btree ("state");--> statement-breakpoint
CREATE INDEX "projects_created_idx" ON "projects" USING btree ("created_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE UNIQUE INDEX "technology_declarations_version_unique" ON "technology_declarations" USING btree ("project_id","version");
CREATE TABLE "appraisals" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"project_id" uuid NOT NULL,
	"round" integer NOT NULL,
	"mode" text NOT NULL,
	"status" text DEFAULT 'open' NOT NULL,
	"required_opinions" integer,
	"conclusion" text,
	"tally" jsonb,
	"concluded_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "appraisals_mode_known" CHECK ("appraisals"."mode" in ('opinion','council')),
	CONSTRAINT "appraisals_status_known" CHECK ("appraisals"."status" in ('open','concluded')),
	CONSTRAINT "appraisals_concluded_complete" CHECK ("appraisals"."status" = 'open' or ("appraisals"."required_opinions" >= 1 and "appraisals"."conclusion" in ('approve','approve_with_conditions','reject','no_majority') and "appraisals"."concluded_at" is not null))
);
--> statement-breakpoint
CREATE TABLE "decisions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"project_id" uuid NOT NULL,
	"appraisal_id" uuid NOT NULL,
	"outcome" text NOT NULL,
	"reasons" jsonb NOT NULL,
	"conditions" jsonb NOT NULL,
	"decided_by" text NOT NULL,
	"decided_by_org" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "decisions_appraisal_id_unique" UNIQUE("appraisal_id"),
	CONSTRAINT "decisions_outcome_known" CHECK ("decisions"."outcome" in ('approved','approved_with_conditions','rejected'))
);
--> statement-breakpoint
CREATE TABLE "findings" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"screening_id" uuid NOT NULL,
	"project_id" uuid NOT NULL,
	"rule_id" text NOT NULL,
	"severity" text NOT NULL,
	"subject" text NOT NULL,
	"evidence" text NOT NULL,
	"citation" text NOT NULL,
	"ref" jsonb NOT NULL,
	"position" integer NOT NULL,
	CONSTRAINT "findings_severity_known" CHECK ("findings"."severity" in ('prohibited','restricted','outdated','info'))
);
--> statement-breakpoint
CREATE TABLE "opinion_documents" (
	"opinion_id" uuid NOT NULL,
	"document_id" uuid NOT NULL,
	"sha256" text NOT NULL,
	CONSTRAINT "opinion_documents_opinion_id_document_id_pk" PRIMARY KEY("opinion_id","document_id")
);
--> statement-breakpoint
CREATE TABLE "opinions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"appraisal_id" uuid NOT NULL,
	"project_id" uuid NOT NULL,
	"appraiser_sub" text NOT NULL,
	"appraiser_org" text,
	"criteria" jsonb NOT NULL,
	"recommendation" text NOT NULL,
	"conditions" jsonb NOT NULL,
	"conflict_declared" boolean NOT NULL,
	"stale" boolean DEFAULT false NOT NULL,
	"stale_since" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "opinions_recommendation_known" CHECK ("opinions"."recommendation" in ('approve','approve_with_conditions','reject')),
	CONSTRAINT "opinions_no_conflict" CHECK (not "opinions"."conflict_declared")
);
--> statement-breakpoint
CREATE TABLE "screenings" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"project_id" uuid NOT NULL,
	"round" integer NOT NULL,
	"rulebook_version" text NOT NULL,
	"declaration_version" integer NOT NULL,
	"route" jsonb NOT NULL,
	"screened_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "appraisals" ADD CONSTRAINT "appraisals_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "decisions" ADD CONSTRAINT "decisions_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "decisions" ADD CONSTRAINT "decisions_appraisal_id_appraisals_id_fk" FOREIGN KEY ("appraisal_id") REFERENCES "public"."appraisals"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "findings" ADD CONSTRAINT "findings_screening_id_screenings_id_fk" FOREIGN KEY ("screening_id") REFERENCES "public"."screenings"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "findings" ADD CONSTRAINT "findings_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "opinion_documents" ADD CONSTRAINT "opinion_documents_opinion_id_opinions_id_fk" FOREIGN KEY ("opinion_id") REFERENCES "public"."opinions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "opinion_documents" ADD CONSTRAINT "opinion_documents_document_id_documents_id_fk" FOREIGN KEY ("document_id") REFERENCES "public"."documents"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "opinions" ADD CONSTRAINT "opinions_appraisal_id_appraisals_id_fk" FOREIGN KEY ("appraisal_id") REFERENCES "public"."appraisals"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "opinions" ADD CONSTRAINT "opinions_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "screenings" ADD CONSTRAINT "screenings_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "screenings" ADD CONSTRAINT "screenings_rulebook_version_rulebooks_version_fk" FOREIGN KEY ("rulebook_version") REFERENCES "public"."rulebooks"("version") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "appraisals_round_unique" ON "appraisals" USING btree ("project_id","round");--> statement-breakpoint
CREATE INDEX "decisions_project_idx" ON "decisions" USING btree ("project_id");--> statement-breakpoint
CREATE INDEX "findings_screening_idx" ON "findings" USING btree ("screening_id","position");--> statement-breakpoint
CREATE INDEX "findings_project_idx" ON "findings" USING btree ("project_id");--> statement-breakpoint
CREATE INDEX "opinion_documents_document_idx" ON "opinion_documents" USING btree ("document_id");--> statement-breakpoint
CREATE INDEX "opinions_appraisal_idx" ON "opinions" USING btree ("appraisal_id");--> statement-breakpoint
CREATE INDEX "opinions_project_idx" ON "opinions" USING btree ("project_id","appraiser_sub");--> statement-breakpoint
CREATE UNIQUE INDEX "opinions_one_current_per_appraiser" ON "opinions" USING btree ("appraisal_id","appraiser_sub") WHERE not "opinions"."stale";--> statement-breakpoint
CREATE INDEX "screenings_project_idx" ON "screenings" USING btree ("project_id","screened_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "screenings_rulebook_idx" ON "screenings" USING btree ("rulebook_version");
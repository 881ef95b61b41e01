CREATE TABLE "documents" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"project_id" uuid NOT NULL,
	"component" text NOT NULL,
	"version" integer,
	"status" text NOT NULL,
	"object_key" text NOT NULL,
	"sha256" text,
	"size_bytes" bigint,
	"media_type" text,
	"original_name" text NOT NULL,
	"uploaded_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"committed_at" timestamp with time zone,
	"superseded_at" timestamp with time zone,
	CONSTRAINT "documents_object_key_unique" UNIQUE("object_key"),
	CONSTRAINT "documents_status_known" CHECK ("documents"."status" in ('pending','active','superseded')),
	CONSTRAINT "documents_committed_complete" CHECK ("documents"."status" = 'pending' or ("documents"."version" > 0 and "documents"."sha256" ~ '^[0-9a-f]{64}$' and "documents"."size_bytes" >= 0 and "documents"."media_type" is not null and "documents"."committed_at" is not null))
);
--> statement-breakpoint
CREATE TABLE "rulebooks" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"version" text NOT NULL,
	"effective_from" date NOT NULL,
	"title" text NOT NULL,
	"content" jsonb NOT NULL,
	"published_by" text NOT NULL,
	"published_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "rulebooks_version_unique" UNIQUE("version")
);
--> statement-breakpoint
ALTER TABLE "documents" ADD CONSTRAINT "documents_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "documents_project_idx" ON "documents" USING btree ("project_id","component");--> statement-breakpoint
CREATE UNIQUE INDEX "documents_one_active_per_component" ON "documents" USING btree ("project_id","component") WHERE "documents"."status" = 'active';--> statement-breakpoint
CREATE UNIQUE INDEX "documents_version_unique" ON "documents" USING btree ("project_id","component","version");--> statement-breakpoint
CREATE INDEX "documents_pending_idx" ON "documents" USING btree ("created_at") WHERE "documents"."status" = 'pending';--> statement-breakpoint
CREATE INDEX "rulebooks_effective_idx" ON "rulebooks" USING btree ("effective_from" DESC NULLS LAST,"published_at" DESC NULLS LAST);
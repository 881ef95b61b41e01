ALTER TABLE "findings" ADD COLUMN "verified" boolean;--> statement-breakpoint
ALTER TABLE "findings" ADD COLUMN "note" text;--> statement-breakpoint
ALTER TABLE "opinions" ADD COLUMN "reason" text;--> statement-breakpoint
ALTER TABLE "opinions" ADD COLUMN "documents_not_reviewed" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "projects" ADD COLUMN "environmental_group" text;--> statement-breakpoint
ALTER TABLE "projects" ADD COLUMN "high_tech_zone" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "projects" ADD COLUMN "construction" boolean;--> statement-breakpoint
ALTER TABLE "projects" ADD COLUMN "rulebook_version" text;--> statement-breakpoint
ALTER TABLE "projects" ADD COLUMN "rulebook_pinned_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "projects" ADD CONSTRAINT "projects_rulebook_version_rulebooks_version_fk" FOREIGN KEY ("rulebook_version") REFERENCES "public"."rulebooks"("version") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "projects_rulebook_idx" ON "projects" USING btree ("rulebook_version");--> statement-breakpoint
ALTER TABLE "projects" ADD CONSTRAINT "projects_environmental_group_known" CHECK ("projects"."environmental_group" is null or "projects"."environmental_group" in ('I','II','III','IV'));--> statement-breakpoint
ALTER TABLE "projects" ADD CONSTRAINT "projects_rulebook_pin_complete" CHECK (("projects"."rulebook_version" is null) = ("projects"."rulebook_pinned_at" is null));
ALTER TABLE "projects" ADD COLUMN "chain_seq" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "projects" ADD COLUMN "chain_head" text;--> statement-breakpoint
ALTER TABLE "projects" ADD CONSTRAINT "projects_chain_head_present" CHECK (("projects"."chain_seq" = 0) = ("projects"."chain_head" is null));
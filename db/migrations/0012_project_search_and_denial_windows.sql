CREATE TABLE "access_denial_windows" (
	"principal_sub" text NOT NULL,
	"project_id" uuid NOT NULL,
	"window_start" timestamp with time zone NOT NULL,
	"count" integer NOT NULL,
	"actions" jsonb NOT NULL,
	"codes" jsonb NOT NULL,
	"first_at" timestamp (3) with time zone NOT NULL,
	"last_at" timestamp (3) with time zone NOT NULL,
	"last_request_id" text,
	"audit_seq" bigint,
	CONSTRAINT "access_denial_windows_principal_sub_project_id_window_start_pk" PRIMARY KEY("principal_sub","project_id","window_start"),
	CONSTRAINT "access_denial_windows_count_positive" CHECK ("access_denial_windows"."count" > 0)
);
--> statement-breakpoint
ALTER TABLE "projects" ADD COLUMN "search_text" text GENERATED ALWAYS AS (search_normalise(name || ' ' || code)) STORED;--> statement-breakpoint
ALTER TABLE "access_denial_windows" ADD CONSTRAINT "access_denial_windows_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "access_denial_windows_project_idx" ON "access_denial_windows" USING btree ("project_id","window_start");--> statement-breakpoint
CREATE INDEX "projects_search_trgm_idx" ON "projects" USING gin ("search_text" gin_trgm_ops);
ALTER TABLE "documents" ADD COLUMN "scan_status" text DEFAULT 'not_scanned' NOT NULL;--> statement-breakpoint
ALTER TABLE "documents" ADD COLUMN "scan_engine" text;--> statement-breakpoint
ALTER TABLE "documents" ADD COLUMN "scan_signatures" text;--> statement-breakpoint
ALTER TABLE "documents" ADD COLUMN "scanned_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "documents" ADD COLUMN "last_activity_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "documents" ADD CONSTRAINT "documents_scan_status_known" CHECK ("documents"."scan_status" in ('clean','not_scanned'));--> statement-breakpoint
ALTER TABLE "documents" ADD CONSTRAINT "documents_scan_clean_complete" CHECK ("documents"."scan_status" <> 'clean' or ("documents"."scan_engine" is not null and "documents"."scanned_at" is not null));
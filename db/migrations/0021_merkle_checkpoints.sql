CREATE TABLE "audit_merkle_leaves" (
	"leaf_index" integer PRIMARY KEY NOT NULL,
	"chain_id" text NOT NULL,
	"chain_seq" integer NOT NULL,
	"row_hash" text NOT NULL,
	CONSTRAINT "audit_merkle_leaves_chain_unique" UNIQUE("chain_id"),
	CONSTRAINT "audit_merkle_leaves_index_nonnegative" CHECK ("audit_merkle_leaves"."leaf_index" >= 0)
);
--> statement-breakpoint
ALTER TABLE "audit_checkpoints" DROP CONSTRAINT "audit_checkpoints_heads_listed";--> statement-breakpoint
ALTER TABLE "audit_checkpoints" ADD COLUMN "version" smallint DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE "audit_checkpoints" ADD COLUMN "previous_id" bigint;--> statement-breakpoint
CREATE INDEX "audit_events_action_time_idx" ON "audit_events" USING btree ("action","occurred_at","seq");--> statement-breakpoint
ALTER TABLE "audit_checkpoints" ADD CONSTRAINT "audit_checkpoints_version_known" CHECK ("audit_checkpoints"."version" in (1, 2));--> statement-breakpoint
ALTER TABLE "audit_checkpoints" ADD CONSTRAINT "audit_checkpoints_previous_before" CHECK ("audit_checkpoints"."previous_id" is null or "audit_checkpoints"."previous_id" < "audit_checkpoints"."id");--> statement-breakpoint
ALTER TABLE "audit_checkpoints" ADD CONSTRAINT "audit_checkpoints_heads_listed" CHECK (jsonb_typeof("audit_checkpoints"."heads") = 'array' and (case when "audit_checkpoints"."version" = 1 then jsonb_array_length("audit_checkpoints"."heads") = "audit_checkpoints"."chain_count" else jsonb_array_length("audit_checkpoints"."heads") <= "audit_checkpoints"."chain_count" end));
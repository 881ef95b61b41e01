CREATE TABLE "audit_checkpoints" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL,
	"reason" text NOT NULL,
	"seq_high_water" bigint NOT NULL,
	"chain_count" integer NOT NULL,
	"heads_digest" text NOT NULL,
	"counts" jsonb NOT NULL,
	"heads" jsonb NOT NULL,
	"key_id" text NOT NULL,
	"signature" text NOT NULL,
	CONSTRAINT "audit_checkpoints_digest_hex" CHECK ("audit_checkpoints"."heads_digest" ~ '^[0-9a-f]{64}$'),
	CONSTRAINT "audit_checkpoints_counts_nonnegative" CHECK ("audit_checkpoints"."seq_high_water" >= 0 and "audit_checkpoints"."chain_count" >= 0),
	CONSTRAINT "audit_checkpoints_heads_listed" CHECK (jsonb_typeof("audit_checkpoints"."heads") = 'array' and jsonb_array_length("audit_checkpoints"."heads") = "audit_checkpoints"."chain_count")
);

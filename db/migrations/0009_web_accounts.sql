CREATE TABLE "accounts" (
	"sub" text PRIMARY KEY NOT NULL,
	"password_hash" text NOT NULL,
	"roles" text[] NOT NULL,
	"organisation" text,
	"display_name" text,
	"must_change_password" boolean DEFAULT true NOT NULL,
	"disabled" boolean DEFAULT false NOT NULL,
	"failed_attempts" integer DEFAULT 0 NOT NULL,
	"locked_until" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "accounts_sub_shape" CHECK ("accounts"."sub" ~ '^[A-Za-z0-9._@-]{1,100}$'),
	CONSTRAINT "accounts_has_role" CHECK (cardinality("accounts"."roles") >= 1),
	CONSTRAINT "accounts_roles_known" CHECK ("accounts"."roles" <@ array['investor','clerk','appraiser','approver','auditor','admin']::text[]),
	CONSTRAINT "accounts_password_hash_shape" CHECK ("accounts"."password_hash" like 'scrypt$%'),
	CONSTRAINT "accounts_investor_has_org" CHECK (not ('investor' = any("accounts"."roles")) or "accounts"."organisation" is not null)
);

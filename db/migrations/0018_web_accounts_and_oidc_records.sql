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
--> statement-breakpoint
CREATE TABLE "oidc_records" (
	"model" text NOT NULL,
	"id" text NOT NULL,
	"payload" jsonb NOT NULL,
	"grant_id" text,
	"uid" text,
	"user_code" text,
	"expires_at" timestamp with time zone,
	"consumed_at" timestamp with time zone,
	CONSTRAINT "oidc_records_model_id_pk" PRIMARY KEY("model","id")
);
--> statement-breakpoint
CREATE INDEX "oidc_records_grant_id_idx" ON "oidc_records" USING btree ("grant_id");--> statement-breakpoint
CREATE INDEX "oidc_records_uid_idx" ON "oidc_records" USING btree ("uid");--> statement-breakpoint
CREATE INDEX "oidc_records_user_code_idx" ON "oidc_records" USING btree ("user_code");--> statement-breakpoint
CREATE INDEX "oidc_records_expires_at_idx" ON "oidc_records" USING btree ("expires_at");
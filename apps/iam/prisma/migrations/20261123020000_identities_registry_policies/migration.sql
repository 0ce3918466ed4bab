-- Identities, API keys (hashes only), signing keys (public halves only), the resource registry,
-- policies and audit records (issue 5).

ALTER TABLE "accounts" ADD COLUMN "is_default" BOOLEAN NOT NULL DEFAULT false;
CREATE UNIQUE INDEX "accounts_one_default" ON "accounts" ("is_default") WHERE "is_default";

CREATE TABLE "resource_groups" (
    "id" TEXT NOT NULL,
    "account_id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "is_default" BOOLEAN NOT NULL DEFAULT false,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "resource_groups_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "resource_groups_account_id_name_key" ON "resource_groups"("account_id", "name");

CREATE TABLE "identities" (
    "iam_id" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "account_id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "service_name" TEXT,
    "is_operator" BOOLEAN NOT NULL DEFAULT false,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "identities_pkey" PRIMARY KEY ("iam_id")
);
CREATE UNIQUE INDEX "identities_service_name_key" ON "identities"("service_name");
CREATE UNIQUE INDEX "identities_account_id_kind_name_key" ON "identities"("account_id", "kind", "name");

CREATE TABLE "api_keys" (
    "id" TEXT NOT NULL,
    "iam_id" TEXT NOT NULL,
    "account_id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "key_hash" TEXT NOT NULL,
    "state" TEXT NOT NULL DEFAULT 'active',
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "api_keys_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "api_keys_key_hash_key" ON "api_keys"("key_hash");
CREATE INDEX "api_keys_iam_id_idx" ON "api_keys"("iam_id");

CREATE TABLE "refresh_tokens" (
    "token_hash" TEXT NOT NULL,
    "iam_id" TEXT NOT NULL,
    "api_key_id" TEXT NOT NULL,
    "expires_at" TIMESTAMP(3) NOT NULL,
    "used_at" TIMESTAMP(3),
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "refresh_tokens_pkey" PRIMARY KEY ("token_hash")
);
CREATE INDEX "refresh_tokens_expires_at_idx" ON "refresh_tokens"("expires_at");

CREATE TABLE "signing_keys" (
    "kid" TEXT NOT NULL,
    "public_jwk" JSONB NOT NULL,
    "replica_id" TEXT NOT NULL,
    "sign_until" TIMESTAMP(3) NOT NULL,
    "retire_at" TIMESTAMP(3) NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "signing_keys_pkey" PRIMARY KEY ("kid")
);
CREATE INDEX "signing_keys_retire_at_idx" ON "signing_keys"("retire_at");

CREATE TABLE "service_instances" (
    "guid" TEXT NOT NULL,
    "crn" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "service" TEXT NOT NULL,
    "plan" TEXT NOT NULL,
    "target" TEXT NOT NULL,
    "resource_group_id" TEXT NOT NULL,
    "account_id" TEXT NOT NULL,
    "parameters" JSONB NOT NULL,
    "state" TEXT NOT NULL DEFAULT 'active',
    "created_by_id" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "service_instances_pkey" PRIMARY KEY ("guid")
);
CREATE UNIQUE INDEX "service_instances_crn_key" ON "service_instances"("crn");
CREATE INDEX "service_instances_account_id_service_idx" ON "service_instances"("account_id", "service");

CREATE TABLE "policies" (
    "id" TEXT NOT NULL,
    "account_id" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "description" TEXT,
    "subject_attrs" JSONB NOT NULL,
    "resource_attrs" JSONB NOT NULL,
    "roles" TEXT[],
    "parent_id" TEXT,
    "delegate" BOOLEAN NOT NULL DEFAULT false,
    "version" INTEGER NOT NULL DEFAULT 1,
    "state" TEXT NOT NULL DEFAULT 'active',
    "created_by_id" TEXT NOT NULL,
    "last_modified_by_id" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_modified_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "policies_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "policies_account_id_type_state_idx" ON "policies"("account_id", "type", "state");
CREATE INDEX "policies_parent_id_idx" ON "policies"("parent_id");

CREATE TABLE "audit_records" (
    "id" BIGSERIAL NOT NULL,
    "at" TIMESTAMP(3) NOT NULL,
    "kind" TEXT NOT NULL,
    "account_id" TEXT,
    "actor_id" TEXT,
    "outcome" TEXT NOT NULL,
    "detail" JSONB NOT NULL,
    CONSTRAINT "audit_records_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "audit_records_at_idx" ON "audit_records"("at");

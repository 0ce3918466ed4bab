-- AlterTable
ALTER TABLE "instances" ADD COLUMN "crn" TEXT NOT NULL DEFAULT '',
ADD COLUMN "account_id" TEXT NOT NULL DEFAULT '',
ADD COLUMN "resource_group_id" TEXT;

-- CreateTable
CREATE TABLE "environments" (
    "instance_guid" TEXT NOT NULL,
    "environment_id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "environments_pkey" PRIMARY KEY ("instance_guid","environment_id")
);

-- CreateTable
CREATE TABLE "collections" (
    "instance_guid" TEXT NOT NULL,
    "collection_id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "collections_pkey" PRIMARY KEY ("instance_guid","collection_id")
);

-- CreateTable
CREATE TABLE "flags" (
    "instance_guid" TEXT NOT NULL,
    "environment_id" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "flag_id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "enabled_value" JSONB NOT NULL,
    "disabled_value" JSONB,
    "rollout_percentage" INTEGER NOT NULL DEFAULT 100,
    "segment_rules" JSONB NOT NULL,
    "collections" TEXT[],
    "updated_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "flags_pkey" PRIMARY KEY ("instance_guid","environment_id","kind","flag_id")
);

-- CreateTable
CREATE TABLE "segments" (
    "instance_guid" TEXT NOT NULL,
    "segment_id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "rules" JSONB,
    "rules_ciphertext" TEXT,
    "updated_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "segments_pkey" PRIMARY KEY ("instance_guid","segment_id")
);

-- CreateTable
CREATE TABLE "kms_integrations" (
    "instance_guid" TEXT NOT NULL,
    "service" TEXT NOT NULL,
    "kms_instance_id" TEXT NOT NULL,
    "key_id" TEXT NOT NULL,
    "key_crn" TEXT NOT NULL,
    "source_crn" TEXT NOT NULL,
    "wrapped_dek" TEXT NOT NULL,
    "key_version_id" TEXT NOT NULL,
    "key_state" TEXT NOT NULL DEFAULT 'active',
    "restorable_until" TIMESTAMP(3),
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "kms_integrations_pkey" PRIMARY KEY ("instance_guid")
);

-- CreateTable
CREATE TABLE "pending_unregistrations" (
    "source_crn" TEXT NOT NULL,
    "instance_guid" TEXT NOT NULL,
    "kms_instance_id" TEXT NOT NULL,
    "key_id" TEXT NOT NULL,
    "key_crn" TEXT NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "last_error" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "pending_unregistrations_pkey" PRIMARY KEY ("source_crn")
);

-- CreateIndex
CREATE INDEX "kms_integrations_source_crn_idx" ON "kms_integrations"("source_crn");

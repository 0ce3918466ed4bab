-- AlterTable
ALTER TABLE "instances" ADD COLUMN "crn" TEXT NOT NULL DEFAULT '',
ADD COLUMN "region" TEXT NOT NULL DEFAULT '';

-- CreateTable
CREATE TABLE "keys" (
    "id" TEXT NOT NULL,
    "instance_guid" TEXT NOT NULL,
    "hsm_domain_id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT,
    "tags" TEXT[],
    "key_ring_id" TEXT NOT NULL DEFAULT 'default',
    "extractable" BOOLEAN NOT NULL,
    "imported" BOOLEAN NOT NULL,
    "bits" INTEGER NOT NULL,
    "state" INTEGER NOT NULL,
    "nonactive_state_reason" INTEGER,
    "expiration_date" TIMESTAMP(3),
    "created_by" TEXT NOT NULL,
    "creation_date" TIMESTAMP(3) NOT NULL,
    "last_update_date" TIMESTAMP(3) NOT NULL,
    "last_rotate_date" TIMESTAMP(3),
    "last_state_change" TIMESTAMP(3) NOT NULL,
    "deletion_date" TIMESTAMP(3),
    "deleted_by" TEXT,
    "current_version" INTEGER NOT NULL,

    CONSTRAINT "keys_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "key_versions" (
    "id" TEXT NOT NULL,
    "key_id" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "creation_date" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "key_versions_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "audit_records" (
    "id" BIGSERIAL NOT NULL,
    "at" TIMESTAMP(3) NOT NULL,
    "instance_guid" TEXT,
    "key_id" TEXT,
    "action" TEXT NOT NULL,
    "outcome" TEXT NOT NULL,
    "status" INTEGER NOT NULL,
    "error_code" TEXT,
    "iam_id" TEXT,
    "source_crn" TEXT,
    "correlation_id" TEXT,

    CONSTRAINT "audit_records_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "keys_instance_guid_state_idx" ON "keys"("instance_guid", "state");

-- CreateIndex
CREATE UNIQUE INDEX "key_versions_key_id_version_key" ON "key_versions"("key_id", "version");

-- CreateIndex
CREATE INDEX "audit_records_instance_guid_at_idx" ON "audit_records"("instance_guid", "at");

-- AddForeignKey
ALTER TABLE "key_versions" ADD CONSTRAINT "key_versions_key_id_fkey" FOREIGN KEY ("key_id") REFERENCES "keys"("id") ON DELETE CASCADE ON UPDATE CASCADE;

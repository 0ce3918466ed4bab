-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateTable
CREATE TABLE "instances" (
    "guid" TEXT NOT NULL,
    "service" TEXT NOT NULL,
    "account_id" TEXT NOT NULL,
    "hsm_domain_id" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "instances_pkey" PRIMARY KEY ("guid")
);

-- CreateIndex
CREATE INDEX "instances_account_id_idx" ON "instances"("account_id");


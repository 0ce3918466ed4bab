-- Workspaces get their fields (sensitive values and state as ciphertext only) and the per-location KMS settings.
ALTER TABLE "workspaces"
    ADD COLUMN "crn" TEXT NOT NULL DEFAULT '',
    ADD COLUMN "name" TEXT NOT NULL DEFAULT '',
    ADD COLUMN "resource_group_id" TEXT NOT NULL DEFAULT '',
    ADD COLUMN "template_source" TEXT NOT NULL DEFAULT '',
    ADD COLUMN "variables" JSONB NOT NULL DEFAULT '[]',
    ADD COLUMN "state_sealed" TEXT,
    ADD COLUMN "data_keys" JSONB NOT NULL DEFAULT '[]',
    ADD COLUMN "key_source" TEXT NOT NULL DEFAULT 'default',
    ADD COLUMN "updated_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP;

CREATE INDEX "workspaces_account_id_location_key_source_idx" ON "workspaces"("account_id", "location", "key_source");

CREATE TABLE "kms_settings" (
    "account_id" TEXT NOT NULL,
    "location" TEXT NOT NULL,
    "scheme" TEXT NOT NULL,
    "resource_group_id" TEXT NOT NULL,
    "primary" JSONB NOT NULL,
    "secondary" JSONB,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "kms_settings_pkey" PRIMARY KEY ("account_id","location")
);

CREATE TABLE "key_states" (
    "key_id" TEXT NOT NULL,
    "key_crn" TEXT NOT NULL,
    "event_type" TEXT NOT NULL,
    "key_state" INTEGER NOT NULL,
    "event_time" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "key_states_pkey" PRIMARY KEY ("key_id")
);

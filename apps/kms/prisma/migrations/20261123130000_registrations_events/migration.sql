-- Registrations, the key lifecycle event log, its outbox and the expected acknowledgements (issue 7).

-- CreateTable
CREATE TABLE "registrations" (
    "key_id" TEXT NOT NULL,
    "resource_crn" TEXT NOT NULL,
    "instance_guid" TEXT NOT NULL,
    "prevent_key_deletion" BOOLEAN NOT NULL,
    "description" TEXT,
    "registration_metadata" TEXT,
    "key_version_id" TEXT NOT NULL,
    "created_by" TEXT NOT NULL,
    "creation_date" TIMESTAMP(3) NOT NULL,
    "updated_by" TEXT NOT NULL,
    "last_updated" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "registrations_pkey" PRIMARY KEY ("key_id","resource_crn")
);

-- CreateTable
CREATE TABLE "key_events" (
    "id" TEXT NOT NULL,
    "instance_guid" TEXT NOT NULL,
    "key_id" TEXT NOT NULL,
    "event_type" TEXT NOT NULL,
    "payload" JSONB NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "key_events_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "key_event_outbox" (
    "id" TEXT NOT NULL,
    "seq" BIGSERIAL NOT NULL,
    "event_id" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL,
    "published_at" TIMESTAMP(3),

    CONSTRAINT "key_event_outbox_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "key_event_acks" (
    "event_id" TEXT NOT NULL,
    "resource_crn" TEXT NOT NULL,
    "key_id" TEXT NOT NULL,
    "instance_guid" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL,
    "acked_at" TIMESTAMP(3),
    "acked_by" TEXT,
    "key_version_id" TEXT,

    CONSTRAINT "key_event_acks_pkey" PRIMARY KEY ("event_id","resource_crn")
);

-- CreateIndex
CREATE INDEX "registrations_instance_guid_resource_crn_idx" ON "registrations"("instance_guid", "resource_crn");

-- CreateIndex
CREATE INDEX "key_events_key_id_created_at_idx" ON "key_events"("key_id", "created_at");

-- CreateIndex
CREATE UNIQUE INDEX "key_event_outbox_seq_key" ON "key_event_outbox"("seq");

-- CreateIndex
CREATE INDEX "key_event_outbox_published_at_seq_idx" ON "key_event_outbox"("published_at", "seq");

-- CreateIndex
CREATE INDEX "key_event_acks_key_id_acked_at_idx" ON "key_event_acks"("key_id", "acked_at");

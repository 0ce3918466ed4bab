-- Key policies, dual-authorization deletion and instance policies (issue 7).

-- CreateTable
CREATE TABLE "key_policies" (
    "id" TEXT NOT NULL,
    "key_id" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "enabled" BOOLEAN NOT NULL,
    "interval_month" INTEGER,
    "created_by" TEXT NOT NULL,
    "creation_date" TIMESTAMP(3) NOT NULL,
    "updated_by" TEXT NOT NULL,
    "last_update_date" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "key_policies_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "key_deletion_authorizations" (
    "key_id" TEXT NOT NULL,
    "authorized_by" TEXT NOT NULL,
    "authorized_at" TIMESTAMP(3) NOT NULL,
    "expires_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "key_deletion_authorizations_pkey" PRIMARY KEY ("key_id")
);

-- CreateTable
CREATE TABLE "instance_policies" (
    "instance_guid" TEXT NOT NULL,
    "policy_type" TEXT NOT NULL,
    "enabled" BOOLEAN NOT NULL,
    "attributes" JSONB NOT NULL DEFAULT '{}',
    "created_by" TEXT NOT NULL,
    "creation_date" TIMESTAMP(3) NOT NULL,
    "updated_by" TEXT NOT NULL,
    "last_updated" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "instance_policies_pkey" PRIMARY KEY ("instance_guid","policy_type")
);

-- CreateIndex
CREATE UNIQUE INDEX "key_policies_key_id_kind_key" ON "key_policies"("key_id", "kind");

-- AddForeignKey
ALTER TABLE "key_policies" ADD CONSTRAINT "key_policies_key_id_fkey" FOREIGN KEY ("key_id") REFERENCES "keys"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "key_deletion_authorizations" ADD CONSTRAINT "key_deletion_authorizations_key_id_fkey" FOREIGN KEY ("key_id") REFERENCES "keys"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "instance_policies" ADD CONSTRAINT "instance_policies_instance_guid_fkey" FOREIGN KEY ("instance_guid") REFERENCES "instances"("guid") ON DELETE CASCADE ON UPDATE CASCADE;

-- CreateTable
CREATE TABLE "key_rings" (
    "instance_guid" TEXT NOT NULL,
    "id" TEXT NOT NULL,
    "creation_date" TIMESTAMP(3) NOT NULL,
    "created_by" TEXT NOT NULL,

    CONSTRAINT "key_rings_pkey" PRIMARY KEY ("instance_guid","id")
);

-- CreateTable
CREATE TABLE "key_aliases" (
    "instance_guid" TEXT NOT NULL,
    "alias" TEXT NOT NULL,
    "key_id" TEXT NOT NULL,
    "creation_date" TIMESTAMP(3) NOT NULL,
    "created_by" TEXT NOT NULL,

    CONSTRAINT "key_aliases_pkey" PRIMARY KEY ("instance_guid","alias")
);

-- CreateIndex
CREATE INDEX "keys_instance_guid_key_ring_id_idx" ON "keys"("instance_guid", "key_ring_id");

-- CreateIndex
CREATE INDEX "key_aliases_key_id_idx" ON "key_aliases"("key_id");

-- AddForeignKey
ALTER TABLE "key_aliases" ADD CONSTRAINT "key_aliases_key_id_fkey" FOREIGN KEY ("key_id") REFERENCES "keys"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AlterTable
ALTER TABLE "clusters" ADD COLUMN "crn" TEXT NOT NULL DEFAULT '',
ADD COLUMN "name" TEXT NOT NULL DEFAULT '',
ADD COLUMN "region" TEXT NOT NULL DEFAULT '',
ADD COLUMN "plan" TEXT NOT NULL DEFAULT '',
ADD COLUMN "resource_group_id" TEXT NOT NULL DEFAULT '',
ADD COLUMN "key_crn" TEXT NOT NULL DEFAULT '',
ADD COLUMN "wrapped_dek" TEXT NOT NULL DEFAULT '',
ADD COLUMN "key_version_id" TEXT NOT NULL DEFAULT '',
ADD COLUMN "backup_key_crn" TEXT NOT NULL DEFAULT '',
ADD COLUMN "users" TEXT[] DEFAULT ARRAY[]::TEXT[],
ADD COLUMN "databases" TEXT[] DEFAULT ARRAY[]::TEXT[];

-- CreateTable
CREATE TABLE "cluster_nodes" (
    "id" TEXT NOT NULL,
    "cluster_id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "key_status" TEXT NOT NULL,
    "key_status_at" TIMESTAMP(3),

    CONSTRAINT "cluster_nodes_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "data_rows" (
    "cluster_id" TEXT NOT NULL,
    "table_name" TEXT NOT NULL,
    "row_id" TEXT NOT NULL,
    "ciphertext" TEXT NOT NULL,
    "updated_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "data_rows_pkey" PRIMARY KEY ("cluster_id","table_name","row_id")
);

-- CreateTable
CREATE TABLE "backups" (
    "id" TEXT NOT NULL,
    "cluster_id" TEXT NOT NULL,
    "backup_key_crn" TEXT NOT NULL,
    "wrapped_dek" TEXT NOT NULL,
    "key_version_id" TEXT NOT NULL,
    "ciphertext" TEXT NOT NULL,
    "row_count" INTEGER NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "backups_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "cluster_nodes_cluster_id_idx" ON "cluster_nodes"("cluster_id");

-- CreateIndex
CREATE INDEX "backups_cluster_id_idx" ON "backups"("cluster_id");

-- AddForeignKey
ALTER TABLE "cluster_nodes" ADD CONSTRAINT "cluster_nodes_cluster_id_fkey" FOREIGN KEY ("cluster_id") REFERENCES "clusters"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "data_rows" ADD CONSTRAINT "data_rows_cluster_id_fkey" FOREIGN KEY ("cluster_id") REFERENCES "clusters"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "backups" ADD CONSTRAINT "backups_cluster_id_fkey" FOREIGN KEY ("cluster_id") REFERENCES "clusters"("id") ON DELETE CASCADE ON UPDATE CASCADE;

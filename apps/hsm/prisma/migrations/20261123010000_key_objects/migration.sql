-- Domains gain ceremony metadata (check values only, never key material).
ALTER TABLE "domains" ADD COLUMN "generation" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN "master_check" TEXT,
ADD COLUMN "part_checks" TEXT[] DEFAULT ARRAY[]::TEXT[],
ADD COLUMN "pending_threshold" INTEGER,
ADD COLUMN "pending_master_check" TEXT,
ADD COLUMN "pending_part_checks" TEXT[] DEFAULT ARRAY[]::TEXT[],
ADD COLUMN "ceremony_public_key" TEXT,
ADD COLUMN "ceremony_private_key_blob" BYTEA;

-- CreateTable
CREATE TABLE "key_objects" (
    "id" UUID NOT NULL,
    "domain_id" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "bits" INTEGER NOT NULL,
    "state" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "key_objects_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "key_versions" (
    "key_id" UUID NOT NULL,
    "version" INTEGER NOT NULL,
    "generation" INTEGER NOT NULL,
    "blob" BYTEA,
    "imported" BOOLEAN NOT NULL DEFAULT false,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "key_versions_pkey" PRIMARY KEY ("key_id","version")
);

-- CreateTable
CREATE TABLE "import_key_pairs" (
    "id" UUID NOT NULL,
    "domain_id" TEXT NOT NULL,
    "public_key" TEXT NOT NULL,
    "generation" INTEGER NOT NULL,
    "private_blob" BYTEA NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "import_key_pairs_pkey" PRIMARY KEY ("id")
);

CREATE INDEX "key_objects_domain_id_idx" ON "key_objects"("domain_id");
CREATE INDEX "key_versions_generation_idx" ON "key_versions"("generation");
CREATE INDEX "import_key_pairs_domain_id_idx" ON "import_key_pairs"("domain_id");

ALTER TABLE "key_objects" ADD CONSTRAINT "key_objects_domain_id_fkey" FOREIGN KEY ("domain_id") REFERENCES "domains"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "key_versions" ADD CONSTRAINT "key_versions_key_id_fkey" FOREIGN KEY ("key_id") REFERENCES "key_objects"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

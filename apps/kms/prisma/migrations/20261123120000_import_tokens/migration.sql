-- CreateTable
CREATE TABLE "import_tokens" (
    "instance_guid" TEXT NOT NULL,
    "hsm_domain_id" TEXT NOT NULL,
    "key_pair_id" TEXT NOT NULL,
    "public_key" TEXT NOT NULL,
    "nonce" TEXT NOT NULL,
    "creation_date" TIMESTAMP(3) NOT NULL,
    "expiration_date" TIMESTAMP(3) NOT NULL,
    "max_allowed_retrievals" INTEGER NOT NULL,
    "remaining_retrievals" INTEGER NOT NULL,
    "imports_used" INTEGER NOT NULL DEFAULT 0,
    "created_by" TEXT NOT NULL,

    CONSTRAINT "import_tokens_pkey" PRIMARY KEY ("instance_guid")
);

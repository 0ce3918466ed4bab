-- CreateTable
CREATE TABLE "hsm_replicas" (
    "id" TEXT NOT NULL,
    "active_domains" TEXT[],
    "seen_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "hsm_replicas_pkey" PRIMARY KEY ("id")
);

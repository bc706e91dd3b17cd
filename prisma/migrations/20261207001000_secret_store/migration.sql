-- One store for secrets the gateway must read back (webhook signing secrets, later providers'
-- inbound webhook secrets), encrypted by the gateway with AES-256-GCM under a key from
-- SECRETS_ENCRYPTION_KEYS (libs/persistence secret-store.ts). An owner may hold several versions
-- at once: during a rotation the previous one stays valid until `expires_at`.
-- CreateTable
CREATE TABLE "secrets" (
    "owner" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "sealed" TEXT NOT NULL,
    "key_id" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMP(3),

    CONSTRAINT "secrets_pkey" PRIMARY KEY ("owner","version")
);

-- CreateIndex
CREATE INDEX "secrets_key_id_idx" ON "secrets"("key_id");

-- Webhook secrets written in the clear before this are moved into `secrets` by the gateway at
-- start (it holds the key; SQL does not), which then empties this column.
-- AlterTable
ALTER TABLE "webhook_endpoints" ALTER COLUMN "secret" DROP NOT NULL;

-- CreateEnum
CREATE TYPE "CustomerType" AS ENUM ('individual', 'business');

-- CreateEnum
CREATE TYPE "LinkStatus" AS ENUM ('synced', 'pending', 'failed');

-- CreateEnum
CREATE TYPE "IdempotencyState" AS ENUM ('in_progress', 'completed');

-- CreateTable
CREATE TABLE "customers" (
    "id" TEXT NOT NULL,
    "seq" BIGSERIAL NOT NULL,
    "external_reference" TEXT,
    "email" TEXT,
    "given_name" TEXT,
    "family_name" TEXT,
    "company_name" TEXT,
    "phone" TEXT,
    "address" JSONB,
    "locale" TEXT,
    "type" "CustomerType",
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "metadata" JSONB NOT NULL DEFAULT '{}',
    "tax_identifiers" JSONB NOT NULL DEFAULT '[]',
    "tax_certificates" JSONB NOT NULL DEFAULT '[]',
    "source_ids" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "default_source_id" TEXT,
    "forgotten_at" TIMESTAMP(3),
    "version" INTEGER NOT NULL DEFAULT 1,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "customers_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "provider_links" (
    "id" TEXT NOT NULL,
    "customer_id" TEXT NOT NULL,
    "provider" TEXT NOT NULL,
    "account" TEXT NOT NULL,
    "reference" TEXT NOT NULL,
    "provider_customer_id" TEXT,
    "status" "LinkStatus" NOT NULL DEFAULT 'pending',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "next_attempt_at" TIMESTAMP(3),
    "last_synced_at" TIMESTAMP(3),
    "last_error" JSONB,
    "unsupported_fields" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "provider_links_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "idempotency_records" (
    "id" TEXT NOT NULL,
    "api_key_id" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "request_hash" TEXT NOT NULL,
    "state" "IdempotencyState" NOT NULL DEFAULT 'in_progress',
    "response_status" INTEGER,
    "response_body" JSONB,
    "customer_id" TEXT,
    "locked_until" TIMESTAMP(3) NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "idempotency_records_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "customers_seq_key" ON "customers"("seq");

-- CreateIndex
CREATE UNIQUE INDEX "customers_external_reference_key" ON "customers"("external_reference");

-- CreateIndex
CREATE INDEX "customers_email_idx" ON "customers"("email");

-- CreateIndex
CREATE INDEX "provider_links_provider_account_provider_customer_id_idx" ON "provider_links"("provider", "account", "provider_customer_id");

-- CreateIndex
CREATE UNIQUE INDEX "provider_links_customer_id_provider_account_key" ON "provider_links"("customer_id", "provider", "account");

-- CreateIndex
CREATE UNIQUE INDEX "provider_links_provider_account_reference_key" ON "provider_links"("provider", "account", "reference");

-- CreateIndex
CREATE INDEX "idempotency_records_expires_at_idx" ON "idempotency_records"("expires_at");

-- CreateIndex
CREATE INDEX "idempotency_records_customer_id_idx" ON "idempotency_records"("customer_id");

-- CreateIndex
CREATE UNIQUE INDEX "idempotency_records_api_key_id_key_key" ON "idempotency_records"("api_key_id", "key");

-- AddForeignKey
ALTER TABLE "provider_links" ADD CONSTRAINT "provider_links_customer_id_fkey" FOREIGN KEY ("customer_id") REFERENCES "customers"("id") ON DELETE CASCADE ON UPDATE CASCADE;

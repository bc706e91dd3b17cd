-- CreateEnum
CREATE TYPE "LinkIntent" AS ENUM ('sync', 'delete', 'forget');

-- AlterTable
ALTER TABLE "customers" ADD COLUMN     "deleted_at" TIMESTAMP(3);

-- AlterTable
ALTER TABLE "provider_links" ADD COLUMN     "erasure" JSONB,
ADD COLUMN     "intent" "LinkIntent" NOT NULL DEFAULT 'sync',
ADD COLUMN     "locked_by" TEXT,
ADD COLUMN     "locked_until" TIMESTAMP(3),
ADD COLUMN     "synced_version" INTEGER;

-- CreateTable
CREATE TABLE "provider_calls" (
    "id" TEXT NOT NULL,
    "customer_id" TEXT,
    "provider" TEXT NOT NULL,
    "account" TEXT NOT NULL,
    "operation" TEXT NOT NULL,
    "method" TEXT NOT NULL,
    "path" TEXT NOT NULL,
    "http_status" INTEGER,
    "outcome" TEXT NOT NULL,
    "duration_ms" INTEGER NOT NULL,
    "provider_request_id" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "provider_calls_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "customer_events" (
    "id" TEXT NOT NULL,
    "customer_id" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "detail" JSONB NOT NULL DEFAULT '{}',
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "customer_events_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "provider_calls_customer_id_created_at_idx" ON "provider_calls"("customer_id", "created_at");

-- CreateIndex
CREATE INDEX "customer_events_customer_id_created_at_idx" ON "customer_events"("customer_id", "created_at");

-- CreateIndex
CREATE INDEX "provider_links_status_next_attempt_at_idx" ON "provider_links"("status", "next_attempt_at");

-- AddForeignKey
ALTER TABLE "customer_events" ADD CONSTRAINT "customer_events_customer_id_fkey" FOREIGN KEY ("customer_id") REFERENCES "customers"("id") ON DELETE CASCADE ON UPDATE CASCADE;

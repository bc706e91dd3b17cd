-- CreateEnum
CREATE TYPE "MigrationStatus" AS ENUM ('running', 'cancelled', 'completed');

-- CreateEnum
CREATE TYPE "MigrationOutcome" AS ENUM ('migrated', 'already_present', 'skipped', 'failed');

-- AlterTable
ALTER TABLE "provider_links" ADD COLUMN     "primary" BOOLEAN NOT NULL DEFAULT false;

-- CreateTable
CREATE TABLE "migration_runs" (
    "id" TEXT NOT NULL,
    "status" "MigrationStatus" NOT NULL DEFAULT 'running',
    "source_provider" TEXT NOT NULL,
    "source_account" TEXT NOT NULL,
    "source_kind" TEXT NOT NULL,
    "target_provider" TEXT NOT NULL,
    "target_account" TEXT NOT NULL,
    "options" JSONB NOT NULL,
    "cursor" TEXT,
    "enumerated" BOOLEAN NOT NULL DEFAULT false,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,
    "finished_at" TIMESTAMP(3),

    CONSTRAINT "migration_runs_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "migration_items" (
    "run_id" TEXT NOT NULL,
    "seq" INTEGER NOT NULL,
    "source_reference" TEXT NOT NULL,
    "outcome" "MigrationOutcome",
    "reason" JSONB,
    "lossy_fields" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "customer_id" TEXT,
    "target_reference" TEXT,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "worker" TEXT,
    "finished_at" TIMESTAMP(3),

    CONSTRAINT "migration_items_pkey" PRIMARY KEY ("run_id","source_reference")
);

-- CreateTable
CREATE TABLE "rate_budgets" (
    "key" TEXT NOT NULL,
    "next_slot_ms" DOUBLE PRECISION NOT NULL,

    CONSTRAINT "rate_budgets_pkey" PRIMARY KEY ("key")
);

-- CreateIndex
CREATE INDEX "migration_items_run_id_outcome_seq_idx" ON "migration_items"("run_id", "outcome", "seq");

-- CreateIndex
CREATE UNIQUE INDEX "migration_items_run_id_seq_key" ON "migration_items"("run_id", "seq");

-- AddForeignKey
ALTER TABLE "migration_items" ADD CONSTRAINT "migration_items_run_id_fkey" FOREIGN KEY ("run_id") REFERENCES "migration_runs"("id") ON DELETE CASCADE ON UPDATE CASCADE;

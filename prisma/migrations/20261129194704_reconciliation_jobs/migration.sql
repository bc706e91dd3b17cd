-- CreateEnum
CREATE TYPE "RunKind" AS ENUM ('migration', 'reconciliation');

-- AlterEnum
-- This migration adds more than one value to an enum.
-- With PostgreSQL versions 11 and earlier, this is not possible
-- in a single migration. This can be worked around by creating
-- multiple migrations, each migration adding only one value to
-- the enum.


ALTER TYPE "MigrationOutcome" ADD VALUE 'in_sync';
ALTER TYPE "MigrationOutcome" ADD VALUE 'drifted';
ALTER TYPE "MigrationOutcome" ADD VALUE 'repaired';

-- AlterTable
ALTER TABLE "migration_items" ADD COLUMN     "drift" JSONB;

-- AlterTable
ALTER TABLE "migration_runs" ADD COLUMN     "exclusive_key" TEXT,
ADD COLUMN     "kind" "RunKind" NOT NULL DEFAULT 'migration',
ALTER COLUMN "source_provider" DROP NOT NULL,
ALTER COLUMN "source_account" DROP NOT NULL,
ALTER COLUMN "source_kind" DROP NOT NULL,
ALTER COLUMN "target_provider" DROP NOT NULL,
ALTER COLUMN "target_account" DROP NOT NULL;

-- CreateIndex
CREATE INDEX "migration_items_run_id_finished_at_idx" ON "migration_items"("run_id", "finished_at");

-- CreateIndex
CREATE INDEX "migration_runs_kind_created_at_idx" ON "migration_runs"("kind", "created_at");

-- CreateIndex
CREATE INDEX "migration_runs_exclusive_key_status_idx" ON "migration_runs"("exclusive_key", "status");

-- CreateEnum
CREATE TYPE "IdempotencyRecoveryPoint" AS ENUM ('started', 'committed');

-- AlterTable
ALTER TABLE "idempotency_records" ADD COLUMN     "recovery_detail" JSONB,
ADD COLUMN     "recovery_point" "IdempotencyRecoveryPoint" NOT NULL DEFAULT 'started',
ADD COLUMN     "resource_id" TEXT;

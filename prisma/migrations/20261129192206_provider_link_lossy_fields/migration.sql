-- AlterTable
ALTER TABLE "provider_links" ADD COLUMN     "lossy_fields" TEXT[] DEFAULT ARRAY[]::TEXT[];

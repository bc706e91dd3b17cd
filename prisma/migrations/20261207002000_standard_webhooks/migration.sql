-- How deliveries to an endpoint are signed. Endpoints from before keep the scheme their receivers
-- verify (`legacy`: `Webhook-Signature: t=<unix>,v1=<hex>`) until their secret is next rotated;
-- endpoints created from now on sign per Standard Webhooks
-- (https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md).
-- CreateEnum
CREATE TYPE "WebhookSignatureScheme" AS ENUM ('legacy', 'standard');

-- AlterTable
ALTER TABLE "webhook_endpoints" ADD COLUMN "signature_scheme" "WebhookSignatureScheme" NOT NULL DEFAULT 'legacy';
ALTER TABLE "webhook_endpoints" ALTER COLUMN "signature_scheme" SET DEFAULT 'standard';

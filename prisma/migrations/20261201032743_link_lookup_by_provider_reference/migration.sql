-- A customer is looked up by a provider's reference or id naming the provider, not the account
-- (GET /v1/customers/by-reference, the migration job's check of every source customer). Led by
-- (provider, account), the old index was walked over every link of the provider: 55 ms per lookup
-- at 47,000 links, and a 100,000-customer migration slowed from 120 to 33 customers/s.
-- DropIndex
DROP INDEX "provider_links_provider_account_provider_customer_id_idx";

-- CreateIndex
CREATE INDEX "provider_links_provider_reference_idx" ON "provider_links"("provider", "reference");

-- CreateIndex
CREATE INDEX "provider_links_provider_provider_customer_id_idx" ON "provider_links"("provider", "provider_customer_id");

-- The list filtered by provider and sync status together walks the links one customer at a time,
-- each step "the next matching customer_seq past this one" (prisma-customer.repository.ts,
-- linkedPage). With an index on each column alone, a planner without statistics (a table never
-- analyzed, or autovacuum off) combined the two in a BitmapAnd that read every link of the
-- provider at each step; one index holding both equalities and the order makes each step a single
-- ordered probe, whatever the statistics say.
-- https://www.postgresql.org/docs/15/indexes-multicolumn.html
CREATE INDEX "provider_links_provider_status_customer_seq_idx" ON "provider_links"("provider", "status", "customer_seq");

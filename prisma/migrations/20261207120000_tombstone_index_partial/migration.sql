-- The customer list's first page (`WHERE deleted_at IS NULL ORDER BY seq DESC LIMIT n`) must walk
-- `customers_seq_key` backwards and stop after n rows. With the tombstone purge's index on every
-- row's `deleted_at`, a planner whose statistics lag behind the inserts (a table never analyzed, or
-- autovacuum off) took `deleted_at IS NULL` for rare, read every live customer through this index
-- and sorted them: the page's cost grew with the table (1.4 ms at 1,000 customers, 7.3 ms at
-- 20,000). Only tombstones are in the index now: the purge (`deleted_at < $cutoff`) still finds
-- them through it, and no plan of a live-customer read can use it.
-- https://www.postgresql.org/docs/15/indexes-partial.html
DROP INDEX IF EXISTS "customers_deleted_at_idx";
CREATE INDEX "customers_deleted_at_idx" ON "customers"("deleted_at") WHERE "deleted_at" IS NOT NULL;

-- Retention (issue 34): every purge finds its expired rows through an index, so a batch reads only
-- the rows it deletes. Built in the migration's transaction (the runner's), which blocks writes to
-- each table while it is built: on a large provider_calls, build it beforehand with
-- CREATE INDEX CONCURRENTLY under the same name and this statement does nothing.
CREATE INDEX IF NOT EXISTS "provider_calls_created_at_idx" ON "provider_calls"("created_at");
CREATE INDEX IF NOT EXISTS "webhook_deliveries_finished_at_idx" ON "webhook_deliveries"("finished_at");
CREATE INDEX IF NOT EXISTS "customers_deleted_at_idx" ON "customers"("deleted_at");
CREATE INDEX IF NOT EXISTS "migration_runs_status_finished_at_idx" ON "migration_runs"("status", "finished_at");
-- Purging an event checks it has no pending delivery, and its finished deliveries go with it by the
-- foreign key's cascade: both look deliveries up by event, which without this index is a scan of
-- the whole delivery log per event.
CREATE INDEX IF NOT EXISTS "webhook_deliveries_event_id_idx" ON "webhook_deliveries"("event_id");

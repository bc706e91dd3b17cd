-- Wakes the sync workers when work arrives instead of making them poll: every link that becomes
-- deliverable (pending and not leased) sends a notification on commit. PostgreSQL folds identical
-- notifications of one transaction into one, so a write touching many links wakes each listener
-- once. The payload is the schema, so instances sharing a database in other schemas ignore it.
-- https://www.postgresql.org/docs/15/sql-notify.html
CREATE FUNCTION "notify_sync_outbox"() RETURNS trigger AS $$
BEGIN
  PERFORM pg_notify('sync_outbox', TG_TABLE_SCHEMA);
  RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER "provider_links_notify_sync_outbox"
  AFTER INSERT OR UPDATE ON "provider_links"
  FOR EACH ROW
  WHEN (NEW."status" = 'pending' AND NEW."locked_by" IS NULL)
  EXECUTE FUNCTION "notify_sync_outbox"();

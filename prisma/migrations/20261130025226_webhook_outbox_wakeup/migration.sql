-- Wakes the webhook dispatchers when a delivery becomes due instead of making them poll: a
-- delivery inserted (an event for a subscribed endpoint, a redelivery) or handed back by a
-- stopping worker, and an endpoint enabled again with deliveries waiting. A failed attempt
-- rescheduled for later notifies nobody: the worker that settled it sleeps until the earliest
-- `next_attempt_at` on its own. Identical notifications of one transaction are folded into one on
-- commit, and the payload is the schema, as for the sync outbox (`outbox_wakeup`).
-- https://www.postgresql.org/docs/15/sql-notify.html
CREATE FUNCTION "notify_webhook_outbox"() RETURNS trigger AS $$
BEGIN
  PERFORM pg_notify('webhook_outbox', TG_TABLE_SCHEMA);
  RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER "webhook_deliveries_notify_webhook_outbox"
  AFTER INSERT OR UPDATE ON "webhook_deliveries"
  FOR EACH ROW
  WHEN (NEW."status" = 'pending' AND NEW."locked_by" IS NULL
        AND (NEW."next_attempt_at" IS NULL OR NEW."next_attempt_at" <= (now() AT TIME ZONE 'UTC')))
  EXECUTE FUNCTION "notify_webhook_outbox"();

CREATE TRIGGER "webhook_endpoints_notify_webhook_outbox"
  AFTER UPDATE ON "webhook_endpoints"
  FOR EACH ROW
  WHEN (NEW."enabled" AND NOT OLD."enabled")
  EXECUTE FUNCTION "notify_webhook_outbox"();

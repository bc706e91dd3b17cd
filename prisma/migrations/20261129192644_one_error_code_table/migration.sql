-- One code per failure everywhere: provider authentication failures were recorded on links and
-- migration items as `provider_auth`, while HTTP answers said `provider_auth_failed`.
UPDATE "provider_links"
SET "last_error" = jsonb_set("last_error", '{code}', '"provider_auth_failed"')
WHERE "last_error"->>'code' = 'provider_auth';

UPDATE "migration_items"
SET "reason" = jsonb_set("reason", '{code}', '"provider_auth_failed"')
WHERE "reason"->>'code' = 'provider_auth';

-- Link errors now carry whether a later delivery may succeed, decided when the failure was
-- classified. Before, readers re-derived it from these codes: rate limits, outages and our own
-- unexpected errors may pass; every other failure is the provider's or our configuration's "no".
UPDATE "provider_links"
SET "last_error" = "last_error" || jsonb_build_object(
  'retryable',
  "last_error"->>'code' IN ('provider_rate_limited', 'provider_unavailable', 'internal_error')
)
WHERE "last_error" IS NOT NULL AND NOT ("last_error" ? 'retryable');

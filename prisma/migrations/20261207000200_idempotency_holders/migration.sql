-- A key's holder is known alive by the session lock it keeps (KeyHolders), not by a lock time:
-- a retry takes over the key of a dead request at once instead of after IDEMPOTENCY_LOCK_SECONDS.
ALTER TABLE "idempotency_records" DROP COLUMN "locked_until";

-- Changes a provider announces itself (Digital River webhooks and its Events API). Each event id
-- is recorded once per account: a webhook and the catch-up reader may both bring the same event,
-- and a provider retries deliveries. A row is also the event's place in the inbox until a worker
-- has acted on it (`processed_at`), so an event received just before a crash is still handled.
-- Only ids, the type and the customer reference are kept: never the event's payload.
-- CreateTable
CREATE TABLE "provider_events" (
    "provider" TEXT NOT NULL,
    "account" TEXT NOT NULL,
    "event_id" TEXT NOT NULL,
    "event_type" TEXT NOT NULL,
    "reference" TEXT,
    "occurred_at" TIMESTAMP(3),
    "source" TEXT NOT NULL,
    "received_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "processed_at" TIMESTAMP(3),
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "next_attempt_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_error" TEXT,

    CONSTRAINT "provider_events_pkey" PRIMARY KEY ("provider","account","event_id")
);

-- Where the catch-up reader of each account's Events API stands: the newest event it has read,
-- or, before the first one, the time it started reading from.
-- CreateTable
CREATE TABLE "provider_event_cursors" (
    "provider" TEXT NOT NULL,
    "account" TEXT NOT NULL,
    "last_event_id" TEXT,
    "since" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "provider_event_cursors_pkey" PRIMARY KEY ("provider","account")
);

-- CreateIndex
CREATE INDEX "provider_events_processed_at_next_attempt_at_idx" ON "provider_events"("processed_at", "next_attempt_at");

-- CreateIndex
CREATE INDEX "provider_events_received_at_idx" ON "provider_events"("received_at");

-- Who caused each provider call (issue 31): the API key's id or the job's name, and the request's id.
ALTER TABLE "provider_calls" ADD COLUMN "actor" TEXT;
ALTER TABLE "provider_calls" ADD COLUMN "request_id" TEXT;

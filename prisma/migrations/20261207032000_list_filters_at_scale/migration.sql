-- The customer list's filters, flat from ten thousand customers to a million (bench/scale.ts).
--
-- `GET /v1/customers?email=` matches case-insensitively (`lower(email) = lower($1)`), which the
-- index on `email` cannot answer: every customer was read. Prisma's schema has no expression
-- indexes, so this one lives only here (schema-drift.spec.ts: Prisma's diff leaves it alone).
-- https://www.postgresql.org/docs/15/indexes-expressional.html
DROP INDEX "customers_email_idx";
CREATE INDEX "customers_lower_email_idx" ON "customers"(lower("email"));

-- `?provider=` and `?syncStatus=` list the customers with such a link, newest customer first. Walking
-- the customers in `seq` order and probing their links reads 100 customers per page row when 1% of
-- links have failed; walking the links instead needs them in their customer's `seq` order. A link
-- never changes customer and a customer's `seq` never changes, so the copy cannot go stale. The
-- create sets it in its own statement (customer-sql.ts); any other insert gets it here.
ALTER TABLE "provider_links" ADD COLUMN "customer_seq" BIGINT;

UPDATE "provider_links" l SET "customer_seq" = c."seq" FROM "customers" c WHERE c."id" = l."customer_id";

CREATE FUNCTION "provider_link_customer_seq"() RETURNS trigger AS $$
BEGIN
  IF NEW."customer_seq" IS NULL THEN
    SELECT "seq" INTO NEW."customer_seq" FROM "customers" WHERE "id" = NEW."customer_id";
  END IF;
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER "provider_links_customer_seq"
  BEFORE INSERT ON "provider_links"
  FOR EACH ROW
  EXECUTE FUNCTION "provider_link_customer_seq"();

-- CreateIndex
CREATE INDEX "provider_links_provider_customer_seq_idx" ON "provider_links"("provider", "customer_seq");

-- CreateIndex
CREATE INDEX "provider_links_status_customer_seq_idx" ON "provider_links"("status", "customer_seq");

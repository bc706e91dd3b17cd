-- Events carry no personal data: customer.created and customer.updated no longer hold a snapshot
-- of the customer, and customer.link.failed no longer holds the error messages (a provider's may
-- quote the customer's data). Events written before this release lose them here; webhook
-- deliveries still pending read the event when they are sent, so they go out without them too.
UPDATE "events"
   SET "data" = "data" - 'customer'
 WHERE "type" IN ('customer.created', 'customer.updated') AND "data" ? 'customer';
UPDATE "events"
   SET "data" = "data" #- '{error,message}' #- '{error,providerMessage}'
 WHERE "type" = 'customer.link.failed'
   AND ("data" -> 'error' ? 'message' OR "data" -> 'error' ? 'providerMessage');

import { createGatewayClient, GatewayError } from '@customer-sync/client';

export async function tour(baseUrl: string, apiKey: string) {
  // Every call gives up after 10 s, retries and waits included (a call may pass its own timeoutMs or signal).
  const client = createGatewayClient({ baseUrl, apiKey, timeoutMs: 10_000 });
  // Created in every DEFAULT_PROVIDERS account, so it carries what each of them requires.
  const john = await client.customers.create({
    email: 'jsmith@example.com',
    givenName: 'John',
    familyName: 'Smith',
    address: { line1: '10380 Bren Rd W', city: 'Minnetonka', postalCode: '55129', country: 'US' },
  });
  // Your own key makes the write safe to repeat, even from another process after a crash.
  await client.customers.update(john.id, { phone: '952-222-2222' }, { idempotencyKey: `phone-${john.id}` });
  // A read keeps its ETag: this write applies only if nobody changed John since (else 412).
  const read = await client.customers.get(john.id);
  await client.customers.update(john.id, { locale: 'en-US' }, { ifMatch: read.etag });
  const failed: string[] = [];
  for await (const customer of client.customers.list({ syncStatus: 'failed' })) failed.push(customer.id);
  const drift = await client.customers.drift(john.id);
  const history: string[] = [];
  for await (const event of client.events.list({ customerId: john.id })) history.push(event.type);
  const missing = await client.customers.get('cus_000000000000000000000000').catch((error: unknown) => {
    if (error instanceof GatewayError) return `${error.code} (${error.requestId})`;
    throw error;
  });
  return { john, failed, drift, history, missing };
}

import { createGatewayClient, GatewayError } from '@customer-sync/client';

export async function tour(baseUrl: string, apiKey: string) {
  const client = createGatewayClient({ baseUrl, apiKey });
  // Created in every DEFAULT_PROVIDERS account, so it carries what each of them requires.
  const john = await client.customers.create({
    email: 'jsmith@example.com',
    givenName: 'John',
    familyName: 'Smith',
    address: { line1: '10380 Bren Rd W', city: 'Minnetonka', postalCode: '55129', country: 'US' },
  });
  // Your own key makes the write safe to repeat, even from another process after a crash.
  await client.customers.update(john.id, { phone: '952-222-2222' }, { idempotencyKey: `phone-${john.id}` });
  const failed: string[] = [];
  for await (const customer of client.customers.list({ syncStatus: 'failed' })) failed.push(customer.id);
  // Every route, typed: client.api is an openapi-fetch client.
  const { data: drift } = await client.api.GET('/v1/customers/{id}/drift', {
    params: { path: { id: john.id } },
  });
  const missing = await client.customers.get('cus_000000000000000000000000').catch((error: unknown) => {
    if (error instanceof GatewayError) return `${error.code} (${error.requestId})`;
    throw error;
  });
  return { john, failed, drift, missing };
}

import { createGatewayClient } from '@customer-sync/client';

export async function quickstart(baseUrl: string, apiKey: string): Promise<string[]> {
  const client = createGatewayClient({ baseUrl, apiKey });
  const john = await client.customers.create({ email: 'jsmith@example.com', providers: [] });
  await client.customers.update(john.id, { phone: '952-222-2222' });
  const ids: string[] = [];
  for await (const c of client.customers.list({ email: 'jsmith@example.com' })) ids.push(c.id);
  return ids;
}

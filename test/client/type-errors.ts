// What the client's types refuse: every line under a `@ts-expect-error` must fail to compile (the
// root `npm run typecheck` checks that, and test/client/types.spec.ts checks each one fails on its
// own). Never run; only compiled.
import { type Customer, createGatewayClient, type DryRun } from '@customer-sync/client';

export async function refused(): Promise<void> {
  const client = createGatewayClient({ baseUrl: 'http://127.0.0.1:3000', apiKey: 'key' });
  const id = 'cus_4f7d0e1c9b2a3d4e5f6a7b8c';

  // Accepted: what the refusals below get wrong.
  const customer: Customer = await client.customers.create({ email: 'a@example.com', providers: [] });
  const read = await client.customers.get(id);
  const etag: string | undefined = read.etag;
  await client.customers.update(id, { phone: '952-222-2222' }, { ifMatch: etag });
  const plan: DryRun = await client.customers.create({ email: 'a@example.com' }, { dryRun: true });
  const decided = process.env.DRY_RUN === 'true';
  const either: Customer | DryRun = await client.customers.create(
    { email: 'a@example.com' },
    { dryRun: decided },
  );
  void [customer, plan, either];

  // @ts-expect-error a misspelled field of the body
  await client.customers.create({ emial: 'a@example.com', providers: [] });
  // @ts-expect-error a field of the wrong type
  await client.customers.update(id, { phone: 9522222222 });
  // @ts-expect-error a required field left out (a reconcile needs its strategy)
  await client.customers.reconcile(id, { fields: { phone: 'adopt' } });
  // @ts-expect-error a provider id the document does not list (ids are an enum made from the registry)
  await client.customers.links.create(id, { provider: 'paypal' });
  // @ts-expect-error a value outside the document's enum
  client.customers.list({ syncStatus: 'lost' });
  // @ts-expect-error an event type the gateway does not have
  client.events.list({ type: ['customer.exploded'] });
  // @ts-expect-error an outcome a migration item never has
  client.migrations.items.list('mig_0f1e2d3c4b5a69788796', { outcome: 'drifted' });
  // @ts-expect-error a webhook event type the gateway does not have
  await client.webhookEndpoints.update('we_0123456789abcdef01234567', { eventTypes: ['customer.exploded'] });
  // @ts-expect-error ifMatch on a write the gateway cannot make conditional
  await client.customers.forget(id, { ifMatch: etag });
  // @ts-expect-error a dry run answers a plan, not a customer
  const planned: Customer = await client.customers.create({ email: 'a@example.com' }, { dryRun: true });
  // @ts-expect-error a dry run decided at run time may answer a plan
  const maybe: Customer = await client.customers.create({ email: 'a@example.com' }, { dryRun: decided });
  // @ts-expect-error a method no operation has
  await client.customers.merge(id, id);
  // @ts-expect-error a route the document does not have, through the raw layer
  await client.api.GET('/v1/nowhere');
  void [planned, maybe];
}

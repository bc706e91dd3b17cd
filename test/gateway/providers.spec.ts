import request from 'supertest';

import {
  bearer,
  type GatewayWithSandboxes,
  johnSmith,
  KEYS,
  type Link,
  linkOf,
  startGatewayWithSandboxes,
} from '../support/gateway';
import { eventually } from '../support/eventually';

describe('the API across both providers (sandboxes over real HTTP)', () => {
  let gateway: GatewayWithSandboxes;
  const auth = bearer(KEYS.admin);
  const api = () => request(gateway.url);
  const dr = () => gateway.sandboxes['digital-river'].admin;
  const tco = () => gateway.sandboxes['two-checkout'].admin;

  beforeAll(async () => {
    gateway = await startGatewayWithSandboxes();
  });
  afterAll(() => gateway.close());
  afterEach(() => {
    dr().setFaults({});
    tco().setFaults({});
  });

  it('lists the capability matrix, generated from the adapters', async () => {
    const res = await api().get('/v1/providers').set(bearer(KEYS.reader));
    expect(res.status).toBe(200);
    const byId: Record<string, { fields: Record<string, { support: string }> }> = Object.fromEntries(
      (res.body.data as { provider: string; fields: Record<string, { support: string }> }[]).map((p) => [
        p.provider,
        p,
      ]),
    );
    expect(byId['digital-river']).toMatchObject({
      accounts: ['sandbox'],
      pagination: 'cursor',
      listPageSize: 100,
      operations: { delete: { support: 'full' } },
    });
    expect(byId['two-checkout']).toMatchObject({
      accounts: ['sandbox'],
      pagination: 'none',
      // No delete at 2CO: a delete scrubs the personal fields there instead.
      operations: { delete: { support: 'partial', note: expect.stringContaining('scrubs') } },
    });
    expect(byId['two-checkout']?.fields.metadata?.support).toBe('none');
    expect(byId['two-checkout']).not.toHaveProperty('listPageSize');
  });

  it('creates in both providers, updates both, and finds the customer by every reference', async () => {
    const created = await api()
      .post('/v1/customers')
      .set(auth)
      .send(johnSmith({ externalReference: 'e2e-both' }));
    expect(created.status).toBe(201);
    const drLink = linkOf(created.body, 'digital-river');
    const tcoLink = linkOf(created.body, 'two-checkout');
    expect(drLink).toMatchObject({
      account: 'sandbox',
      reference: 'e2e-both',
      status: 'synced',
      lastError: null,
    });
    expect(tcoLink).toMatchObject({
      reference: 'e2e-both',
      status: 'synced',
      providerCustomerId: expect.stringMatching(/^\d+$/),
    });
    expect(tcoLink.unsupportedFields).toEqual(expect.arrayContaining(['metadata', 'type']));

    // The providers hold it, in their own vocabulary.
    const atDr = dr()
      .dump()
      .find((c) => c.id === 'e2e-both');
    expect(atDr).toMatchObject({
      email: 'jsmith@digitalriver.com',
      shipping: { name: 'John Smith', address: { country: 'US', city: 'Minnetonka' } },
      locale: 'en_US',
      type: 'individual',
    });
    const atTco = tco()
      .dump()
      .find((c) => c.ExternalCustomerReference === 'e2e-both');
    expect(atTco).toMatchObject({
      FirstName: 'John',
      LastName: 'Smith',
      CountryCode: 'us',
      Zip: '55129',
      Language: 'en',
    });

    const updated = await api()
      .patch(`/v1/customers/${created.body.id}`)
      .set(auth)
      .send({ givenName: 'Johnny', metadata: { coupon: null, tier: 'gold' } });
    expect(updated.status).toBe(200);
    expect(updated.body.providers.map((l: Link) => l.status)).toEqual(['synced', 'synced']);
    expect(
      dr()
        .dump()
        .find((c) => c.id === 'e2e-both'),
    ).toMatchObject({ shipping: { name: 'Johnny Smith' }, metadata: { tier: 'gold' } });
    expect(
      dr()
        .dump()
        .find((c) => c.id === 'e2e-both')?.metadata,
    ).not.toHaveProperty('coupon');
    expect(
      tco()
        .dump()
        .find((c) => c.ExternalCustomerReference === 'e2e-both'),
    ).toMatchObject({ FirstName: 'Johnny', LastName: 'Smith' });

    for (const [provider, reference] of [
      ['digital-river', 'e2e-both'],
      ['two-checkout', 'e2e-both'],
      ['two-checkout', tcoLink.providerCustomerId!],
    ] as const) {
      const found = await api().get(`/v1/customers/by-reference/${provider}/${reference}`).set(auth);
      expect(found.status).toBe(200);
      expect(found.body.id).toBe(created.body.id);
    }
    expect((await api().get('/v1/customers/by-reference/digital-river/nobody').set(auth)).status).toBe(404);
  });

  it('imports a customer that only exists at a provider, once', async () => {
    const [reference] = dr().seed(1) as [string];
    const first = await api()
      .post('/v1/customers/import')
      .set(auth)
      .send({ provider: 'digital-river', reference });
    expect(first.status).toBe(201);
    expect(linkOf(first.body, 'digital-river')).toMatchObject({ reference, status: 'synced' });
    const seeded = dr()
      .dump()
      .find((c) => c.id === reference)!;
    expect(first.body.email).toBe(seeded.email);
    const again = await api()
      .post('/v1/customers/import')
      .set(auth)
      .send({ provider: 'digital-river', reference });
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(first.body.id);
    const missing = await api()
      .post('/v1/customers/import')
      .set(auth)
      .send({ provider: 'digital-river', reference: 'not-there' });
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe('provider_customer_not_found');
  });

  it('pushes an existing customer to the other provider', async () => {
    const created = await api()
      .post('/v1/customers')
      .set(auth)
      .send(johnSmith({ externalReference: 'e2e-push', providers: [{ provider: 'digital-river' }] }));
    expect(created.body.providers.map((l: Link) => l.provider)).toEqual(['digital-river']);
    expect(
      tco()
        .dump()
        .some((c) => c.ExternalCustomerReference === 'e2e-push'),
    ).toBe(false);
    const pushed = await api()
      .post(`/v1/customers/${created.body.id}/links`)
      .set(auth)
      .send({ provider: 'two-checkout' });
    expect(pushed.status).toBe(201);
    expect(linkOf(pushed.body, 'two-checkout')).toMatchObject({ status: 'synced', account: 'sandbox' });
    expect(
      tco()
        .dump()
        .filter((c) => c.ExternalCustomerReference === 'e2e-push'),
    ).toHaveLength(1);
  });

  it('attaches and detaches a source and a tax identifier where the provider supports them', async () => {
    const created = await api()
      .post('/v1/customers')
      .set(auth)
      .send(johnSmith({ externalReference: 'e2e-extras', taxIdentifiers: [] }));
    const source = gateway.sandboxes['digital-river'].admin.createSource();
    const attached = await api().post(`/v1/customers/${created.body.id}/sources/${source.id}`).set(auth);
    expect(attached.status).toBe(200);
    expect(attached.body.sources).toEqual([source.id]);
    expect(
      dr()
        .dump()
        .find((c) => c.id === 'e2e-extras')
        ?.sources?.map((s) => s.id),
    ).toEqual([source.id]);

    const tax = await api()
      .post(`/v1/customers/${created.body.id}/tax-identifiers`)
      .set(auth)
      .send({ type: 'de', value: 'DE123456789' });
    expect(tax.status).toBe(200);
    expect(tax.body.taxIdentifiers).toEqual([{ type: 'de', value: 'DE123456789' }]);
    expect(tax.body.providers.map((l: Link) => l.status)).toEqual(['synced', 'synced']);
    expect(
      dr()
        .dump()
        .find((c) => c.id === 'e2e-extras')
        ?.taxIdentifiers?.map((t) => t.value),
    ).toEqual(['DE123456789']);
    expect(
      tco()
        .dump()
        .find((c) => c.ExternalCustomerReference === 'e2e-extras')?.FiscalCode,
    ).toBe('DE123456789');

    const detached = await api().delete(`/v1/customers/${created.body.id}/sources/${source.id}`).set(auth);
    expect(detached.body.sources).toEqual([]);
    expect(
      dr()
        .dump()
        .find((c) => c.id === 'e2e-extras')?.sources ?? [],
    ).toEqual([]);
    const untaxed = await api().delete(`/v1/customers/${created.body.id}/tax-identifiers/de`).set(auth);
    expect(untaxed.body.taxIdentifiers).toEqual([]);
  });

  it('refuses sources for a customer whose providers hold none, before any provider call', async () => {
    const created = await api()
      .post('/v1/customers')
      .set(auth)
      .send(johnSmith({ externalReference: 'e2e-2co-only', providers: [{ provider: 'two-checkout' }] }));
    const before = tco().stats().requests + dr().stats().requests;
    const res = await api().post(`/v1/customers/${created.body.id}/sources/src_1`).set(auth);
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({
      code: 'unsupported_by_provider',
      errors: [{ field: 'sources', code: 'unsupported_by_provider' }],
    });
    expect(tco().stats().requests + dr().stats().requests).toBe(before);
  });

  it('deletes where the provider can, confirmed by a read-back', async () => {
    const created = await api()
      .post('/v1/customers')
      .set(auth)
      .send(johnSmith({ externalReference: 'e2e-delete', providers: [{ provider: 'digital-river' }] }));
    const res = await api().delete(`/v1/customers/${created.body.id}`).set(auth);
    // 200 when the delete settled within the request's wait; on a loaded machine it may still be
    // under way (202), so the state is what the test waits for.
    expect([200, 202]).toContain(res.status);
    expect(res.body.deleted).toBe(res.status === 200);
    if (res.status === 200) {
      expect(res.body.providers).toEqual([
        { provider: 'digital-river', account: 'sandbox', outcome: 'deleted' },
      ]);
    }
    // Gone (410, the tombstone) once the delete there is confirmed: nothing remains anywhere.
    await eventually('the customer to be gone', async () => {
      const res = await api().get(`/v1/customers/${created.body.id}`).set(auth);
      return res.status === 410 && res.body.providers[0]?.outcome === 'deleted' ? true : undefined;
    });
    expect(
      dr()
        .dump()
        .some((c) => c.id === 'e2e-delete'),
    ).toBe(false);
  });

  it('scrubs where the provider cannot delete, keeps a findable tombstone, and answers 202 with what remains', async () => {
    const created = await api()
      .post('/v1/customers')
      .set(auth)
      .send(johnSmith({ externalReference: 'e2e-delete-2co' }));
    const numeric = linkOf(created.body, 'two-checkout').providerCustomerId!;
    const res = await api().delete(`/v1/customers/${created.body.id}`).set(auth);
    expect(res.status).toBe(202);
    expect(res.body.deleted).toBe(false);
    const tombstone = await eventually('both provider links to settle', async () => {
      const body = (await api().get(`/v1/customers/${created.body.id}?include=deleted`).set(auth)).body as { providers: Link[] };
      return body.providers.every((l) => l.status === 'synced') ? body : undefined;
    });
    expect(tombstone).toMatchObject({ deletedAt: expect.any(String), email: null, givenName: null, address: null });
    expect(linkOf(tombstone, 'digital-river')).toMatchObject({ intent: 'delete', erasure: { status: 'deleted', notErased: [] } });
    expect(linkOf(tombstone, 'two-checkout')).toMatchObject({ intent: 'delete', erasure: { status: 'partial', notErased: ['address'] } });
    expect(dr().dump().some((c) => c.id === 'e2e-delete-2co')).toBe(false);
    const scrubbed = tco().dump().find((c) => c.ExternalCustomerReference === 'e2e-delete-2co');
    expect(JSON.stringify(scrubbed)).not.toMatch(/Smith|jsmith|Bren Rd|Minnetonka|55129/);
    // Every provider reference still finds the tombstone: 410, or itself for an admin who asks.
    for (const [provider, reference] of [['two-checkout', 'e2e-delete-2co'], ['two-checkout', numeric], ['digital-river', 'e2e-delete-2co']]) {
      const found = await api().get(`/v1/customers/by-reference/${provider}/${reference}`).set(auth);
      expect(found.status).toBe(410);
      const shown = await api().get(`/v1/customers/by-reference/${provider}/${reference}?include=deleted`).set(auth);
      expect(shown.body.id).toBe(created.body.id);
    }
    const again = await api().delete(`/v1/customers/${created.body.id}`).set(auth);
    expect(again.status).toBe(202);
    expect(again.body.providers).toEqual(
      expect.arrayContaining([
        { provider: 'digital-river', account: 'sandbox', outcome: 'deleted' },
        expect.objectContaining({ provider: 'two-checkout', outcome: expect.stringMatching(/^(scrubbed|pending)$/) }),
      ]),
    );
    const plan = await api().delete(`/v1/customers/${created.body.id}?dryRun=true`).set(auth);
    expect(plan.body.providers.find((p: { provider: string }) => p.provider === 'two-checkout').requests.map((r: { method: string }) => r.method)).toEqual(['GET', 'PUT']);
  }); // prettier-ignore

  it('keeps the customer readable while a provider delete fails, with the reason on the link', async () => {
    const created = await api()
      .post('/v1/customers')
      .set(auth)
      .send(johnSmith({ externalReference: 'e2e-delete-fails', providers: [{ provider: 'digital-river' }] }));
    dr().setFaults({ 'DELETE /customers/:id': { errorRate: 1, errorStatus: 500 } });
    const res = await api().delete(`/v1/customers/${created.body.id}`).set(auth);
    expect(res.status).toBe(202);
    expect(res.body.deleted).toBe(false);
    expect(res.body.providers).toEqual([
      // Still retrying, or parked once the retry budget ran out: either way, said so.
      expect.objectContaining({
        provider: 'digital-river',
        outcome: expect.stringMatching(/^(pending|failed)$/),
        error: expect.objectContaining({ code: 'provider_unavailable' }),
      }),
    ]);
    const kept = await api().get(`/v1/customers/${created.body.id}?include=deleted`).set(auth);
    expect(kept.body.deletedAt).toEqual(expect.any(String));
    expect(linkOf(kept.body, 'digital-river')).toMatchObject({
      intent: 'delete',
      status: expect.stringMatching(/^(pending|failed)$/),
      lastError: { code: 'provider_unavailable' },
    });
    expect(
      dr()
        .dump()
        .some((c) => c.id === 'e2e-delete-fails'),
    ).toBe(true);
    // Hidden from lists, still reserving its reference.
    const listed = await api().get(`/v1/customers?ids=${created.body.id}`).set(auth);
    expect(listed.body.data).toEqual([]);

    dr().setFaults({});
    const again = await api().delete(`/v1/customers/${created.body.id}`).set(auth);
    expect([200, 202]).toContain(again.status);
    // Gone (410, the tombstone) once the delete there is confirmed: nothing remains anywhere.
    await eventually('the customer to be gone', async () => {
      const res = await api().get(`/v1/customers/${created.body.id}`).set(auth);
      return res.status === 410 && res.body.providers[0]?.outcome === 'deleted' ? true : undefined;
    });
    expect(
      dr()
        .dump()
        .some((c) => c.id === 'e2e-delete-fails'),
    ).toBe(false);
  });

  it('forgets: the providers erase what they can and the mirror keeps only a tombstone', async () => {
    const email = 'forget.me.e2e@example.test';
    const created = await api()
      .post('/v1/customers')
      .set(auth)
      .set('Idempotency-Key', 'e2e-forget-create')
      .send(johnSmith({ externalReference: 'e2e-forget', email }));
    const res = await api().post(`/v1/customers/${created.body.id}/forget`).set(auth);
    expect(res.status).toBe(200);
    expect(res.body.customer).toMatchObject({
      id: created.body.id,
      forgotten: true,
      email: null,
      givenName: null,
      address: null,
      metadata: {},
    });
    // DR records the request and erases later: `requested` until a read-back shows no personal
    // data; the background worker may already have confirmed it (provider-rules.spec.ts pins the
    // `requested` step with the worker off).
    expect(res.body.providers).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          provider: 'digital-river',
          outcome: expect.stringMatching(/^(requested|forgotten)$/),
        }),
        expect.objectContaining({
          provider: 'two-checkout',
          outcome: 'forgotten',
          erasure: { status: 'partial', notErased: ['address'] },
        }),
      ]),
    );
    const confirmed = await eventually('the DR erasure to be confirmed', async () => {
      const link = linkOf(
        (await api().get(`/v1/customers/${created.body.id}`).set(auth)).body,
        'digital-river',
      );
      return link.erasure?.status === 'erased' ? link : undefined;
    });
    expect(confirmed).toMatchObject({ status: 'synced', erasure: { status: 'erased', notErased: [] } });
    expect(
      JSON.stringify(
        dr()
          .dump()
          .find((c) => c.id === 'e2e-forget'),
      ),
    ).not.toContain(email);
    expect(
      dr()
        .dump()
        .find((c) => c.id === 'e2e-forget')?.requestToBeForgotten,
    ).toBe(true);
    expect(
      tco()
        .dump()
        .find((c) => c.ExternalCustomerReference === 'e2e-forget')?.Email,
    ).not.toBe(email);

    const rows = await gateway.prisma.$queryRawUnsafe<{ hits: bigint }[]>(
      `SELECT (SELECT count(*) FROM customers WHERE customers::text ILIKE $1) + (SELECT count(*) FROM idempotency_records WHERE idempotency_records::text ILIKE $1) AS hits`,
      `%${email}%`,
    );
    expect(Number(rows[0]!.hits)).toBe(0);
    const change = await api().patch(`/v1/customers/${created.body.id}`).set(auth).send({ email });
    expect(change.status).toBe(409);
    expect(change.body.code).toBe('customer_forgotten');
  });

  it('answers dryRun with the exact provider requests, sending and writing nothing', async () => {
    const customers = await gateway.prisma.customer.count();
    const requests = dr().stats().requests + tco().stats().requests;
    const res = await api()
      .post('/v1/customers?dryRun=true')
      .set(auth)
      .send(johnSmith({ externalReference: 'e2e-dry' }));
    expect(res.status).toBe(200);
    expect(res.body.dryRun).toBe(true);
    const drPlan = res.body.providers.find((p: { provider: string }) => p.provider === 'digital-river');
    expect(drPlan.requests[0]).toMatchObject({
      method: 'POST',
      url: `${gateway.sandboxes['digital-river'].url}/customers`,
      body: { id: 'e2e-dry', email: 'jsmith@digitalriver.com' },
    });
    expect(JSON.stringify(res.body)).not.toContain(gateway.sandboxes['digital-river'].secretKey);
    const tcoPlan = res.body.providers.find((p: { provider: string }) => p.provider === 'two-checkout');
    expect(tcoPlan.requests[0]).toMatchObject({
      method: 'POST',
      body: { ExternalCustomerReference: 'e2e-dry', FirstName: 'John' },
    });
    expect(tcoPlan.unsupportedFields).toEqual(expect.arrayContaining(['metadata']));
    expect(await gateway.prisma.customer.count()).toBe(customers);
    expect(dr().stats().requests + tco().stats().requests).toBe(requests);

    const existing = await api()
      .post('/v1/customers')
      .set(auth)
      .send(johnSmith({ externalReference: 'e2e-dry-2' }));
    const patchPlan = await api()
      .patch(`/v1/customers/${existing.body.id}?dryRun=true`)
      .set(auth)
      .send({ familyName: 'Smyth' });
    expect(patchPlan.status).toBe(200);
    expect(
      patchPlan.body.providers
        .find((p: { provider: string }) => p.provider === 'digital-river')
        .requests.at(-1),
    ).toMatchObject({ method: 'POST', body: { shipping: { name: 'John Smyth' } } });
    expect((await api().get(`/v1/customers/${existing.body.id}`).set(auth)).body.familyName).toBe('Smith');
    const deletePlan = await api().delete(`/v1/customers/${existing.body.id}?dryRun=true`).set(auth);
    expect(
      deletePlan.body.providers.find((p: { provider: string }) => p.provider === 'digital-river').requests,
    ).toEqual([
      expect.objectContaining({ method: 'GET' }),
      // The customer's tax identifiers first: a customer delete would only detach them.
      expect.objectContaining({ method: 'DELETE', url: expect.stringContaining('/tax-identifiers/') }),
      expect.objectContaining({ method: 'DELETE', url: expect.stringContaining('/customers/') }),
    ]);
    expect(
      deletePlan.body.providers
        .find((p: { provider: string }) => p.provider === 'two-checkout')
        .requests.map((r: { method: string }) => r.method),
    ).toEqual(['GET', 'PUT']);
    expect((await api().get(`/v1/customers/${existing.body.id}`).set(auth)).status).toBe(200);
  });

  it('makes a provider failure visible on the link instead of losing or hiding it', async () => {
    tco().setFaults({ 'POST /customers': { errorRate: 1, errorStatus: 400 } });
    const res = await api()
      .post('/v1/customers')
      .set(auth)
      .send(johnSmith({ externalReference: 'e2e-visible' }));
    expect(res.status).toBe(201);
    expect(linkOf(res.body, 'digital-river').status).toBe('synced');
    expect(linkOf(res.body, 'two-checkout')).toMatchObject({
      status: 'failed',
      lastError: { code: 'provider_rejected' },
    });
    // Admins find such customers by provider and sync status.
    const failing = await api().get('/v1/customers?provider=two-checkout&syncStatus=failed').set(auth);
    expect(failing.body.data.map((c: { id: string }) => c.id)).toContain(res.body.id);
    const atDr = await api().get('/v1/customers?provider=digital-river&syncStatus=failed').set(auth);
    expect(atDr.body.data.map((c: { id: string }) => c.id)).not.toContain(res.body.id);
  });

  it('refuses an unknown provider before writing anything', async () => {
    const before = await gateway.prisma.customer.count();
    const res = await api()
      .post('/v1/customers')
      .set(auth)
      .send({ providers: [{ provider: 'paypal' }] });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('provider_unknown');
    expect(await gateway.prisma.customer.count()).toBe(before);
  });
});

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

const DR = { provider: 'digital-river', account: 'sandbox' };
const TCO = { provider: 'two-checkout', account: 'sandbox' };
const TCO_ADDRESS_FIELDS = ['address.line1', 'address.city', 'address.postalCode', 'address.country'];

interface FieldProblem {
  provider?: string;
  field: string;
  code: string;
}

/**
 * Saying no before the provider does, and never claiming more than happened. The background
 * worker is off, so each step (an erasure `requested`, then confirmed by the worker's re-reads)
 * is observed in order; `gateway.drain()` runs the worker's deliveries, backoff included.
 */
describe('provider rules, truthful delete and forget (sandboxes over real HTTP)', () => {
  let gateway: GatewayWithSandboxes;
  const auth = bearer(KEYS.admin);
  const api = () => request(gateway.url);
  const dr = () => gateway.sandboxes['digital-river'];
  const tco = () => gateway.sandboxes['two-checkout'].admin;
  const providerRequests = () => dr().admin.stats().requests + tco().stats().requests;

  beforeAll(async () => {
    // A long wait, so a request that can finish its deliveries does within it (200, not 202).
    gateway = await startGatewayWithSandboxes({ SYNC_WORKER: 'off', SYNC_WAIT_MS: '30000' });
  });
  afterAll(() => gateway.close());

  it('refuses a create a linked provider would refuse, listing every problem at once, and writes nothing', async () => {
    const customers = await gateway.prisma.customer.count();
    const before = providerRequests();
    const res = await api().post('/v1/customers').set(auth).send({ email: 'half@example.test', givenName: 'Half' });
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('provider_rules_violated');
    expect(res.body.detail).toContain('two-checkout needs familyName, address.line1');
    expect((res.body.errors as FieldProblem[]).map((e) => `${e.provider}:${e.field}:${e.code}`)).toEqual(
      ['familyName', ...TCO_ADDRESS_FIELDS].map((field) => `two-checkout:${field}:required`),
    );
    expect(await gateway.prisma.customer.count()).toBe(customers);
    expect(providerRequests()).toBe(before);

    // The same customer is fine where it is not linked to 2Checkout.
    const mirrorOnly = await api().post('/v1/customers').set(auth).send({ email: 'half@example.test', givenName: 'Half', providers: [] });
    expect(mirrorOnly.status).toBe(201);
    const drOnly = await api().post('/v1/customers').set(auth).send({ email: 'half@example.test', givenName: 'Half', providers: [DR] });
    expect(drOnly.status).toBe(201);
    expect(linkOf(drOnly.body, 'digital-river').status).toBe('synced');

    // What needs what: 2CO keeps a tax identifier only as FiscalCode, which needs a Company.
    const noCompany = await api().post('/v1/customers').set(auth).send(johnSmith({ externalReference: undefined, companyName: undefined }));
    expect(noCompany.status).toBe(422);
    expect(noCompany.body.errors).toEqual([{ provider: 'two-checkout', field: 'taxIdentifiers', code: 'requires', message: expect.stringContaining('Company') }]);
  }); // prettier-ignore

  it('refuses an update or a link the provider would refuse, and dry runs show the same problems', async () => {
    const created = await api().post('/v1/customers').set(auth).send(johnSmith({ externalReference: 'rules-update' }));
    expect(created.status).toBe(201);
    const before = providerRequests();
    const update = await api().patch(`/v1/customers/${created.body.id}`).set(auth).send({ familyName: null, address: null });
    expect(update.status).toBe(422);
    expect((update.body.errors as FieldProblem[]).map((e) => e.field)).toEqual(['familyName', ...TCO_ADDRESS_FIELDS]);
    const unchanged = await api().get(`/v1/customers/${created.body.id}`).set(auth);
    expect(unchanged.body).toMatchObject({ version: created.body.version, familyName: 'Smith' });
    expect(providerRequests()).toBe(before);

    // A list change is checked like any update: 2CO's FiscalCode needs a Company.
    const noCompany = await api().post('/v1/customers').set(auth).send(johnSmith({ externalReference: 'rules-tax', companyName: undefined, taxIdentifiers: [] }));
    expect(noCompany.status).toBe(201);
    const taxBefore = providerRequests();
    const tax = await api().post(`/v1/customers/${noCompany.body.id}/tax-identifiers`).set(auth).send({ type: 'de', value: 'DE123456789' });
    expect(tax.status).toBe(422);
    expect(tax.body.errors).toEqual([{ provider: 'two-checkout', field: 'taxIdentifiers', code: 'requires', message: expect.stringContaining('Company') }]);
    expect((await api().get(`/v1/customers/${noCompany.body.id}`).set(auth)).body).toMatchObject({ version: noCompany.body.version, taxIdentifiers: [] });
    expect(providerRequests()).toBe(taxBefore);

    const patchPlan = await api().patch(`/v1/customers/${created.body.id}?dryRun=true`).set(auth).send({ familyName: null });
    expect(patchPlan.status).toBe(200);
    const tcoPatchPlan = patchPlan.body.providers.find((p: { provider: string }) => p.provider === 'two-checkout');
    expect(tcoPatchPlan.violations).toEqual([expect.objectContaining({ provider: 'two-checkout', field: 'familyName', rule: 'required' })]);

    const createPlan = await api().post('/v1/customers?dryRun=true').set(auth).send({ email: 'plan@example.test', givenName: 'Plan' });
    expect(createPlan.status).toBe(200);
    const plans = Object.fromEntries((createPlan.body.providers as { provider: string; violations: { field: string }[] }[]).map((p) => [p.provider, p.violations.map((v) => v.field)]));
    expect(plans).toEqual({ 'digital-river': [], 'two-checkout': ['familyName', ...TCO_ADDRESS_FIELDS] });
    // DR would join the given name into its one shipping.name: said before anything is written.
    expect(createPlan.body.providers.find((p: { provider: string }) => p.provider === 'digital-river').lossyFields).toEqual(['givenName']);

    const drOnly = await api().post('/v1/customers').set(auth).send({ email: 'link@example.test', givenName: 'Link', providers: [DR] });
    const linkBefore = providerRequests();
    const link = await api().post(`/v1/customers/${drOnly.body.id}/links`).set(auth).send(TCO);
    expect(link.status).toBe(422);
    expect(link.body.code).toBe('provider_rules_violated');
    expect(providerRequests()).toBe(linkBefore);
    const linkPlan = await api().post(`/v1/customers/${drOnly.body.id}/links?dryRun=true`).set(auth).send(TCO);
    expect(linkPlan.body.providers[0].violations.map((v: { field: string }) => v.field)).toEqual(['familyName', ...TCO_ADDRESS_FIELDS]);
  }); // prettier-ignore

  it('names the field a provider refusal is about on the link', async () => {
    const created = await api()
      .post('/v1/customers')
      .set(auth)
      .send({ email: 'src@example.test', sources: ['not-a-dr-source'], providers: [DR] });
    expect(created.status).toBe(201);
    expect(linkOf(created.body, 'digital-river')).toMatchObject({
      status: 'failed',
      lastError: { field: 'sourceIds', message: expect.stringMatching(/^sourceIds: /) },
    });
  });

  it('names the field of a 2Checkout refusal that gets through on the migration item', async () => {
    const shipping = { name: 'Ada Lovelace', address: { line1: '12 St James Sq', city: 'London', postalCode: 'SW1Y 4JH', country: 'GB' } };
    const created = await fetch(`${dr().url}/customers`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${dr().secretKey}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ id: 'rules-bad-country', email: 'ada@example.test', shipping }),
    });
    expect(created.status).toBe(201);
    // DR's public API refuses such a country; its admin API stores it, so 2CO is the one to refuse it.
    dr().admin.modifyCustomer('rules-bad-country', { shipping: { ...shipping, address: { ...shipping.address, country: 'G1' } } });
    const source = { ...DR, kind: 'references', references: ['rules-bad-country'] };
    const started = await api().post('/v1/migrations').set(auth).send({ source, target: TCO });
    expect(started.status).toBe(202);
    await eventually('the run to complete', async () => {
      const run = await api().get(`/v1/migrations/${started.body.id}`).set(auth);
      return run.body.status === 'completed' ? true : undefined;
    });
    const failed = (await api().get(`/v1/migrations/${started.body.id}/items?outcome=failed`).set(auth)).body.data as unknown[];
    expect(failed).toEqual([
      expect.objectContaining({
        sourceReference: 'rules-bad-country',
        reason: { code: 'provider_rejected', retryable: false, field: 'address.country', message: expect.stringMatching(/^address\.country: .*INVALID_COUNTRY_CODE/) },
      }),
    ]);
    expect(tco().dump().some((c) => c.ExternalCustomerReference === 'rules-bad-country')).toBe(false);
  }); // prettier-ignore

  it('reports what a provider holds only in part (lossyFields) beside what it cannot hold', async () => {
    const created = await api().post('/v1/customers').set(auth).send(johnSmith({ externalReference: 'rules-lossy' }));
    expect(linkOf(created.body, 'digital-river')).toMatchObject({ unsupportedFields: [], lossyFields: ['givenName', 'familyName'] });
    expect(linkOf(created.body, 'two-checkout').lossyFields).toEqual(['locale']);
  }); // prettier-ignore

  it('sets the default source on create, update and attach, only among attached sources, and syncs it', async () => {
    const [first, second] = [dr().admin.createSource(), dr().admin.createSource()];
    const created = await api().post('/v1/customers').set(auth).send({ email: 'default@example.test', sources: [first.id], defaultSourceId: first.id, providers: [DR] });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ sources: [first.id], defaultSourceId: first.id });
    expect(linkOf(created.body, 'digital-river').status).toBe('synced');
    const atDr = () => dr().admin.dump().find((c) => c.email === 'default@example.test');
    expect(atDr()?.defaultSourceId).toBe(first.id);

    const notAttached = await api().patch(`/v1/customers/${created.body.id}`).set(auth).send({ defaultSourceId: second.id });
    expect(notAttached.status).toBe(422);
    expect(notAttached.body).toMatchObject({ code: 'default_source_not_attached', errors: [{ field: 'defaultSourceId', code: 'not_attached' }] });
    const refusedCreate = await api().post('/v1/customers').set(auth).send({ email: 'default@example.test', defaultSourceId: second.id, providers: [] });
    expect(refusedCreate.status).toBe(422);

    const attached = await api().post(`/v1/customers/${created.body.id}/sources/${second.id}?default=true`).set(auth);
    expect(attached.status).toBe(200);
    expect(attached.body).toMatchObject({ sources: [first.id, second.id], defaultSourceId: second.id });
    expect(atDr()?.defaultSourceId).toBe(second.id);

    const back = await api().patch(`/v1/customers/${created.body.id}`).set(auth).send({ defaultSourceId: first.id });
    expect(back.status).toBe(200);
    expect(linkOf(back.body, 'digital-river').status).toBe('synced');
    expect(atDr()?.defaultSourceId).toBe(first.id);
  }); // prettier-ignore

  it('answers a forget at Digital River `requested` until a read-back shows the data gone, then `erased`', async () => {
    const email = 'async.erasure@example.test';
    const created = await api().post('/v1/customers').set(auth).send(johnSmith({ externalReference: 'rules-forget', email, providers: [DR] }));
    const forgotten = await api().post(`/v1/customers/${created.body.id}/forget`).set(auth);
    expect(forgotten.status).toBe(200);
    expect(forgotten.body.providers).toEqual([
      expect.objectContaining({ provider: 'digital-river', outcome: 'requested', erasure: { status: 'requested', notErased: expect.arrayContaining(['email', 'givenName', 'address']) } }),
    ]);
    const stored = () => JSON.stringify(dr().admin.dump().find((c) => c.id === 'rules-forget'));
    expect(stored()).toContain(email);
    expect(linkOf((await api().get(`/v1/customers/${created.body.id}`).set(auth)).body, 'digital-river')).toMatchObject({ status: 'pending', erasure: { status: 'requested' } });

    // The worker reads it again, with backoff, until DR has erased it.
    await gateway.drain();
    const link = linkOf((await api().get(`/v1/customers/${created.body.id}`).set(auth)).body, 'digital-river');
    expect(link).toMatchObject({ status: 'synced', erasure: { status: 'erased', notErased: [] } });
    expect(stored()).not.toContain(email);
    expect(stored()).not.toContain('Bren Rd');
  }); // prettier-ignore

  it('parks an erasure the provider never confirms as failed, naming what it still holds', async () => {
    dr().admin.setForgetErasure({ afterReads: Number.MAX_SAFE_INTEGER });
    try {
      const created = await api().post('/v1/customers').set(auth).send(johnSmith({ externalReference: 'rules-never-erased', providers: [DR] }));
      const forgotten = await api().post(`/v1/customers/${created.body.id}/forget`).set(auth);
      expect(forgotten.body.providers[0]).toMatchObject({ outcome: 'requested' });
      await gateway.drain();
      const link = linkOf((await api().get(`/v1/customers/${created.body.id}`).set(auth)).body, 'digital-river');
      expect(link).toMatchObject({
        status: 'failed',
        erasure: { status: 'requested', notErased: expect.arrayContaining(['email']) },
        lastError: { code: 'erasure_unconfirmed', message: expect.stringMatching(/still held email.* after \d+ read-backs/) },
      });
    } finally {
      dr().admin.setForgetErasure({});
    }
  }); // prettier-ignore

  it('answers a delete 200 only once a read-back shows no copy left anywhere', async () => {
    const created = await api().post('/v1/customers').set(auth).send(johnSmith({ externalReference: 'rules-delete-dr', providers: [DR] }));
    expect(linkOf(created.body, 'digital-river').status).toBe('synced');
    const deleted = await api().delete(`/v1/customers/${created.body.id}`).set(auth);
    expect(deleted.status).toBe(200);
    expect(deleted.body).toEqual({ id: created.body.id, deleted: true, providers: [{ ...DR, outcome: 'deleted' }] });
    expect(dr().admin.dump().some((c) => c.id === 'rules-delete-dr')).toBe(false);
    // Gone: 410 with nothing remaining anywhere, by id and by reference alike.
    const gone = await api().get(`/v1/customers/${created.body.id}`).set(auth);
    expect(gone.status).toBe(410);
    expect(gone.body.providers).toEqual([{ ...DR, outcome: 'deleted', remaining: [] }]);
    expect((await api().get('/v1/customers/by-reference/digital-river/rules-delete-dr').set(auth)).body).toEqual({ ...gone.body, instance: '/v1/customers/by-reference/digital-river/rules-delete-dr', requestId: expect.any(String) });
  }); // prettier-ignore

  it('answers a delete 202 while a provider that cannot delete still holds personal data, and says what', async () => {
    const created = await api().post('/v1/customers').set(auth).send(johnSmith({ externalReference: 'rules-delete' }));
    const numeric = linkOf(created.body, 'two-checkout').providerCustomerId!;
    const deleted = await api().delete(`/v1/customers/${created.body.id}`).set(auth);
    expect(deleted.status).toBe(202);
    expect(deleted.body).toEqual({
      id: created.body.id,
      deleted: false,
      providers: expect.arrayContaining([
        { ...DR, outcome: 'deleted' },
        { ...TCO, outcome: 'scrubbed', erasure: { status: 'partial', notErased: ['address'] }, remaining: ['address'] },
      ]),
    });
    expect(dr().admin.dump().some((c) => c.id === 'rules-delete')).toBe(false);
    const scrubbed = tco().dump().find((c) => c.ExternalCustomerReference === 'rules-delete');
    expect(scrubbed).toMatchObject({ FirstName: 'Erased', LastName: 'Erased', Address1: 'Erased', CountryCode: 'us' });
    expect(JSON.stringify(scrubbed)).not.toContain('jsmith');

    expect((await api().get(`/v1/customers/by-reference/two-checkout/${numeric}`).set(auth)).status).toBe(410);
    const tombstone = await api().get(`/v1/customers/by-reference/two-checkout/${numeric}?include=deleted`).set(auth);
    expect(tombstone.status).toBe(200);
    expect(tombstone.body).toMatchObject({ id: created.body.id, deletedAt: expect.any(String), email: null, familyName: null });
    expect((tombstone.body.providers as Link[]).map((l) => [l.provider, l.erasure?.status])).toEqual(
      expect.arrayContaining([['digital-river', 'deleted'], ['two-checkout', 'partial']]),
    );
    const capabilities = await api().get('/v1/providers').set(auth);
    const tcoCapabilities = (capabilities.body.data as { provider: string; operations: { delete: { support: string; note: string } } }[]).find((p) => p.provider === 'two-checkout');
    expect(tcoCapabilities?.operations.delete).toEqual({ support: 'partial', note: expect.stringContaining('scrubs') });
  }); // prettier-ignore

  it('plans a migration skip naming the fields the target needs, and the run ends it skipped with that reason', async () => {
    const incomplete = await fetch(`${dr().url}/customers`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${dr().secretKey}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ id: 'rules-incomplete', email: 'solo@example.test', shipping: { name: 'Solo' } }),
    });
    expect(incomplete.status).toBe(201);
    const source = { ...DR, kind: 'references', references: ['rules-incomplete'] };
    const plan = await api().post('/v1/migrations').set(auth).send({ source, target: TCO, dryRun: true });
    expect(plan.status).toBe(200);
    expect(plan.body.items).toEqual([
      expect.objectContaining({
        sourceReference: 'rules-incomplete',
        action: 'skip',
        reason: expect.objectContaining({ code: 'provider_rules_violated', field: 'familyName', message: `two-checkout needs ${['familyName', ...TCO_ADDRESS_FIELDS].join(', ')}` }),
      }),
    ]);
    const started = await api().post('/v1/migrations').set(auth).send({ source, target: TCO });
    expect(started.status).toBe(202);
    await eventually('the run to complete', async () => {
      const run = await api().get(`/v1/migrations/${started.body.id}`).set(auth);
      return run.body.status === 'completed' ? true : undefined;
    });
    const items = (await api().get(`/v1/migrations/${started.body.id}/items`).set(auth)).body.data as unknown[];
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ outcome: 'skipped', reason: { code: 'provider_rules_violated', field: 'familyName', message: expect.stringContaining('two-checkout needs familyName') } });
    expect(tco().dump().some((c) => c.ExternalCustomerReference === 'rules-incomplete')).toBe(false);
  }); // prettier-ignore
});

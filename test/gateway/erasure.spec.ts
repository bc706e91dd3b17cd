import request from 'supertest';

import {
  bearer,
  type GatewayWithSandboxes,
  johnSmith,
  KEYS,
  linkOf,
  startGatewayWithSandboxes,
} from '../support/gateway';
import { eventually } from '../support/eventually';

const DR = { provider: 'digital-river', account: 'sandbox' };
const TCO = { provider: 'two-checkout', account: 'sandbox' };
/** johnSmith's tax identifier: no provider-side object may keep it after a delete or forget. */
const TAX_VALUE = '12-3456789';

/**
 * Erasure that leaves nothing unnamed: after a delete or forget, no provider-side object of the
 * customer holds personal data unless the answer names it, and a deleted customer answers 410
 * Gone (when, what remains where) for the tombstone retention, then 404.
 */
describe('erasure that leaves nothing, and 410 Gone tombstones (sandboxes over real HTTP)', () => {
  let gateway: GatewayWithSandboxes;
  const auth = bearer(KEYS.admin);
  const api = () => request(gateway.url);
  const dr = () => gateway.sandboxes['digital-river'].admin;
  const tco = () => gateway.sandboxes['two-checkout'].admin;
  const drTaxIdentifiersWith = (value: string) =>
    dr()
      .dumpTaxIdentifiers()
      .filter((tax) => tax.value === value);

  beforeAll(async () => {
    // A long wait, so a request that can finish its deliveries does within it.
    gateway = await startGatewayWithSandboxes({ SYNC_WAIT_MS: '30000' });
  });
  afterAll(() => gateway.close());

  it('deletes the DR tax identifier with the customer, and answers 410 naming only what 2CO keeps', async () => {
    const created = await api().post('/v1/customers').set(auth).send(johnSmith({ externalReference: 'erase-delete' }));
    expect(created.status).toBe(201);
    expect(drTaxIdentifiersWith(TAX_VALUE)).toHaveLength(1);
    const numeric = linkOf(created.body, 'two-checkout').providerCustomerId!;

    const deleted = await api().delete(`/v1/customers/${created.body.id}`).set(auth);
    expect(deleted.status).toBe(202);
    expect(deleted.body.providers).toEqual(expect.arrayContaining([
      { ...DR, outcome: 'deleted' },
      { ...TCO, outcome: 'scrubbed', erasure: { status: 'partial', notErased: ['address'] }, remaining: ['address'] },
    ]));
    // Not detached and kept: gone, value and all.
    expect(drTaxIdentifiersWith(TAX_VALUE)).toEqual([]);
    expect(dr().dump().some((c) => c.id === 'erase-delete')).toBe(false);
    expect(JSON.stringify(tco().dump().find((c) => c.ExternalCustomerReference === 'erase-delete'))).not.toMatch(/Smith|jsmith|Bren Rd|12-3456789/);

    const gone = await api().get(`/v1/customers/${created.body.id}`).set(auth);
    expect(gone.status).toBe(410);
    expect(gone.headers['content-type']).toMatch(/^application\/problem\+json/);
    const tombstone = {
      code: 'customer_gone',
      status: 410,
      deletedAt: expect.any(String),
      providers: expect.arrayContaining([
        { ...DR, outcome: 'deleted', remaining: [] },
        { ...TCO, outcome: 'scrubbed', erasure: { status: 'partial', notErased: ['address'] }, remaining: ['address'] },
      ]),
    };
    expect(gone.body).toMatchObject(tombstone);
    expect(gone.body.providers).toHaveLength(2);
    expect(JSON.stringify(gone.body)).not.toMatch(/Smith|jsmith|12-3456789/);

    // Every provider reference answers as GET by id does.
    for (const [provider, reference] of [['two-checkout', 'erase-delete'], ['two-checkout', numeric], ['digital-river', 'erase-delete']]) {
      const found = await api().get(`/v1/customers/by-reference/${provider}/${reference}`).set(auth);
      expect(found.status).toBe(410);
      expect(found.body).toMatchObject({ ...tombstone, deletedAt: gone.body.deletedAt });
    }
    // Writes to it are refused the same way; deleting again answers the same report.
    const patched = await api().patch(`/v1/customers/${created.body.id}`).set(auth).send({ metadata: { note: 'x' } });
    expect(patched.status).toBe(410);
    expect(patched.body.code).toBe('customer_gone');
    expect((await api().post(`/v1/customers/${created.body.id}/forget`).set(auth)).status).toBe(410);
    const again = await api().delete(`/v1/customers/${created.body.id}`).set(auth);
    expect(again.status).toBe(202);
    expect(again.body.providers).toEqual(deleted.body.providers);
  }); // prettier-ignore

  it('shows the tombstone to admins on request, and only to them', async () => {
    const created = await api().post('/v1/customers').set(auth).send(johnSmith({ externalReference: 'erase-include', providers: [DR] }));
    await api().delete(`/v1/customers/${created.body.id}`).set(auth);

    const shown = await api().get(`/v1/customers/${created.body.id}?include=deleted`).set(auth);
    expect(shown.status).toBe(200);
    expect(shown.body).toMatchObject({ id: created.body.id, deletedAt: expect.any(String), email: null, taxIdentifiers: [] });
    expect(linkOf(shown.body, 'digital-river')).toMatchObject({ intent: 'delete', erasure: { status: 'deleted', notErased: [] } });
    const byReference = await api().get('/v1/customers/by-reference/digital-river/erase-include?include=deleted').set(auth);
    expect(byReference.status).toBe(200);
    expect(byReference.body.id).toBe(created.body.id);

    const listed = await api().get(`/v1/customers?ids=${created.body.id}&include=deleted`).set(auth);
    expect(listed.body.data.map((c: { id: string }) => c.id)).toEqual([created.body.id]);
    expect((await api().get(`/v1/customers?ids=${created.body.id}`).set(auth)).body.data).toEqual([]);

    const reader = bearer(KEYS.reader);
    expect((await api().get(`/v1/customers/${created.body.id}?include=deleted`).set(reader)).status).toBe(403);
    expect((await api().get(`/v1/customers?include=deleted`).set(reader)).status).toBe(403);
    expect((await api().get(`/v1/customers/${created.body.id}`).set(reader)).status).toBe(410);
    expect((await api().get(`/v1/customers/${created.body.id}?include=everything`).set(auth)).status).toBe(400);
  }); // prettier-ignore

  it("names the payment sources' owner details a DR delete leaves behind", async () => {
    const source = dr().createSource();
    const created = await api().post('/v1/customers').set(auth).send(johnSmith({ externalReference: 'erase-sources', sources: [source.id], providers: [DR] }));
    expect(created.status).toBe(201);

    const deleted = await api().delete(`/v1/customers/${created.body.id}`).set(auth);
    expect(deleted.status).toBe(202);
    expect(deleted.body).toMatchObject({ deleted: false, providers: [{ ...DR, outcome: 'deleted', remaining: ['sources'] }] });
    expect(drTaxIdentifiersWith(TAX_VALUE)).toEqual([]);
    const gone = await api().get(`/v1/customers/${created.body.id}`).set(auth);
    expect(gone.body.providers).toEqual([expect.objectContaining({ ...DR, outcome: 'deleted', remaining: ['sources'] })]);
  }); // prettier-ignore

  it('forgets: no DR tax identifier keeps the value, 2CO keeps only what it names, and the customer answers 200 scrubbed', async () => {
    const created = await api().post('/v1/customers').set(auth).send(johnSmith({ externalReference: 'erase-forget' }));
    expect(drTaxIdentifiersWith(TAX_VALUE)).toHaveLength(1);

    const forgotten = await api().post(`/v1/customers/${created.body.id}/forget`).set(auth);
    expect(forgotten.status).toBe(200);
    // DR erases asynchronously: the worker reads again until the erasure shows.
    const settled = await eventually('both erasures to be confirmed', async () => {
      const res = await api().get(`/v1/customers/${created.body.id}`).set(auth);
      return (res.body.providers as { status: string }[]).every((l) => l.status === 'synced') ? res : undefined;
    });
    expect(settled.status).toBe(200);
    expect(settled.body).toMatchObject({ id: created.body.id, forgottenAt: expect.any(String), email: null, familyName: null, taxIdentifiers: [] });
    expect(settled.body.deletedAt ?? null).toBeNull();
    expect(linkOf(settled.body, 'digital-river').erasure).toEqual({ status: 'erased', notErased: [] });
    expect(linkOf(settled.body, 'two-checkout').erasure).toEqual({ status: 'partial', notErased: ['address'] });
    expect(drTaxIdentifiersWith(TAX_VALUE)).toEqual([]);
    expect(JSON.stringify(dr().dump().find((c) => c.id === 'erase-forget'))).not.toMatch(/Smith|jsmith|Bren Rd|12-3456789/);
    expect(JSON.stringify(tco().dump().find((c) => c.ExternalCustomerReference === 'erase-forget'))).not.toMatch(/Smith|jsmith|Bren Rd|12-3456789/);
    const byReference = await api().get('/v1/customers/by-reference/digital-river/erase-forget').set(auth);
    expect(byReference.status).toBe(200);
  }); // prettier-ignore
});

describe('a deleted customer past the tombstone retention', () => {
  let gateway: GatewayWithSandboxes;
  const auth = bearer(KEYS.admin);
  const api = () => request(gateway.url);

  beforeAll(async () => {
    // 0.002 h is 7.2 s: long enough to see the 410, short enough to wait for the 404.
    gateway = await startGatewayWithSandboxes({ SYNC_WAIT_MS: '30000', TOMBSTONE_RETENTION_HOURS: '0.002' });
  });
  afterAll(() => gateway.close());

  it('answers 410, then 404 everywhere, include=deleted too', async () => {
    const created = await api().post('/v1/customers').set(auth).send(johnSmith({ externalReference: 'erase-expiry', providers: [DR] }));
    const deleted = await api().delete(`/v1/customers/${created.body.id}`).set(auth);
    expect(deleted.status).toBe(200);
    const first = await api().get(`/v1/customers/${created.body.id}`).set(auth);
    // 410 unless the machine was slow enough for the 7.2 s to pass already.
    expect([410, 404]).toContain(first.status);

    await eventually('the tombstone to answer 404', async () =>
      (await api().get(`/v1/customers/${created.body.id}`).set(auth)).status === 404 ? true : undefined,
    );
    const paths = [`/v1/customers/${created.body.id}?include=deleted`, '/v1/customers/by-reference/digital-river/erase-expiry', `/v1/customers/by-reference/digital-river/erase-expiry?include=deleted`];
    for (const path of paths) {
      const res = await api().get(path).set(auth);
      expect(res.status).toBe(404);
      expect(res.body.code).toBe('customer_not_found');
    }
    expect((await api().get(`/v1/customers?ids=${created.body.id}&include=deleted`).set(auth)).body.data).toEqual([]);
    expect((await api().delete(`/v1/customers/${created.body.id}`).set(auth)).status).toBe(404);
    expect((await api().patch(`/v1/customers/${created.body.id}`).set(auth).send({ metadata: { note: 'x' } })).status).toBe(404);
  }); // prettier-ignore
});

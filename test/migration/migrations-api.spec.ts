import { RunEngine } from '@app/jobs';
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

interface MigrationBody {
  id: string;
  status: string;
  enumerated: boolean;
  ratePerSecond: number;
  etaSeconds: number | null;
  counts: Record<'total' | 'pending' | 'migrated' | 'already_present' | 'skipped' | 'failed', number>;
  lossyFields: Record<string, number>;
}

interface ItemBody {
  seq: number;
  sourceReference: string;
  outcome: string | null;
  reason: { code: string; message: string; retryable: boolean; field?: string } | null;
  lossyFields: string[];
  customerId: string | null;
  targetReference: string | null;
  attempts: number;
}

interface ItemPage {
  data: ItemBody[];
  next: number | null;
}

interface CustomerBody {
  id: string;
  enabled: boolean;
  forgotten: boolean;
  providers: (Link & { primary: boolean })[];
}

const DR = { provider: 'digital-river', account: 'sandbox' };
const TCO = { provider: 'two-checkout', account: 'sandbox' };

const sorted = (values: Iterable<string>) => [...values].sort();

/**
 * One gateway with both sandboxes for the whole file (a cold start costs seconds on a 2-core
 * machine); every test starts from empty sandboxes and an empty database.
 */
describe('POST /v1/migrations (in-process, through the sandboxes)', () => {
  let gateway: GatewayWithSandboxes;
  const admin = bearer(KEYS.admin);
  const api = () => request(gateway.url);

  beforeAll(async () => {
    gateway = await startGatewayWithSandboxes();
  });
  afterAll(async () => {
    await gateway.close();
  });

  beforeEach(async () => {
    for (const sandbox of [gateway.sandboxes['digital-river'], gateway.sandboxes['two-checkout']]) {
      sandbox.admin.setFaults({});
      sandbox.admin.reset();
    }
    await gateway.prisma.$executeRawUnsafe(
      'TRUNCATE customers, provider_links, provider_calls, events, webhook_deliveries, webhook_endpoints, idempotency_records, migration_runs, migration_items, rate_budgets CASCADE',
    );
  });
  afterEach(async () => {
    // Nothing a test started may still be writing when the next one wipes the state.
    await eventually('no migration left running', async () => {
      const running = await gateway.prisma.migrationRun.count({ where: { status: 'running' } });
      if (running > 0) throw new Error(`${running} still running`);
      return true;
    });
    // A cancelled run's customers under way still finish, and would write into the next test's
    // fresh tables (the sandboxes hand out the same ids again after their reset).
    await gateway.app.get(RunEngine).idle();
    await gateway.drain();
  });

  async function progress(id: string): Promise<MigrationBody> {
    const res = await api().get(`/v1/migrations/${id}`).set(admin).expect(200);
    return res.body as MigrationBody;
  }

  async function finished(id: string): Promise<MigrationBody> {
    return eventually(
      `migration ${id} to complete`,
      async () => {
        const body = await progress(id);
        if (body.status !== 'completed')
          throw new Error(`still ${body.status}: ${JSON.stringify(body.counts)}`);
        return body;
      },
      { timeoutMs: 30_000 },
    );
  }

  async function start(body: Record<string, unknown>): Promise<string> {
    const res = await api().post('/v1/migrations').set(admin).send(body).expect(202);
    expect(res.headers.location).toBe(`/v1/migrations/${(res.body as MigrationBody).id}`);
    return (res.body as MigrationBody).id;
  }

  async function items(id: string): Promise<ItemBody[]> {
    const res = await api().get(`/v1/migrations/${id}/items`).set(admin).query({ limit: 1000 }).expect(200);
    return (res.body as ItemPage).data;
  }

  async function customer(id: string): Promise<CustomerBody> {
    const res = await api().get(`/v1/customers/${id}`).set(admin).expect(200);
    return res.body as CustomerBody;
  }

  it('moves every Digital River customer to 2Checkout, and a second run finds them all present', async () => {
    const references = gateway.sandboxes['digital-river'].admin.seed(30);
    const first = await finished(await start({ source: { ...DR, kind: 'list' }, target: TCO, batchSize: 7 }));
    expect(first.counts).toEqual({
      total: 30,
      pending: 0,
      migrated: 30,
      already_present: 0,
      skipped: 0,
      failed: 0,
    });
    const stored = gateway.sandboxes['two-checkout'].admin.dump();
    expect(stored.map((c) => c.ExternalCustomerReference).sort()).toEqual(sorted(references));

    const creates = gateway.sandboxes['two-checkout'].admin.stats().byRoute['POST /customers'] ?? 0;
    const second = await finished(await start({ source: { ...DR, kind: 'list' }, target: TCO }));
    expect(second.counts).toMatchObject({ total: 30, already_present: 30, migrated: 0 });
    expect(gateway.sandboxes['two-checkout'].admin.stats().byRoute['POST /customers'] ?? 0).toBe(creates);
  });

  it('plans a dry run without writing anything', async () => {
    gateway.sandboxes['digital-river'].admin.seed(5);
    const res = await api()
      .post('/v1/migrations')
      .set(admin)
      .send({ source: { ...DR, kind: 'list' }, target: TCO, dryRun: true })
      .expect(200);
    expect(res.body).toMatchObject({ counts: { total: 5, migrate: 5 }, truncated: false });
    expect(gateway.sandboxes['two-checkout'].admin.dump()).toHaveLength(0);
    expect(await gateway.prisma.customer.count()).toBe(0);
    expect(await gateway.prisma.migrationRun.count()).toBe(0);
    expect(await gateway.prisma.providerCall.count()).toBe(0);
  });

  it('moves the given 2Checkout references to Digital River and skips one 2Checkout does not have', async () => {
    const tco = gateway.sandboxes['two-checkout'].admin;
    // seed() answers 2CO's numeric CustomerReference; the adapter also reads by the external one.
    const numeric = tco.seed(6);
    const byNumeric = new Map(tco.dump().map((c) => [c.CustomerReference, c.ExternalCustomerReference!]));
    const given = [...numeric.slice(0, 4), ...numeric.slice(4).map((n) => byNumeric.get(n)!), '999999'];
    const id = await start({ source: { ...TCO, kind: 'references', references: given }, target: DR });
    const run = await finished(id);
    expect(run.counts).toEqual({
      total: 7,
      pending: 0,
      migrated: 6,
      already_present: 0,
      skipped: 1,
      failed: 0,
    });

    const report = await items(id);
    expect(report.map((item) => item.sourceReference)).toEqual(given);
    const missing = report.find((item) => item.sourceReference === '999999')!;
    expect(missing).toMatchObject({
      outcome: 'skipped',
      reason: { code: 'not_found_at_source', retryable: false },
      customerId: null,
      targetReference: null,
    });
    // Whatever reference was given, DR gets the customer under its 2CO ExternalCustomerReference.
    const externals = sorted(byNumeric.values());
    expect(sorted(report.flatMap((item) => item.targetReference ?? []))).toEqual(externals);
    expect(report.filter((item) => item.outcome === 'migrated')).toHaveLength(6);
    // DR keeps one shipping.name: the names are held only in part there, and each item says so.
    for (const item of report.filter((i) => i.outcome === 'migrated')) {
      expect(item.lossyFields).toEqual(expect.arrayContaining(['givenName', 'familyName']));
    }
    expect(run.lossyFields).toMatchObject({ givenName: 6, familyName: 6 });

    // Digital River now holds exactly the source set, each once, with 2CO's data.
    const dr = gateway.sandboxes['digital-river'].admin.dump();
    expect(sorted(dr.map((c) => c.id))).toEqual(externals);
    const first = tco.dump().find((c) => c.CustomerReference === numeric[0])!;
    expect(dr.find((c) => c.id === first.ExternalCustomerReference)).toMatchObject({
      email: first.Email,
      shipping: {
        name: `${first.FirstName} ${first.LastName}`,
        address: { city: first.City, country: 'US' },
      },
    });

    // Each mirrored customer is linked to both, synced.
    const one = await customer(report[0]!.customerId!);
    expect(linkOf(one, 'two-checkout')).toMatchObject({
      reference: first.ExternalCustomerReference,
      status: 'synced',
    });
    expect(linkOf(one, 'digital-river')).toMatchObject({
      reference: first.ExternalCustomerReference,
      status: 'synced',
    });
    expect(await gateway.prisma.customer.count()).toBe(6);
  });

  it('reports per customer and per run the fields 2Checkout cannot hold', async () => {
    const created = await api()
      .post('/v1/customers')
      .set(admin)
      .send(
        johnSmith({
          externalReference: 'lossy-1',
          // 2CO keeps one tax identifier, as FiscalCode: the second is lost there.
          taxIdentifiers: [
            { type: 'us_ein', value: '12-3456789' },
            { type: 'de', value: 'DE123456789' },
          ],
          providers: [{ provider: 'digital-river' }],
        }),
      )
      .expect(201);
    const customerId = (created.body as CustomerBody).id;
    expect(linkOf(created.body as CustomerBody, 'digital-river').status).toBe('synced');
    // Seeded DR customers carry metadata, a type and a regional locale.
    const seeded = gateway.sandboxes['digital-river'].admin.seed(2);

    const id = await start({ source: { ...DR, kind: 'list' }, target: TCO });
    const run = await finished(id);
    expect(run.counts).toMatchObject({ total: 3, migrated: 3, failed: 0 });
    expect(run.lossyFields).toEqual({
      'address.additionalAddressInfo': 1,
      locale: 3,
      metadata: 3,
      taxIdentifiers: 1,
      type: 3,
    });

    const report = await items(id);
    const john = report.find((item) => item.sourceReference === 'lossy-1')!;
    expect(john).toMatchObject({ outcome: 'migrated', customerId, targetReference: 'lossy-1' });
    expect(sorted(john.lossyFields)).toEqual([
      'address.additionalAddressInfo',
      'locale',
      'metadata',
      'taxIdentifiers',
      'type',
    ]);
    for (const reference of seeded) {
      const item = report.find((i) => i.sourceReference === reference)!;
      expect(sorted(item.lossyFields)).toEqual(['locale', 'metadata', 'type']);
    }

    // The lossy fields stay in the mirror; 2CO holds what it can.
    const stored = gateway.sandboxes['two-checkout'].admin
      .dump()
      .find((c) => c.ExternalCustomerReference === 'lossy-1');
    expect(stored).toMatchObject({
      Email: 'jsmith@digitalriver.com',
      FiscalCode: '12-3456789',
      Language: 'en',
    });
    const mirrored = await api().get(`/v1/customers/${customerId}`).set(admin).expect(200);
    expect(mirrored.body).toMatchObject({
      metadata: { coupon: 'SPRING20' },
      taxIdentifiers: [
        { type: 'us_ein', value: '12-3456789' },
        { type: 'de', value: 'DE123456789' },
      ],
      locale: 'en-US',
    });
  });

  describe('refuses a run that could not work, and records nothing', () => {
    const valid = () => ({ source: { ...DR, kind: 'list' }, target: TCO });

    it.each([
      ['an unknown source kind', { source: { ...DR, kind: 'everything' } }, 'source.kind', 'not_allowed'],
      ['a live share above 0.9', { liveShare: 0.95 }, 'liveShare', 'out_of_range'],
      ['a negative live share', { liveShare: -0.1 }, 'liveShare', 'out_of_range'],
      ['a batch size above 100', { batchSize: 101 }, 'batchSize', 'out_of_range'],
      ['the source as target', { target: DR }, 'target', 'same_as_source'],
      [
        'listing 2Checkout, which has no list API',
        { source: { ...TCO, kind: 'list' }, target: DR },
        'source.kind',
        'unsupported_by_provider',
      ],
      [
        'disabling at 2Checkout, which cannot hold a disabled customer',
        {
          source: { ...TCO, kind: 'references', references: ['1'] },
          target: DR,
          cutover: { primary: true, source: 'disable' },
        },
        'cutover.source',
        'unsupported_by_provider',
      ],
      [
        'references without references',
        { source: { ...TCO, kind: 'references' }, target: DR },
        'source.references',
        'required',
      ],
      [
        'an unknown cutover action',
        { cutover: { primary: true, source: 'delete' } },
        'cutover.source',
        'not_allowed',
      ],
      ['an unknown field', { parallel: true }, 'parallel', 'unknown_field'],
    ])('400 for %s', async (_name, change, field, code) => {
      gateway.sandboxes['digital-river'].admin.seed(2);
      for (const dryRun of [false, true]) {
        const res = await api()
          .post('/v1/migrations')
          .set(admin)
          .send({ ...valid(), ...change, ...(dryRun ? { dryRun } : {}) });
        expect(res.status).toBe(400);
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(res.body).toMatchObject({ status: 400, code: 'validation_failed' });
        expect(res.body.errors).toEqual([
          expect.objectContaining({ field, code, message: expect.any(String) }),
        ]);
      }
      expect(await gateway.prisma.migrationRun.count()).toBe(0);
      expect(await gateway.prisma.customer.count()).toBe(0);
      expect(await gateway.prisma.providerCall.count()).toBe(0);
      expect(gateway.sandboxes['digital-river'].admin.stats().requests).toBe(0);
      expect(gateway.sandboxes['two-checkout'].admin.stats().requests).toBe(0);
    });

    it.each([
      [
        'an empty body',
        {},
        [
          ['source', 'required'],
          ['target', 'required'],
        ],
      ],
      ['a source that is a list', { source: [], target: TCO }, [['source', 'not_an_object']]],
      ['a cutover that is a list', { ...valid(), cutover: [] }, [['cutover', 'not_an_object']]],
      [
        'references with a list source',
        { ...valid(), source: { ...DR, kind: 'list', references: ['a'] } },
        [['source.references', 'not_allowed']],
      ],
      [
        'references that are not a list',
        { source: { ...TCO, kind: 'references', references: 'a' }, target: DR },
        [['source.references', 'not_an_array']],
      ],
    ])('400 with field errors for %s, before anything runs', async (_name, body, expected) => {
      const res = await api().post('/v1/migrations').set(admin).send(body);
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body.code).toBe('validation_failed');
      const errors = (res.body as { errors: { field: string; code: string }[] }).errors;
      expect(errors.map((error) => [error.field, error.code])).toEqual(expect.arrayContaining(expected));
      expect(await gateway.prisma.migrationRun.count()).toBe(0);
    });

    it('400 for an account that is not configured, at either end', async () => {
      for (const change of [
        { source: { ...DR, account: 'eu', kind: 'list' } },
        { target: { ...TCO, account: 'eu' } },
      ]) {
        const res = await api()
          .post('/v1/migrations')
          .set(admin)
          .send({ ...valid(), ...change });
        expect(res.status).toBe(400);
        expect(res.body).toMatchObject({ code: 'provider_unknown', detail: expect.stringContaining('/eu') });
      }
      expect(await gateway.prisma.migrationRun.count()).toBe(0);
    });

    it('404 migration_not_found for a run that does not exist', async () => {
      const calls = [
        api().get('/v1/migrations/mig_00000000000000000000'),
        api().get('/v1/migrations/mig_00000000000000000000/items'),
        api().post('/v1/migrations/mig_00000000000000000000/cancel'),
        api().post('/v1/migrations/mig_00000000000000000000/resume'),
      ];
      for (const call of calls) {
        const res = await call.set(admin);
        expect(res.status).toBe(404);
        expect(res.body).toMatchObject({
          status: 404,
          code: 'migration_not_found',
          detail: 'No migration with id "mig_00000000000000000000".',
        });
      }
      expect(await gateway.prisma.migrationRun.count()).toBe(0);
    });

    it('401 without a key and 403 for a customers:read key, on every route', async () => {
      gateway.sandboxes['digital-river'].admin.seed(1);
      const id = await start(valid());
      await finished(id);
      const routes = [
        () => api().post('/v1/migrations').send(valid()),
        () => api().get('/v1/migrations'),
        () => api().get(`/v1/migrations/${id}`),
        () => api().get(`/v1/migrations/${id}/items`),
        () => api().post(`/v1/migrations/${id}/cancel`),
        () => api().post(`/v1/migrations/${id}/resume`),
      ];
      for (const route of routes) {
        const none = await route();
        expect(none.status).toBe(401);
        expect(none.body.code).toBe('unauthenticated');
        const reader = await route().set(bearer(KEYS.reader));
        expect(reader.status).toBe(403);
        expect(reader.body).toMatchObject({ code: 'forbidden', detail: expect.stringContaining('admin') });
      }
      expect(await gateway.prisma.migrationRun.count()).toBe(1);
      const list = await api().get('/v1/migrations').set(admin).expect(200);
      expect((list.body as { data: MigrationBody[] }).data.map((run) => [run.id, run.status])).toEqual([
        [id, 'completed'],
      ]);
    });
  });

  /**
   * `count` DR customers moving to a 2CO that answers after `latencyMs`, two at a time in one
   * batch; resolves once `migrated` of them are done, so the run is caught mid-way.
   */
  async function slowRunUnderWay(count: number, latencyMs: number, migrated: number) {
    const references = gateway.sandboxes['digital-river'].admin.seed(count);
    const tco = gateway.sandboxes['two-checkout'].admin;
    tco.setFaults({ '*': { latencyMs } });
    const id = await start({ source: { ...DR, kind: 'list' }, target: TCO, concurrency: 2, batchSize: 20 });
    await eventually('some customers migrated', async () => {
      const { counts } = await progress(id);
      if (counts.migrated < migrated) throw new Error(JSON.stringify(counts));
      return counts;
    });
    return { references, tco, id };
  }

  it('cancels a run mid-way, holds still while cancelled, and a resume finishes it without a second create', async () => {
    const { references, tco, id } = await slowRunUnderWay(20, 150, 2);

    const cancel = await api().post(`/v1/migrations/${id}/cancel`).set(admin).expect(200);
    expect(cancel.body).toMatchObject({ id, status: 'cancelled' });
    // The customers under way finish; then nothing moves.
    await gateway.app.get(RunEngine).idle();
    const held = await progress(id);
    const creates = tco.stats().byRoute['POST /customers'] ?? 0;
    // Prod the engine as a restart of this process would: a cancelled run is not picked up again.
    await gateway.app.get(RunEngine).resumeInterrupted();
    await gateway.app.get(RunEngine).idle();
    const still = await progress(id);
    expect(held).toMatchObject({ status: 'cancelled', enumerated: true });
    expect(held.counts.total).toBe(20);
    expect(held.counts.pending).toBeGreaterThan(0);
    expect(held.counts.migrated).toBe(20 - held.counts.pending);
    expect(still.counts).toEqual(held.counts);
    expect(tco.stats().byRoute['POST /customers'] ?? 0).toBe(creates);
    expect(tco.dump()).toHaveLength(held.counts.migrated);

    tco.setFaults({});
    const resumed = await api().post(`/v1/migrations/${id}/resume`).set(admin).expect(202);
    expect(resumed.body).toMatchObject({ id, status: 'running' });
    const done = await finished(id);
    expect(done.counts).toEqual({
      total: 20,
      pending: 0,
      migrated: 20,
      already_present: 0,
      skipped: 0,
      failed: 0,
    });
    // Every customer once: one item each, worked once, one 2CO customer each, created once.
    const report = await items(id);
    expect(sorted(report.map((item) => item.sourceReference))).toEqual(sorted(references));
    expect(report.every((item) => item.attempts === 1 && item.outcome === 'migrated')).toBe(true);
    const stored = tco.dump().map((c) => c.ExternalCustomerReference!);
    expect(new Set(stored).size).toBe(stored.length);
    expect(sorted(stored)).toEqual(sorted(references));
    expect(tco.stats().byRoute['POST /customers']).toBe(20);

    // Resuming a completed run does nothing.
    const again = await api().post(`/v1/migrations/${id}/resume`).set(admin).expect(202);
    expect(again.body).toMatchObject({ id, status: 'completed', counts: done.counts });
  });

  it('a resume right after the cancel still finishes the run', async () => {
    const { references, tco, id } = await slowRunUnderWay(12, 100, 1);
    await api().post(`/v1/migrations/${id}/cancel`).set(admin).expect(200);
    // At once, while the customers in flight still wait on 2CO: the drive winding down from the
    // cancel must go round again (or, had it already ended, a new one starts).
    tco.setFaults({});
    await api().post(`/v1/migrations/${id}/resume`).set(admin).expect(202);
    const done = await finished(id);
    expect(done.counts).toMatchObject({ total: 12, pending: 0, migrated: 12, failed: 0 });
    expect(sorted(tco.dump().map((c) => c.ExternalCustomerReference!))).toEqual(sorted(references));
  });

  it('reports the rate and ETA of a running migration, and neither once it stopped', async () => {
    const { id } = await slowRunUnderWay(20, 150, 2);
    const moving = await eventually('a rate and an ETA', async () => {
      const body = await progress(id);
      if (body.etaSeconds === null) throw new Error(JSON.stringify(body));
      return body;
    });
    expect(moving.status).toBe('running');
    expect(moving.ratePerSecond).toBeGreaterThan(0);
    // The ETA is the customers left at the rate measured over the run's own finished items.
    expect(moving.etaSeconds).toBeGreaterThanOrEqual(
      Math.floor(moving.counts.pending / moving.ratePerSecond),
    );

    await api().post(`/v1/migrations/${id}/cancel`).set(admin).expect(200);
    expect(await progress(id)).toMatchObject({ status: 'cancelled', ratePerSecond: 0, etaSeconds: null });
  });

  it('lists the customers of one outcome, and a failure names the field the provider refused', async () => {
    const tco = gateway.sandboxes['two-checkout'].admin;
    const [good, bad] = tco.seed(2);
    // 2Checkout's admin API stores what its public API would refuse; Digital River then refuses it.
    tco.modifyCustomer(bad!, { Email: 'not-an-email' });
    const id = await start({
      source: { ...TCO, kind: 'references', references: [good, bad, '999999'] },
      target: DR,
    });
    const run = await finished(id);
    expect(run.counts).toMatchObject({ total: 3, migrated: 1, skipped: 1, failed: 1, pending: 0 });

    const only = async (outcome: string) => {
      const res = await api().get(`/v1/migrations/${id}/items`).set(admin).query({ outcome }).expect(200);
      return (res.body as ItemPage).data;
    };
    expect((await only('migrated')).map((item) => item.sourceReference)).toEqual([good]);
    expect((await only('skipped')).map((item) => item.sourceReference)).toEqual(['999999']);
    expect(await only('pending')).toEqual([]);
    expect(await only('already_present')).toEqual([]);
    const failed = await only('failed');
    expect(failed).toEqual([
      expect.objectContaining({
        sourceReference: bad,
        outcome: 'failed',
        reason: expect.objectContaining({ code: 'provider_rejected', retryable: false, field: 'email' }),
      }),
    ]);

    const wrong = await api().get(`/v1/migrations/${id}/items`).set(admin).query({ outcome: 'lost' });
    expect(wrong.status).toBe(400);
    expect(wrong.body.errors).toEqual([expect.objectContaining({ field: 'outcome', code: 'not_allowed' })]);
  });

  it('pages the list of runs newest first with limit, startingAfter and endingBefore', async () => {
    gateway.sandboxes['digital-river'].admin.seed(1);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      ids.push(await start({ source: { ...DR, kind: 'list' }, target: TCO }));
      await finished(ids.at(-1)!);
    }
    const [oldest, middle, newest] = ids;
    const page = async (query: Record<string, unknown>) => {
      const res = await api().get('/v1/migrations').set(admin).query(query).expect(200);
      const body = res.body as { data: MigrationBody[]; hasMore: boolean };
      return { ids: body.data.map((run) => run.id), hasMore: body.hasMore };
    };
    expect(await page({})).toEqual({ ids: [newest, middle, oldest], hasMore: false });
    expect(await page({ limit: 2 })).toEqual({ ids: [newest, middle], hasMore: true });
    expect(await page({ limit: 2, startingAfter: middle })).toEqual({ ids: [oldest], hasMore: false });
    expect(await page({ limit: 1, endingBefore: oldest })).toEqual({ ids: [middle], hasMore: true });
    expect(await page({ endingBefore: middle })).toEqual({ ids: [newest], hasMore: false });

    const unknown = await api()
      .get('/v1/migrations')
      .set(admin)
      .query({ startingAfter: 'mig_00000000000000000000' });
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors).toEqual([
      expect.objectContaining({ field: 'startingAfter', code: 'unknown_cursor' }),
    ]);
  });

  it('refuses a second run over the same source and target while one runs, unless forced', async () => {
    const { id } = await slowRunUnderWay(20, 150, 1);
    const second = await api()
      .post('/v1/migrations')
      .set(admin)
      .send({ source: { ...DR, kind: 'list' }, target: TCO });
    expect(second.status).toBe(409);
    expect(second.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(second.body).toMatchObject({
      code: 'migration_already_running',
      detail: expect.stringContaining(id),
    });
    expect(await gateway.prisma.migrationRun.count()).toBe(1);

    const forced = await api()
      .post('/v1/migrations')
      .set(admin)
      .send({ source: { ...DR, kind: 'list' }, target: TCO, force: true })
      .expect(202);
    expect(forced.body).toMatchObject({ status: 'running', force: true });
    for (const run of [id, (forced.body as MigrationBody).id]) {
      await api().post(`/v1/migrations/${run}/cancel`).set(admin).expect(200);
    }
  });

  describe('cutover', () => {
    async function migrateWithCutover(source: string, count = 3) {
      const references = gateway.sandboxes['digital-river'].admin.seed(count);
      const id = await start({
        source: { ...DR, kind: 'list' },
        target: TCO,
        cutover: { primary: true, source },
      });
      const run = await finished(id);
      expect(run.counts).toMatchObject({ total: count, migrated: count, failed: 0 });
      const report = await items(id);
      return { references, report };
    }

    it('keep: the 2Checkout link becomes primary and Digital River stays synced and enabled', async () => {
      const { references, report } = await migrateWithCutover('keep');
      for (const item of report) {
        const body = await customer(item.customerId!);
        expect(
          body.providers.map((link) => [link.provider, link.primary, link.intent, link.status]).sort(),
        ).toEqual([
          ['digital-river', false, 'sync', 'synced'],
          ['two-checkout', true, 'sync', 'synced'],
        ]);
      }
      const dr = gateway.sandboxes['digital-river'].admin.dump();
      expect(sorted(dr.map((c) => c.id))).toEqual(sorted(references));
      expect(dr.every((c) => c.enabled && !c.requestToBeForgotten)).toBe(true);
    });

    it('disable: Digital River holds the customers disabled, and the mirror stops syncing them there', async () => {
      const { references, report } = await migrateWithCutover('disable');
      const dr = gateway.sandboxes['digital-river'].admin.dump();
      expect(sorted(dr.map((c) => c.id))).toEqual(sorted(references));
      expect(dr.map((c) => c.enabled)).toEqual(references.map(() => false));
      expect(dr.every((c) => !c.requestToBeForgotten)).toBe(true);
      for (const item of report) {
        const body = await customer(item.customerId!);
        expect(body.enabled).toBe(true);
        expect(body.providers.map((link) => [link.provider, link.primary])).toEqual([['two-checkout', true]]);
      }
      // A later write to the customer no longer reaches (and re-enables) the DR copy.
      const drCalls = gateway.sandboxes['digital-river'].admin.stats().requests;
      await api()
        .patch(`/v1/customers/${report[0]!.customerId!}`)
        .set(admin)
        .send({ phone: '404-555-0100' })
        .expect(200);
      await gateway.drain();
      expect(gateway.sandboxes['digital-river'].admin.stats().requests).toBe(drCalls);
      expect(gateway.sandboxes['digital-river'].admin.dump().every((c) => !c.enabled)).toBe(true);
    });

    it('disable: goes through the outbox, so a failed first delivery is retried and settles the link once disabled', async () => {
      const dr = gateway.sandboxes['digital-river'].admin;
      // DR applies every update but answers 500: the delivery fails (after the client's own
      // retries) and the sync worker retries it; the next delivery reads the copy back, finds it
      // disabled and settles the link without sending the update again.
      dr.setFaults({ 'POST /customers/:id': { commitThenFailRate: 1 } });
      try {
        const { report } = await migrateWithCutover('disable', 1);
        expect(dr.dump().map((c) => c.enabled)).toEqual([false]);
        const customerId = report[0]!.customerId!;

        const calls = await gateway.prisma.providerCall.findMany({
          where: { customerId, provider: 'digital-river', operation: 'disable' },
          orderBy: { createdAt: 'asc' },
        });
        const updates = calls.filter((call) => call.method === 'POST');
        expect(updates.length).toBeGreaterThan(0);
        expect(updates.every((call) => call.outcome !== 'ok')).toBe(true);
        // The retry read the copy and stopped there: the last call is that read.
        expect(calls.at(-1)).toMatchObject({ method: 'GET', outcome: 'ok' });

        // The link settled like any delivery (its event), then the cutover retired it.
        const events = await gateway.prisma.event.findMany({
          where: { customerId, type: { in: ['customer.link.synced', 'customer.link.retired'] } },
          orderBy: { seq: 'asc' },
        });
        expect(
          events
            .filter((event) => (event.data as { provider?: string }).provider === 'digital-river')
            .map((event) => event.type)
            .slice(-2),
        ).toEqual(['customer.link.synced', 'customer.link.retired']);
        const body = await customer(customerId);
        expect(body.providers.map((link) => link.provider)).toEqual(['two-checkout']);
      } finally {
        dr.setFaults({});
      }
    });

    it('forget: Digital River records the request to be forgotten; the mirror and 2Checkout keep the customer', async () => {
      const { references, report } = await migrateWithCutover('forget');
      // The cutover ends once DR recorded the request; the worker confirms the erasure after.
      await gateway.drain();
      const dr = gateway.sandboxes['digital-river'].admin.dump();
      expect(sorted(dr.map((c) => c.id))).toEqual(sorted(references));
      expect(dr.map((c) => c.requestToBeForgotten)).toEqual(references.map(() => true));
      for (const item of report) {
        const body = await customer(item.customerId!);
        expect(body.forgotten).toBe(false);
        expect(linkOf(body, 'two-checkout')).toMatchObject({
          primary: true,
          intent: 'sync',
          status: 'synced',
        });
        expect(linkOf(body, 'digital-river')).toMatchObject({
          primary: false,
          intent: 'forget',
          status: 'synced',
          erasure: { status: 'erased', notErased: [] },
        });
      }
      expect(
        sorted(gateway.sandboxes['two-checkout'].admin.dump().map((c) => c.ExternalCustomerReference!)),
      ).toEqual(sorted(references));
    });
  });

  it('pages the items with limit and after: every customer exactly once, in order', async () => {
    const references = gateway.sandboxes['digital-river'].admin.seed(5);
    const id = await start({ source: { ...DR, kind: 'list' }, target: TCO, batchSize: 2 });
    await finished(id);

    const seen: ItemBody[] = [];
    const sizes: number[] = [];
    for (let after: number | null = 0; after !== null;) {
      const res = await api()
        .get(`/v1/migrations/${id}/items`)
        .set(admin)
        .query({ limit: 2, ...(after > 0 ? { after } : {}) })
        .expect(200);
      const page = res.body as ItemPage;
      sizes.push(page.data.length);
      seen.push(...page.data);
      expect(page.next).toBe(page.data.length === 2 ? page.data.at(-1)!.seq : null);
      after = page.next;
    }
    expect(sizes).toEqual([2, 2, 1]);
    expect(sorted(seen.map((item) => item.sourceReference))).toEqual(sorted(references));
    const seqs = seen.map((item) => item.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(5);
    expect(seen.every((item) => item.outcome === 'migrated' && item.customerId !== null)).toBe(true);

    // A page that ends exactly at the last customer is followed by an empty one.
    const tail = await api()
      .get(`/v1/migrations/${id}/items`)
      .set(admin)
      .query({ after: seqs[3], limit: 1 })
      .expect(200);
    expect(tail.body).toEqual({ data: [expect.objectContaining({ seq: seqs[4] })], next: seqs[4] });
    const end = await api()
      .get(`/v1/migrations/${id}/items`)
      .set(admin)
      .query({ after: seqs[4] })
      .expect(200);
    expect(end.body).toEqual({ data: [], next: null });

    for (const query of [{ limit: 0 }, { limit: 1001 }, { after: -1 }, { limit: 'many' }]) {
      const bad = await api().get(`/v1/migrations/${id}/items`).set(admin).query(query);
      expect(bad.status).toBe(400);
      // Every rule the value breaks is one error (`many` is neither an integer nor at least 1).
      const { code, errors } = bad.body as { code: string; errors: { field: string }[] };
      expect(code).toBe('validation_failed');
      expect(errors.length).toBeGreaterThan(0);
      expect(new Set(errors.map((error) => error.field))).toEqual(new Set(Object.keys(query)));
    }
  });

  it('through a 10% error rate at the target, ends each customer migrated or failed retryable, and resumes finish them', async () => {
    const references = gateway.sandboxes['digital-river'].admin.seed(40);
    const tco = gateway.sandboxes['two-checkout'].admin;
    tco.setFaults({ '*': { errorRate: 0.1 } });
    const id = await start({ source: { ...DR, kind: 'list' }, target: TCO });
    let run = await finished(id);
    // The client's two attempts per call do not absorb every fault: what they cannot absorb is a
    // failure that may pass, recorded with the provider's reason, never a customer lost or skipped.
    for (let resumes = 0; run.counts.failed > 0 && resumes < 5; resumes++) {
      const failed = (await items(id)).filter((item) => item.outcome === 'failed');
      expect(failed.map((item) => item.reason)).toEqual(
        failed.map(() => expect.objectContaining({ retryable: true })),
      );
      await api().post(`/v1/migrations/${id}/resume`).set(admin).expect(202);
      run = await finished(id);
    }
    // Every customer is at the target once. An attempt whose delivery landed and that failed
    // after it (its verification read hit a fault) is found up to date by the resume, which
    // reports it already_present: the run cannot tell its own earlier write from another run's
    // (a limit the retention of issue 34 left open, named in the closing note).
    expect(run.counts).toMatchObject({ total: 40, pending: 0, skipped: 0, failed: 0 });
    expect(run.counts.migrated + run.counts.already_present).toBe(40);
    expect(tco.stats().faults.error).toBeGreaterThan(0);
    const stored = tco.dump().map((c) => c.ExternalCustomerReference!);
    expect(stored).toHaveLength(40);
    expect(sorted(stored)).toEqual(sorted(references));
  });

  it('keeps Idempotency-Keys to the request: the run a start made, never a customer its background drive adopted', async () => {
    const tco = gateway.sandboxes['two-checkout'].admin;
    gateway.sandboxes['digital-river'].admin.seed(3);
    // Every create at the target fails: the run ends with failures that a resume retries.
    tco.setFaults({ 'POST /customers': { errorRate: 1 } });
    const started = await api()
      .post('/v1/migrations')
      .set(admin)
      .set('Idempotency-Key', 'start-once')
      .send({ source: { ...DR, kind: 'list' }, target: TCO })
      .expect(202);
    const id = (started.body as MigrationBody).id;
    expect((await finished(id)).counts.failed).toBe(3);
    tco.setFaults({});
    await api()
      .post(`/v1/migrations/${id}/resume`)
      .set(admin)
      .set('Idempotency-Key', 'resume-once')
      .expect(202);
    expect((await finished(id)).counts.migrated).toBe(3);

    const records = await gateway.prisma.idempotencyRecord.findMany({ orderBy: { key: 'asc' } });
    expect(records.map(({ key, recoveryPoint, resourceId }) => ({ key, recoveryPoint, resourceId }))).toEqual(
      [
        // The resume's own change is not a write that records one; the adoptions it drove are not its.
        { key: 'resume-once', recoveryPoint: 'started', resourceId: null },
        { key: 'start-once', recoveryPoint: 'committed', resourceId: id },
      ],
    );
  });
});

describe('POST /v1/migrations when the migration delivers every copy itself', () => {
  let gateway: GatewayWithSandboxes;
  const admin = bearer(KEYS.admin);

  beforeAll(async () => {
    // No outbox worker to race the migration for the links it adds (the migration delivers them
    // itself): a link another worker delivered is read back to verify it, right but not pinned here.
    gateway = await startGatewayWithSandboxes({ SYNC_WORKER: 'off' });
  });
  afterAll(async () => {
    await gateway.close();
  });

  it('costs 2Checkout two calls per customer: the create, and the read that verification makes', async () => {
    gateway.sandboxes['digital-river'].admin.seed(30);
    const started = await request(gateway.url)
      .post('/v1/migrations')
      .set(admin)
      .send({ source: { ...DR, kind: 'list' }, target: TCO, batchSize: 7 })
      .expect(202);
    const id = (started.body as MigrationBody).id;
    const run = await eventually(`migration ${id} to complete`, async () => {
      const body = (await request(gateway.url).get(`/v1/migrations/${id}`).set(admin).expect(200))
        .body as MigrationBody;
      if (body.status !== 'completed') throw new Error(`still ${body.status}`);
      return body;
    });
    expect(run.counts).toMatchObject({ total: 30, migrated: 30, failed: 0 });
    // Per customer: the POST (a first delivery reads nothing first), which answers only 2CO's
    // numeric reference, and verification's GET of the copy, no more.
    expect(gateway.sandboxes['two-checkout'].admin.stats().byRoute).toEqual({
      'GET /customers/:ref': 30,
      'POST /customers': 30,
    });
  });
});

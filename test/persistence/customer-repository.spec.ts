import { randomUUID } from 'node:crypto';

import { type CustomerData, DomainError, jobContext, JOB_ACTORS } from '@app/domain';
import { createTestDatabase, PrismaCustomerRepository, type TestDatabase } from '@app/persistence';

/** A node of `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON)`; its block counts include its children's. */
interface PlanNode {
  'Shared Hit Blocks': number;
  'Shared Read Blocks': number;
}

/** The writer of the changes below unless a test names one: no request, a system job. */
const TEST_CONTEXT = jobContext(JOB_ACTORS.system);

const data = (overrides: Partial<CustomerData> = {}): CustomerData => ({
  email: 'john.smith@example.test',
  givenName: 'John',
  familyName: 'Smith',
  address: { line1: '10380 Bren Rd W', city: 'Minnetonka', state: 'MN', postalCode: '55129', country: 'US' },
  type: 'individual',
  enabled: true,
  metadata: { plan: 'gold' },
  taxIdentifiers: [{ type: 'us_ein', value: '12-3456789' }],
  taxCertificates: [],
  sourceIds: ['src_1'],
  defaultSourceId: 'src_1',
  ...overrides,
});

/**
 * The repository reads a customer with its links in one statement and answers writes with the rows
 * the write statement returned: what it answers must be exactly what a later read finds.
 */
describe('PrismaCustomerRepository', () => {
  let database: TestDatabase;
  let repository: PrismaCustomerRepository;

  beforeAll(async () => {
    database = await createTestDatabase();
    repository = new PrismaCustomerRepository(database);
  });
  afterAll(() => database.close());

  const newId = () => `cus_${randomUUID().replaceAll('-', '').slice(0, 24)}`;

  it('answers a create and an update exactly as a read finds them, links ordered', async () => {
    const id = newId();
    const { customer: created, claimed } = await repository.insert(
      TEST_CONTEXT,
      id,
      data({ externalReference: `ref-${id}` }),
      [
        { provider: 'two-checkout', account: 'eu', reference: `ref-${id}` },
        { provider: 'digital-river', account: 'live', reference: `ref-${id}` },
      ],
    );
    expect(claimed).toEqual([]);
    expect(created.providers.map((link) => link.provider)).toEqual(['digital-river', 'two-checkout']);
    expect(created).toMatchObject({ version: 1, forgottenAt: undefined, deletedAt: undefined });
    expect(created.providers[0]).toMatchObject({ status: 'pending', intent: 'sync', attempts: 0 });
    expect(await repository.findById(id)).toEqual(created);

    const updated = await repository.modify(TEST_CONTEXT, id, (current) => ({
      ...current,
      givenName: 'Jon',
      address: undefined,
      sourceIds: [],
      defaultSourceId: undefined,
    }));
    expect(updated).toMatchObject({ version: 2, givenName: 'Jon', address: undefined, sourceIds: [] });
    expect(await repository.findById(id)).toEqual(updated);

    const adoptedId = newId();
    const adopted = await repository.insertAdopted(
      TEST_CONTEXT,
      adoptedId,
      data({ email: undefined, address: undefined }),
      {
        provider: 'two-checkout',
        account: 'eu',
        reference: `adopted-${adoptedId}`,
        providerCustomerId: '1234',
        unsupportedFields: ['locale'],
        lossyFields: ['address'],
      },
    );
    expect(adopted.providers[0]).toMatchObject({
      status: 'synced',
      syncedVersion: 1,
      providerCustomerId: '1234',
      unsupportedFields: ['locale'],
      lossyFields: ['address'],
    });
    expect(await repository.findById(adoptedId)).toEqual(adopted);
  });

  it('writes the links claimed for the worker under a lease, as the first attempt, and answers them', async () => {
    const id = newId();
    const before = Date.now();
    const { customer, claimed } = await repository.insert(
      TEST_CONTEXT,
      id,
      data(),
      [
        { provider: 'digital-river', account: 'live', reference: id },
        { provider: 'two-checkout', account: 'eu', reference: id },
      ],
      { workerId: 'worker-test', leaseMs: 60_000 },
    );
    const rows = await database.prisma.providerLink.findMany({
      where: { customerId: id },
      orderBy: { provider: 'asc' },
    });
    expect(
      rows.map((row) => ({ lockedBy: row.lockedBy, attempts: row.attempts, status: row.status })),
    ).toEqual([
      { lockedBy: 'worker-test', attempts: 1, status: 'pending' },
      { lockedBy: 'worker-test', attempts: 1, status: 'pending' },
    ]);
    // Leased by the database's clock for the lease's length, not for a moment.
    for (const row of rows) expect(row.lockedUntil!.getTime()).toBeGreaterThan(before + 50_000);
    expect(claimed).toEqual(
      rows.map((row) => ({
        id: row.id,
        customerId: id,
        provider: row.provider,
        account: row.account,
        reference: id,
        intent: 'sync',
        attempts: 1,
        unsupportedFields: [],
      })),
    );
    expect(customer.providers.map((link) => link.lockedUntil)).toEqual(rows.map((row) => row.lockedUntil));
    expect(await repository.findById(id)).toEqual(customer);
  });

  it('reads and writes times as UTC in a process whose time zone is not UTC, as Prisma does', async () => {
    // jest.config.js runs the rings eight hours off UTC. On PostgreSQL reads and creates go
    // straight to the driver; Prisma's own reads are the reference.
    expect(new Date(0).getTimezoneOffset()).not.toBe(0);
    const id = newId();
    const before = Date.now();
    const { customer: created } = await repository.insert(TEST_CONTEXT, id, data(), []);
    const stored = await database.prisma.customer.findUniqueOrThrow({ where: { id } });
    expect(created.createdAt).toEqual(stored.createdAt);
    expect((await repository.findById(id))?.createdAt).toEqual(stored.createdAt);
    expect((await repository.list({ limit: 1, ids: [id] })).data[0]?.updatedAt).toEqual(stored.updatedAt);
    // Within the minutes of the test, not hours away.
    expect(Math.abs(stored.createdAt.getTime() - before)).toBeLessThan(10 * 60_000);
  });

  it("finds a customer by a provider's reference or id without walking the provider's other links", async () => {
    // The lookup names the provider, not the account (GET /v1/customers/by-reference, and the
    // migration job's check of every source customer); led by (provider, account), an index is
    // walked over every link of the provider, so a migration slowed down as it went.
    const links = 20_000;
    const tag = randomUUID().slice(0, 8);
    await database.prisma.$executeRawUnsafe(`
      WITH bulk AS (
        INSERT INTO customers (id, updated_at)
        SELECT 'cus_${tag}_' || n, now() FROM generate_series(1, ${links}) AS n RETURNING id)
      INSERT INTO provider_links (id, customer_id, provider, account, reference, provider_customer_id, updated_at)
      SELECT 'lnk_' || id, id, 'two-checkout', 'bulk-' || right(id, 1), id, '9${tag}' || right(id, 5), now()
        FROM bulk`);
    await database.prisma.$executeRawUnsafe('ANALYZE provider_links');
    const target = `cus_${tag}_12345`;

    expect(await repository.findIdByReference('two-checkout', target)).toBe(target);
    expect(await repository.findIdByReference('two-checkout', `9${tag}12345`)).toBe(target);
    expect(await repository.findIdByReference('digital-river', target)).toBeUndefined();
    // The same condition as the lookup's, planned by the server: the pages it had to read.
    const [plan] = await database.prisma.$queryRawUnsafe<{ 'QUERY PLAN': [{ Plan: PlanNode }] }[]>(
      `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) SELECT customer_id FROM provider_links
        WHERE provider = 'two-checkout' AND (reference = $1 OR provider_customer_id = $1) LIMIT 1`,
      target,
    );
    const pages = (node: PlanNode): number => node['Shared Hit Blocks'] + node['Shared Read Blocks'];
    expect(pages(plan!['QUERY PLAN'][0].Plan)).toBeLessThan(40);
  });

  it('records the event of a create without links, which has a statement of its own', async () => {
    const id = newId();
    const { customer } = await repository.insert({ requestId: 'req-0', actor: 'writer' }, id, data(), []);
    expect(customer).toMatchObject({ id, version: 1, providers: [] });
    const events = await database.prisma.event.findMany({ where: { customerId: id } });
    expect(events.map((event) => [event.type, event.actor, event.requestId, event.data])).toEqual([
      ['customer.created', 'writer', 'req-0', { version: 1, providers: [] }],
    ]);
    expect(await database.prisma.providerLink.count({ where: { customerId: id } })).toBe(0);
  });

  it('records the event of a create and of an update that changed something, not of one that did not', async () => {
    const id = newId();
    await repository.insert({ requestId: 'req-1', actor: 'writer' }, id, data(), [
      { provider: 'digital-river', account: 'live', reference: id },
    ]);
    await repository.modify(TEST_CONTEXT, id, (current) => ({ ...current, phone: '612-555-0100' }));
    await repository.modify(TEST_CONTEXT, id, (current) => ({ ...current }));
    const events = await database.prisma.event.findMany({
      where: { customerId: id },
      orderBy: { seq: 'asc' },
    });
    expect(events.map((event) => [event.type, event.actor, event.requestId])).toEqual([
      ['customer.created', 'writer', 'req-1'],
      ['customer.updated', 'system', null],
    ]);
    expect(events[0]!.data).toEqual({
      version: 1,
      providers: [{ provider: 'digital-river', account: 'live', reference: id }],
    });
    expect(events[1]!.data).toEqual({ version: 2, changedFields: ['phone'] });
  });

  it('refuses a taken external reference or provider reference, and writes nothing then', async () => {
    const first = newId();
    await repository.insert(TEST_CONTEXT, first, data({ externalReference: `taken-${first}` }), [
      { provider: 'digital-river', account: 'live', reference: `held-${first}` },
    ]);
    const second = newId();
    const refusal = (promise: Promise<unknown>) =>
      promise.then(
        () => undefined,
        (error: unknown) => (error instanceof DomainError ? error.code : error),
      );
    expect(
      await refusal(
        repository.insert(TEST_CONTEXT, second, data({ externalReference: `taken-${first}` }), []),
      ),
    ).toBe('external_reference_taken');
    expect(
      await refusal(
        repository.insert(TEST_CONTEXT, second, data(), [
          { provider: 'digital-river', account: 'live', reference: `held-${first}` },
        ]),
      ),
    ).toBe('provider_reference_taken');
    expect(await repository.findById(second)).toBeUndefined();
    expect(await database.prisma.event.count({ where: { customerId: second } })).toBe(0);
    const third = newId();
    await repository.insert(TEST_CONTEXT, third, data({ externalReference: `other-${third}` }), []);
    expect(
      await refusal(
        repository.modify(TEST_CONTEXT, third, (current) => ({
          ...current,
          externalReference: `taken-${first}`,
        })),
      ),
    ).toBe('external_reference_taken');
  });

  it('lists with every filter in one statement, and refuses an unknown cursor', async () => {
    const tag = randomUUID().slice(0, 8);
    const ids: string[] = [];
    for (let n = 0; n < 3; n++) {
      const id = newId();
      ids.push(id);
      await repository.insert(TEST_CONTEXT, id, data({ email: `Page_${n}.${tag}@Example.test` }), [
        { provider: n === 0 ? 'two-checkout' : 'digital-river', account: 'live', reference: id },
      ]);
    }
    await database.prisma.providerLink.updateMany({
      where: { customerId: ids[1] },
      data: { status: 'failed' },
    });
    await repository.erase(TEST_CONTEXT, ids[2]!);
    const page = async (query: Parameters<PrismaCustomerRepository['list']>[0]) =>
      (await repository.list(query)).data.map((customer) => customer.id);

    expect(await page({ limit: 10, ids })).toEqual([ids[2], ids[1], ids[0]]);
    // Case-insensitive, and `_` is no wildcard.
    expect(await page({ limit: 10, email: `page_0.${tag}@example.TEST` })).toEqual([ids[0]]);
    expect(await page({ limit: 10, email: `pageX0.${tag}@example.test` })).toEqual([]);
    expect(await page({ limit: 10, ids, provider: 'two-checkout' })).toEqual([ids[0]]);
    expect(await page({ limit: 10, ids, syncStatus: 'failed' })).toEqual([ids[1]]);
    expect(await page({ limit: 10, ids, provider: 'digital-river', syncStatus: 'pending' })).toEqual([
      ids[2],
    ]);
    expect(await page({ limit: 10, ids, forgotten: true })).toEqual([ids[2]]);
    expect(await page({ limit: 10, ids, forgotten: false })).toEqual([ids[1], ids[0]]);

    const first = await repository.list({ limit: 1, ids });
    expect([first.data.map((c) => c.id), first.hasMore]).toEqual([[ids[2]], true]);
    expect(await page({ limit: 1, ids, startingAfter: ids[2] })).toEqual([ids[1]]);
    expect(await page({ limit: 5, ids, endingBefore: ids[0] })).toEqual([ids[2], ids[1]]);
    const unknown = await repository
      .list({ limit: 1, startingAfter: 'cus_nope' })
      .catch((error: unknown) => error);
    expect(unknown).toMatchObject({
      code: 'validation_failed',
      fieldErrors: [expect.objectContaining({ field: 'startingAfter' })],
    });
  });
});

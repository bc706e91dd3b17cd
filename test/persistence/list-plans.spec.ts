import { jobContext, JOB_ACTORS } from '@app/domain';
import {
  createTestDatabase,
  EventStore,
  planProblems,
  type PlanNode,
  PrismaCustomerRepository,
  PrismaProviderCallLog,
  relationsOf,
  scaleCustomerId,
  scaleEmail,
  scaleTwoCheckoutId,
  seedScaleMirror,
  type TestDatabase,
} from '@app/persistence';
import { captureStatements, openRawSession, type RawSession } from '@app/persistence/testing';

/**
 * The plan check of `npm run bench:scale` in CI (issue 34): at 50,000 customers, the statements
 * the gateway's reads send (captured from the driver, not copied) must not scan a large table or
 * read more than 10x the rows they return (libs/persistence testing/query-plans.ts). The bench
 * times them up to a million customers; this keeps a change from quietly bringing a scan back.
 *
 * Always on PostgreSQL (TEST_DATABASE_URL, else the local server every machine runs), also in
 * `npm test`: the statements are captured at the `pg` driver, which the embedded PGlite does not
 * go through, and the plans that matter are PostgreSQL's. Plans are read with ANALYZE: under a
 * LIMIT, EXPLAIN's estimates count the whole index an ordered walk stops early in, so only actual
 * row counts tell a page read from a scan (at this size each statement runs in milliseconds).
 */
const SIZE = 50_000;
const POSTGRES = process.env['TEST_DATABASE_URL'] || 'postgresql://postgres@127.0.0.1:5432/test';

// Seeding 50,000 customers (200,000 more rows) takes 10-40 s on a busy 2-core machine.
jest.setTimeout(180_000);

describe(`the reads' plans at ${SIZE} customers`, () => {
  let database: TestDatabase;
  let explainer: RawSession;
  let customers: PrismaCustomerRepository;
  let events: EventStore;
  let calls: PrismaProviderCallLog;
  const beforeStatistics: Record<string, string[]> = {};

  beforeAll(async () => {
    // This file's database is PostgreSQL whatever the ring runs on; the variable is put back after.
    const ringDatabase = process.env['TEST_DATABASE_URL'];
    process.env['TEST_DATABASE_URL'] = POSTGRES;
    try {
      database = await createTestDatabase();
    } finally {
      if (ringDatabase === undefined) delete process.env['TEST_DATABASE_URL'];
      else process.env['TEST_DATABASE_URL'] = ringDatabase;
    }
    const seeding = performance.now();
    // No statistics until the ANALYZE below, whatever the server's autovacuum does meanwhile.
    for (const table of ['customers', 'provider_links', 'events', 'provider_calls'])
      await database.prisma.$executeRawUnsafe(`ALTER TABLE ${table} SET (autovacuum_enabled = false)`);
    await seedScaleMirror((sql) => database.prisma.$executeRawUnsafe(sql), 0, SIZE);
    console.log(`seeded ${SIZE} customers in ${((performance.now() - seeding) / 1000).toFixed(1)} s`);
    explainer = await openRawSession(POSTGRES, { schema: `"${database.schema}"` });
    customers = new PrismaCustomerRepository(database);
    events = new EventStore(database.prisma);
    calls = new PrismaProviderCallLog(database.prisma, database);
    for (const [name, read] of READS) beforeStatistics[name] = await problemsOf(read);
    // Statistics as autovacuum would leave them after such a load (CI's server may run without it).
    await database.prisma.$executeRawUnsafe(
      'VACUUM ANALYZE customers, provider_links, events, provider_calls',
    );
  });

  afterAll(async () => {
    await explainer?.end();
    await database?.close();
  });

  /** Runs `read`, then EXPLAINs each statement it sent that reads a table: their problems. */
  async function problemsOf(read: () => Promise<unknown>): Promise<string[]> {
    const statements = await captureStatements(read);
    const reads = statements.filter(
      ({ text }) => /^\s*(SELECT|WITH)\b/i.test(text) && !/\b(INSERT|UPDATE|DELETE)\b/i.test(text),
    );
    expect(reads.length).toBeGreaterThan(0);
    const problems: string[] = [];
    for (const { text, values } of reads) {
      const rows = await explainer.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(
        `EXPLAIN (ANALYZE, FORMAT JSON) ${text}`,
        values,
      );
      const plan = rows[0]!['QUERY PLAN'][0].Plan;
      if (relationsOf(plan).length > 0) problems.push(...planProblems(plan));
    }
    return problems;
  }

  const oldest = scaleCustomerId(40);
  const context = jobContext(JOB_ACTORS.system);
  const list = (query: Parameters<PrismaCustomerRepository['list']>[0]) => () => customers.list(query);
  const READS: [string, () => Promise<unknown>][] = [
    ['read by id', () => customers.findById(scaleCustomerId(31_337))],
    ['list, first page', list({ limit: 10 })],
    ['list, deep cursor', list({ limit: 10, startingAfter: oldest })],
    ['list, previous page', list({ limit: 10, endingBefore: oldest })],
    ['filter email', list({ limit: 10, email: scaleEmail(4_242).toLowerCase() })],
    ['filter provider', list({ limit: 10, provider: 'two-checkout' })],
    ['filter syncStatus=failed', list({ limit: 10, syncStatus: 'failed' })],
    [
      'filter syncStatus, deep',
      list({ limit: 10, syncStatus: 'pending', startingAfter: scaleCustomerId(2_000) }),
    ],
    ['filter provider and syncStatus', list({ limit: 10, provider: 'digital-river', syncStatus: 'failed' })],
    ['by reference: DR id', () => customers.findIdByReference('digital-river', scaleCustomerId(777))],
    ['by reference: 2CO ours', () => customers.findIdByReference('two-checkout', 'ext-777')],
    ["by reference: 2CO's id", () => customers.findIdByReference('two-checkout', scaleTwoCheckoutId(777))],
    ['events, first page', () => events.list({ limit: 10 })],
    ['events of a customer', () => events.list({ limit: 10, customerId: scaleCustomerId(999) })],
    ["a customer's call log", () => calls.recent(scaleCustomerId(999), 20)],
  ];

  it.each(READS)('%s reads about as many rows as it answers', async (_name, read) => {
    expect(await problemsOf(read)).toEqual([]);
  });

  // Statistics lag behind inserts (autovacuum analyzes a table after 10% of it changed, and some
  // servers run without it): the soak's list pages grew from 3 to 10 ms as its customers did,
  // through a plan that read every live customer by the tombstone index and sorted them.
  it.each(READS)('%s reads about as many rows as it answers before the tables have statistics', (name) => {
    expect(beforeStatistics[name]).toEqual([]);
  });

  it('events, tailed from near the end, read about as many rows as they answer', async () => {
    const [last] = (await events.list({ limit: 1, customerId: scaleCustomerId(SIZE - 3) })).data;
    expect(await problemsOf(() => events.list({ limit: 10, startingAfter: last!.id }))).toEqual([]);
  });

  it('a link added after the create carries its customer seq, so the filters find it', async () => {
    const id = scaleCustomerId(12_345);
    await customers.addLink(context, id, {
      provider: 'digital-river',
      account: 'second',
      reference: 'second-ref',
    });

    // The newest pending Digital River link older than the next customer is this one.
    const page = await customers.list({
      limit: 1,
      provider: 'digital-river',
      syncStatus: 'pending',
      startingAfter: scaleCustomerId(12_346),
    });
    expect(page.data.map((customer) => customer.id)).toEqual([id]);
  });
});

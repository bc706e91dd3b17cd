import {
  createTestDatabase,
  type RetentionOptions,
  RetentionPurges,
  type TestDatabase,
} from '@app/persistence';

jest.setTimeout(120_000);

const HOUR = 3_600_000;
const NOW = new Date('2026-12-07T12:00:00.000Z');
/** A timestamp `hours` before NOW, as SQL takes it. */
const ago = (hours: number) => new Date(NOW.getTime() - hours * HOUR).toISOString();

const WINDOWS: RetentionOptions = {
  providerCallsMs: 1 * HOUR,
  runItemsMs: 2 * HOUR,
  webhookDeliveriesMs: 3 * HOUR,
  eventsMs: 4 * HOUR,
  tombstonesMs: 5 * HOUR,
  receivedProviderEventsMs: 6 * HOUR,
  batchSize: 1_000,
  maxBatchesPerRound: 1_000,
};

describe('RetentionPurges: every growing table purged past its window, in bounded batches', () => {
  let database: TestDatabase;
  const sql = (text: string) => database.prisma.$executeRawUnsafe(text);
  const ids = async (query: string) =>
    (await database.prisma.$queryRawUnsafe<{ id: string }[]>(query)).map((row) => row.id).sort();
  const purges = (options: Partial<RetentionOptions> = {}) =>
    new RetentionPurges(database.prisma, { ...WINDOWS, ...options });

  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database.close();
  });
  // One database for the file (opening one takes seconds on PGlite), emptied before each test.
  beforeEach(async () => {
    await sql(
      `TRUNCATE provider_calls, migration_runs, events, webhook_endpoints, customers, idempotency_records CASCADE`,
    );
  });

  const providerCalls = (prefix: string, count: number, hoursAgo: number) =>
    sql(`
      INSERT INTO provider_calls (id, provider, account, operation, method, path, outcome, duration_ms, created_at)
      SELECT '${prefix}' || n, 'digital-river', 'live', 'sync', 'GET', '/customers/{id}', 'ok', 5, '${ago(hoursAgo)}'
        FROM generate_series(1, ${count}) AS n`);

  it('provider calls: older than the window go, in batches of at most batchSize, a round ending after maxBatchesPerRound', async () => {
    await providerCalls('old', 10, 2);
    await providerCalls('new', 4, 0.5);
    const bounded = purges({ batchSize: 3, maxBatchesPerRound: 2 });

    // Two batches of three: the round stops although old rows are left, the next takes the rest.
    expect(await bounded.purge('providerCalls', NOW)).toBe(6);
    expect(await bounded.purge('providerCalls', NOW)).toBe(4);
    expect(await bounded.purge('providerCalls', NOW)).toBe(0);
    expect(await ids('SELECT id FROM provider_calls')).toEqual(['new1', 'new2', 'new3', 'new4']);
  });

  it('run items: those of a completed run past the window go, then the run; running, interrupted and cancelled runs keep theirs', async () => {
    const run = (id: string, status: string, finishedHoursAgo: number | null) =>
      sql(`
        INSERT INTO migration_runs (id, status, options, updated_at, finished_at)
        VALUES ('${id}', '${status}', '{}', now(),
                ${finishedHoursAgo === null ? 'NULL' : `'${ago(finishedHoursAgo)}'`})`);
    const items = (runId: string, count: number) =>
      sql(`
        INSERT INTO migration_items (run_id, seq, source_reference, outcome)
        SELECT '${runId}', n, 'ref' || n, 'migrated' FROM generate_series(1, ${count}) AS n`);
    await run('mig_old_done', 'completed', 3);
    await run('mig_new_done', 'completed', 1);
    await run('mig_running', 'running', null);
    await run('mig_interrupted', 'interrupted', null);
    // A cancelled run may be resumed: its items are its checkpoint.
    await run('mig_cancelled', 'cancelled', 3);
    for (const id of ['mig_old_done', 'mig_new_done', 'mig_running', 'mig_interrupted', 'mig_cancelled'])
      await items(id, 5);

    const round = await purges({ batchSize: 2 }).round(NOW);
    expect(round.runItems).toBe(5);
    expect(round.runs).toBe(1);
    expect(await ids('SELECT id FROM migration_runs')).toEqual(
      ['mig_cancelled', 'mig_interrupted', 'mig_new_done', 'mig_running'].sort(),
    );
    expect(
      await ids(`SELECT DISTINCT run_id AS id FROM migration_items GROUP BY run_id HAVING count(*) = 5`),
    ).toEqual(['mig_cancelled', 'mig_interrupted', 'mig_new_done', 'mig_running'].sort());
  });

  it('deliveries and events: finished deliveries past their window go; pending ones and the events they still have to send stay', async () => {
    await sql(`
      INSERT INTO webhook_endpoints (id, url, event_types, updated_at)
      VALUES ('we_1', 'https://example.test/hook', '{*}', now())`);
    const event = (id: string, hoursAgo: number) =>
      sql(
        `INSERT INTO events (id, type, actor, created_at) VALUES ('${id}', 'customer.updated', 'test', '${ago(hoursAgo)}')`,
      );
    const delivery = (id: string, eventId: string, status: string, finishedHoursAgo: number | null) =>
      sql(`
        INSERT INTO webhook_deliveries (id, endpoint_id, event_id, event_seq, status, created_at, finished_at)
        SELECT '${id}', 'we_1', e.id, e.seq, '${status}', e.created_at,
               ${finishedHoursAgo === null ? 'NULL' : `'${ago(finishedHoursAgo)}'`}
          FROM events e WHERE e.id = '${eventId}'`);
    await event('evt_old_pending', 10);
    await event('evt_old_done', 10);
    await event('evt_recent', 3.5);
    await delivery('wd_pending', 'evt_old_pending', 'pending', null);
    await delivery('wd_old_delivered', 'evt_old_done', 'delivered', 9);
    await delivery('wd_old_failed', 'evt_recent', 'failed', 3.5);
    await delivery('wd_recent_delivered', 'evt_recent', 'delivered', 1);

    const round = await purges({ batchSize: 1 }).round(NOW);
    expect(round.webhookDeliveries).toBe(2);
    expect(await ids('SELECT id FROM webhook_deliveries')).toEqual(['wd_pending', 'wd_recent_delivered']);
    expect(round.events).toBe(1);
    expect(await ids('SELECT id FROM events')).toEqual(['evt_old_pending', 'evt_recent']);
  });

  it('tombstones: a deleted customer past the window goes with its links once every link is settled', async () => {
    const customer = (id: string, deletedHoursAgo: number | null) =>
      sql(`
        INSERT INTO customers (id, updated_at, deleted_at)
        VALUES ('${id}', now(), ${deletedHoursAgo === null ? 'NULL' : `'${ago(deletedHoursAgo)}'`})`);
    const link = (customerId: string, status: string, lockedUntil: string | null = null) =>
      sql(`
        INSERT INTO provider_links (id, customer_id, provider, account, reference, status, intent, updated_at, locked_until)
        VALUES ('lnk_${customerId}_${status}', '${customerId}', 'digital-river', 'live', 'ref_${customerId}_${status}',
                '${status}', 'delete', now(), ${lockedUntil === null ? 'NULL' : `'${lockedUntil}'`})`);
    await customer('cus_settled', 6);
    await link('cus_settled', 'synced');
    await customer('cus_no_links', 6);
    await customer('cus_pending', 6);
    await link('cus_pending', 'pending');
    await customer('cus_failed', 6);
    await link('cus_failed', 'failed');
    await customer('cus_leased', 6);
    await link('cus_leased', 'synced', new Date(NOW.getTime() + 60_000).toISOString());
    await customer('cus_recent', 4);
    await link('cus_recent', 'synced');
    await customer('cus_alive', null);

    expect((await purges({ batchSize: 1 }).round(NOW)).tombstones).toBe(2);
    expect(await ids('SELECT id FROM customers')).toEqual(
      ['cus_alive', 'cus_failed', 'cus_leased', 'cus_pending', 'cus_recent'].sort(),
    );
    expect(await ids(`SELECT id FROM provider_links WHERE customer_id = 'cus_settled'`)).toEqual([]);
  });

  it('idempotency records: those past their expiry go', async () => {
    await sql(`
      INSERT INTO idempotency_records (id, api_key_id, key, request_hash, expires_at)
      VALUES ('idem_expired', 'key_1', 'a', 'h', '${ago(0.1)}'), ('idem_live', 'key_1', 'b', 'h', '${ago(-1)}')`);
    expect((await purges().round(NOW)).idempotencyRecords).toBe(1);
    expect(await ids('SELECT id FROM idempotency_records')).toEqual(['idem_live']);
  });

  it('skips rows another transaction holds rather than waiting for them', async () => {
    await providerCalls('old', 3, 2);
    const purge = purges();
    // A request holding one expired row (FOR UPDATE, in an open transaction): the purge takes
    // the two others at once and leaves that one for a later round.
    await database.prisma.$transaction(async (tx) => {
      await tx.$queryRawUnsafe(`SELECT id FROM provider_calls WHERE id = 'old1' FOR UPDATE`);
      if (database.postgres) expect(await purge.purge('providerCalls', NOW)).toBe(2);
    });
    expect(await purge.purge('providerCalls', NOW)).toBe(database.postgres ? 1 : 3);
  });
});

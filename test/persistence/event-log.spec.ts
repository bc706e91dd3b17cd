import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { customerData, JOB_ACTORS, jobContext, type MigrationSpec } from '@app/domain';
import {
  createTestDatabase,
  PrismaCustomerRepository,
  PrismaMigrationStore,
  recordEvent,
  type TestDatabase,
} from '@app/persistence';

/** The writer of the changes below: no request, a system job. */
const TEST_CONTEXT = jobContext(JOB_ACTORS.system);

const spec: MigrationSpec = {
  source: { provider: 'digital-river', account: 'live', kind: 'list' },
  target: { provider: 'two-checkout', account: 'eu' },
  concurrency: 4,
  liveShare: 0.2,
  batchSize: 100,
};

describe('the event log', () => {
  let database: TestDatabase;
  let store: PrismaMigrationStore;

  beforeAll(async () => {
    database = await createTestDatabase();
    store = new PrismaMigrationStore(database.prisma);
  });
  afterAll(() => database.close());

  const eventsOf = (migrationId: string) =>
    database.prisma.event.findMany({ where: { migrationId }, orderBy: { seq: 'asc' } });

  it('announces a run once, as it completes: completed, or failed when customers failed', async () => {
    await store.createRun(TEST_CONTEXT, {
      id: 'mig_clean',
      kind: 'migration',
      spec,
      exclusiveKey: 'dr->2co',
      force: false,
    });
    await store.recordPage('mig_clean', ['a', 'b'], undefined, true);
    await store.finishItem('mig_clean', 'a', { outcome: 'migrated', lossyFields: [] }, 'w1');
    expect(await store.completeIfDone('mig_clean')).toBe(false);
    expect(await eventsOf('mig_clean')).toEqual([]);
    await store.finishItem('mig_clean', 'b', { outcome: 'already_present', lossyFields: [] }, 'w1');
    expect(await store.completeIfDone('mig_clean')).toBe(true);
    expect(await store.completeIfDone('mig_clean')).toBe(false);
    expect(await eventsOf('mig_clean')).toEqual([
      expect.objectContaining({
        type: 'migration.completed',
        actor: 'migration',
        customerId: null,
        data: {
          source: { provider: 'digital-river', account: 'live' },
          target: { provider: 'two-checkout', account: 'eu' },
          outcomes: { migrated: 1, already_present: 1, skipped: 0, failed: 0 },
        },
      }),
    ]);

    await store.createRun(TEST_CONTEXT, {
      id: 'mig_failing',
      kind: 'migration',
      spec,
      exclusiveKey: 'dr->2co failing',
      force: false,
    });
    await store.recordPage('mig_failing', ['a'], undefined, true);
    const reason = { code: 'provider_rejected' as const, message: 'refused', retryable: false };
    await store.finishItem('mig_failing', 'a', { outcome: 'failed', reason, lossyFields: [] }, 'w1');
    expect(await store.completeIfDone('mig_failing')).toBe(true);
    expect((await eventsOf('mig_failing')).map((event) => [event.type, event.data])).toEqual([
      ['migration.failed', expect.objectContaining({ outcomes: expect.objectContaining({ failed: 1 }) })],
    ]);
  });

  it('queues an event for every enabled endpoint subscribed to its type, in the same transaction', async () => {
    const endpoint = (id: string, eventTypes: string[], enabled = true) =>
      database.prisma.webhookEndpoint.create({
        data: { id, url: 'https://example.com/webhooks', eventTypes, enabled, secret: 'whsec_test' },
      });
    await endpoint('we_all', ['*']);
    await endpoint('we_created', ['customer.created']);
    await endpoint('we_disabled', ['*'], false);
    await endpoint('we_migrations', ['migration.failed']);

    await database.prisma.$transaction((tx) =>
      recordEvent(tx, { type: 'customer.created', customerId: 'cus_1', data: {} }, { actor: 'test' }),
    );
    await expect(
      database.prisma.$transaction(async (tx) => {
        await recordEvent(tx, { type: 'customer.created', customerId: 'cus_2', data: {} }, { actor: 'test' });
        throw new Error('the change fails');
      }),
    ).rejects.toThrow('the change fails');

    const event = await database.prisma.event.findFirstOrThrow({ where: { customerId: 'cus_1' } });
    const deliveries = await database.prisma.webhookDelivery.findMany({ orderBy: { endpointId: 'asc' } });
    expect(deliveries.map((d) => [d.endpointId, d.eventId, d.customerId, d.status])).toEqual([
      ['we_all', event.id, 'cus_1', 'pending'],
      ['we_created', event.id, 'cus_1', 'pending'],
    ]);
    expect(await database.prisma.event.count({ where: { customerId: 'cus_2' } })).toBe(0);
  });

  it("scrubs the customer's snapshots and error messages, keeping ids, codes and changed fields", async () => {
    const repository = new PrismaCustomerRepository(database);
    const email = 'scrub.me@example.test';
    await repository.insert(TEST_CONTEXT, 'cus_scrub', customerData({ email, givenName: 'Ada' }), []);
    await repository.modify(TEST_CONTEXT, 'cus_scrub', (current) => ({ ...current, familyName: 'Lovelace' }));
    const error = {
      code: 'provider_rejected',
      message: `two-checkout rejected ${email}`,
      providerCode: 'INVALID_EMAIL',
      providerMessage: `${email} is not valid`,
    };
    await database.prisma.$transaction((tx) =>
      recordEvent(
        tx,
        {
          type: 'customer.link.failed',
          customerId: 'cus_scrub',
          data: { provider: 'two-checkout', account: 'default', reference: 'ref-1', error },
        },
        { actor: 'test' },
      ),
    );

    await repository.erase(TEST_CONTEXT, 'cus_scrub');
    const events = await database.prisma.event.findMany({
      where: { customerId: 'cus_scrub' },
      orderBy: { seq: 'asc' },
    });
    expect(JSON.stringify(events.map((event) => event.data))).not.toMatch(/scrub\.me|Ada|Lovelace/);
    expect(events.map((event) => [event.type, event.data])).toEqual([
      ['customer.created', { version: 1, providers: [], scrubbed: true }],
      ['customer.updated', { version: 2, changedFields: ['familyName'], scrubbed: true }],
      [
        'customer.link.failed',
        {
          provider: 'two-checkout',
          account: 'default',
          reference: 'ref-1',
          error: { code: 'provider_rejected', providerCode: 'INVALID_EMAIL' },
          scrubbed: true,
        },
      ],
      ['customer.forgotten', { erased: 'personal fields' }],
    ]);
  });

  it('takes the personal data out of events an older release wrote (migration 20261207070000)', async () => {
    const older = [
      ['customer.created', { version: 1, customer: { email: 'old@example.test' }, providers: [] }],
      ['customer.updated', { version: 2, changedFields: ['email'], customer: { email: 'new@example.test' } }],
      [
        'customer.link.failed',
        {
          provider: 'two-checkout',
          account: 'default',
          reference: 'ref-old',
          error: {
            code: 'provider_rejected',
            message: 'old@example.test',
            providerMessage: 'old@example.test is not valid',
            retryable: false,
          },
        },
      ],
    ] as const;
    for (const [type, data] of older) {
      await database.prisma.$transaction((tx) =>
        recordEvent(tx, { type, customerId: 'cus_older', data }, { actor: 'test' }),
      );
    }
    const sql = readFileSync(
      join(__dirname, '../../prisma/migrations/20261207070000_events_without_personal_data/migration.sql'),
      'utf8',
    );
    for (const statement of sql
      .replace(/--.*$/gm, '')
      .split(';')
      .map((part) => part.trim())
      .filter(Boolean)) {
      await database.prisma.$executeRawUnsafe(statement);
    }
    const events = await database.prisma.event.findMany({
      where: { customerId: 'cus_older' },
      orderBy: { seq: 'asc' },
    });
    expect(JSON.stringify(events.map((event) => event.data))).not.toContain('example.test');
    expect(events.map((event) => event.data)).toEqual([
      { version: 1, providers: [] },
      { version: 2, changedFields: ['email'] },
      {
        provider: 'two-checkout',
        account: 'default',
        reference: 'ref-old',
        error: { code: 'provider_rejected', retryable: false },
      },
    ]);
  });
});

import { createTestDatabase, ProviderEventInbox, RetentionPurges, type TestDatabase } from '@app/persistence';

const event = (eventId: string, reference: string | null = 'c1') => ({
  provider: 'digital-river',
  account: 'a1',
  eventId,
  eventType: 'customer.updated',
  ...(reference === null ? {} : { reference }),
  occurredAt: new Date('2026-12-07T03:00:00.000Z'),
});

describe('the provider event inbox', () => {
  let database: TestDatabase;
  let inbox: ProviderEventInbox;

  beforeAll(async () => {
    database = await createTestDatabase();
    inbox = new ProviderEventInbox(database.prisma);
  }, 240_000);
  afterAll(() => database.close());
  beforeEach(async () => {
    await database.prisma.$executeRaw`DELETE FROM provider_events`;
    await database.prisma.$executeRaw`DELETE FROM provider_event_cursors`;
  });

  it('records an event id once per account, whichever path brings it', async () => {
    expect(await inbox.record([event('e1'), event('e2')], 'webhook')).toEqual(['e1', 'e2']);
    expect(await inbox.record([event('e1')], 'catch-up')).toEqual([]);
    expect(await inbox.record([{ ...event('e1'), account: 'a2' }], 'catch-up')).toEqual(['e1']);
  });

  it('hands each due event to one claimer, oldest first, and keeps a failed one for later', async () => {
    await inbox.record([event('e1'), event('e2'), event('e3', null)], 'webhook');
    const [first, second] = await Promise.all([inbox.claim(1, 60_000), inbox.claim(1, 60_000)]);
    const claimed = [...first, ...second].map((e) => e.eventId).sort();
    expect(claimed).toEqual(['e1', 'e2']);
    expect(first[0]).toMatchObject({
      reference: 'c1',
      attempts: 1,
      occurredAt: new Date('2026-12-07T03:00:00.000Z'),
    });
    // Leased: not claimed again; the event about no customer was settled without a claim.
    expect(await inbox.claim(10, 60_000)).toEqual([]);
    expect(await inbox.pending()).toEqual([{ provider: 'digital-river', account: 'a1', events: 2 }]);

    await inbox.markProcessed(event('e1'));
    await inbox.retryLater(event('e2'), 0, 'provider_unavailable');
    const again = await inbox.claim(10, 60_000);
    expect(again.map((e) => [e.eventId, e.attempts])).toEqual([['e2', 2]]);
  });

  it('purges processed events received before the cutoff, never pending ones', async () => {
    await inbox.record([event('old-done'), event('old-pending'), event('new-done')], 'webhook');
    await inbox.markProcessed(event('old-done'));
    await inbox.markProcessed(event('new-done'));
    await database.prisma.$executeRaw`
      UPDATE provider_events SET received_at = received_at - interval '10 days'
       WHERE event_id IN ('old-done', 'old-pending')`;
    const retention = new RetentionPurges(database.prisma, {
      providerCallsMs: 86_400_000,
      runItemsMs: 86_400_000,
      webhookDeliveriesMs: 86_400_000,
      eventsMs: 86_400_000,
      tombstonesMs: 86_400_000,
      receivedProviderEventsMs: 86_400_000,
      batchSize: 1_000,
      maxBatchesPerRound: 10,
    });
    expect(await retention.purge('receivedProviderEvents')).toBe(1);
    const left = await database.prisma.$queryRaw<{ event_id: string }[]>`
      SELECT event_id FROM provider_events ORDER BY event_id`;
    expect(left.map((r) => r.event_id)).toEqual(['new-done', 'old-pending']);
    // A duplicate of a purged event is new again; of a kept one, still a duplicate.
    expect(await inbox.record([event('old-done'), event('new-done')], 'catch-up')).toEqual(['old-done']);
  });

  it('keeps a cursor per account: started at the current time, moved with the events it read', async () => {
    const before = Date.now();
    const cursor = await inbox.cursor('digital-river', 'a1');
    expect(cursor.lastEventId).toBeUndefined();
    // In UTC, as DR's createdTime filter is compared: within a minute of now.
    expect(Math.abs(cursor.since.getTime() - before)).toBeLessThan(60_000);
    expect(await inbox.cursor('digital-river', 'a1')).toEqual(cursor);

    expect(await inbox.recordCaughtUp('digital-river', 'a1', [event('e1'), event('e2')], 'e2')).toEqual([
      'e1',
      'e2',
    ]);
    expect(await inbox.cursor('digital-river', 'a1')).toEqual({ lastEventId: 'e2', since: cursor.since });
    const rows = await database.prisma.$queryRaw<{ source: string }[]>`SELECT source FROM provider_events`;
    expect(rows.every((r) => r.source === 'catch-up')).toBe(true);

    const back = new Date('2026-11-07T00:00:00.000Z');
    await inbox.recordCaughtUp('digital-river', 'a1', [], undefined, back);
    expect(await inbox.cursor('digital-river', 'a1')).toEqual({ since: back });
  });
});

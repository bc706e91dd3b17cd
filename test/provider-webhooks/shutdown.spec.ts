import { type CallContext, type ObservedChange, type ProviderChangeHint, ProviderChanges } from '@app/domain';
import { createTestDatabase, ProviderEventInbox, type TestDatabase } from '@app/persistence';
import { type RunningSandboxes, startSandboxes } from '@app/sandboxes';

import { eventually } from '../support/eventually';
import { FAST_SYNC, startGateway, testAccounts } from '../support/gateway';

/** Test-only: an observe that never ends, as one waiting on a provider that never answers. */
class HangingProviderChanges extends ProviderChanges {
  readonly hints: ProviderChangeHint[] = [];

  observe(_context: CallContext, hint: ProviderChangeHint): Promise<ObservedChange> {
    this.hints.push(hint);
    return new Promise(() => undefined);
  }
}

/**
 * A stopping gateway does not wait on provider reads that hang: neither the event worker's
 * observe nor the Events API catch-up holds shutdown past its grace, and the events the worker
 * held go back to the inbox, due at once, for the next instance.
 */
describe('provider change readers on shutdown', () => {
  let database: TestDatabase;
  let sandboxes: RunningSandboxes;

  beforeAll(async () => {
    database = await createTestDatabase();
    sandboxes = await startSandboxes({ 'digital-river': { rateLimitPerSecond: 0 } });
  }, 240_000);
  afterAll(async () => {
    await sandboxes.close();
    await database.close();
  });

  it('gives back the events whose observe never ended', async () => {
    const changes = new HangingProviderChanges();
    const gateway = await startGateway(
      { ...FAST_SYNC, SHUTDOWN_TIMEOUT_MS: '2000' },
      testAccounts(sandboxes),
      { database, providerChanges: changes },
    );
    await gateway.app.get(ProviderEventInbox).record(
      [
        {
          provider: 'digital-river',
          account: 'sandbox',
          eventId: 'evt-hang-1',
          eventType: 'customer.updated',
          reference: 'cus_1',
        },
        {
          provider: 'digital-river',
          account: 'sandbox',
          eventId: 'evt-hang-2',
          eventType: 'customer.updated',
          reference: 'cus_2',
        },
      ],
      'webhook',
    );
    await eventually('the worker to take both events', () =>
      Promise.resolve(changes.hints.length === 2 ? true : undefined),
    );

    // Without a bounded wait this never returns: the observes never end.
    await gateway.close();

    const rows = await database.prisma.$queryRaw<
      { event_id: string; attempts: number; due: boolean; processed: boolean }[]
    >`
      SELECT event_id, attempts, next_attempt_at <= (now() AT TIME ZONE 'UTC') AS due,
             processed_at IS NOT NULL AS processed
        FROM provider_events WHERE event_id LIKE 'evt-hang-%' ORDER BY event_id`;
    expect(rows).toEqual([
      { event_id: 'evt-hang-1', attempts: 0, due: true, processed: false },
      { event_id: 'evt-hang-2', attempts: 0, due: true, processed: false },
    ]);
  });

  it('does not wait for an Events API read that hangs', async () => {
    // Every Digital River call hangs for as long as the call timeout allows: ten minutes.
    sandboxes['digital-river'].admin.setFaults({ '*': { hangRate: 1 } });
    const gateway = await startGateway(
      { ...FAST_SYNC, SHUTDOWN_TIMEOUT_MS: '2000', DR_EVENTS_CATCHUP_INTERVAL_SECONDS: '1' },
      testAccounts(sandboxes, {
        timeoutMs: 600_000,
        retry: { maxAttempts: 1, baseDelayMs: 10, maxDelayMs: 50 },
      }),
      { database },
    );
    await eventually('the catch-up round to be waiting on Digital River', () =>
      Promise.resolve((sandboxes['digital-river'].admin.stats().faults['hang'] ?? 0) > 0 ? true : undefined),
    );
    await gateway.close();
    sandboxes['digital-river'].admin.setFaults({});
  });
});

import { type AddressInfo } from 'node:net';

import { type INestApplication } from '@nestjs/common';
import { SyncEngine } from '@app/application';
import { createTestDatabase, type TestDatabase } from '@app/persistence';
import { type RunningSandboxes, startSandboxes } from '@app/sandboxes';
import { loadGatewayConfig } from '@app/config';
import request from 'supertest';

import { createGatewayApp } from '../../apps/gateway/src/app';
import { ApiKeyRegistry } from '../../apps/gateway/src/auth/api-keys';
import { bearer, FAST_SYNC, johnSmith, KEYS, testAccounts } from '../support/gateway';
import { eventually } from '../support/eventually';

const LEASE_MS = 60_000;

/**
 * Two gateway instances, one after the other, on one database: the first is stopped while it
 * holds leased links whose provider calls hang, the second must deliver them at once instead of
 * waiting out the 60 s lease.
 */
describe('a stopping gateway gives back the links it holds', () => {
  let database: TestDatabase;
  // Each instance reaches the providers through its own sandboxes, so calls the stopped instance
  // left hanging cannot reach the ones the next instance delivers to.
  let stalled: RunningSandboxes;
  let healthy: RunningSandboxes;
  const apps: INestApplication[] = [];

  async function startInstance(
    sandboxes: RunningSandboxes,
    env: Record<string, string>,
    resilience: Record<string, unknown> = {},
  ) {
    const app = await createGatewayApp({
      config: loadGatewayConfig({
        NODE_ENV: 'test',
        LOG_LEVEL: 'silent',
        ...FAST_SYNC,
        SYNC_LEASE_MS: String(LEASE_MS),
        ...env,
      }),
      apiKeys: new ApiKeyRegistry([{ id: 'admin', scopes: ['admin'], key: KEYS.admin }]),
      providerAccounts: testAccounts(sandboxes, resilience),
      // The database outlives both instances; the test closes it.
      openDatabase: () => Promise.resolve({ ...database, close: () => Promise.resolve() }),
    });
    await app.listen(0, '127.0.0.1');
    apps.push(app);
    return { app, url: `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}` };
  }

  const links = () =>
    database.prisma.providerLink.findMany({
      select: { status: true, lockedBy: true, attempts: true },
    });

  beforeAll(async () => {
    database = await createTestDatabase();
    [stalled, healthy] = await Promise.all([
      startSandboxes({ 'digital-river': { rateLimitPerSecond: 0 } }),
      startSandboxes({ 'digital-river': { rateLimitPerSecond: 0 } }),
    ]);
  });
  afterAll(async () => {
    for (const app of apps) await app.close().catch(() => undefined);
    await Promise.all([stalled.close(), healthy.close()]);
    await database.close();
  });

  it('so another instance delivers them without waiting out the lease', async () => {
    // Every call the first instance makes hangs for its whole 20 s timeout: far longer than the
    // 1 s its worker is given to finish on stop.
    stalled['digital-river'].admin.setFaults({ '*': { hangRate: 1 } });
    stalled['two-checkout'].admin.setFaults({ '*': { hangRate: 1 } });
    const first = await startInstance(
      stalled,
      // Answer at once (links pending) and leave delivery to the background worker.
      { SYNC_WAIT_MS: '0', SHUTDOWN_TIMEOUT_MS: '2000' },
      { timeoutMs: 20_000, retry: { maxAttempts: 1, baseDelayMs: 10, maxDelayMs: 50 } },
    );
    for (const reference of ['release-1', 'release-2', 'release-3']) {
      const created = await request(first.url)
        .post('/v1/customers')
        .set(bearer(KEYS.admin))
        .send(johnSmith({ externalReference: reference, taxIdentifiers: [] }));
      expect(created.status).toBe(201);
    }
    const firstWorker = first.app.get(SyncEngine).workerId;
    await eventually('the first instance to lease all six links', async () => {
      const all = await links();
      return all.length === 6 && all.every((link) => link.lockedBy === firstWorker) ? all : undefined;
    });

    const stopping = Date.now();
    await first.app.close();
    // Within the grace (plus closing), not after the hanging calls: they are abandoned.
    expect(Date.now() - stopping).toBeLessThan(10_000);
    // Given back: unleased, and the attempt the claim counted is handed back too.
    expect(await links()).toEqual(
      Array.from({ length: 6 }, () => ({ status: 'pending', lockedBy: null, attempts: 0 })),
    );

    const second = await startInstance(healthy, {});
    const secondWorker = second.app.get(SyncEngine).workerId;
    const delivered = await eventually(
      'the second instance to deliver every link',
      async () => {
        const all = await links();
        return all.every((link) => link.status === 'synced') ? all : undefined;
      },
      { timeoutMs: 20_000 },
    );
    expect(Date.now() - stopping).toBeLessThan(LEASE_MS / 2);
    expect(delivered.every((link) => link.lockedBy === null)).toBe(true);
    expect(healthy['digital-river'].admin.dump()).toHaveLength(3);
    expect(healthy['two-checkout'].admin.dump()).toHaveLength(3);
    expect(secondWorker).not.toBe(firstWorker);
  });
});

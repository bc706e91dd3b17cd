import { randomUUID } from 'node:crypto';
import { type AddressInfo, connect, createServer, type Socket } from 'node:net';

import { type INestApplication } from '@nestjs/common';
import { createTestDatabase, type DatabaseHandle, openDatabase, readMigrations } from '@app/persistence';
import { dropSchema, openRawSession, Prisma } from '@app/persistence/testing';
import { loadGatewayConfig } from '@app/config';
import request from 'supertest';

import { createGatewayApp } from '../../apps/gateway/src/app';
import { ApiKeyRegistry } from '../../apps/gateway/src/auth/api-keys';
import { eventually } from '../support/eventually';
import { testPostgresUrl } from '../support/processes';

/** A gateway without keys or providers: the probes need neither. */
async function startOn(database: DatabaseHandle): Promise<{ app: INestApplication; url: string }> {
  const app = await createGatewayApp({
    config: loadGatewayConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent' }),
    apiKeys: new ApiKeyRegistry([]),
    providerAccounts: [],
    openDatabase: () => Promise.resolve(database),
  });
  await app.listen(0, '127.0.0.1');
  return { app, url: `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}` };
}

describe('health probes', () => {
  let app: INestApplication;
  let url: string;
  let database: Awaited<ReturnType<typeof createTestDatabase>>;

  beforeAll(async () => {
    database = await createTestDatabase();
    ({ app, url } = await startOn(database));
  });
  afterAll(() => app.close());

  const notReady = async (path: string, detail: RegExp, base = url) => {
    const res = await request(base).get(path);
    expect(res.status).toBe(503);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ status: 503, code: 'not_ready', detail: expect.stringMatching(detail) });
  };

  it('is ready, without a key, when the database holds every migration of this build', async () => {
    const migrations = await readMigrations();
    for (const path of ['/health/ready', '/health']) {
      const res = await request(url).get(path);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ status: 'ok', database: 'up', migrations: migrations.length });
    }
  });

  it('is not ready while a migration of this build is missing from the database', async () => {
    const migrations = await readMigrations();
    const last = migrations.at(-1)!.name;
    // As a deploy with MIGRATE_ON_START=false sees a database its migration job has not reached.
    await database.prisma.$executeRaw`DELETE FROM "_prisma_migrations" WHERE migration_name = ${last}`;
    await notReady('/health/ready', new RegExp(`lacks 1 migration\\(s\\) of this build: ${last}\\.$`));
    await notReady('/health', new RegExp(last));

    // A schema that never saw a migration: no history table at all.
    await database.prisma.$executeRaw`DROP TABLE "_prisma_migrations"`;
    await notReady('/health/ready', new RegExp(`lacks ${migrations.length} migration\\(s\\)`));
    expect((await request(url).get('/health/live')).body).toEqual({ status: 'ok' });
  });

  it('is not ready when the database is unreachable, and still alive', async () => {
    // PostgreSQL behind a TCP relay the test can cut: a closed Prisma client would quietly reconnect.
    const target = new URL(testPostgresUrl());
    const sockets = new Set<Socket>();
    const relay = createServer((client) => {
      const upstream = connect(Number(target.port || 5432), target.hostname);
      for (const socket of [client, upstream]) {
        sockets.add(socket);
        socket.on('error', () => socket.destroy());
        socket.on('close', () => sockets.delete(socket));
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
    const relayed = new URL(target);
    relayed.hostname = '127.0.0.1';
    relayed.port = String((relay.address() as AddressInfo).port);
    const schema = `test_${randomUUID().replaceAll('-', '')}`;
    const remote = await openDatabase({ url: relayed.toString(), schema, migrate: true });
    const gateway = await startOn(remote);
    try {
      expect((await request(gateway.url).get('/health/ready')).status).toBe(200);
      relay.close();
      for (const socket of sockets) socket.destroy();
      await notReady('/health/ready', /^The database is unreachable\.$/, gateway.url);
      const live = await request(gateway.url).get('/health/live');
      expect(live.status).toBe(200);
      expect(live.body).toEqual({ status: 'ok' });
      // Metrics are still served, without the families read from the database.
      const metrics = await request(gateway.url).get('/metrics');
      expect(metrics.status).toBe(200);
      expect(metrics.text).toContain(
        'csg_http_requests_total{method="GET",route="/health/ready",status="503"} 1',
      );
      expect(metrics.text).not.toContain('csg_outbox_links{');
    } finally {
      await gateway.app.close().catch(() => undefined);
      await dropSchema(target.toString(), schema);
    }
  });

  it('stays ready while a burst holds every pooled connection', async () => {
    // On PostgreSQL, whatever database the ring runs on: PGlite has one session and no pool.
    const target = testPostgresUrl();
    const schema = `test_${randomUUID().replaceAll('-', '')}`;
    const remote = await openDatabase({ url: target, schema, migrate: true });
    const gateway = await startOn(remote);
    const locker = await openRawSession(target, { schema });
    const burst: Promise<unknown>[] = [];
    try {
      // Every statement of the burst waits on a lock this test holds: the request pool (pg's
      // default of 10 connections) is all taken, and the rest of the burst queues behind it.
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE customers IN ACCESS EXCLUSIVE MODE');
      let answered = 0;
      for (let i = 0; i < 12; i++) {
        burst.push(remote.query(Prisma.sql`SELECT count(*) FROM customers`).finally(() => (answered += 1)));
      }
      await eventually('the whole request pool waiting on the lock', async () => {
        const [waiting] = await locker.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_locks
            WHERE relation = 'customers'::regclass AND NOT granted`,
        );
        return (waiting?.n ?? 0) >= 10 ? true : undefined;
      });

      const res = await request(gateway.url).get('/health/ready');
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ status: 'ok', database: 'up' });
      // The burst was still held while the probe answered.
      expect(answered).toBe(0);
    } finally {
      await locker.query('ROLLBACK').catch(() => undefined);
      await locker.end();
      await Promise.allSettled(burst);
      await gateway.app.close().catch(() => undefined);
      await dropSchema(target, schema);
    }
  });
});

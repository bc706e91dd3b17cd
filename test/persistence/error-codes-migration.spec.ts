import { randomUUID } from 'node:crypto';

import {
  assertTestDatabaseUrl,
  type MigrationSession,
  openPostgresSession,
  pgliteSession,
  readMigrations,
  runMigrations,
} from '@app/persistence';
import { createPglite, dropSchema } from '@app/persistence/testing';

// PGlite (PostgreSQL compiled to Wasm) is slow to boot on a busy machine.
jest.setTimeout(120_000);

/** The migration under test: everything before it is the database as older releases left it. */
const MIGRATION = 'one_error_code_table';

/**
 * Link errors and migration reasons written before one error table: `provider_auth` where HTTP
 * answers said `provider_auth_failed`, and link errors without `retryable`.
 */
describe(`the ${MIGRATION} migration`, () => {
  let session: MigrationSession;
  let close: () => Promise<void>;

  beforeAll(async () => {
    const url = process.env.TEST_DATABASE_URL;
    if (url) {
      assertTestDatabaseUrl(url);
      const schema = `test_${randomUUID().replaceAll('-', '')}`;
      const connection = await openPostgresSession(url, schema);
      session = connection.session;
      close = async () => {
        await connection.close();
        await dropSchema(url, schema);
      };
    } else {
      const pglite = await createPglite();
      session = pgliteSession(pglite);
      close = () => pglite.close();
    }
  });

  afterAll(() => close());

  it('renames the old code and records whether each stored failure may pass', async () => {
    const migrations = await readMigrations();
    const index = migrations.findIndex((m) => m.name.endsWith(`_${MIGRATION}`));
    expect(index).toBeGreaterThan(0);
    await runMigrations(session, { migrations: migrations.slice(0, index) });

    await session.exec(`
      INSERT INTO customers (id, updated_at) VALUES ('cus_1', now());
      INSERT INTO provider_links (id, customer_id, provider, account, reference, status, last_error, updated_at) VALUES
        ('l_auth', 'cus_1', 'digital-river', 'default', 'r1', 'failed',
          '{"code": "provider_auth", "message": "digital-river auth"}', now()),
        ('l_rate', 'cus_1', 'digital-river', 'eu', 'r2', 'failed',
          '{"code": "provider_rate_limited", "message": "slow down"}', now()),
        ('l_outage', 'cus_1', 'two-checkout', 'default', 'r3', 'pending',
          '{"code": "provider_unavailable", "message": "timed out"}', now()),
        ('l_bug', 'cus_1', 'two-checkout', 'eu', 'r4', 'failed',
          '{"code": "internal_error", "message": "The gateway failed"}', now()),
        ('l_refused', 'cus_1', 'two-checkout', 'us', 'r5', 'failed',
          '{"code": "provider_rejected", "message": "Email is invalid", "providerCode": "INVALID_CUSTOMER"}', now()),
        ('l_fine', 'cus_1', 'digital-river', 'us', 'r6', 'synced', NULL, now());
      INSERT INTO migration_runs (id, source_provider, source_account, source_kind, target_provider, target_account, options, updated_at)
        VALUES ('mig_1', 'digital-river', 'default', 'provider', 'two-checkout', 'default', '{}', now());
      INSERT INTO migration_items (run_id, seq, source_reference, outcome, reason) VALUES
        ('mig_1', 1, 'r1', 'failed', '{"code": "provider_auth", "message": "auth", "retryable": false}'),
        ('mig_1', 2, 'r2', 'failed', '{"code": "provider_unavailable", "message": "timed out", "retryable": true}');
    `);

    const result = await runMigrations(session, { migrations });
    expect(result.applied).toEqual(migrations.slice(index).map((m) => m.name));

    const links = await session.query<{ id: string; last_error: unknown }>(
      'SELECT id, last_error FROM provider_links ORDER BY id',
    );
    expect(Object.fromEntries(links.map((link) => [link.id, link.last_error]))).toEqual({
      l_auth: { code: 'provider_auth_failed', message: 'digital-river auth', retryable: false },
      l_bug: { code: 'internal_error', message: 'The gateway failed', retryable: true },
      l_fine: null,
      l_outage: { code: 'provider_unavailable', message: 'timed out', retryable: true },
      l_rate: { code: 'provider_rate_limited', message: 'slow down', retryable: true },
      l_refused: {
        code: 'provider_rejected',
        message: 'Email is invalid',
        providerCode: 'INVALID_CUSTOMER',
        retryable: false,
      },
    });
    const items = await session.query<{ seq: number; reason: unknown }>(
      'SELECT seq, reason FROM migration_items ORDER BY seq',
    );
    expect(items).toEqual([
      { seq: 1, reason: { code: 'provider_auth_failed', message: 'auth', retryable: false } },
      { seq: 2, reason: { code: 'provider_unavailable', message: 'timed out', retryable: true } },
    ]);
  });
});

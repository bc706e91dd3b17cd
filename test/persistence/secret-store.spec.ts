import {
  createTestDatabase,
  SecretStore,
  type TestDatabase,
  WebhookStore,
  webhookSecretOwner,
} from '@app/persistence';
import { SecretKeyring } from '@app/secrets';

const keyring = (ids: string) =>
  SecretKeyring.parse(
    ids
      .split(',')
      .map((id) => `${id}:${Buffer.alloc(32, id.charCodeAt(id.length - 1)).toString('base64')}`)
      .join(','),
  );

describe('the secret store', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(() => database.close());

  const rows = (owner: string) =>
    database.prisma.secret.findMany({ where: { owner }, orderBy: { version: 'asc' } });

  it('keeps secrets sealed, never in the clear, and reads them back newest first', async () => {
    const store = new SecretStore(database.prisma, keyring('k1'));
    await store.put('test:a', 'first-secret');
    expect(await store.valid('test:a')).toEqual(['first-secret']);
    const [row] = await rows('test:a');
    expect(row).toMatchObject({ version: 1, keyId: 'k1', expiresAt: null });
    expect(row!.sealed).not.toContain('first-secret');

    // Replaced without an overlap: the old one stops at once.
    await store.put('test:a', 'second-secret');
    expect(await store.valid('test:a')).toEqual(['second-secret']);
    expect((await rows('test:a')).map((r) => r.version)).toEqual([2]);
  });

  it('keeps a rotated-out secret valid until its overlap ends, and drops it after', async () => {
    const store = new SecretStore(database.prisma, keyring('k1'));
    await store.put('test:b', 'old');
    await store.put('test:b', 'new', new Date(Date.now() + 3_600_000));
    expect(await store.valid('test:b')).toEqual(['new', 'old']);
    // An overlap already over: the old one is no longer valid.
    await store.put('test:b', 'newer', new Date(Date.now() - 1_000));
    expect(await store.valid('test:b')).toEqual(['newer']);
    await store.put('test:b', 'newest', new Date(Date.now() + 3_600_000));
    expect(await store.valid('test:b')).toEqual(['newest', 'newer']);
    await store.remove('test:b');
    expect(await store.valid('test:b')).toEqual([]);
  });

  it('refuses a sealed value copied to another owner', async () => {
    const store = new SecretStore(database.prisma, keyring('k1'));
    await store.put('test:c', 'mine');
    const [row] = await rows('test:c');
    await database.prisma.secret.create({
      data: { owner: 'test:d', version: 1, sealed: row!.sealed, keyId: 'k1' },
    });
    await expect(store.valid('test:d')).rejects.toThrow();
    await store.remove('test:d');
  });

  it('re-seals under the new key what the old one sealed (a key rotation)', async () => {
    await new SecretStore(database.prisma, keyring('k1')).put('test:e', 'rotate-me');
    const rotated = new SecretStore(database.prisma, keyring('k2,k1'));
    expect(await rotated.reseal()).toBeGreaterThanOrEqual(1);
    expect(await database.prisma.secret.count({ where: { keyId: 'k1' } })).toBe(0);
    // Only the new key is needed now.
    expect(await new SecretStore(database.prisma, keyring('k2')).valid('test:e')).toEqual(['rotate-me']);
    expect(await rotated.reseal()).toBe(0);
  });

  it('moves webhook secrets kept in the clear into the store, once, emptying the column', async () => {
    const secrets = new SecretStore(database.prisma, keyring('k2'));
    const webhooks = new WebhookStore(database.prisma, database, secrets);
    for (const id of ['we_plain1', 'we_plain2']) {
      await database.prisma.$executeRaw`
        INSERT INTO webhook_endpoints (id, url, event_types, secret, updated_at)
        VALUES (${id}, 'https://example.com/hooks', ARRAY['*'], ${`whsec_plain_${id}`}, now())`;
    }
    // Two instances starting at once move each secret once.
    const moved = await Promise.all([webhooks.sealPlainTextSecrets(), webhooks.sealPlainTextSecrets()]);
    expect(moved[0] + moved[1]).toBe(2);
    expect(await database.prisma.webhookEndpoint.count({ where: { secret: { not: null } } })).toBe(0);
    expect(await webhooks.signingSecrets('we_plain1')).toEqual(['whsec_plain_we_plain1']);
    expect(await rows(webhookSecretOwner('we_plain2'))).toEqual([
      expect.objectContaining({ version: 1, keyId: 'k2' }),
    ]);
    const stored = await database.prisma.secret.findMany();
    expect(JSON.stringify(stored)).not.toContain('whsec_plain');

    // A secret written in the clear after start (by an older gateway) is moved on first use.
    await database.prisma.$executeRaw`
      INSERT INTO webhook_endpoints (id, url, event_types, secret, updated_at)
      VALUES ('we_late', 'https://example.com/hooks', ARRAY['*'], 'whsec_late', now())`;
    expect(await webhooks.signingSecrets('we_late')).toEqual(['whsec_late']);
    expect(await database.prisma.webhookEndpoint.count({ where: { secret: { not: null } } })).toBe(0);
  });

  it('creates an endpoint with its secret sealed, and deletes the secret with it', async () => {
    const secrets = new SecretStore(database.prisma, keyring('k2'));
    const webhooks = new WebhookStore(database.prisma, database, secrets);
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const endpoint = await webhooks.createEndpoint({
      url: 'https://example.com/hooks',
      eventTypes: ['*'],
      enabled: true,
      secret,
    });
    expect(endpoint).not.toHaveProperty('secret');
    expect(await webhooks.signingSecrets(endpoint.id)).toEqual([secret]);
    const [endpointRow] = await database.prisma.$queryRaw<{ secret: string | null }[]>`
      SELECT secret FROM webhook_endpoints WHERE id = ${endpoint.id}`;
    expect(endpointRow!.secret).toBeNull();
    await webhooks.deleteEndpoint(endpoint.id);
    expect(await rows(webhookSecretOwner(endpoint.id))).toEqual([]);
  });
});

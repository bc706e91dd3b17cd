import request from 'supertest';

import { idempotencyHoldKey, KeyHolders } from '@app/persistence';

import { Prisma } from '@app/persistence/testing';

import { bearer, KEYS, type RunningGateway, startGateway } from '../support/gateway';
import { eventually } from '../support/eventually';

describe('Idempotency-Key', () => {
  let gateway: RunningGateway;
  const auth = bearer(KEYS.writer);

  beforeAll(async () => {
    gateway = await startGateway();
  });
  afterAll(() => gateway.close());

  const post = (key: string, body: object, who = auth) =>
    request(gateway.url).post('/v1/customers').set(who).set('Idempotency-Key', key).send(body);

  it('replays the first response, status and body, for the same key and body', async () => {
    const first = await post('create-once', { email: 'once@example.test' });
    expect(first.status).toBe(201);
    const again = await post('create-once', { email: 'once@example.test' });
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.headers.etag).toBe('"1"');
    expect(await gateway.prisma.customer.count({ where: { email: 'once@example.test' } })).toBe(1);
  });

  it('treats a body with its keys in another order as the same request', async () => {
    const first = await post('order-free', { email: 'o@example.test', givenName: 'O' });
    const again = await request(gateway.url)
      .post('/v1/customers')
      .set(auth)
      .set('Idempotency-Key', 'order-free')
      .set('Content-Type', 'application/json')
      .send('{"givenName":"O","email":"o@example.test"}');
    expect(again.body.id).toBe(first.body.id);
  });

  it('answers 422 for the same key with another body, and creates nothing', async () => {
    await post('one-key', { email: 'a@example.test' });
    const before = await gateway.prisma.customer.count();
    const other = await post('one-key', { email: 'b@example.test' });
    expect(other.status).toBe(422);
    expect(other.body.code).toBe('idempotency_key_reused');
    expect(await gateway.prisma.customer.count()).toBe(before);
  });

  it('answers 409 to a second request while the first still runs', async () => {
    // Two identical requests at once: exactly one runs, the other is told it is in progress (or,
    // if it arrives after the first finished, gets the replay); never two customers.
    const results = await Promise.all(
      Array.from({ length: 6 }, () => post('concurrent', { email: 'c@example.test' })),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 201).length).toBeGreaterThanOrEqual(1);
    expect(statuses.every((s) => s === 201 || s === 409)).toBe(true);
    const created = new Set(results.filter((r) => r.status === 201).map((r) => r.body.id as string));
    expect(created.size).toBe(1);
    const conflicts = results.filter((r) => r.status === 409);
    for (const conflict of conflicts) expect(conflict.body.code).toBe('idempotency_request_in_progress');
    expect(await gateway.prisma.customer.count({ where: { email: 'c@example.test' } })).toBe(1);
  });

  it('answers 409 deterministically while a record is held by a running request', async () => {
    const held = await post('held', { email: 'held@example.test' });
    // Put the key back into the state it has while its request runs: in progress, and held.
    await gateway.prisma.idempotencyRecord.updateMany({
      where: { key: 'held' },
      data: { state: 'in_progress' },
    });
    const holders = gateway.app.get(KeyHolders);
    expect(await holders.hold(idempotencyHoldKey('writer', 'held'))).toBe(true);
    const res = await post('held', { email: 'held@example.test' });
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('idempotency_request_in_progress');
    // Once its holder is gone (its request died), a retry takes the key over at once; the customer
    // was committed with the key's recovery point, so the retry answers it rather than creating another.
    await holders.release(idempotencyHoldKey('writer', 'held'));
    const retried = await post('held', { email: 'held@example.test' });
    expect(retried.status).toBe(201);
    expect(retried.body.id).toBe(held.body.id);
    expect(await gateway.prisma.customer.count({ where: { email: 'held@example.test' } })).toBe(1);
  });

  /** What a crash after the commit and before the stored answer leaves: the recovery point only. */
  const crashBeforeTheAnswerWasKept = (key: string) =>
    gateway.prisma.idempotencyRecord.updateMany({
      where: { key },
      data: {
        state: 'in_progress',
        responseStatus: null,
        responseBody: Prisma.DbNull,
      },
    });

  it('answers a retry after a crash with the customer its first attempt created, never a 409 kept as its answer', async () => {
    const body = { email: 'crash-ref@example.test', externalReference: 'crash-ref-1' };
    const first = await post('crash-ref', body);
    expect(first.status).toBe(201);
    expect(await gateway.prisma.idempotencyRecord.findFirst({ where: { key: 'crash-ref' } })).toMatchObject({
      recoveryPoint: 'committed',
      resourceId: first.body.id,
    });
    await crashBeforeTheAnswerWasKept('crash-ref');

    // The reference is taken, by the customer this very key created: that is the key's success.
    const retried = await post('crash-ref', body);
    expect(retried.status).toBe(201);
    expect(retried.body.id).toBe(first.body.id);
    expect(retried.headers.location).toBe(`/v1/customers/${first.body.id}`);
    const replayed = await post('crash-ref', body);
    expect(replayed.status).toBe(201);
    expect(replayed.headers['idempotent-replayed']).toBe('true');
    expect(replayed.body.id).toBe(first.body.id);
    expect(await gateway.prisma.customer.count({ where: { externalReference: 'crash-ref-1' } })).toBe(1);
  });

  it('does not apply an update twice when its retry follows a crash after the commit', async () => {
    const created = await post('crash-update-create', {});
    const patch = () =>
      request(gateway.url)
        .patch(`/v1/customers/${created.body.id}`)
        .set(auth)
        .set('Idempotency-Key', 'crash-update')
        .set('If-Match', '"1"')
        .send({ metadata: { n: '1' } });
    expect((await patch()).body.version).toBe(2);
    await crashBeforeTheAnswerWasKept('crash-update');
    // Applied again, If-Match "1" would be a 412 and the version 3.
    const retried = await patch();
    expect(retried.status).toBe(200);
    expect(retried.body).toMatchObject({ id: created.body.id, version: 2, metadata: { n: '1' } });
  });

  it('scopes keys to the calling API key', async () => {
    const mine = await post('shared-key', { email: 'scope@example.test' });
    const theirs = await post('shared-key', { email: 'scope@example.test' }, bearer(KEYS.otherWriter));
    expect(theirs.status).toBe(201);
    expect(theirs.headers['idempotent-replayed']).toBeUndefined();
    expect(theirs.body.id).not.toBe(mine.body.id);
  });

  it('replays stored errors too, but not validation failures', async () => {
    const missing = await request(gateway.url)
      .patch('/v1/customers/cus_gone')
      .set(auth)
      .set('Idempotency-Key', 'patch-missing')
      .send({});
    expect(missing.status).toBe(404);
    const replay = await request(gateway.url)
      .patch('/v1/customers/cus_gone')
      .set(auth)
      .set('Idempotency-Key', 'patch-missing')
      .send({});
    expect(replay.status).toBe(404);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(replay.body).toEqual(missing.body);

    const invalid = await post('fix-me', { email: 'not-an-email' });
    expect(invalid.status).toBe(400);
    const fixed = await post('fix-me', { email: 'fixed@example.test' });
    expect(fixed.status).toBe(201);
  });

  it('works for PATCH and DELETE', async () => {
    const created = await post('for-patch', {});
    const patch = () =>
      request(gateway.url)
        .patch(`/v1/customers/${created.body.id}`)
        .set(auth)
        .set('Idempotency-Key', 'the-patch')
        .send({ metadata: { n: '1' } });
    const first = await patch();
    const second = await patch();
    expect(second.body).toEqual(first.body);
    expect(second.body.version).toBe(2);

    const del = () =>
      request(gateway.url)
        .delete(`/v1/customers/${created.body.id}`)
        .set(auth)
        .set('Idempotency-Key', 'the-delete');
    expect((await del()).status).toBe(200);
    const again = await del();
    expect(again.status).toBe(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
  });

  it('expires keys after their time to live', async () => {
    const first = await post('short-lived', { email: 'ttl@example.test' });
    await gateway.prisma.idempotencyRecord.updateMany({
      where: { key: 'short-lived' },
      data: { expiresAt: new Date(Date.now() - 1) },
    });
    const later = await post('short-lived', { email: 'ttl@example.test' });
    expect(later.status).toBe(201);
    expect(later.body.id).not.toBe(first.body.id);
  });

  it('keeps a webhook signing secret it replays sealed, never in plain text', async () => {
    const admin = bearer(KEYS.admin);
    const send = (path: string, key: string, body: object) =>
      request(gateway.url).post(path).set(admin).set('Idempotency-Key', key).send(body);
    const created = await send('/v1/webhook-endpoints', 'endpoint-once', {
      url: 'https://example.com/hooks',
      eventTypes: ['*'],
    });
    expect(created.status).toBe(201);
    expect(created.body.secret).toMatch(/^whsec_/);
    const rotated = await send(`/v1/webhook-endpoints/${created.body.id}/rotate-secret`, 'rotate-once', {});
    expect(rotated.status).toBe(200);

    const kept = await gateway.prisma.idempotencyRecord.findMany({
      where: { key: { in: ['endpoint-once', 'rotate-once'] } },
    });
    expect(kept).toHaveLength(2);
    const stored = JSON.stringify(kept.map((record) => record.responseBody));
    expect(stored).not.toContain(created.body.secret);
    expect(stored).not.toContain(rotated.body.secret);
    expect(stored).not.toContain('whsec_');

    const replayed = await send('/v1/webhook-endpoints', 'endpoint-once', {
      url: 'https://example.com/hooks',
      eventTypes: ['*'],
    });
    expect(replayed.headers['idempotent-replayed']).toBe('true');
    expect(replayed.body).toEqual(created.body);
    const rotatedAgain = await send(
      `/v1/webhook-endpoints/${created.body.id}/rotate-secret`,
      'rotate-once',
      {},
    );
    expect(rotatedAgain.body.secret).toBe(rotated.body.secret);
  });

  it('refuses an over-long key', async () => {
    const res = await post('k'.repeat(256), {});
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([expect.objectContaining({ field: 'Idempotency-Key' })]);
  });
});

describe('expired Idempotency-Keys', () => {
  let gateway: RunningGateway;

  beforeAll(async () => {
    gateway = await startGateway({ RETENTION_INTERVAL_SECONDS: '1' });
  });
  afterAll(() => gateway.close());

  it('are purged on a schedule, and only they', async () => {
    const record = (key: string, expiresAt: Date) => ({
      id: `record-${key}`,
      apiKeyId: 'writer',
      key,
      requestHash: 'hash',
      expiresAt,
    });
    await gateway.prisma.idempotencyRecord.createMany({
      data: [
        record('expired', new Date(Date.now() - 1_000)),
        record('kept', new Date(Date.now() + 3_600_000)),
      ],
    });
    await eventually('the expired record purged', async () =>
      (await gateway.prisma.idempotencyRecord.count({ where: { key: 'expired' } })) === 0 ? true : undefined,
    );
    expect(await gateway.prisma.idempotencyRecord.count({ where: { key: 'kept' } })).toBe(1);
  });
});

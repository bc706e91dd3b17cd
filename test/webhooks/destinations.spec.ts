import { createTestDatabase } from '@app/persistence';
import request from 'supertest';

import { webhookUrlProblems } from '../../apps/gateway/src/webhooks/webhook-url';
import { johnSmith, startGateway } from '../support/gateway';
import { admin, FAST_WEBHOOKS, startReceiver, subscribe, waitFor } from './receiver';

/**
 * Issue 31's IPv6 transition prefixes, each carrying a loopback or metadata address:
 * NAT64, IPv4-compatible, 6to4, Teredo (the client's address, bits flipped) and site-local.
 */
const TRANSITION_HOSTS = [
  '[64:ff9b::a9fe:a9fe]',
  '[::7f00:1]',
  '[2002:7f00:1::1]',
  '[2001:0:4136:e378:8000:63bf:80ff:fffe]',
  '[fec0::1]',
];

describe('webhook destinations', () => {
  it('refuses loopback, link-local, private and transition-prefix hosts in production', async () => {
    const production = await startGateway({ NODE_ENV: 'production' });
    try {
      for (const url of [
        'http://127.0.0.1:8080/hooks',
        'http://localhost/hooks',
        'http://[::1]/hooks',
        ...TRANSITION_HOSTS.map((host) => `http://${host}/hooks`),
      ]) {
        const res = await request(production.url)
          .post('/v1/webhook-endpoints')
          .set(admin)
          .send({ url, eventTypes: ['*'] });
        expect({ url, status: res.status }).toEqual({ url, status: 400 });
        expect(res.body.errors).toEqual([expect.objectContaining({ field: 'url', code: 'private_network' })]);
      }
      const nat64 = await request(production.url)
        .post('/v1/webhook-endpoints')
        .set(admin)
        .send({ url: 'http://[64:ff9b::a9fe:a9fe]/hooks', eventTypes: ['*'] });
      expect(nat64.body.errors[0].message).toContain('embedding 169.254.169.254, linkLocal');
    } finally {
      await production.close();
    }
  });

  it('checks every address against the special-purpose ranges unless allowed', async () => {
    const strict = { allowPrivateNetworks: false };
    for (const host of [
      '10.1.2.3',
      '172.16.0.1',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '[fd00::1]',
      '[fe80::1]',
      '[::ffff:127.0.0.1]',
      ...TRANSITION_HOSTS,
    ]) {
      expect(await webhookUrlProblems(`https://${host}/hooks`, strict)).toEqual([
        expect.objectContaining({ code: 'private_network' }),
      ]);
    }
    expect(await webhookUrlProblems('https://93.184.215.14/hooks', strict)).toEqual([]);
    // NAT64 to a public address is that public address.
    expect(await webhookUrlProblems('https://[64:ff9b::5db8:d70e]/hooks', strict)).toEqual([]);
    expect(await webhookUrlProblems('http://127.0.0.1/hooks', { allowPrivateNetworks: true })).toEqual([]);
  });

  it('checks the address again at each delivery in production, so an endpoint saved while allowed gets nothing once not', async () => {
    const database = await createTestDatabase();
    const receiver = await startReceiver(() => 200);
    const production = { ...FAST_WEBHOOKS, NODE_ENV: 'production' };
    const port = new URL(receiver.url).port;
    // A literal address (checked before connecting) and a name (checked by the agent's lookup).
    const urls = [receiver.url, receiver.url.replace('127.0.0.1', 'localhost')];
    // Saved disabled while allowed, so nothing tries them until the strict gateway runs.
    const transitionUrls = TRANSITION_HOSTS.map((host) => `http://${host}:${port}/hooks`);
    let gateway = await startGateway({ ...production, WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true' }, [], {
      database,
    });
    try {
      const endpoints = [];
      for (const url of urls) endpoints.push(await subscribe(gateway, url, ['customer.created']));
      const transition = [];
      for (const url of transitionUrls) {
        transition.push(await subscribe(gateway, url, ['customer.created'], { enabled: false }));
      }
      await request(gateway.url)
        .post('/v1/customers')
        .set(admin)
        .send(johnSmith({ externalReference: 'wh-allowed', providers: [] }))
        .expect(201);
      // Recorded as delivered, not only received: an answer lost to the close would be sent again.
      await waitFor('both deliveries recorded', async () => {
        const delivered = await database.prisma.webhookDelivery.count({ where: { status: 'delivered' } });
        return delivered === 2;
      });
      await gateway.close();

      gateway = await startGateway(production, [], { database });
      for (const endpoint of transition) {
        await request(gateway.url)
          .patch(`/v1/webhook-endpoints/${endpoint.id}`)
          .set(admin)
          .send({ enabled: true })
          .expect(200);
      }
      await request(gateway.url)
        .post('/v1/customers')
        .set(admin)
        .send(johnSmith({ externalReference: 'wh-refused', providers: [] }))
        .expect(201);
      await waitFor('every delivery refused', async () => {
        const refused = await database.prisma.webhookDelivery.count({
          where: { lastOutcome: 'refused_url' },
        });
        return refused === 2 + TRANSITION_HOSTS.length;
      });
      expect(receiver.received).toHaveLength(2);
      for (const endpoint of [...endpoints, ...transition]) {
        const log = await request(gateway.url)
          .get(`/v1/webhook-endpoints/${endpoint.id}/deliveries`)
          .set(admin);
        expect(log.body.data[0]).toMatchObject({ status: 'pending', lastOutcome: 'refused_url' });
        expect(log.body.data[0].lastStatusCode ?? null).toBeNull();
      }
    } finally {
      await gateway.close();
      await receiver.close();
      await database.close();
    }
  });
});

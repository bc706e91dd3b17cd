import { createTestDatabase } from '@app/persistence';
import request from 'supertest';

import { johnSmith, type RunningGateway, startGateway } from '../support/gateway';
import { admin, FAST_WEBHOOKS, startReceiver, subscribe, waitFor } from './receiver';

const THRESHOLD = 6;
const CUSTOMERS = 16;

describe('disabling a failing endpoint', () => {
  it('disables at exactly WEBHOOK_DISABLE_AFTER_FAILURES however many deliveries fail at once, across instances', async () => {
    const database = await createTestDatabase();
    let openGate!: () => void;
    const gate = new Promise<void>((resolve) => (openGate = resolve));
    // Every request is held until the gate opens, then fails: the deliveries that piled up meanwhile
    // are claimed together and fail in parallel.
    const receiver = await startReceiver(async () => {
      await gate;
      return 500;
    });
    const env = { ...FAST_WEBHOOKS, WEBHOOK_DISABLE_AFTER_FAILURES: String(THRESHOLD) };
    const gateways: RunningGateway[] = [];
    try {
      // Three instances share the outbox, as a scaled-out deployment does.
      for (let i = 0; i < 3; i++) gateways.push(await startGateway(env, [], { database }));
      const [gateway] = gateways;
      const endpoint = await subscribe(gateway!, receiver.url, ['customer.created']);
      for (let i = 0; i < CUSTOMERS; i++) {
        await request(gateway!.url)
          .post('/v1/customers')
          .set(admin)
          .send(johnSmith({ externalReference: `wh-threshold-${i}`, providers: [] }))
          .expect(201);
      }
      await waitFor('a delivery in flight', () => receiver.received.length > 0);
      openGate();

      await waitFor('the endpoint disabled and every delivery settled', async () => {
        const [row, leased] = await Promise.all([
          database.prisma.webhookEndpoint.findUniqueOrThrow({ where: { id: endpoint.id } }),
          database.prisma.webhookDelivery.count({ where: { lockedBy: { not: null } } }),
        ]);
        return !row.enabled && leased === 0;
      });
      const disabled = await request(gateway!.url).get(`/v1/webhook-endpoints/${endpoint.id}`).set(admin);
      expect(disabled.body).toMatchObject({ enabled: false, failureStreak: THRESHOLD });
      expect(disabled.body.disabledReason).toMatch(
        new RegExp(`^Disabled after ${THRESHOLD} consecutive failed deliveries; the last: HTTP 500 at `),
      );
      // More than the threshold failed at once: the limit was raced for, not merely reached.
      const attempted = await database.prisma.webhookDelivery.count({ where: { attempts: { gt: 0 } } });
      expect(attempted).toBeGreaterThan(THRESHOLD);
    } finally {
      openGate();
      for (const gateway of gateways) await gateway.close();
      await receiver.close();
      await database.close();
    }
    // Three gateways on one database: on PGlite, on a loaded machine, starting them alone takes long.
  }, 180_000);
});

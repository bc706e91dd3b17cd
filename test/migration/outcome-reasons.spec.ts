import { OUTCOME_REASONS, REASON_CODES } from '@app/domain';
import request from 'supertest';

import { bearer, type GatewayWithSandboxes, KEYS, startGatewayWithSandboxes } from '../support/gateway';
import { eventually } from '../support/eventually';

interface ItemBody {
  sourceReference: string;
  outcome: string | null;
  reason: { code: string; retryable: boolean; field?: string } | null;
}

const DR = { provider: 'digital-river', account: 'sandbox' };
const TCO = { provider: 'two-checkout', account: 'sandbox' };

/**
 * The outcome reasons a migration reads at its source, produced for real (CustomerMigrator through
 * the Digital River sandbox) and answered as codes of the closed list: a reference the source does
 * not have, a customer who asked the source to forget them, one the mirror cannot hold as valid.
 */
describe('a migration item skipped at its source answers a code of the closed list', () => {
  let gateway: GatewayWithSandboxes;
  const admin = bearer(KEYS.admin);

  beforeAll(async () => {
    gateway = await startGatewayWithSandboxes();
  });
  afterAll(() => gateway.close());

  it('not_found_at_source, forgotten_at_source, invalid_at_source', async () => {
    const dr = gateway.sandboxes['digital-river'].admin;
    const [forgotten, invalid, fine] = dr.seed(3) as [string, string, string];
    dr.modifyCustomer(forgotten, { requestToBeForgotten: true });
    // More metadata keys than a canonical customer may hold (Digital River's dashboard checks nothing).
    dr.modifyCustomer(invalid, {
      metadata: Object.fromEntries(Array.from({ length: 21 }, (_, n) => [`k${n}`, 'v'])),
    });
    const missing = 'cus_not_at_the_source';
    const started = await request(gateway.url)
      .post('/v1/migrations')
      .set(admin)
      .send({
        source: { ...DR, kind: 'references', references: [forgotten, invalid, fine, missing] },
        target: TCO,
      })
      .expect(202);
    const id = (started.body as { id: string }).id;
    await eventually(`migration ${id} completed`, async () => {
      const run = await request(gateway.url).get(`/v1/migrations/${id}`).set(admin).expect(200);
      return (run.body as { status: string }).status === 'completed' ? true : undefined;
    });
    const page = await request(gateway.url).get(`/v1/migrations/${id}/items`).set(admin).expect(200);
    const reasons = new Map(
      (page.body as { data: ItemBody[] }).data.map((item) => [
        item.sourceReference,
        item.reason?.code ?? null,
      ]),
    );
    expect(Object.fromEntries(reasons)).toEqual({
      [forgotten]: 'forgotten_at_source',
      [invalid]: 'invalid_at_source',
      [fine]: null,
      [missing]: 'not_found_at_source',
    });
    for (const code of reasons.values()) {
      if (code === null) continue;
      expect(REASON_CODES).toContain(code);
      expect(OUTCOME_REASONS).toHaveProperty(code);
    }
  });
});

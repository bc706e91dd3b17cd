import request from 'supertest';

import { eventually } from './eventually';

export interface ReconciliationBody {
  id: string;
  status: string;
  trigger: string;
  repair: boolean;
  enumerated: boolean;
  counts: Record<'total' | 'checked' | 'pending' | 'in_sync' | 'drifted' | 'repaired' | 'failed', number>;
  fields: Record<string, number>;
  ratePerSecond: number;
  etaSeconds: number | null;
}

export interface ReconciliationItem {
  seq: number;
  customerId: string;
  outcome: string | null;
  drift: { provider: string; account: string; reference: string; state: string; fields: string[] }[];
  reason: { code: string; message: string; retryable: boolean } | null;
}

/** Starts a whole-base reconciliation (202) and resolves its id. */
export async function startReconciliation(
  url: string,
  auth: Record<string, string>,
  body: Record<string, unknown> = {},
): Promise<string> {
  const res = await request(url).post('/v1/reconciliations').set(auth).send(body);
  if (res.status !== 202) throw new Error(`${res.status} ${JSON.stringify(res.body)}`);
  const run = res.body as ReconciliationBody;
  expect(res.headers.location).toBe(`/v1/reconciliations/${run.id}`);
  return run.id;
}

/** Waits for the reconciliation to complete, with a generous deadline, and resolves it. */
export function reconciliationCompleted(
  url: string,
  auth: Record<string, string>,
  id: string,
  timeoutMs = 60_000,
): Promise<ReconciliationBody> {
  return eventually(
    `reconciliation ${id} to complete`,
    async () => {
      const res = await request(url).get(`/v1/reconciliations/${id}`).set(auth).expect(200);
      const run = res.body as ReconciliationBody;
      if (run.status !== 'completed') throw new Error(`still ${run.status}: ${JSON.stringify(run.counts)}`);
      return run;
    },
    { timeoutMs },
  );
}

/** Every item of one outcome (`drifted`, `failed`...), all pages. */
export async function reconciliationItems(
  url: string,
  auth: Record<string, string>,
  id: string,
  outcome?: string,
): Promise<ReconciliationItem[]> {
  const items: ReconciliationItem[] = [];
  for (let after = 0; ;) {
    const res = await request(url)
      .get(`/v1/reconciliations/${id}/items`)
      .set(auth)
      .query({ limit: 1000, after, ...(outcome !== undefined ? { outcome } : {}) })
      .expect(200);
    const page = res.body as { data: ReconciliationItem[]; next: number | null };
    items.push(...page.data);
    if (page.next === null) return items;
    after = page.next;
  }
}

/** Starts a whole-base reconciliation and waits for it: the run and its drifted customers. */
export async function reconcileWholeBase(
  url: string,
  auth: Record<string, string>,
  body: Record<string, unknown> = {},
  timeoutMs = 60_000,
): Promise<ReconciliationBody> {
  return reconciliationCompleted(url, auth, await startReconciliation(url, auth, body), timeoutMs);
}

import { type CallContext } from './call-context';
import { ProviderCallLog, type StoredProviderCall } from './provider-call-log';
import { type ProviderCallRecord, recordProviderCall } from './provider-calls';

/** The port with its trail in memory: `run` is what is under test, not a store. */
class TrailInMemory extends ProviderCallLog {
  readonly entries: (StoredProviderCall & { customerId: string | undefined })[] = [];

  append(customerId: string | undefined, operation: string, calls: ProviderCallRecord[]): Promise<void> {
    this.entries.push(...calls.map((call) => ({ ...call, operation, customerId })));
    return Promise.resolve();
  }

  recent(customerId: string, limit: number): Promise<StoredProviderCall[]> {
    return Promise.resolve(
      this.entries
        .filter((entry) => entry.customerId === customerId)
        .reverse()
        .slice(0, limit),
    );
  }
}

const REQUEST: CallContext = { actor: 'key-1', requestId: 'req-1' };

/** What the providers' HTTP transport reports after each attempt, under the operation's context. */
const call = (context: CallContext, method: string, httpStatus: number): void =>
  recordProviderCall(
    {
      provider: 'digital-river',
      account: 'main',
      method,
      path: '/customers/{id}',
      httpStatus,
      outcome: httpStatus < 400 ? 'ok' : 'unavailable',
      durationMs: 3,
      at: new Date(),
    },
    context,
  );

describe('the provider-call log', () => {
  it("answers the operation's result and keeps every call it made, under its customer and operation", async () => {
    const log = new TrailInMemory();
    const answer = await log.run(REQUEST, { customerId: 'cus_1', operation: 'drift' }, (audited) => {
      call(audited, 'GET', 200);
      return Promise.resolve('the copy');
    });
    expect(answer).toBe('the copy');
    expect(await log.recent('cus_1', 10)).toEqual([
      expect.objectContaining({ method: 'GET', httpStatus: 200, operation: 'drift' }),
    ]);
  });

  it('keeps the calls of a failed operation too, then rethrows its error', async () => {
    const log = new TrailInMemory();
    const failure = new Error('provider down');
    await expect(
      log.run(REQUEST, { customerId: 'cus_2', operation: 'sync' }, (audited) => {
        call(audited, 'POST', 503);
        call(audited, 'POST', 503);
        return Promise.reject(failure);
      }),
    ).rejects.toBe(failure);
    expect((await log.recent('cus_2', 10)).map((entry) => entry.httpStatus)).toEqual([503, 503]);
  });

  it('keeps with every call who caused it: the API key and request, or the job', async () => {
    const log = new TrailInMemory();
    await log.run(REQUEST, { customerId: 'cus_4', operation: 'drift' }, (audited) => {
      call(audited, 'GET', 200);
      return Promise.resolve(null);
    });
    await log.run({ actor: 'sync-worker' }, { customerId: 'cus_4', operation: 'sync' }, (audited) => {
      call(audited, 'POST', 201);
      return Promise.resolve(null);
    });
    expect(await log.recent('cus_4', 10)).toEqual([
      expect.objectContaining({ operation: 'sync', actor: 'sync-worker' }),
      expect.objectContaining({ operation: 'drift', actor: 'key-1', requestId: 'req-1' }),
    ]);
  });

  it('attributes calls to no customer when the operation has none (an import, a source read)', async () => {
    const log = new TrailInMemory();
    await log.run(REQUEST, { operation: 'import' }, (audited) => {
      call(audited, 'GET', 200);
      return Promise.resolve(null);
    });
    expect(log.entries).toEqual([expect.objectContaining({ operation: 'import', customerId: undefined })]);
  });

  it("hands a recorded operation's result or error to its record with the calls it made, for the record to write", async () => {
    const log = new TrailInMemory();
    const failure = new Error('provider down');
    const recorded = await log.runAndRecord(
      REQUEST,
      { customerId: 'cus_3', operation: 'sync' },
      (audited) => {
        call(audited, 'POST', 201);
        return Promise.resolve('created');
      },
      (outcome) => Promise.resolve(outcome),
    );
    expect(recorded).toMatchObject({ result: 'created', calls: [{ method: 'POST', httpStatus: 201 }] });
    const refused = await log.runAndRecord(
      REQUEST,
      { customerId: 'cus_3', operation: 'sync' },
      (audited) => {
        call(audited, 'POST', 503);
        call(audited, 'POST', 503);
        return Promise.reject(failure);
      },
      (outcome) => Promise.resolve(outcome),
    );
    expect(refused).toMatchObject({ error: failure });
    expect(refused.calls.map((entry) => entry.httpStatus)).toEqual([503, 503]);
    // The record writes them with the outcome (SyncQueue.settle), so the log does not append them too.
    expect(await log.recent('cus_3', 10)).toEqual([]);
  });
});

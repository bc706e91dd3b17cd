import { GatewayError } from './errors';
import { backoffMs, retryingFetch } from './retry';

describe('backoffMs (the client’s wait between retries)', () => {
  const options = { baseDelayMs: 200, maxDelayMs: 10_000 };

  it('doubles its ceiling per failed attempt, the wait drawn anywhere below it', () => {
    expect([1, 2, 3, 4, 5].map((attempt) => backoffMs(attempt, options, 1))).toEqual([
      200, 400, 800, 1_600, 3_200,
    ]);
    expect(backoffMs(3, options, 0.5)).toBe(400);
    expect(backoffMs(3, options, 0)).toBe(0);
  });

  it('never waits longer than maxDelayMs', () => {
    expect(backoffMs(6, options, 1)).toBe(6_400);
    expect(backoffMs(7, options, 1)).toBe(10_000);
    expect(backoffMs(5_000, options, 1)).toBe(10_000);
  });
});

describe('retryingFetch: the deadline holds whatever the fetch underneath does', () => {
  // A fetch that never answers and never looks at its signal, as undici's does once the Request
  // carrying the signal was garbage collected (see unlessAborted).
  const deaf = () => new Promise<Response>(() => undefined);
  // An answer whose body never ends, and no abort reaches it either.
  const stalledBody = () =>
    Promise.resolve(new Response(new ReadableStream({ start: () => undefined }), { status: 200 }));

  it('stops a call whose fetch ignores the abort, as a `timeout`', async () => {
    const send = retryingFetch({ maxAttempts: 1 }, deaf, { timeoutMs: 50 });
    await expect(send(new Request('http://127.0.0.1:9/v1/providers'))).rejects.toMatchObject({
      status: 0,
      code: 'timeout',
      retryable: true,
    });
  });

  it('stops a call whose body stalls and ignores the abort, as a `timeout`', async () => {
    const send = retryingFetch({ maxAttempts: 1 }, stalledBody, { timeoutMs: 50 });
    await expect(send(new Request('http://127.0.0.1:9/v1/providers'))).rejects.toBeInstanceOf(GatewayError);
    await expect(
      retryingFetch({ maxAttempts: 1 }, stalledBody)(new Request('http://127.0.0.1:9/v1/providers'), {
        timeoutMs: 50,
      }),
    ).rejects.toMatchObject({ code: 'timeout' });
  });

  it('stops at once when the caller aborts, even if the fetch would never answer', async () => {
    const caller = new AbortController();
    const send = retryingFetch({ maxAttempts: 1 }, deaf);
    const call = send(new Request('http://127.0.0.1:9/v1/providers', { signal: caller.signal }));
    caller.abort();
    await expect(call).rejects.toMatchObject({ code: 'aborted', retryable: false });
  });
});

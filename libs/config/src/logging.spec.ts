import { EventEmitter } from 'node:events';

import { startTelemetry, type Telemetry, traceDelivery } from '@app/telemetry';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';

import { flushWhileLogging, logLineContext, usesPrettyLogs } from './logging';

describe('LOG_FORMAT', () => {
  it('is readable on a terminal outside production and JSON everywhere else unless set', () => {
    const auto = { LOG_FORMAT: 'auto', NODE_ENV: 'development' } as const;
    expect(usesPrettyLogs(auto, true)).toBe(true);
    expect(usesPrettyLogs(auto, false)).toBe(false);
    expect(usesPrettyLogs({ ...auto, NODE_ENV: 'production' }, true)).toBe(false);
    expect(usesPrettyLogs({ ...auto, LOG_FORMAT: 'json' }, true)).toBe(false);
    expect(usesPrettyLogs({ ...auto, LOG_FORMAT: 'pretty', NODE_ENV: 'production' }, false)).toBe(true);
  });
});

describe('flushWhileLogging', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  function destination() {
    const events = new EventEmitter();
    return { flush: jest.fn(), once: events.once.bind(events), events };
  }

  it('flushes every second while lines come, three more times after the last, then never', () => {
    const dest = destination();
    const streamWrite = flushWhileLogging(dest, 1_000);
    expect(streamWrite('line 1\n')).toBe('line 1\n');
    expect(dest.flush).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1_000);
    expect(dest.flush).toHaveBeenCalledTimes(1);
    streamWrite('line 2\n');
    jest.advanceTimersByTime(3_000);
    expect(dest.flush).toHaveBeenCalledTimes(4);
    jest.advanceTimersByTime(60_000);
    expect(dest.flush).toHaveBeenCalledTimes(4);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('starts again with the next line, and stops when the destination closes', () => {
    const dest = destination();
    const streamWrite = flushWhileLogging(dest, 1_000);
    streamWrite('a\n');
    jest.advanceTimersByTime(10_000);
    streamWrite('b\n');
    jest.advanceTimersByTime(1_000);
    expect(dest.flush).toHaveBeenCalledTimes(4);
    dest.events.emit('close');
    expect(jest.getTimerCount()).toBe(0);
    streamWrite('logged after the close\n');
    jest.advanceTimersByTime(10_000);
    expect(dest.flush).toHaveBeenCalledTimes(4);
  });
});

describe('logLineContext', () => {
  let telemetry: Telemetry;
  const exporter = new InMemorySpanExporter();
  beforeAll(async () => {
    telemetry = await startTelemetry({
      exporter: 'none',
      serviceName: 'logging-test',
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    });
  });
  afterAll(() => telemetry.shutdown());

  const link = {
    id: 'lnk_1',
    customerId: 'cus_background',
    provider: 'digital-river',
    account: 'sandbox',
    intent: 'sync',
    attempts: 1,
  };

  it('names the customer, the trace and the span of a background delivery, never more', async () => {
    expect(logLineContext()).toEqual({});
    const inside = await traceDelivery(link, () => Promise.resolve(logLineContext()));
    const [span] = exporter.getFinishedSpans();
    expect(inside).toEqual({
      customerId: 'cus_background',
      traceId: span!.spanContext().traceId,
      spanId: span!.spanContext().spanId,
    });
  });

  it('names the request and the key as well inside a request', async () => {
    const request = () => ({ requestId: 'req-1', keyId: 'writer' });
    const inside = await traceDelivery(link, () => Promise.resolve(logLineContext(request)));
    expect(inside).toMatchObject({ requestId: 'req-1', keyId: 'writer', customerId: 'cus_background' });
    expect(inside.traceId).toMatch(/^[0-9a-f]{32}$/);
  });
});

import { EventEmitter } from 'node:events';

import { flushWhileLogging, usesPrettyLogs } from './logging';

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

import { usesPrettyLogs } from './logging';

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

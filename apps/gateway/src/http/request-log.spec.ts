import { type IncomingMessage, type ServerResponse } from 'node:http';
import { Writable } from 'node:stream';

import pino from 'pino';

import { RequestLog } from './request-log';

/** A RequestLog writing JSON lines into an array, at `level`. */
function capturedLog(level: string) {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { log: new RequestLog(pino({ level }, sink)), lines };
}

const create = {
  id: 'req-1',
  method: 'POST',
  url: '/v1/customers?email=someone%40example.test',
} as IncomingMessage & { id: string };

const answered = (statusCode: number) => ({ statusCode }) as ServerResponse;

describe('RequestLog', () => {
  it('logs the path the request arrived on, without its query string', () => {
    const { log, lines } = capturedLog('info');
    log.record(create, answered(201), performance.now());
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      req: { method: 'POST', path: '/v1/customers' },
      res: { statusCode: 201 },
    });
    expect(JSON.stringify(lines[0])).not.toContain('example.test');
  });

  it('leaves rate-limit refusals to the metric at info, and logs them at debug', () => {
    const info = capturedLog('info');
    info.log.record(create, answered(429), performance.now());
    expect(info.lines).toEqual([]);
    const debug = capturedLog('debug');
    debug.log.record(create, answered(429), performance.now());
    expect(debug.lines).toHaveLength(1);
    expect(debug.lines[0]).toMatchObject({ level: 20, res: { statusCode: 429 } });
  });
});

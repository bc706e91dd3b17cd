import { type CallContext } from '@app/domain';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Reads a `__fixtures__` file: `{ source, body }`, where `source` cites the seed or sample it came from. */
export function fixtureBody(dir: string, name: string): unknown {
  const parsed = JSON.parse(readFileSync(join(dir, '__fixtures__', name), 'utf8')) as { body: unknown };
  return parsed.body;
}

/** The caller adapter tests make their calls for: a test job, with no audit sink and no budget. */
export const TEST_CONTEXT: CallContext = { actor: 'test' };

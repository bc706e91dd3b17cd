import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

import { createGatewayClient } from './client';
import { OPERATION_METHODS } from './operations';

/** Every operationId of the committed document, as `npm run openapi` wrote it. */
function documentedOperations(): string[] {
  const document = JSON.parse(readFileSync(resolve(__dirname, '../../../openapi/openapi.json'), 'utf8')) as {
    paths: Record<string, Record<string, { operationId?: string }>>;
  };
  return Object.values(document.paths).flatMap((item) =>
    Object.values(item).flatMap((operation) =>
      operation.operationId === undefined ? [] : [operation.operationId],
    ),
  );
}

const methodAt = (root: unknown, path: string): unknown =>
  path.split('.').reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], root);

describe('the client has a method for every operation of the OpenAPI document', () => {
  const client = createGatewayClient({ baseUrl: 'http://127.0.0.1:9', apiKey: 'unused' });

  it.each(documentedOperations())('%s', (operationId) => {
    const path = (OPERATION_METHODS as Record<string, string>)[operationId];
    expect({ operationId, path }).toEqual({ operationId, path: expect.any(String) });
    expect(typeof methodAt(client, path!)).toBe('function');
  });

  it('lists no method for an operation the document does not have, and no method twice', () => {
    expect(Object.keys(OPERATION_METHODS).sort()).toEqual(documentedOperations().sort());
    expect(new Set(Object.values(OPERATION_METHODS)).size).toBe(Object.keys(OPERATION_METHODS).length);
  });
});

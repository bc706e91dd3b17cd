import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';

import { CLIENT_TYPES_PATH, openApiFiles, OPENAPI_PATH } from '../../../../scripts/openapi-files';

// The contract is committed; this fails (as `npm run openapi:check` does in CI) when the code
// declares another API than the committed document, or the client's types lag behind it.
describe('the committed OpenAPI document', () => {
  const root = resolve(__dirname, '../../../..');
  let generated: Awaited<ReturnType<typeof openApiFiles>>;

  beforeAll(async () => {
    generated = await openApiFiles();
  });

  it('is what the gateway declares (run `npm run openapi` after changing the API)', async () => {
    expect(await readFile(resolve(root, OPENAPI_PATH), 'utf8')).toBe(generated.document);
  });

  it("has the client's types generated from it (run `npm run openapi`)", async () => {
    expect(await readFile(resolve(root, CLIENT_TYPES_PATH), 'utf8')).toBe(generated.clientTypes);
  });

  it('is what the built gateway serves too: no compiler plugin adds to it at build time', async () => {
    // The @nestjs/swagger CLI plugin would add schema details under `nest build` only, so
    // `npm start` would serve another document than the one generated and tested here.
    const nestCli = JSON.parse(await readFile(resolve(root, 'nest-cli.json'), 'utf8')) as {
      compilerOptions?: { plugins?: unknown[] };
      projects?: Record<string, { compilerOptions?: { plugins?: unknown[] } }>;
    };
    const plugins = [
      nestCli.compilerOptions,
      ...Object.values(nestCli.projects ?? {}).map((p) => p.compilerOptions),
    ].flatMap((options) => options?.plugins ?? []);
    expect(plugins).toEqual([]);
  });

  it('comes out the same every time it is generated', async () => {
    expect(await openApiFiles()).toEqual(generated);
  });
});

import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

import { KEYS, type RunningGateway, startGateway } from '../support/gateway';

const run = promisify(execFile);
const root = resolve(__dirname, '../..');

/**
 * @customer-sync/client as a service gets it: built and packed as the README says
 * (`npm run client:build`, `npm pack` in libs/client), unpacked into another project's
 * node_modules, then type-checked and run there, as CommonJS and as an ES module, against a real
 * gateway. The other client tests import its sources; this one proves the tarball works.
 */
describe('the packed client package in another project', () => {
  let gateway: RunningGateway;
  let project: string;

  beforeAll(async () => {
    gateway = await startGateway();
    project = await mkdtemp(join(tmpdir(), 'client-consumer-'));
    await run('npm', ['run', 'client:build'], { cwd: root });
    await run('npm', ['pack', '--pack-destination', project], { cwd: join(root, 'libs/client') });
    const [tarball] = (await readdir(project)).filter((name) => name.endsWith('.tgz'));
    const installed = join(project, 'node_modules/@customer-sync/client');
    await mkdir(installed, { recursive: true });
    await run('tar', ['-xzf', join(project, tarball!), '-C', installed, '--strip-components=1']);
    // Its one dependency, as `npm install` would put it beside it (the registry is not for tests).
    await symlink(join(root, 'node_modules/openapi-fetch'), join(project, 'node_modules/openapi-fetch'));
  }, 120_000);

  /** tsc as a service on Node 16+ module resolution runs it; rejects with tsc's output on errors. */
  const typeCheck = (file: string) =>
    run(
      join(root, 'node_modules/.bin/tsc'),
      [
        ...['--noEmit', '--strict', '--module', 'node16', '--moduleResolution', 'node16'],
        ...['--target', 'ES2022', '--types', 'node', '--typeRoots', join(root, 'node_modules/@types')],
        file,
      ],
      { cwd: project },
    );

  afterAll(async () => {
    await gateway.close();
    await rm(project, { recursive: true, force: true });
  });

  it('holds only the compiled code and its declarations', async () => {
    const { stdout } = await run('tar', [
      '-tzf',
      join(
        project,
        (await readdir(project)).find((n) => n.endsWith('.tgz'))!,
      ),
    ]);
    const files = stdout.trim().split('\n');
    expect(files).toEqual(
      expect.arrayContaining(['package/package.json', 'package/dist/index.js', 'package/dist/index.d.ts']),
    );
    expect(files.filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))).toEqual([]);
  });

  it('type-checks a consumer against its declarations', async () => {
    await writeFile(
      join(project, 'consumer.ts'),
      [
        "import { createGatewayClient, GatewayError, type Customer } from '@customer-sync/client';",
        "const client = createGatewayClient({ baseUrl: 'http://127.0.0.1:3000', apiKey: 'key' });",
        "export const created: Promise<Customer> = client.customers.create({ email: 'a@example.com', providers: [] });",
        "export const providers = client.api.GET('/v1/providers');",
        'export const isProblem = (error: unknown) => error instanceof GatewayError && error.code;',
        '',
      ].join('\n'),
    );
    await expect(typeCheck('consumer.ts')).resolves.toBeDefined();

    // A route the document does not have is a compile error: what the generated types are for.
    await writeFile(
      join(project, 'wrong.ts'),
      [
        "import { createGatewayClient } from '@customer-sync/client';",
        "export const x = createGatewayClient({ baseUrl: '', apiKey: '' }).api.GET('/v1/nowhere');",
        '',
      ].join('\n'),
    );
    const wrong = await typeCheck('wrong.ts').catch((error: { stdout: string }) => error);
    expect(wrong.stdout).toMatch(/^wrong\.ts\(2,\d+\): error TS/);
  });

  it.each([
    [
      'CommonJS',
      'consumer.cjs',
      "const { createGatewayClient, GatewayError } = require('@customer-sync/client');",
    ],
    [
      'an ES module',
      'consumer.mjs',
      "import { createGatewayClient, GatewayError } from '@customer-sync/client';",
    ],
  ])('runs from %s', async (_kind, file, load) => {
    await writeFile(
      join(project, file),
      [
        load,
        'async function main() {',
        '  const client = createGatewayClient({ baseUrl: process.env.GATEWAY_URL, apiKey: process.env.GATEWAY_API_KEY });',
        `  const made = await client.customers.create({ email: '${file}@example.com', providers: [] });`,
        '  const listed = [];',
        `  for await (const c of client.customers.list({ email: '${file}@example.com' })) listed.push(c.id);`,
        "  const missing = await client.customers.get('cus_000000000000000000000000').catch((e) => e);",
        '  console.log(JSON.stringify({ made: made.id, listed, missing: missing instanceof GatewayError && missing.code }));',
        '}',
        'main().catch((error) => { console.error(error); process.exit(1); });',
        '',
      ].join('\n'),
    );
    const { stdout } = await run(process.execPath, [file], {
      cwd: project,
      env: { ...process.env, GATEWAY_URL: gateway.url, GATEWAY_API_KEY: KEYS.admin },
    });
    const result = JSON.parse(stdout) as { made: string; listed: string[]; missing: string };
    expect(result).toEqual({
      made: expect.stringMatching(/^cus_/),
      listed: [result.made],
      missing: 'customer_not_found',
    });
  });
});

import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

import { KEYS, type RunningGateway, startGateway } from '../support/gateway';

const run = promisify(execFile);
const root = resolve(__dirname, '../..');

/**
 * What each consumer does with the installed package, as CommonJS and as an ES module: a write,
 * a read with its ETag and a conditional write, a list, a refusal, and a webhook it verifies.
 * `load` brings in createGatewayClient, GatewayError and webhooks; the secret is Standard Webhooks'
 * own example (https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md).
 */
const consumer = (load: string, email: string) =>
  [
    load,
    "const { createHmac } = require_('node:crypto');",
    'async function main() {',
    '  const client = createGatewayClient({ baseUrl: process.env.GATEWAY_URL, apiKey: process.env.GATEWAY_API_KEY, timeoutMs: 30000 });',
    `  const made = await client.customers.create({ email: '${email}', providers: [] });`,
    '  const read = await client.customers.get(made.id);',
    "  const updated = await client.customers.update(made.id, { phone: '952-222-2222' }, { ifMatch: read.etag });",
    "  const stale = await client.customers.update(made.id, { phone: '952-333-3333' }, { ifMatch: read.etag }).catch((e) => e);",
    '  const listed = [];',
    `  for await (const c of client.customers.list({ email: '${email}' })) listed.push(c.id);`,
    "  const missing = await client.customers.get('cus_000000000000000000000000').catch((e) => e);",
    "  const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';",
    "  const body = JSON.stringify({ id: 'evt_1', type: 'customer.created' });",
    "  const id = 'msg_1', timestamp = Math.floor(Date.now() / 1000);",
    "  const key = Buffer.from(secret.slice(6), 'base64');",
    "  const signature = 'v1,' + createHmac('sha256', key).update(id + '.' + timestamp + '.' + body).digest('base64');",
    "  const event = webhooks.verify(body, { 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': signature }, secret);",
    '  console.log(JSON.stringify({',
    '    made: made.id, etag: read.etag, version: updated.version, listed, event: event.type,',
    '    stale: stale instanceof GatewayError && stale.code, missing: missing instanceof GatewayError && missing.code,',
    '  }));',
    '}',
    'main().catch((error) => { console.error(error); process.exit(1); });',
    '',
  ].join('\n');

/**
 * @customer-sync/client as a service gets it: built and packed as the README says
 * (`npm run client:build`, `npm pack` in libs/client), unpacked into another project's
 * node_modules beside the dependencies its package.json names (linked from this repository's, as
 * `npm install` would place them; the registry is not for tests), then type-checked and run there,
 * from CommonJS and from an ES module, against a real gateway. The other client tests import its
 * sources; this one proves the tarball works.
 */
describe('the packed client package in another project', () => {
  let gateway: RunningGateway;
  let project: string;
  let tarball: string;

  beforeAll(async () => {
    gateway = await startGateway();
    project = await mkdtemp(join(tmpdir(), 'client-consumer-'));
    await run('npm', ['run', 'client:build'], { cwd: root });
    await run('npm', ['pack', '--pack-destination', project], { cwd: join(root, 'libs/client') });
    tarball = join(
      project,
      (await readdir(project)).find((name) => name.endsWith('.tgz'))!,
    );
    const installed = join(project, 'node_modules/@customer-sync/client');
    await mkdir(installed, { recursive: true });
    await run('tar', ['-xzf', tarball, '-C', installed, '--strip-components=1']);
    const manifest = JSON.parse(await readFile(join(installed, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    for (const dependency of Object.keys(manifest.dependencies)) {
      await mkdir(join(project, 'node_modules', dependency, '..'), { recursive: true });
      await symlink(join(root, 'node_modules', dependency), join(project, 'node_modules', dependency));
    }
  }, 120_000);

  afterAll(async () => {
    await gateway.close();
    await rm(project, { recursive: true, force: true });
  });

  /** tsc as a service on Node 16+ module resolution runs it; rejects with tsc's output on errors. */
  const typeCheck = (...files: string[]) =>
    run(
      join(root, 'node_modules/.bin/tsc'),
      [
        ...['--noEmit', '--strict', '--module', 'node16', '--moduleResolution', 'node16'],
        ...['--target', 'ES2022', '--types', 'node', '--typeRoots', join(root, 'node_modules/@types')],
        ...files,
      ],
      { cwd: project },
    );

  it('holds a CommonJS and an ES module build, each with declarations, and no sources', async () => {
    const { stdout } = await run('tar', ['-tzf', tarball]);
    const files = stdout.trim().split('\n');
    expect(files).toEqual(
      expect.arrayContaining([
        'package/package.json',
        ...['package/dist/cjs/index.js', 'package/dist/cjs/index.d.ts'],
        ...['package/dist/esm/index.js', 'package/dist/esm/index.d.ts', 'package/dist/esm/package.json'],
      ]),
    );
    expect(files.filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))).toEqual([]);
  });

  it('type-checks consumers written as CommonJS and as an ES module, and refuses a route the document lacks', async () => {
    const typed = [
      "import { createGatewayClient, GatewayError, type Customer, webhooks } from '@customer-sync/client';",
      "const client = createGatewayClient({ baseUrl: 'http://127.0.0.1:3000', apiKey: 'key', timeoutMs: 5000 });",
      "export const created: Promise<Customer> = client.customers.create({ email: 'a@example.com', providers: [] });",
      "export const etag: Promise<string | undefined> = client.customers.get('cus_1').then((c) => c.etag);",
      'export const migrations = client.migrations.list({ limit: 5 });',
      'export const isProblem = (error: unknown) => error instanceof GatewayError && error.code;',
      'export const verify = webhooks.verify;',
      '',
    ].join('\n');
    // .cts resolves the package's "require" declarations, .mts its "import" ones.
    await writeFile(join(project, 'consumer.cts'), typed);
    await writeFile(join(project, 'consumer.mts'), typed);
    await writeFile(
      join(project, 'wrong.ts'),
      [
        "import { createGatewayClient } from '@customer-sync/client';",
        "export const x = createGatewayClient({ baseUrl: '', apiKey: '' }).api.GET('/v1/nowhere');",
        '',
      ].join('\n'),
    );
    // One tsc run for all three (each costs seconds): only wrong.ts may fail.
    const output = await typeCheck('consumer.cts', 'consumer.mts', 'wrong.ts').then(
      () => '',
      (error: { stdout: string }) => error.stdout,
    );
    const failing = [...output.matchAll(/^(\S+)\(\d+,\d+\): error TS/gm)].map((match) => match[1]);
    expect(failing).toEqual(['wrong.ts']);
  });

  it.each([
    [
      'CommonJS',
      'consumer.cjs',
      "const { createGatewayClient, GatewayError, webhooks } = require('@customer-sync/client');\nconst require_ = require;",
    ],
    [
      'an ES module',
      'consumer.mjs',
      "import { createGatewayClient, GatewayError, webhooks } from '@customer-sync/client';\nimport { createRequire } from 'node:module';\nconst require_ = createRequire(import.meta.url);",
    ],
  ])('runs from %s', async (_kind, file, load) => {
    await writeFile(join(project, file), consumer(load, `${file}@example.com`));
    const { stdout } = await run(process.execPath, [file], {
      cwd: project,
      env: { ...process.env, GATEWAY_URL: gateway.url, GATEWAY_API_KEY: KEYS.admin },
    });
    const result = JSON.parse(stdout) as { made: string };
    expect(result).toEqual({
      made: expect.stringMatching(/^cus_/),
      etag: '"1"',
      version: 2,
      listed: [result.made],
      event: 'customer.created',
      stale: 'precondition_failed',
      missing: 'customer_not_found',
    });
  });
});

/**
 * The API contract as files: `npm run openapi` writes the gateway's OpenAPI document to
 * openapi/openapi.json and the client's types generated from it to libs/client/src/generated/;
 * `npm run openapi:check` (CI) fails when either committed file differs from what the code declares.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

import { CLIENT_TYPES_PATH, openApiFiles, OPENAPI_PATH } from './openapi-files';

async function main(): Promise<void> {
  const root = resolve(__dirname, '..');
  const files = await openApiFiles();
  const check = process.argv.includes('--check');
  const stale: string[] = [];
  for (const [path, text] of [
    [OPENAPI_PATH, files.document],
    [CLIENT_TYPES_PATH, files.clientTypes],
  ] as const) {
    const absolute = resolve(root, path);
    if (check) {
      if ((await readFile(absolute, 'utf8').catch(() => '')) !== text) stale.push(path);
    } else {
      await mkdir(dirname(absolute), { recursive: true });
      await writeFile(absolute, text);
    }
  }
  if (stale.length > 0) {
    process.stderr.write(
      `Out of date with the code: ${stale.join(', ')}. Run \`npm run openapi\` and commit.\n`,
    );
    process.exit(1);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});

import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = resolve(__dirname, '../..');
const DIRECTIVE = '// @ts-expect-error';

/** tsc over one file, strict, the client under the name services import it by; its diagnostics. */
async function compile(directory: string, file: string): Promise<string> {
  const config = join(directory, 'tsconfig.json');
  await writeFile(
    config,
    JSON.stringify({
      compilerOptions: {
        ...{ strict: true, noEmit: true, skipLibCheck: true, target: 'ES2023', lib: ['ES2023'] },
        ...{ module: 'node20', moduleResolution: 'node16', types: ['node'] },
        typeRoots: [join(root, 'node_modules/@types')],
        paths: { '@customer-sync/client': [join(root, 'libs/client/src')] },
      },
      files: [file],
    }),
  );
  const tsc = join(root, 'node_modules/.bin/tsc');
  return run(tsc, ['-p', config]).then(
    ({ stdout }) => stdout,
    (failure: { stdout: string }) => failure.stdout,
  );
}

/**
 * The client's types refuse what test/client/type-errors.ts gets wrong (a misspelled or mistyped
 * field, a value outside an enum, ifMatch where no write can be conditional...): with its
 * `@ts-expect-error` lines the file compiles, and without them each line below one fails, and
 * nothing else does.
 */
describe("the client's types (tsc over test/client/type-errors.ts)", () => {
  let directory: string;
  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'client-types-'));
  });
  afterAll(() => rm(directory, { recursive: true, force: true }));

  it('refuses every line marked @ts-expect-error, each one on its own', async () => {
    const source = await readFile(join(__dirname, 'type-errors.ts'), 'utf8');
    expect(await compile(directory, join(__dirname, 'type-errors.ts'))).toBe('');

    // Directives become blank lines, so line numbers stay; the import path stays valid in the copy.
    const lines = source.split('\n');
    const refusedLines = lines.flatMap((line, index) =>
      line.trim().startsWith(DIRECTIVE) ? [index + 2] : [],
    );
    expect(refusedLines.length).toBeGreaterThanOrEqual(10);
    const stripped = join(directory, 'stripped.ts');
    await writeFile(
      stripped,
      lines.map((line) => (line.trim().startsWith(DIRECTIVE) ? '' : line)).join('\n'),
    );
    const output = await compile(directory, stripped);
    const failedLines = new Set(
      [...output.matchAll(/stripped\.ts\((\d+),\d+\): error TS/g)].map((m) => Number(m[1])),
    );
    expect([...failedLines].sort((a, b) => a - b)).toEqual(refusedLines);
  });
});

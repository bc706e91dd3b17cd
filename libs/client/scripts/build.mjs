// Builds the package twice from one source: dist/cjs for require() and dist/esm for import, each
// with its own declarations, as package.json's "exports" maps them (https://nodejs.org/api/packages.html#conditional-exports).
// dist/esm gets a package.json of its own saying its .js files are ES modules.
import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

rmSync(join(packageDir, 'dist'), { recursive: true, force: true });
for (const config of ['tsconfig.build.json', 'tsconfig.esm.json']) {
  execFileSync(process.execPath, [tsc, '-p', join(packageDir, config)], { stdio: 'inherit' });
}
writeFileSync(join(packageDir, 'dist/esm/package.json'), `${JSON.stringify({ type: 'module' }, null, 2)}\n`);

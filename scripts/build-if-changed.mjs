// `npm start` runs this instead of a full `npm run build`: it builds only when a build input
// changed since the last successful build, so a second start is as quick as the gateway itself.
// Inputs are hashed by content (a checkout or a copy changes mtimes without changing anything).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = join(import.meta.dirname, '..');
const INPUTS = ['apps', 'libs', 'prisma', 'generated', 'package-lock.json', 'nest-cli.json', 'tsconfig.json'];
const SKIPPED = new Set(['node_modules', 'dist', '__fixtures__']);
const STAMP = join(root, 'dist', '.build-inputs.sha256');

function* files(path) {
  if (!existsSync(path)) return;
  if (!statSync(path).isDirectory()) return yield path;
  for (const entry of readdirSync(path).sort()) {
    if (!SKIPPED.has(entry) && !entry.endsWith('.spec.ts')) yield* files(join(path, entry));
  }
}

const hash = createHash('sha256');
for (const input of INPUTS) {
  for (const file of files(join(root, input))) {
    hash.update(relative(root, file)).update('\0').update(readFileSync(file)).update('\0');
  }
}
const digest = hash.digest('hex');

if (existsSync(STAMP) && readFileSync(STAMP, 'utf8') === digest) {
  process.stdout.write('Build is up to date.\n');
} else {
  execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
  writeFileSync(STAMP, digest);
}

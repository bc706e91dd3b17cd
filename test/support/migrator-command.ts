import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

// Only Node built-ins here: bench/migration.ts runs under ts-node, which cannot load the app's
// generated Prisma client (its relative imports carry a .js suffix that jest maps and ts-node does not).

/**
 * The built migrator CLI (`npm run build`), as the crash and scale-out tests and bench:migration
 * run it. Its stdout is not a TTY there, so it prints one JSON event per line (`started`,
 * `resumed`, `progress` every 2 s, `finished`, `worker_started`); logs go to stderr.
 */
export const MIGRATOR_MAIN = resolve(__dirname, '../../dist/apps/migrator/apps/migrator/src/main.js');

/** The Node flags `npm run migrator` gives the CLI (its heap cap): the tests run it as users do. */
export function migratorNodeFlags(): string[] {
  const pkg = JSON.parse(readFileSync(resolve(__dirname, '../../package.json'), 'utf8')) as {
    scripts?: Record<string, string>;
  };
  const words = (pkg.scripts?.['migrator'] ?? '').split(/\s+/);
  const node = words.indexOf('node');
  if (node === -1) return [];
  const flags: string[] = [];
  for (const word of words.slice(node + 1)) {
    if (!word.startsWith('-')) break;
    flags.push(word);
  }
  return flags;
}

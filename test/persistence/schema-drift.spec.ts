import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

import { DEFAULT_MIGRATIONS_DIR } from '@app/persistence';
import {
  createMigration,
  diffMigrationsToSchema,
  readSchema,
  type SchemaSource,
} from '../../libs/persistence/src/migrations/schema-engine';

// Prisma's schema engine (Wasm) replays every migration into a shadow PGlite: slow to boot.
jest.setTimeout(120_000);

/** schema.prisma with one more nullable column on customers, as someone forgetting a migration would leave it. */
async function schemaWithExtraColumn(): Promise<SchemaSource> {
  const schema = await readSchema();
  const altered = schema.content.replace(
    /(model Customer \{\n)/,
    '$1  nickname          String?       @map("nick_name")\n',
  );
  expect(altered).not.toBe(schema.content);
  return { path: schema.path, content: altered };
}

describe('schema.prisma and prisma/migrations', () => {
  it('agree: replaying the migrations yields exactly the schema', async () => {
    const drift = await diffMigrationsToSchema();

    // On failure the script is the migration to add: `npm run db:migration:create -- <name>`.
    expect(drift.script.trim()).toBe('-- This is an empty migration.');
    expect(drift.inSync).toBe(true);
  });

  it('are reported as drifted when the schema changes without a migration', async () => {
    const drift = await diffMigrationsToSchema({ schema: await schemaWithExtraColumn() });

    expect(drift.inSync).toBe(false);
    expect(drift.script).toContain('ALTER TABLE "customers" ADD COLUMN     "nick_name" TEXT;');
  });

  it('are reported as drifted when a migration changes without the schema', async () => {
    const migrationsDir = await mkdtemp(join(tmpdir(), 'migrations-'));
    try {
      await cp(DEFAULT_MIGRATIONS_DIR, migrationsDir, { recursive: true });
      const stray = join(migrationsDir, '99990101000000_stray_index');
      await mkdir(stray);
      await writeFile(
        join(stray, 'migration.sql'),
        'CREATE INDEX "customers_phone_idx" ON "customers"("phone");\n',
      );

      const drift = await diffMigrationsToSchema({ migrationsDir });

      expect(drift.inSync).toBe(false);
      expect(drift.script).toContain('DROP INDEX "customers_phone_idx";');
    } finally {
      await rm(migrationsDir, { recursive: true, force: true });
    }
  });

  it('get back in sync through db:migration:create', async () => {
    const migrationsDir = await mkdtemp(join(tmpdir(), 'migrations-'));
    try {
      await cp(DEFAULT_MIGRATIONS_DIR, migrationsDir, { recursive: true });
      const schema = await schemaWithExtraColumn();

      const created = await createMigration({
        name: 'add_nickname',
        schema,
        migrationsDir,
        now: new Date('2030-01-02T03:04:05Z'),
      });

      expect(created?.name).toBe('20300102030405_add_nickname');
      expect(
        await readFile(join(migrationsDir, '20300102030405_add_nickname', 'migration.sql'), 'utf8'),
      ).toBe(created?.script);
      expect((await diffMigrationsToSchema({ schema, migrationsDir })).inSync).toBe(true);
      expect(await createMigration({ name: 'nothing_new', schema, migrationsDir })).toBeNull();
    } finally {
      await rm(migrationsDir, { recursive: true, force: true });
    }
  });
});

describe("Prisma's schema engine", () => {
  it('leaves no timer behind, so a process that ran `prisma migrate deploy` through it exits at once', async () => {
    // Its Wasm build starts a 10 s timer for the migration lock and has no way to clear it: before
    // the engine's timers were cleared on its release, such a process stayed alive 10 s more.
    const root = resolve(__dirname, '../..');
    const dir = await mkdtemp(join(tmpdir(), 'engine-timers-'));
    try {
      const program = join(dir, 'deploy.ts');
      await writeFile(
        program,
        [
          // From a temporary folder: the package by its resolved path.
          `import { PGlite } from '${require.resolve('@electric-sql/pglite')}';`,
          `import { prismaMigrateDeploy } from '${join(root, 'libs/persistence/src/migrations/schema-engine')}';`,
          'void (async () => {',
          '  const pglite = await PGlite.create();',
          '  const applied = await prismaMigrateDeploy(pglite);',
          '  await pglite.close();',
          '  console.log(JSON.stringify({ applied: applied.length, pending: process.getActiveResourcesInfo() }));',
          '})();',
          '',
        ].join('\n'),
      );

      const { stdout } = await promisify(execFile)(
        process.execPath,
        ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register', program],
        { cwd: root },
      );

      const { applied, pending } = JSON.parse(stdout) as { applied: number; pending: string[] };
      expect(applied).toBeGreaterThan(0);
      expect(pending).not.toContain('Timeout');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

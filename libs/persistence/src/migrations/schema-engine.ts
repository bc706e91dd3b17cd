import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

import { PGlite } from '@electric-sql/pglite';
import { bindMigrationAwareSqlAdapterFactory } from '@prisma/driver-adapter-utils';
import type * as SchemaEngineWasm from '@prisma/schema-engine-wasm/schema_engine_bg';
import { PrismaPGlite } from 'pglite-prisma-adapter';

import {
  DEFAULT_MIGRATIONS_DIR,
  DEFAULT_SCHEMA_PATH,
  MIGRATION_LOCK_FILE,
  MIGRATION_SCRIPT_FILE,
} from './migration-files';

/*
 * Prisma's schema engine compiled to WebAssembly, driven through a driver adapter over an in-memory
 * PGlite. The Prisma 7 CLI only drives the native schema-engine binary, which cannot be downloaded
 * here; the Wasm build is the same engine (same diffing, same SQL rendering), so the migrations it
 * writes and the drifts it reports are exactly those of `prisma migrate dev` / `prisma migrate diff`.
 * Every operation replays `prisma/migrations` into a throwaway shadow PGlite, so no server is needed.
 */

type Engine = SchemaEngineWasm.SchemaEngine;

/** The slice of the WebAssembly API used here; the project's `lib` (ES2023, no DOM) does not declare it. */
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (
    module: object,
    imports: Record<string, Record<string, unknown>>,
  ) => { exports: Record<string, unknown> };
};

let loading: Promise<typeof SchemaEngineWasm> | undefined;

/**
 * Timers the engine has started and not seen fire. Its Wasm build imports `setTimeout` but no
 * `clearTimeout`: `applyMigrations` races its advisory lock against a 10 s timer it never clears,
 * which kept a finished process (a jest worker) alive for those 10 s. Once no engine is alive, such
 * a timer could only call into freed memory, so the last engine to be freed clears them.
 */
const engineTimers = new Set<ReturnType<typeof setTimeout>>();
let liveEngines = 0;

function engineSetTimeout(callback: () => void, ms: number): ReturnType<typeof setTimeout> {
  const timer = setTimeout(() => {
    engineTimers.delete(timer);
    callback();
  }, ms >>> 0);
  engineTimers.add(timer);
  return timer;
}

/**
 * Instantiates the Wasm module once per process. The package's entry point imports the `.wasm` file
 * as an ES module, which neither CommonJS nor jest can load, so the bindings are wired up by hand the
 * way that entry point does.
 */
function loadBindings(): Promise<typeof SchemaEngineWasm> {
  loading ??= (async () => {
    const bindings = await import('@prisma/schema-engine-wasm/schema_engine_bg');
    const wasmPath = join(
      dirname(require.resolve('@prisma/schema-engine-wasm/schema_engine_bg')),
      'schema_engine_bg.wasm',
    );
    const module = new WebAssembly.Module(await readFile(wasmPath));
    const imports: Record<string, unknown> = { ...bindings };
    for (const name of Object.keys(bindings)) {
      if (name.startsWith('__wbg_setTimeout_')) imports[name] = engineSetTimeout;
    }
    const instance = new WebAssembly.Instance(module, { './schema_engine_bg.js': imports });
    bindings.__wbg_set_wasm(instance.exports);
    const start = instance.exports['__wbindgen_start'];
    if (typeof start !== 'function') throw new Error('schema engine Wasm module has no __wbindgen_start');
    (start as () => void)();
    return bindings;
  })();
  return loading;
}

const noFilters: SchemaEngineWasm.SchemaFilter = { externalTables: [], externalEnums: [] };

/** `prisma/migrations` in the shape the engine expects, read exactly as the Prisma CLI reads it. */
async function loadMigrationList(baseDir: string): Promise<SchemaEngineWasm.MigrationList> {
  const lockfileContent = await readFile(join(baseDir, MIGRATION_LOCK_FILE), 'utf8').catch(() => null);
  const entries = await readdir(baseDir, { withFileTypes: true }).catch(() => []);
  const migrationDirectories = await Promise.all(
    entries
      .filter((entry) => entry.isDirectory())
      .map(async (entry): Promise<SchemaEngineWasm.MigrationDirectory> => {
        const content = await readFile(join(baseDir, entry.name, MIGRATION_SCRIPT_FILE), 'utf8')
          .then((value): SchemaEngineWasm.JsResult<string, string> => ({ tag: 'ok', value }))
          .catch((error: Error): SchemaEngineWasm.JsResult<string, string> => ({
            tag: 'error',
            value: error.message,
          }));
        return { path: entry.name, migrationFile: { path: MIGRATION_SCRIPT_FILE, content } };
      }),
  );
  migrationDirectories.sort((a, b) => a.path.localeCompare(b.path));
  return {
    baseDir,
    lockfile: { path: MIGRATION_LOCK_FILE, content: lockfileContent },
    migrationDirectories,
    shadowDbInitScript: '',
  };
}

/** Runs `run` against an engine whose main database is `pglite`, or a throwaway in-memory one. */
async function withEngine<T>(
  schema: SchemaSource,
  run: (engine: Engine) => Promise<T>,
  database?: PGlite,
): Promise<T> {
  const { SchemaEngine } = await loadBindings();
  const pglite = database ?? (await PGlite.create());
  // pglite-prisma-adapter never closes the shadow databases it opens, which keeps the process alive.
  const shadows: PGlite[] = [];
  try {
    const main = new PrismaPGlite(pglite);
    const adapter = bindMigrationAwareSqlAdapterFactory({
      provider: main.provider,
      adapterName: main.adapterName,
      connect: () => main.connect(),
      connectToShadowDb: async () => {
        const shadow = await PGlite.create();
        shadows.push(shadow);
        return new PrismaPGlite(shadow).connect();
      },
    });
    liveEngines += 1;
    try {
      const engine = await SchemaEngine.new(
        { datamodels: [[schema.path, schema.content]] },
        () => {},
        adapter,
      );
      try {
        return await run(engine);
      } finally {
        engine.free();
      }
    } finally {
      liveEngines -= 1;
      if (liveEngines === 0) {
        for (const timer of engineTimers) clearTimeout(timer);
        engineTimers.clear();
      }
    }
  } finally {
    await Promise.all(shadows.map((shadow) => shadow.close()));
    if (database === undefined) await pglite.close();
  }
}

export interface SchemaSource {
  /** File name reported in the engine's error messages. */
  path: string;
  content: string;
}

export async function readSchema(schemaPath: string = DEFAULT_SCHEMA_PATH): Promise<SchemaSource> {
  return { path: schemaPath, content: await readFile(schemaPath, 'utf8') };
}

export interface SchemaDrift {
  inSync: boolean;
  /** The SQL a new migration would need to reach the schema; Prisma's "empty migration" comment when in sync. */
  script: string;
}

/** `prisma migrate diff --from-migrations prisma/migrations --to-schema schema.prisma --script`. */
export async function diffMigrationsToSchema(
  options: { schema?: SchemaSource; migrationsDir?: string } = {},
): Promise<SchemaDrift> {
  const schema = options.schema ?? (await readSchema());
  const migrationsList = await loadMigrationList(options.migrationsDir ?? DEFAULT_MIGRATIONS_DIR);
  return withEngine(schema, async (engine) => {
    const result = await engine.diff({
      from: { tag: 'migrations', ...migrationsList },
      to: { tag: 'schemaDatamodel', files: [schema] },
      script: true,
      exitCode: true,
      filters: noFilters,
    });
    // With `exitCode`, the engine answers 2 when the two sides differ, as the CLI's --exit-code does.
    return { inSync: result.exitCode === 0, script: result.stdout ?? '' };
  });
}

/**
 * `prisma migrate deploy` itself, run by Prisma's engine against `pglite`: it reads and writes
 * `_prisma_migrations` with Prisma's own code, which is how the tests prove our runner's bookkeeping
 * is what Prisma expects. Returns the names it applied.
 */
export async function prismaMigrateDeploy(
  pglite: PGlite,
  options: { migrationsDir?: string } = {},
): Promise<string[]> {
  const schema = await readSchema();
  const migrationsList = await loadMigrationList(options.migrationsDir ?? DEFAULT_MIGRATIONS_DIR);
  const output = await withEngine(
    schema,
    (engine) => engine.applyMigrations({ migrationsList, filters: noFilters }),
    pglite,
  );
  return output.appliedMigrationNames;
}

export interface CreatedMigration {
  name: string;
  directory: string;
  script: string;
}

/** What `prisma migrate dev` writes to `migration_lock.toml` for PostgreSQL. */
const MIGRATION_LOCK_CONTENT =
  '# Please do not edit this file manually\n# It should be added in your version-control system (e.g., Git)\n' +
  'provider = "postgresql"\n';

/** `20240131235959`: the UTC timestamp prefix Prisma gives migration directories. */
function migrationTimestamp(now: Date): string {
  return now.toISOString().replace(/\D/g, '').slice(0, 14);
}

/**
 * `prisma migrate dev --create-only --name <name>`: writes `<timestamp>_<name>/migration.sql` holding the
 * SQL from the current migrations to the schema, and the lock file, laid out as the CLI lays them out.
 * Returns null, writing nothing, when the migrations already match the schema.
 *
 * The engine's own `createMigration` insists on a shadow database it creates itself, which the Wasm
 * build can only do through `diff`; `diff` from the migrations to the schema is the same computation
 * (replay into a shadow database, compare with the schema, render the steps) and renders the same script.
 */
export async function createMigration(options: {
  name: string;
  schema?: SchemaSource;
  migrationsDir?: string;
  now?: Date;
}): Promise<CreatedMigration | null> {
  const baseDir = options.migrationsDir ?? DEFAULT_MIGRATIONS_DIR;
  // The engine reads the provider from the lock file, so the first migration needs it up front.
  const lockFile = join(baseDir, MIGRATION_LOCK_FILE);
  if (!existsSync(lockFile)) {
    await mkdir(baseDir, { recursive: true });
    await writeFile(lockFile, MIGRATION_LOCK_CONTENT, 'utf8');
  }
  const drift = await diffMigrationsToSchema({
    migrationsDir: baseDir,
    ...(options.schema === undefined ? {} : { schema: options.schema }),
  });
  if (drift.inSync) return null;
  const name = `${migrationTimestamp(options.now ?? new Date())}_${options.name}`;
  const directory = join(baseDir, name);
  if (existsSync(directory)) throw new Error(`The migration directory already exists at ${directory}`);
  await mkdir(directory, { recursive: true });
  await writeFile(join(directory, MIGRATION_SCRIPT_FILE), drift.script, 'utf8');
  return { name, directory, script: drift.script };
}

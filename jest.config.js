// The tests in rings, fastest and most self-contained first. Each ring is a jest project, so
// `jest --selectProjects <ring>` runs one (package.json's scripts set NODE_OPTIONS=--experimental-vm-modules,
// which lets jest require() NestJS 12's ESM packages from our CommonJS test files).
//
// Where a NEW test file goes (the README's Testing section says the same):
// - unit:     next to its source, `apps/**/x.spec.ts` or `libs/**/x.spec.ts`. No database, no
//             gateway, no build; in-memory fakes and the in-process provider sandboxes are fine.
//             The whole ring stays under 30 s.
// - standalone: `test/standalone/` (or `test/sandboxes/` for the sandboxes' conformance to the
//             provider APIs). Too slow for `unit`, yet opens no test database, so CI runs it once.
// - database: `test/persistence/`. Opens the test database (PGlite, or PostgreSQL with
//             TEST_DATABASE_URL).
// - http:     anywhere else under `test/` (the default): the in-process gateway on loopback with
//             its database. CI re-runs `database` and `http` on PostgreSQL.
// - browser:  `test/browser/`: the in-process gateway driven through a real headless Chromium
//             (puppeteer-core; scripts/chromium.mjs finds or installs the browser).
// - process:  `test/process/`: spawns the built gateway or migrator (`npm run build` first).
// - crash:    `test/crash/`: kills spawned processes mid-work (SIGKILL) to prove nothing is lost.
// - fault:    `test/fault/`: runs the built gateway on a PostgreSQL and a Redis of the test's own
//             (initdb, pg_ctl and redis-server on free ports) and takes them away under load.
// The suites listed below predate those folders; they stay where they are.
//
// Workers: every ring but `browser` runs one per core (`--maxWorkers=100%`); their suites share
// nothing (each has its own database, schema, ports and data directories) and assert no timings.
// On 2 busy cores that took unit from 23 s to 12 s, database from 95 s to 36 s on PGlite and from
// 43 s to 19 s on PostgreSQL, http from 595 s to 443 s, and `npm test`'s one run of process, crash
// and fault from 570 s (one after the other, one worker) to 346 s. `browser` is one suite.
// Each test database starts from a migrated snapshot cached on disk (libs/persistence
// testing/test-database.ts), not rebuilt by every file: http 385 s -> 291 s, database 112 s -> 79 s.

/** Replays the migrations into Prisma's schema engine and a shadow PGlite, whatever TEST_DATABASE_URL says. */
const OPENS_NO_TEST_DATABASE = ['<rootDir>/test/persistence/schema-drift.spec.ts'];
const SPAWNS_BUILT_APPS = [
  '<rootDir>/test/gateway/process.spec.ts',
  '<rootDir>/test/sync/instances.spec.ts',
  '<rootDir>/test/migration/migration-restart.spec.ts',
];
const KILLS_PROCESSES = [
  '<rootDir>/test/sync/crash.spec.ts',
  '<rootDir>/test/sync/idempotency-crash.spec.ts',
  '<rootDir>/test/sync/idempotency-takeover.spec.ts',
  '<rootDir>/test/migration/migration-crash.spec.ts',
];

/** testPathIgnorePatterns are regular expressions, testMatch entries globs. */
const asPattern = (path) => `^${path.replaceAll('.', '\\.')}$`;

/** What every ring shares. */
const base = {
  rootDir: '.',
  testEnvironment: 'node',
  // Suites start real servers and databases on a 2-core machine: give hooks room.
  testTimeout: 60_000,
  moduleFileExtensions: ['ts', 'js', 'json'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.test.json' }],
  },
  moduleNameMapper: {
    '^@app/([a-z-]+)$': '<rootDir>/libs/$1/src',
    // Test support of libs/persistence (raw SQL, PGlite), for tests only.
    '^@app/persistence/testing$': '<rootDir>/libs/persistence/src/testing',
    // The client package by the name services install it under (libs/client/package.json).
    '^@customer-sync/client$': '<rootDir>/libs/client/src',
    // Prisma's generated client imports its own files with a .js suffix.
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
};

// Every ring runs in a time zone eight hours off UTC (set here, before jest starts its workers,
// which inherit it): code that reads or writes times in the process's zone where it should use
// UTC, as the database's `timestamp` columns do, fails a test instead of only off a UTC server.
process.env.TZ ??= 'America/Los_Angeles';

/** @type {import('jest').Config} */
module.exports = {
  // jest-circus reads the timeout from the global config, not from each project's.
  testTimeout: base.testTimeout,
  // Each test file loads NestJS, Prisma's client and PGlite afresh into jest's module registry, and
  // a worker never gets all of it back: run in one process, the http ring's heap grew from 230 MB to
  // 1.2 GB, and its suites ran 2-3 times slower at the end than at the start (372 s in all). A
  // worker that holds more than this after a file is replaced by a fresh one: 199 s, same order,
  // still one file at a time where a ring runs on one worker. Setting it also makes jest run
  // even a one-worker ring in a worker process instead of its own.
  workerIdleMemoryLimit: '350MB',
  projects: [
    { ...base, displayName: 'unit', testMatch: ['<rootDir>/{apps,libs}/**/*.spec.ts'] },
    {
      ...base,
      displayName: 'standalone',
      testMatch: [
        '<rootDir>/test/standalone/**/*.spec.ts',
        '<rootDir>/test/sandboxes/**/*.spec.ts',
        ...OPENS_NO_TEST_DATABASE,
      ],
    },
    {
      ...base,
      displayName: 'database',
      testMatch: ['<rootDir>/test/persistence/**/*.spec.ts'],
      testPathIgnorePatterns: ['/node_modules/', ...OPENS_NO_TEST_DATABASE.map(asPattern)],
    },
    {
      ...base,
      displayName: 'http',
      testMatch: ['<rootDir>/test/**/*.spec.ts'],
      // Every answer of every gateway a test starts is held to openapi/openapi.json.
      setupFilesAfterEnv: ['<rootDir>/test/support/http-ring-setup.ts'],
      testPathIgnorePatterns: [
        '/node_modules/',
        '<rootDir>/test/(standalone|sandboxes|persistence|browser|process|crash|fault)/',
        ...[...SPAWNS_BUILT_APPS, ...KILLS_PROCESSES].map(asPattern),
      ],
    },
    { ...base, displayName: 'browser', testMatch: ['<rootDir>/test/browser/**/*.spec.ts'] },
    {
      ...base,
      displayName: 'process',
      testMatch: ['<rootDir>/test/process/**/*.spec.ts', ...SPAWNS_BUILT_APPS],
    },
    { ...base, displayName: 'crash', testMatch: ['<rootDir>/test/crash/**/*.spec.ts', ...KILLS_PROCESSES] },
    { ...base, displayName: 'fault', testMatch: ['<rootDir>/test/fault/**/*.spec.ts'] },
  ],
};

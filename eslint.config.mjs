// Type-aware lint for the whole monorepo; `npm run lint` fails on any warning.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const APPS = ['gateway', 'migrator', 'sandbox'];
const NO_APP_FROM_A_LIB = {
  group: ['**/apps/**'],
  message: 'A lib never imports an app; move what it needs into a lib.',
};

/**
 * The layers, top to bottom; a lib imports only the libs listed for it (by `@app/...` or by a
 * relative path), never one above it. Requests flow HTTP edge (apps/*) -> application -> domain
 * -> adapters; the adapters implement the domain's ports, so they import the domain and nothing
 * above it.
 */
const LIB_IMPORTS = {
  // Configuration: read by the apps (the composition roots), it shapes the options of the rest.
  config: ['application', 'domain', 'jobs', 'persistence', 'secrets', 'telemetry'],
  // Application: the job framework and its two kinds of run, customer migrations and whole-base
  // reconciliations, run by the gateway and the migrator.
  jobs: ['application', 'domain'],
  // Application core: the customer commands, the sync engine and the conflict policy, on the domain.
  application: ['domain', 'telemetry'],
  // Domain: the customer model, its rules and errors, and the ports the adapters implement; no
  // framework, no I/O.
  domain: ['telemetry'],
  // Adapters: the database, and the providers' HTTP clients (their tests start the sandboxes).
  persistence: ['domain', 'secrets', 'telemetry'],
  providers: ['domain', 'sandboxes', 'telemetry'],
  // Stand-alone: the provider sandboxes and the published API client import no other lib.
  sandboxes: [],
  client: [],
  // Cross-cutting: OpenTelemetry's spans and trace context, imported by every layer that does I/O,
  // importing none of them.
  telemetry: [],
  // Cross-cutting and pure: envelope encryption of secrets at rest, under configured keys.
  secrets: [],
};
const LIBS = Object.keys(LIB_IMPORTS);

/** Imports of `lib` from the given libs, as `@app/<lib>` or as a relative path into `libs/<lib>/`. */
function importsOfLibs(libs, message) {
  return { group: libs.flatMap((lib) => [`@app/${lib}`, `@app/${lib}/**`, `**/${lib}/src/**`]), message };
}

/** What `lib` may not import: every other lib not in LIB_IMPORTS[lib] (nor in `alsoAllowed`). */
function layerPatterns(lib, alsoAllowed = []) {
  const allowed = [...LIB_IMPORTS[lib], ...alsoAllowed];
  const forbidden = LIBS.filter((other) => other !== lib && !allowed.includes(other));
  const message = `libs/${lib} imports only ${allowed.join(', ') || 'no other lib'} (see LIB_IMPORTS).`;
  return forbidden.length === 0 ? [] : [importsOfLibs(forbidden, message)];
}

/**
 * The database's drivers and the generated Prisma client are libs/persistence's alone: everything
 * else reads and writes through its stores, so the SQL lives in one place (issue 33).
 */
const DATABASE_DRIVERS = {
  group: [
    '**/generated/prisma',
    '**/generated/prisma/**',
    '@prisma/client',
    '@prisma/client/**',
    '@prisma/adapter-pg',
    'pg',
    'pg/**',
    '@electric-sql/pglite',
    '@electric-sql/pglite/**',
    'pglite-prisma-adapter',
  ],
  message:
    'Only libs/persistence talks to the database: add a store there and import it from @app/persistence.',
};

/**
 * libs/persistence's test support (`@app/persistence/testing`: raw SQL, PGlite, the Prisma
 * namespace), through which tests reach the database beside the stores. Never production code.
 */
const TEST_SUPPORT = {
  group: ['@app/persistence/testing', '@app/persistence/testing/**', '**/persistence/src/testing/**'],
  message: '@app/persistence/testing is for tests under test/ only.',
};

const restrict = (patterns) => ({ 'no-restricted-imports': ['error', { patterns }] });
const otherApps = (app) => ({
  group: APPS.filter((other) => other !== app).map((other) => `**/${other}/src/**`),
  message: 'An app imports libs (@app/...), never another app; move what both need to libs/.',
});
const PROVIDER_ISOLATION = {
  group: ['../*', '!../shared', '!../shared/*', '!../testing', '!../testing/*'],
  message: 'Providers import only shared/ and testing/, never another provider.',
};

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'generated/**',
      // openapi-typescript's output (`npm run openapi`), checked against the document instead.
      'libs/client/src/generated/**',
      'libs/client/dist/**',
      'coverage/**',
      'node_modules/**',
      '.data/**',
      '*.config.js',
      'eslint.config.mjs',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { prefer: 'type-imports', fixStyle: 'inline-type-imports', disallowTypeAnnotations: false },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/require-await': 'error',
      'no-console': 'error',
    },
  },
  {
    // A file is read in one sitting: past 500 lines it holds more than one concern (issue 33).
    // Benches and the tests under test/ are outside apps/ and libs/; generated code is ignored above.
    files: ['apps/**/*.ts', 'libs/**/*.ts'],
    rules: { 'max-lines': ['error', { max: 500, skipBlankLines: false, skipComments: false }] },
  },
  {
    // Nest resolves constructor parameters through emitted decorator metadata: a type-only import
    // would erase the class and break injection, so the type-imports rule stays off for decorated classes.
    files: ['apps/**/*.ts', 'libs/**/*.ts'],
    rules: { '@typescript-eslint/consistent-type-imports': 'off' },
  },
  {
    files: ['**/*.spec.ts', 'test/**/*.ts', 'bench/**/*.ts', 'bench/**/*.mts'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/unbound-method': 'off',
      'no-console': 'off',
    },
  },
  // The import graph points one way (see LIB_IMPORTS); only libs/persistence reaches the database.
  // ESLint keeps one `no-restricted-imports` per file (the last matching block), so each block
  // below lists every pattern its files obey.
  ...LIBS.map((lib) => ({
    files: [`libs/${lib}/**/*.ts`],
    rules: restrict([
      NO_APP_FROM_A_LIB,
      TEST_SUPPORT,
      ...layerPatterns(lib),
      ...(lib === 'persistence' ? [] : [DATABASE_DRIVERS]),
    ]),
  })),
  // No app imports another app's files: what two apps share lives in libs/ (e.g. @app/config).
  ...APPS.map((app) => ({
    files: [`apps/${app}/**/*.ts`],
    rules: restrict([otherApps(app), DATABASE_DRIVERS, TEST_SUPPORT]),
  })),
  {
    // Tests reach the database through the stores, or through @app/persistence/testing for raw SQL
    // and PGlite; never through the drivers themselves. bench/ is left out on purpose: its bare
    // baselines (bench/api-bare.ts's and api-stack-floor.ts's pools) talk to PostgreSQL with raw `pg` to measure the floor without
    // the gateway in between, and its set-up and clean-up (schemas, counts) use the same client.
    files: ['test/**/*.ts'],
    rules: restrict([
      {
        ...DATABASE_DRIVERS,
        message:
          'Tests reach the database through @app/persistence/testing (rawQuery, createPglite, Prisma).',
      },
    ]),
  },
  {
    // A provider folder may not reach into another provider's folder: only shared/ and testing/.
    files: ['libs/providers/src/*/**/*.ts'],
    ignores: ['libs/providers/src/shared/**', 'libs/providers/src/testing/**'],
    rules: restrict([
      PROVIDER_ISOLATION,
      NO_APP_FROM_A_LIB,
      TEST_SUPPORT,
      ...layerPatterns('providers'),
      DATABASE_DRIVERS,
    ]),
  },
  {
    // Plain Node scripts that npm runs before anything is built: no TypeScript project to check.
    files: ['scripts/**/*.mjs', 'libs/client/scripts/**/*.mjs'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: { process: 'readonly' } },
  },
);

// Type-aware lint for the whole monorepo; `npm run lint` fails on any warning.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const APPS = ['gateway', 'migrator', 'sandbox'];
const NO_APP_FROM_A_LIB = {
  group: ['**/apps/**'],
  message: 'A lib never imports an app; move what it needs into a lib.',
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
  {
    // The import graph points one way: apps use libs, a lib never reaches into an app.
    files: ['libs/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [NO_APP_FROM_A_LIB] }] },
  },
  // No app imports another app's files: what two apps share lives in libs/ (e.g. @app/config).
  ...APPS.map((app) => ({
    files: [`apps/${app}/**/*.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: APPS.filter((other) => other !== app).map((other) => `**/${other}/src/**`),
              message: 'An app imports libs (@app/...), never another app; move what both need to libs/.',
            },
          ],
        },
      ],
    },
  })),
  {
    // A provider folder may not reach into another provider's folder: only shared/ and testing/.
    files: ['libs/providers/src/*/**/*.ts'],
    ignores: ['libs/providers/src/shared/**', 'libs/providers/src/testing/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['../*', '!../shared', '!../shared/*', '!../testing', '!../testing/*'],
              message: 'Providers import only shared/ and testing/, never another provider.',
            },
            NO_APP_FROM_A_LIB,
          ],
        },
      ],
    },
  },
  {
    // Plain Node scripts that npm runs before anything is built: no TypeScript project to check.
    files: ['scripts/**/*.mjs', 'libs/client/scripts/**/*.mjs'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: { process: 'readonly' } },
  },
);

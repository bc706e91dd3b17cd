// One jest config for every ring of tests; NODE_OPTIONS=--experimental-vm-modules (set in the
// npm scripts) lets jest require() NestJS 12's ESM packages from our CommonJS test files.
/** @type {import('jest').Config} */
module.exports = {
  rootDir: '.',
  testEnvironment: 'node',
  // Suites start real servers and databases on a 2-core machine: give hooks room.
  testTimeout: 60_000,
  moduleFileExtensions: ['ts', 'js', 'json'],
  testMatch: ['<rootDir>/{apps,libs,test}/**/*.spec.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.test.json' }],
  },
  moduleNameMapper: {
    '^@app/([a-z-]+)$': '<rootDir>/libs/$1/src',
    // The client package by the name services install it under (libs/client/package.json).
    '^@customer-sync/client$': '<rootDir>/libs/client/src',
    // Prisma's generated client imports its own files with a .js suffix.
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
};

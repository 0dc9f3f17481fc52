// Jest runs in ESM mode (NODE_OPTIONS=--experimental-vm-modules): Nest 12 is ESM-only and
// jest's CommonJS mode cannot load it on Node 20. See README "Versions".
const tsJest = [
  'ts-jest',
  { useESM: true, tsconfig: 'tsconfig.json' },
];

const common = {
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': tsJest },
  testEnvironment: 'node',
};

/** @type {import('jest').Config} */
export default {
  testTimeout: 60_000,
  // Most S3 tests wait on the network and on lock expiry, not on the CPU: on a 2-core machine
  // the default of one worker would run them one after another.
  maxWorkers: 3,
  // `npm run test:unit -- --coverage` measures every file of lib/, loaded by a test or not.
  collectCoverageFrom: ['lib/**/*.ts', '!lib/**/*.spec.ts'],
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/lib/**/*.spec.ts'],
    },
    {
      // The deterministic simulation (no S3): a short run here, the long one with SIM_RUN=long.
      ...common,
      displayName: 'sim',
      testMatch: ['<rootDir>/test/sim/**/*.test.ts'],
    },
    {
      ...common,
      displayName: 's3',
      testMatch: ['<rootDir>/test/**/*.test.ts'],
      // test/templates: `npm run test:templates` (jest.templates.config.js), after `npm test`.
      testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/sim/', '<rootDir>/test/templates/'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
    },
  ],
};

// The Nest-facing tests (test/nest) against Nest 11: run by scripts/test-nest11.sh, which
// installs Nest 11 into NEST_MODULES_DIR. Everything else is as in jest.config.js.
import base from './jest.config.js';

const nestModules = process.env.NEST_MODULES_DIR;
if (!nestModules) {
  throw new Error('NEST_MODULES_DIR is not set: run the Nest 11 tests with `bash scripts/test-nest11.sh`.');
}
const s3 = base.projects.find((project) => project.displayName === 's3');

/** @type {import('jest').Config} */
export default {
  testTimeout: base.testTimeout,
  projects: [
    {
      ...s3,
      displayName: 'nest11',
      testMatch: ['<rootDir>/test/nest/**/*.test.ts'],
      moduleNameMapper: {
        ...s3.moduleNameMapper,
        '^@nestjs/(common|core|testing|schedule|platform-express|config)(/.*)?$': `${nestModules}/@nestjs/$1$2`,
      },
    },
  ],
};

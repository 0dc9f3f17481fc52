// The template tests (scripts/test-templates.sh): the apps Nest users start from, on Node 20,
// 22 and 24. Not part of `npm test`'s projects (jest.config.js leaves test/templates out).
import base from './jest.config.js';

const s3 = base.projects.find((project) => project.displayName === 's3');

/** @type {import('jest').Config} */
export default {
  testTimeout: base.testTimeout,
  projects: [{ ...s3, displayName: 'templates', testMatch: ['<rootDir>/test/templates/**/*.test.ts'], testPathIgnorePatterns: ['/node_modules/'] }],
};

import { describe, expect, test } from '@jest/globals';
import { createRequire } from 'node:module';
import { expectedNestMajor, loadedNestVersion } from './support/nest-version.js';

// CI runs test/nest twice: with the repository's Nest 12 (`npm test`) and with Nest 11
// (`scripts/test-nest11.sh`). This makes sure each run really loads the Nest it claims to.
describe('the Nest these tests run with', () => {
  test('is the major version this run is for, for the tests and for child applications', () => {
    const resolved = createRequire(import.meta.url).resolve('@nestjs/core');
    const major = expectedNestMajor();
    if (major === 12) expect(resolved).not.toContain('nest11');
    else expect(resolved).toContain('nest11');
    for (const pkg of ['@nestjs/common', '@nestjs/core', '@nestjs/testing']) {
      expect(Number(loadedNestVersion(pkg).split('.')[0])).toBe(major);
    }
  });
});

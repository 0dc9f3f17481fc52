import { beforeAll, describe, expect, test } from '@jest/globals';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testBucket, uniquePrefix } from '../support/s3-env.js';
import { createUserApp, expectSuccess, packFromCleanTree, run } from '../support/user-apps.js';

/**
 * The package as users get it: `npm pack` from a clean tree, installed with npm into projects
 * made as theirs are (test/user-apps/), whose own type check and tests must pass. Their
 * dependencies come from the registry once and are cached (node_modules/.cache/user-apps/).
 */

// Generous: on a quiet 2-core machine the whole file takes about 70 s (after the first install),
// but it builds the package and type-checks three projects, and a loaded machine is many times slower.
const MINUTES = 60_000;
let packed: { tarball: string; files: string[] };

beforeAll(async () => {
  packed = await packFromCleanTree();
}, 8 * MINUTES);

describe('npm pack from a clean clone', () => {
  test('ships both builds with their types, the sources their maps name, LICENSE, the README and docs, no tests', () => {
    const files = new Set(packed.files);
    for (const entry of ['index', 'core/index', 'testing/index', 'health/index', 'cli/main']) {
      for (const build of ['dist', 'dist/cjs']) {
        expect(files).toContain(`${build}/${entry}.js`);
        expect(files).toContain(`${build}/${entry}.d.ts`);
      }
    }
    expect(files).toContain('dist/cjs/package.json');
    expect(files).toContain('LICENSE');
    expect(files).toContain('README.md');
    for (const doc of ['docs/PROTOCOL.md', 'docs/OPERATIONS.md', 'docs/STORES.md', 'docs/PACKAGING.md', 'CONTRIBUTING.md']) expect(files).toContain(doc);
    expect(files).toContain('lib/index.ts');
    expect([...files].filter((f) => f.endsWith('.spec.ts') || f.startsWith('test/') || f.startsWith('sample/'))).toEqual([]);
  });

  test('every source map points at a source file in the package', async () => {
    const unpacked = mkdtempSync(join(tmpdir(), 'nestjs-s3-lock-unpacked-'));
    expectSuccess('tar', await run('tar', ['-xzf', packed.tarball, '-C', unpacked], unpacked));
    const maps = packed.files.filter((f) => f.endsWith('.js.map'));
    expect(maps.length).toBeGreaterThan(40);
    const missing = maps.flatMap((map) => {
      const { sources } = JSON.parse(readFileSync(join(unpacked, 'package', map), 'utf8')) as { sources: string[] };
      return sources.map((source) => join(map, '..', source)).filter((source) => !packed.files.includes(source));
    });
    expect(missing).toEqual([]);
  });
});

describe('a Nest 11 application made by `nest new` (CommonJS, jest + ts-jest, TypeScript 5.9)', () => {
  test.each([
    ['the classic starter tsconfig (module: commonjs, node10 resolution)', 'tsconfig.commonjs.json'],
    ['the current starter tsconfig (module: nodenext)', 'tsconfig.nodenext.json'],
  ])('with %s: tsc and its jest test of a @Cron job under @WithS3Lock, on nestjs-s3-lock/testing', async (_, tsconfig) => {
    const app = await createUserApp('nest11-cjs', packed.tarball, { [tsconfig]: 'tsconfig.json' });
    expectSuccess('tsc', await run('npx', ['--no-install', 'tsc', '-p', 'tsconfig.json', '--noEmit'], app));
    const jest = expectSuccess('jest', await run('npx', ['--no-install', 'jest'], app));
    expect(jest.stderr).toMatch(/Tests:\s+1 passed, 1 total/);
    // jest's CommonJS mode loaded the CommonJS build only: no warning about two builds.
    expect(jest.stderr).not.toContain('NESTJS_S3_LOCK_DUAL_BUILD');
  }, 6 * MINUTES);
});

describe('a Nest 12 application (ES modules, jest in ESM mode, TypeScript 5.9)', () => {
  test('tsc (nodenext and bundler resolution) and its jest test', async () => {
    const app = await createUserApp('nest12-esm', packed.tarball, { 'tsconfig.nodenext.json': 'tsconfig.json' });
    expectSuccess('tsc nodenext', await run('npx', ['--no-install', 'tsc', '-p', 'tsconfig.json', '--noEmit'], app));
    expectSuccess('tsc bundler', await run('npx', ['--no-install', 'tsc', '-p', 'tsconfig.bundler.json', '--noEmit'], app));
    const jest = expectSuccess('jest', await run('npx', ['--no-install', 'jest'], app, { NODE_OPTIONS: '--experimental-vm-modules' }));
    expect(jest.stderr).toMatch(/Tests:\s+1 passed, 1 total/);
    expect(jest.stderr).not.toContain('NESTJS_S3_LOCK_DUAL_BUILD');
  }, 6 * MINUTES);
});

describe('a Node script with only @aws-sdk/client-s3 and the package installed', () => {
  let app: string;
  beforeAll(async () => {
    app = await createUserApp('core-only', packed.tarball);
  }, 4 * MINUTES);

  test('npm installed no Nest package (they are optional peer dependencies)', () => {
    expect(existsSync(join(app, 'node_modules/nestjs-s3-lock/dist/core/index.js'))).toBe(true);
    expect(existsSync(join(app, 'node_modules/@nestjs'))).toBe(false);
    expect(existsSync(join(app, 'node_modules/rxjs'))).toBe(false);
  });

  test('takes and releases a lock through nestjs-s3-lock/core, from ESM and from CommonJS, on the test store', async () => {
    const env = { S3_BUCKET: testBucket(), LOCK_PREFIX: uniquePrefix('core-only') };
    const esm = JSON.parse(expectSuccess('lock.mjs', await run(process.execPath, ['lock.mjs'], app, env)).stdout);
    expect(esm).toEqual({ token: expect.any(Number), holder: expect.stringMatching(/.+:.+/), other: null, releasedOwner: null });
    const cjs = JSON.parse(expectSuccess('lock.cjs', await run(process.execPath, ['lock.cjs'], app, env)).stdout);
    expect(cjs).toEqual({ token: expect.any(Number), refused: true });

    // The CLI runs on the core too: it reads what the script left.
    const cli = await run(join(app, 'node_modules/.bin/nestjs-s3-lock'), ['status', 'nightly-report', '--bucket', env.S3_BUCKET, '--prefix', env.LOCK_PREFIX, '--json'], app);
    expectSuccess('nestjs-s3-lock status', cli);
    expect(JSON.parse(cli.stdout)).toMatchObject({ key: 'nightly-report', state: 'released', token: esm.token });
  }, 2 * MINUTES);
});

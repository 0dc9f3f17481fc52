import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from '@jest/globals';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** Relative imports of a compiled file, and the packages it imports. */
function importsOf(file: string): { relative: string[]; packages: string[] } {
  const source = readFileSync(file, 'utf8');
  const specifiers = [...source.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)]
    .map((m) => m[1] ?? m[2]!);
  return {
    relative: specifiers.filter((s) => s.startsWith('.')).map((s) => resolve(dirname(file), s)),
    packages: specifiers.filter((s) => !s.startsWith('.')),
  };
}

/** Runs `script` in a fresh Node process from the package root, as a user's code would run; its stdout. */
function runAsUser(inputType: 'module' | 'commonjs', script: string): Promise<string> {
  return new Promise((done, fail) => {
    execFile(process.execPath, [`--input-type=${inputType}`, '-e', script], { cwd: root, env: { ...process.env, NODE_NO_WARNINGS: '1' } }, (error, out, err) =>
      error ? fail(new Error(`${error.message}\n${err}`)) : done(out),
    );
  });
}

describe('the package entry points', () => {
  test('the main entry never loads @nestjs/terminus (an optional peer dependency)', () => {
    const seen = new Set<string>();
    const packages = new Set<string>();
    const queue = [join(root, 'dist/index.js')];
    while (queue.length > 0 && seen.size < 500) {
      const file = queue.pop()!;
      if (seen.has(file)) continue;
      seen.add(file);
      const found = importsOf(file);
      found.packages.forEach((p) => packages.add(p));
      queue.push(...found.relative);
    }
    expect(seen.size).toBeGreaterThan(10);
    expect([...packages].filter((p) => p.includes('terminus'))).toEqual([]);
    expect([...seen].some((f) => f.includes('/health/') || f.includes('/testing/') || f.includes('/cli/'))).toBe(false);
  });

  test('nestjs-s3-lock/health and nestjs-s3-lock/testing resolve as a user imports them', async () => {
    const script =
      "const h = await import('nestjs-s3-lock/health'); const t = await import('nestjs-s3-lock/testing');" +
      'console.log(JSON.stringify([typeof h.S3LockHealthIndicator, typeof t.InMemoryS3Client]));';
    expect(JSON.parse(await runAsUser('module', script))).toEqual(['function', 'function']);
  });

  test('a CommonJS app (Nest 11 style) require()s the CommonJS build, every subpath included', async () => {
    const script =
      "const lib = require('nestjs-s3-lock'); const core = require('nestjs-s3-lock/core');" +
      "const t = require('nestjs-s3-lock/testing'); const h = require('nestjs-s3-lock/health');" +
      "console.log(JSON.stringify({ files: ['nestjs-s3-lock', 'nestjs-s3-lock/core', 'nestjs-s3-lock/testing', 'nestjs-s3-lock/health'].map((s) => require.resolve(s).replace(process.cwd(), '.'))," +
      ' types: [typeof lib.S3LockService, typeof lib.S3LockModule, typeof lib.WithS3Lock, typeof core.S3LockClient, typeof t.InMemoryS3Client, typeof h.S3LockHealthIndicator] }));';
    expect(JSON.parse(await runAsUser('commonjs', script))).toEqual({
      files: ['./dist/cjs/index.js', './dist/cjs/core/index.js', './dist/cjs/testing/index.js', './dist/cjs/health/index.js'],
      types: ['function', 'function', 'function', 'function', 'function', 'function'],
    });
  });

  test('an ES module app imports the ES module build', async () => {
    const script =
      "console.log(JSON.stringify(['nestjs-s3-lock', 'nestjs-s3-lock/core', 'nestjs-s3-lock/testing', 'nestjs-s3-lock/health']" +
      ".map((s) => import.meta.resolve(s).replace('file://' + process.cwd(), '.'))));";
    expect(JSON.parse(await runAsUser('module', script))).toEqual([
      './dist/index.js',
      './dist/core/index.js',
      './dist/testing/index.js',
      './dist/health/index.js',
    ]);
  });

  test('nestjs-s3-lock/core loads no @nestjs module and no file of the Nest layer (CommonJS build)', async () => {
    const script =
      "const { S3LockClient } = require('nestjs-s3-lock/core');" +
      "new S3LockClient({ bucket: 'b', client: { send: async () => ({}) } });" +
      "console.log(JSON.stringify(Object.keys(require.cache).filter((f) => f.includes('@nestjs') || f.includes('rxjs') || f.includes('reflect-metadata') ||" +
      " /[/\\\\](s3-lock\\.(messages|module|service)\\.js|decorators|interceptors)/.test(f))));";
    expect(JSON.parse(await runAsUser('commonjs', script))).toEqual([]);
  });
});

describe('both builds in one process', () => {
  // A CommonJS app that also reaches the ES module build (an ESM dependency importing us, say).
  const script = (body: string) =>
    "const warnings = []; process.on('warning', (w) => warnings.push({ name: w.name, code: w.code, message: w.message }));" +
    "const cjs = require('nestjs-s3-lock');" +
    "import('nestjs-s3-lock').then(async (esm) => {" +
    "  await import('nestjs-s3-lock/testing'); require('nestjs-s3-lock/core');" +
    '  await new Promise((resolve) => setImmediate(resolve));' +
    `  ${body}` +
    '});';

  test('a process warning, once, says so and names the Nest injection tokens that differ', async () => {
    const out = JSON.parse(await runAsUser('commonjs', script('console.log(JSON.stringify({ warnings, same: cjs.S3LockService === esm.S3LockService }));')));
    expect(out.same).toBe(false);
    expect(out.warnings).toHaveLength(1);
    expect(out.warnings[0]).toMatchObject({ name: 'NestjsS3LockWarning', code: 'NESTJS_S3_LOCK_DUAL_BUILD' });
    expect(out.warnings[0].message).toMatch(/Both the CommonJS and the ES module build of nestjs-s3-lock are loaded.*different injection tokens/s);
  });

  test('errors of one build are instances of the other build\'s classes, and only of the right ones', async () => {
    const body =
      "const lock = { key: 'k', owner: 'o', lockTime: new Date(0), expiresAt: new Date(0), token: 1 };" +
      'const fromCjs = new cjs.AlreadyLockedError(lock); const fromEsm = new esm.LockLostError(lock, null);' +
      'console.log(JSON.stringify([fromCjs instanceof esm.AlreadyLockedError, fromCjs instanceof esm.S3LockError, fromCjs instanceof esm.LockLostError,' +
      ' fromEsm instanceof cjs.LockLostError, fromEsm instanceof cjs.S3LockError, fromEsm instanceof cjs.AlreadyLockedError,' +
      " new Error('x') instanceof esm.S3LockError, fromCjs instanceof Error]));";
    expect(JSON.parse(await runAsUser('commonjs', script(body)))).toEqual([true, true, false, true, true, false, false, true]);
  });

  test('one run context: currentS3Lock() of either build sees a run started by the other', async () => {
    // The run context is entered by the decorator's runner; here through its internal module.
    const body =
      "const ctx = await import(require('node:path').resolve('dist/s3-lock.context.js'));" +
      "const seen = ctx.runInS3LockContext({ token: 7 }, () => [cjs.currentS3Lock()?.token, esm.currentS3Lock()?.token]);" +
      'console.log(JSON.stringify([...seen, cjs.currentS3Lock() ?? null]));';
    expect(JSON.parse(await runAsUser('commonjs', script(body)))).toEqual([7, 7, null]);
  });
});

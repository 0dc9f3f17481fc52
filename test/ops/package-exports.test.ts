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

  test('a CommonJS app (Nest 11 style) can require() the package: Node >= 20.19 loads its ESM build', async () => {
    const script =
      "const lib = require('nestjs-s3-lock');" +
      'console.log(JSON.stringify([typeof lib.S3LockService, typeof lib.S3LockModule, typeof lib.WithS3Lock]));';
    expect(JSON.parse(await runAsUser('commonjs', script))).toEqual(['function', 'function', 'function']);
  });
});

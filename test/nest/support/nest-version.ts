import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * The directory of an alternative Nest install (`scripts/test-nest11.sh` sets NEST_MODULES_DIR
 * to the `node_modules` of Nest 11), or `undefined` for the repository's own Nest.
 */
export const nestModulesDir = (): string | undefined => process.env.NEST_MODULES_DIR || undefined;

/** The major version Nest-facing tests are meant to run with. */
export const expectedNestMajor = (): number => Number(process.env.NEST_MAJOR ?? 12);

/** The version of the `@nestjs/core` a child process (or this test) loads. */
export function loadedNestVersion(pkg = '@nestjs/core'): string {
  const base = nestModulesDir() ?? resolve(import.meta.dirname, '../../../node_modules');
  return (JSON.parse(readFileSync(join(base, pkg, 'package.json'), 'utf8')) as { version: string }).version;
}

/**
 * Node arguments for child applications: with an alternative Nest install, a module hook that
 * resolves `@nestjs/*` there (as jest's moduleNameMapper does for the tests themselves).
 */
export function childProcessArgs(): string[] {
  const modules = nestModulesDir();
  if (!modules) return [];
  const hook = pathToFileURL(resolve(import.meta.dirname, 'nest-resolve-hook.mjs')).href;
  return ['--import', hook];
}

/** `require` relative to this file, for tests that look at what is installed. */
export const requireHere = createRequire(join(dirname(import.meta.dirname), 'package.json'));

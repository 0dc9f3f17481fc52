/**
 * State that must exist once per process, whichever build of the package (CommonJS or ES
 * module) loaded it: the run context behind `currentS3Lock()`, the decorator's bookkeeping.
 *
 * Node loads `require('nestjs-s3-lock')` and `import 'nestjs-s3-lock'` as two separate module
 * instances when an application reaches both (a CommonJS app using an ESM dependency of ours, a
 * test runner in CommonJS mode next to ESM code). Module-level variables would then exist
 * twice and silently disagree; values kept here live on `globalThis` under
 * `Symbol.for('nestjs-s3-lock:<name>')`, so both builds see the same one. See docs/PACKAGING.md.
 */

/**
 * In the CommonJS build, `__filename` is this file. In the ES module build it is undefined, or a
 * global that is some other name (`node -e` sets `globalThis.__filename = '[eval]'`).
 */
const format: BuildFormat =
  typeof __filename === 'string' && /process-shared\.[cm]?[jt]s$/.test(__filename) ? 'commonjs' : 'esm';

/** Which build of the package a module instance belongs to. */
export type BuildFormat = 'commonjs' | 'esm';

/** What the builds loaded in this process record about each other. */
interface LoadedBuilds {
  formats: Set<BuildFormat>;
  warned: boolean;
}

/**
 * The process-wide value `name`, created by `create` on the first call from either build.
 * Internal: `name` is part of the cross-build contract, never rename one.
 */
export function processShared<T>(name: string, create: () => T): T {
  const key = Symbol.for(`nestjs-s3-lock:${name}`);
  const global = globalThis as unknown as Record<symbol, T | undefined>;
  if (global[key] === undefined) {
    Object.defineProperty(global, key, { value: create(), enumerable: false, configurable: false, writable: false });
  }
  return global[key] as T;
}

/** Code of the process warning emitted when both builds are loaded. */
export const DUAL_BUILD_WARNING_CODE = 'NESTJS_S3_LOCK_DUAL_BUILD';

const builds = processShared<LoadedBuilds>('loaded-builds', () => ({ formats: new Set(), warned: false }));
builds.formats.add(format);
if (builds.formats.size > 1 && !builds.warned) {
  builds.warned = true;
  process.emitWarning(
    'Both the CommonJS and the ES module build of nestjs-s3-lock are loaded in this process. ' +
      'Lock state is shared between them (currentS3Lock(), the decorator) and their errors match with instanceof, ' +
      'but their Nest classes are different injection tokens: an S3LockService or S3LockModule imported from one build ' +
      'cannot be injected where the other build is expected. Import the package the same way (import or require) ' +
      'everywhere, or keep each Nest application on one build.',
    { type: 'NestjsS3LockWarning', code: DUAL_BUILD_WARNING_CODE },
  );
}

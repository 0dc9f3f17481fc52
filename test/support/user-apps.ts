import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * Users' projects for the install tests: the templates in test/user-apps/, their dependencies
 * installed from the npm registry once and kept in node_modules/.cache/user-apps/, and the
 * package as `npm pack` makes it from a clean tree.
 */

export const ROOT = resolve(import.meta.dirname, '../..');
const TEMPLATES = join(ROOT, 'test/user-apps');
const CACHE = join(ROOT, 'node_modules/.cache/user-apps');

/** What a command printed and how it ended. */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `command` in `cwd` with the test store's variables and `env` on a clean environment
 * (no NODE_OPTIONS or jest variables of this test run), and never rejects.
 */
export function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<RunResult> {
  const keep = ['PATH', 'HOME', 'TMPDIR', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_REGION', 'AWS_ENDPOINT_URL_S3', 'S3_ENDPOINT', 'S3_BUCKET'];
  const base = Object.fromEntries(keep.filter((k) => process.env[k] !== undefined).map((k) => [k, process.env[k]]));
  return new Promise((done) => {
    execFile(
      command,
      args,
      { cwd, env: { ...base, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...env }, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => done({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}

/** Throws with everything printed unless `result` ended with exit code 0. */
export function expectSuccess(what: string, result: RunResult): RunResult {
  if (result.code !== 0) throw new Error(`${what} failed (exit ${result.code}):\n${result.stdout}\n${result.stderr}`);
  return result;
}

/**
 * Copies this working tree's files as a fresh clone would have them (tracked and new files,
 * nothing git ignores: no dist/, no node_modules/) into a temporary folder, runs `npm pack`
 * there (its `prepack` builds) and returns the tarball and the files it holds.
 */
export async function packFromCleanTree(): Promise<{ tarball: string; files: string[] }> {
  const tree = mkdtempSync(join(tmpdir(), 'nestjs-s3-lock-tree-'));
  const listed = expectSuccess('git ls-files', await run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], ROOT));
  for (const file of listed.stdout.split('\0').filter((f) => f && existsSync(join(ROOT, f)))) {
    mkdirSync(join(tree, file, '..'), { recursive: true });
    cpSync(join(ROOT, file), join(tree, file));
  }
  // The build needs the compiler: the repository's dev dependencies, as `npm ci` installs them.
  expectSuccess('link node_modules', await run('ln', ['-s', join(ROOT, 'node_modules'), join(tree, 'node_modules')], tree));
  const out = mkdtempSync(join(tmpdir(), 'nestjs-s3-lock-pack-'));
  const packed = expectSuccess('npm pack', await run('npm', ['pack', '--json', '--pack-destination', out, '--loglevel=error'], tree));
  const [info] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as { filename: string; files: { path: string }[] }[];
  rmSync(tree, { recursive: true, force: true });
  return { tarball: join(out, info!.filename), files: info!.files.map((f) => f.path) };
}

/**
 * The template `name`'s dependencies, installed from the registry into the cache on first use
 * (and again whenever its package.json changes); the folder holding that `node_modules`.
 */
export async function cachedDependencies(name: string): Promise<string> {
  const manifest = readFileSync(join(TEMPLATES, name, 'package.json'), 'utf8');
  const dir = join(CACHE, `${name}-${createHash('sha256').update(manifest).digest('hex').slice(0, 12)}`);
  if (existsSync(join(dir, 'node_modules'))) return dir;
  mkdirSync(CACHE, { recursive: true });
  const staging = mkdtempSync(join(CACHE, `${name}-installing-`));
  writeFileSync(join(staging, 'package.json'), manifest);
  expectSuccess(`npm install for ${name}`, await run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], staging));
  rmSync(dir, { recursive: true, force: true });
  renameSync(staging, dir);
  return dir;
}

/**
 * A user's project from the template `name` in a fresh temporary folder (outside this
 * repository, so nothing resolves from its node_modules): the template's files (and, for the Nest
 * templates, the job in test/user-apps/shared/), its cached
 * dependencies, and the packed `tarball` installed with npm as a user installs it
 * (`"nestjs-s3-lock": "file:<tarball>"`, `npm install`).
 * @param rename template files to copy under another name, e.g. `{ 'tsconfig.nodenext.json': 'tsconfig.json' }`.
 */
export async function createUserApp(name: string, tarball: string, rename: Record<string, string> = {}): Promise<string> {
  const deps = await cachedDependencies(name);
  const app = mkdtempSync(join(tmpdir(), `nestjs-s3-lock-${name}-`));
  // The application code both Nest templates test (test/user-apps/shared/), then the template.
  if (name !== 'core-only') cpSync(join(TEMPLATES, 'shared'), app, { recursive: true });
  cpSync(join(TEMPLATES, name), app, { recursive: true });
  for (const [from, to] of Object.entries(rename)) cpSync(join(TEMPLATES, name, from), join(app, to));
  // Hard links: a copy of the installed dependencies in well under a second.
  if ((await run('cp', ['-al', join(deps, 'node_modules'), join(app, 'node_modules')], app)).code !== 0) {
    cpSync(join(deps, 'node_modules'), join(app, 'node_modules'), { recursive: true });
  }
  cpSync(join(deps, 'package-lock.json'), join(app, 'package-lock.json'));
  // npm rewrites this file: unlink the hard-linked copy so the cache's own stays as it is.
  rmSync(join(app, 'node_modules/.package-lock.json'), { force: true });
  const manifest = JSON.parse(readFileSync(join(app, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  manifest.dependencies['nestjs-s3-lock'] = `file:${tarball}`;
  writeFileSync(join(app, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  expectSuccess(`npm install in ${name}`, await run('npm', ['install', '--offline', '--no-audit', '--no-fund', '--loglevel=error'], app));
  return app;
}

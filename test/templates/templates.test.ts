import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { testBucket, uniquePrefix } from '../support/s3-env.js';
import { createUserApp, expectSuccess, packFromCleanTree, ROOT, run } from '../support/user-apps.js';
import { waitFor } from '../support/wait.js';

// The apps Nest users start from (test/user-apps/README.md): the one `nest new` makes today
// (CLI 12: Nest 12, ES modules, vitest, @nestjs/observe's instrument in main.ts), the CLI 11 one
// (Nest 11, CommonJS, jest), and a CommonJS app on Nest 12. Each, with the package installed from
// the packed tarball, is built with its own `nest build`, runs its own unit tests (on
// nestjs-s3-lock/testing), and runs as three replicas (`start:prod`) whose every-second @Cron job
// under @WithS3Lock runs each tick once. On Node 20, 22 and 24 (scripts/test-templates.sh
// installs 22 and 24 from the npm registry and names them in NODE_22 and NODE_24).
// `npm run test:templates`; not part of `npm test` (it installs three apps' dependencies).

const MINUTES = 60_000;
/** Ticks counted while both replicas run. */
const TICKS = 5;

/** The Node binary of each major: this process's, and those the script installed. */
function nodeBinary(major: number): string {
  if (Number(process.versions.node.split('.')[0]) === major) return process.execPath;
  const path = process.env[`NODE_${major}`];
  if (!path || !existsSync(path)) throw new Error(`NODE_${major} does not name a Node ${major} binary: run the template tests with \`npm run test:templates\`.`);
  return path;
}

/** The environment that makes `node`, `npm` and `npx` in an app's scripts the Node of `major`. */
const onNode = (major: number): Record<string, string> => ({ PATH: `${dirname(nodeBinary(major))}:${process.env.PATH}` });

const TEMPLATES: { name: string; what: string; nodes: number[]; unitTestsOn?: number[]; testsSay: RegExp }[] = [
  { name: 'cli12-esm', what: '`nest new` with CLI 12 (Nest 12, ESM, vitest, observe)', nodes: [20, 22, 24], testsSay: /Tests\s+2 passed \(2\)/ },
  { name: 'cli11-cjs', what: '`nest new` with CLI 11 (Nest 11, CommonJS, jest)', nodes: [20, 22, 24], testsSay: /Tests:\s+2 passed, 2 total/ },
  // jest's CommonJS mode loads ES modules (Nest 12 is ESM-only) on Node 24.9+ only, with
  // --experimental-vm-modules (the app's test script sets it).
  { name: 'cli12-cjs', what: 'a CommonJS app on Nest 12 (CLI 11 template, jest)', nodes: [20, 22, 24], unitTestsOn: [24], testsSay: /Tests:\s+2 passed, 2 total/ },
];

let tarball: string;
beforeAll(async () => {
  ({ tarball } = await packFromCleanTree());
}, 8 * MINUTES);

const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
});

/** Starts one replica as `start:prod` does (`node dist/main`); resolves once Nest says it started. */
function startReplica(app: string, major: number, env: Record<string, string>): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn(nodeBinary(major), ['dist/main'], {
    cwd: app,
    env: { ...process.env, NODE_OPTIONS: '', NO_COLOR: '1', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.on('exit', (code) => reject(new Error(`replica exited with ${code} before it started:\n${output}`)));
    waitFor(() => output.includes('Nest application successfully started'), 60_000).then(
      () => resolve({ child, output: () => output }),
      () => reject(new Error(`replica did not start within 60 s:\n${output}`)),
    );
  });
}

/** The first TypeScript example of the README's "Testing your app" section. */
function readmeTestingExample(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('\n## Testing your app'));
  const example = /```ts\n([\s\S]*?)```/.exec(section);
  if (!example) throw new Error('README.md has no ```ts example under "## Testing your app"');
  return example[1]!;
}

const withoutColours = (text: string): string => text.replace(/\x1b\[[0-9;]*m/g, '');

/** The runs in the record file: tick (ms) and replica. */
function runsIn(file: string): { tick: string; app: string }[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((line) => {
    const [, tick, app] = line.split(' ');
    return { tick: tick!, app: app! };
  });
}

describe.each(TEMPLATES)('$what', ({ name, nodes, unitTestsOn, testsSay }) => {
  let app: string;
  beforeAll(async () => {
    app = await createUserApp(name, tarball);
    // The README's "Testing your app" example, exactly as printed, among the app's own tests.
    writeFileSync(join(app, 'src/readme-example.spec.ts'), readmeTestingExample());
    // Built once, with the newest Node: the output is plain JavaScript for all of them.
    expectSuccess('nest build', await run('npm', ['run', 'build'], app, onNode(24)));
  }, 8 * MINUTES);

  test.each(nodes)('on Node %i: its unit tests pass, and three replicas run each every-second tick once', async (major) => {
    if (!unitTestsOn || unitTestsOn.includes(major)) {
      const tests = expectSuccess(`npm test on Node ${major}`, await run('npm', ['test'], app, onNode(major)));
      expect(withoutColours(tests.stdout + tests.stderr)).toMatch(testsSay);
    }

    const dir = mkdtempSync(join(tmpdir(), `s3-lock-template-${name}-`));
    const record = join(dir, 'runs.txt');
    const env = {
      S3_LOCK_BUCKET: testBucket(),
      S3_LOCK_PREFIX: uniquePrefix(`template-${name}-${major}`),
      RECORD_FILE: record,
      // The template's @nestjs/observe agent posts telemetry to its cloud: here, to a closed port.
      OBSERVE_ENDPOINT: 'http://127.0.0.1:9',
    };
    const replicas = await Promise.all(['a', 'b', 'c'].map((n) => startReplica(app, major, { ...env, APP_NAME: n })));
    const bothUp = Date.now();
    try {
      // Ticks that began after both replicas were up: each must run once, on one of them.
      const counted = () => runsIn(record).filter((r) => Number(r.tick) >= bothUp + 1000);
      await waitFor(() => new Set(counted().map((r) => r.tick)).size >= TICKS + 1, 30_000);
    } finally {
      for (const { child } of replicas) child.kill('SIGTERM');
    }
    const runs = runsIn(record);
    const perTick = new Map<string, string[]>();
    for (const r of runs) perTick.set(r.tick, [...(perTick.get(r.tick) ?? []), r.app]);
    expect([...perTick].filter(([, apps]) => apps.length > 1)).toEqual([]); // never twice
    expect(runs.filter((r) => !/^\d+$/.test(r.tick))).toEqual([]); // every run was a tick
    // No tick lost between the first and the last counted one (each second of the cron).
    const ticks = [...perTick.keys()].map(Number).filter((t) => t >= bothUp + 1000).sort((x, y) => x - y);
    const expected = Array.from({ length: (ticks.at(-1)! - ticks[0]!) / 1000 + 1 }, (_, i) => ticks[0]! + i * 1000);
    expect(ticks).toEqual(expected);
    // Nothing went wrong in the replicas (but observe's agent, which cannot reach its collector here).
    const output = replicas.map((r) => r.output()).join('\n').split('\n').filter((l) => !l.includes('[ObserveAgentWorker]'));
    expect(output.filter((l) => /ERROR|TypeError|WARN/.test(l))).toEqual([]);
    rmSync(dir, { recursive: true, force: true });
  }, 4 * MINUTES);
});

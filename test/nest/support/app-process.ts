import { type ChildProcess, spawn } from 'node:child_process';
import { s3Endpoint, testBucket } from '../../support/s3-env.js';
import { childProcessArgs } from './nest-version.js';

/** Generous: several Nest applications starting at once on a loaded 2-core machine. */
const READY_TIMEOUT_MS = 45_000;

/** Nest applications started as their own OS processes, and what they wrote to stderr. */
export class AppProcesses {
  readonly children: ChildProcess[] = [];
  readonly output: string[] = [];

  /**
   * Starts one application (a built entry, see `buildApp`); resolves once it printed its ready
   * line, to the process and the version of @nestjs/core it loaded.
   * @param preload a module to `--import` first (e.g. the skewed clock)
   */
  start(entry: string, name: string, env: Record<string, string>, preload?: string): Promise<{ child: ChildProcess; nest: string }> {
    const child = spawn(process.execPath, [...childProcessArgs(), ...(preload ? ['--import', preload] : []), entry], {
      env: {
        ...process.env,
        NODE_OPTIONS: '',
        // The AWS SDK's notice about Node 20 would drown the children's real warnings.
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        APP_NAME: name,
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.children.push(child);
    child.stderr!.on('data', (chunk: Buffer) => this.output.push(`[${name}] ${chunk.toString()}`));
    return new Promise((resolve, reject) => {
      // A bound, not a wait: the ready line ends it.
      const timer = setTimeout(() => reject(new Error(`${name} not ready after ${READY_TIMEOUT_MS} ms:\n${this.output.join('')}`)), READY_TIMEOUT_MS);
      let stdout = '';
      child.stdout!.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        const ready = /ready with @nestjs\/core (\S+)\n/.exec(stdout);
        if (ready) {
          clearTimeout(timer);
          resolve({ child, nest: ready[1]! });
        }
      });
      child.on('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`${name} exited with ${code} before it was ready:\n${this.output.join('')}`));
      });
    });
  }

  /** Kills whatever is still running. */
  killAll(): void {
    for (const child of this.children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

/** Stops an application as an orchestrator would (SIGTERM); resolves to how it ended. */
export function stopApp(child: ChildProcess): Promise<string> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000); // a bound: the exit event ends it
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      // Nest's shutdown hooks close the application, then re-raise the signal.
      resolve(code === null ? `signal ${signal}` : `code ${code}`);
    });
    child.kill('SIGTERM');
  });
}

/**
 * Starts the built application `entry` (see `buildApp`) as its own process on the test store,
 * reached through the AWS SDK's default chain, the bucket in `S3_LOCK_BUCKET` (what
 * `S3LockModule.forRoot()` reads), with `env` on top. Its stdout and stderr go to `output()`.
 */
export function spawnApp(entry: string, env: Record<string, string>): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [...childProcessArgs(), entry], {
    env: {
      ...process.env,
      NODE_OPTIONS: '',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      AWS_ENDPOINT_URL_S3: s3Endpoint(),
      S3_LOCK_BUCKET: testBucket(),
      NO_COLOR: '1',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

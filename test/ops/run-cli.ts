import { execFile } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';

/** The compiled command, as `npx nestjs-s3-lock` runs it (`npm test` builds dist/ first). */
/** The command as the package declares it (`bin`). */
export const CLI = new URL('../../dist/cjs/cli/main.js', import.meta.url).pathname;

/** What a run of the command printed and returned. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the command as a user would, in a child process, with the AWS CLI's environment
 * (`process.env`, which `npm test` fills for the local S3) plus `env`.
 *
 * dist/ is shared by every `npm test` running in this tree and rebuilt by each; a child that
 * loads a file while tsc rewrites it fails to start (a SyntaxError or a missing module), so
 * that one failure, and only that one, is retried once.
 */
export async function cli(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  const run = await spawnCli(args, env);
  if (run.code !== 1 || !/SyntaxError|ERR_MODULE_NOT_FOUND|does not provide an export/.test(run.stderr)) return run;
  await sleep(1000); // not a wait for the library: time for the other run's rebuild of dist/ to finish
  return spawnCli(args, env);
}

function spawnCli(args: string[], env: Record<string, string>): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { env: { ...process.env, NODE_NO_WARNINGS: '1', ...env }, timeout: 30_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

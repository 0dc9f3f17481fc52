import { execFile } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchBucket, childEnv } from '../env.js';
import { nowMs, quantile } from '../stats.js';

const built = resolve(dirname(fileURLToPath(import.meta.url)), '../../lib');
/** The command as the package ships it (`bin`: the CommonJS build, which bench/run.sh builds first). */
const CLI = resolve(dirname(fileURLToPath(import.meta.url)), '../../../../dist/cjs/cli/main.js');

/** Wall time of the CLI against a bare Node start, p50 of `runs` runs each, in ms. */
export interface CliStartup {
  runs: number;
  /** `node -e 0`: Node alone. */
  nodeP50Ms: number;
  /** `nestjs-s3-lock --help`: Node and the CLI's argument parsing, no S3. */
  helpP50Ms: number;
  /** `nestjs-s3-lock list` on an empty prefix: the core, the AWS SDK and one ListObjectsV2. */
  listP50Ms: number;
  /** Importing the package's Nest entry (`nestjs-s3-lock`), no request: what the CLI loaded before it used the core. */
  nestEntryP50Ms: number;
}

function timed(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const began = nowMs();
  return new Promise((done, fail) => {
    execFile(process.execPath, args, { env }, (error, _out, stderr) =>
      error ? fail(new Error(`${args.join(' ')} failed: ${stderr}`)) : done(nowMs() - began),
    );
  });
}

/** Runs each command `runs` times, interleaved, one at a time. */
export async function runCliStartup(prefix: string, runs: number): Promise<CliStartup> {
  const env = childEnv();
  const commands = {
    node: ['-e', '0'],
    help: [CLI, '--help'],
    list: [CLI, 'list', '--bucket', benchBucket(), '--prefix', `${prefix}cli-startup/`],
    nestEntry: ['--input-type=module', '-e', `await import(${JSON.stringify(resolve(built, 'index.js'))})`],
  };
  const times: Record<keyof typeof commands, number[]> = { node: [], help: [], list: [], nestEntry: [] };
  for (let i = 0; i < runs; i++) {
    for (const name of Object.keys(commands) as (keyof typeof commands)[]) {
      times[name].push(await timed(commands[name], env));
    }
  }
  const p50 = (values: number[]) => Math.round(quantile(values, 0.5));
  return { runs, nodeP50Ms: p50(times.node), helpP50Ms: p50(times.help), listP50Ms: p50(times.list), nestEntryP50Ms: p50(times.nestEntry) };
}

/** The table of `runCliStartup`'s figures. */
export function cliStartupTable(f: CliStartup): string {
  return [
    `| command (p50 of ${f.runs}) | ms | over node -e 0 |`,
    '|---|---:|---:|',
    `| node -e 0 | ${f.nodeP50Ms} | |`,
    `| nestjs-s3-lock --help | ${f.helpP50Ms} | +${f.helpP50Ms - f.nodeP50Ms} |`,
    `| nestjs-s3-lock list (one ListObjectsV2) | ${f.listP50Ms} | +${f.listP50Ms - f.nodeP50Ms} |`,
    `| for comparison: import of the Nest entry, no request | ${f.nestEntryP50Ms} | +${f.nestEntryP50Ms - f.nodeP50Ms} |`,
  ].join('\n');
}

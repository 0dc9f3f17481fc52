import { VIOLATION_KINDS } from './invariants.js';
import type { SimSummary } from './run.js';
import { FAULT_KINDS } from './sim-store.js';
import { ACTOR_FAULTS } from './world.js';

/** Which defect of issue 13 each kind of violation shows, when it is a known one. */
export const KNOWN_DEFECTS: Partial<Record<string, string>> = {
  'token not increasing': 'issue 13 defect 1 (token repeated after a foreign write and a forced release)',
  'store error on a healthy store': "issue 13 defect 2 (lost races reported as store failures), or the clock wait behind another tool's rewrites (test/sim/FINDINGS.md)",
  'told lost, nobody else wrote': "a holding's own extension that landed unheard taken for a lost lock (test/sim/FINDINGS.md, seed 9)",
  'lock_time before the write': 'issue 13 defect 3 (lock_time written before the write)',
  'lost signal without lead (seed tool, by lock_time)': 'issue 13 defects 3 and 4 (lock_time early; no margin before the lost signal)',
  'lost signal without lead (by LastModified)': 'issue 13 defect 4 (the lost signal fires with almost no margin)',
  'unsafe token': 'issue 13 defect 6 (a token above 2^53)',
  'token not increasing (after a token placed by hand near 2^53)': "issue 13 defect 6 (a token above 2^53), in a lineage that no other tool's write has cut (one that has restarts from the clock, as docs/PROTOCOL.md says)",
  'unexpected error': 'issue 13 defect 6 when the error is InvalidLockArgumentError on release, or CorruptLockError where no token was placed by hand (see the example)',
  'takeover before the lost signal': 'issue 13 defect 3 when the taker is a seed-tool worker (see the example)',
  'told refused, nobody held it': 'issue 13 defect 6 when the caller is refused naming itself (its own unsafe token unreadable); a lost race claimed with no other writer otherwise (see the example)',
};

/** One replayed example: the seed's settings and the trace before the violation. */
export interface Example {
  kind: string;
  seed: number;
  settings: string;
  trace: string[];
}

/** The run's figures, for docs/SIMULATION.md. */
export interface RunFacts {
  mode: string;
  wallSeconds: number;
  /** CPU seconds of all threads, and the machine's load average when the run ended. */
  cpuSeconds: number;
  loadAverage: number;
  cores: number;
  threads: number;
  node: string;
  cpu: string;
  date: string;
  baseSeed: number;
  requiredLeadMs: number;
  /** The run path's margin, described (e.g. for expire 1 s and 60 s). */
  lostMargin: string;
}

const count = (n: number) => n.toLocaleString('en-US');

/** The report: totals, faults by kind, violations by kind with a replayable example each. */
export function renderReport(summary: SimSummary, facts: RunFacts, examples: Example[], findings = ''): string {
  const violations = Object.values(summary.violations).reduce((a, b) => a + b, 0);
  const lines = [
    '# Deterministic simulation of the lock protocol',
    '',
    `Written by \`npm run test:sim\` (${facts.mode}) on ${facts.date}. Do not edit by hand: rerun it.`,
    '',
    'The real `LockProtocol` (lib/protocol/lock-protocol.ts) runs over the store seam (`LockStore`)',
    'against a simulated S3 with a virtual clock and a seeded scheduler. Everything that varies comes',
    'from one seed per world: event order, latencies, faults, client clock offsets, what each actor',
    'does. Each world has 2 to 8 workers of this library (each its own `LockProtocol`, `ServerClock`',
    'and skewed wall clock), 1 to 3 keys, `expire` of 1 to 10 s, and in some worlds workers of the',
    "seed's Python tool (unconditional writes of the four-field body, no metadata, expiry by",
    '`lock_time` on their own correct clock), an operator (hand deletions, `inspect` + forced release of',
    'foreign locks, in rare worlds a token near 2^53 placed by hand), paused workers and cron-aligned',
    'ticks. Invariants are checked after every step and at every landed write and every answer a',
    'caller gets (test/sim/invariants.ts). A holder is told it lost its lease the way',
    '`lib/runner/locked-run.ts` computes it: `writeStartedAt + expire` minus its margin',
    `(\`lostSignalMarginMs\`: ${facts.lostMargin}), and that signal must come at least`,
    `${facts.requiredLeadMs} ms before anyone could take the lock over.`,
    '',
    '## The run',
    '',
    '| Figure | Value |',
    '| --- | --- |',
    `| Simulated acquisitions | ${summary.acquisitions} |`,
    `| Invariant violations | ${violations} |`,
    `| Acquisition attempts | ${count(summary.attempts)} (${count(summary.refusals)} refused; ${count(summary.corrupt)} refused with CorruptLockError, over a token placed by hand near 2^53; ${count(summary.storeErrors)} store errors in all operations) |`,
    `| Releases, extensions, leases lost | ${count(summary.releases)}, ${count(summary.extensions)}, ${count(summary.lost)} |`,
    `| Acquisitions by the seed's tool | ${count(summary.seedAcquisitions)} |`,
    `| Worlds (seeds) | ${count(summary.worlds)} (seeds ${facts.baseSeed} to ${facts.baseSeed + summary.worlds - 1}) |`,
    `| Scheduler steps | ${count(summary.steps)} |`,
    `| Virtual time simulated | ${(summary.virtualMs / 3_600_000).toFixed(1)} hours |`,
    `| Smallest lead of a lost signal before a possible takeover | ${summary.minLeadMs.toFixed(1)} ms |`,
    `| Wall time | ${facts.wallSeconds.toFixed(1)} s (${facts.cpuSeconds.toFixed(0)} CPU seconds; load average ${facts.loadAverage.toFixed(1)} at the end, on a machine shared with other work) |`,
    `| Machine | ${facts.cores} cores (${facts.cpu}), Node ${facts.node}, ${facts.threads} worker threads |`,
    '',
    '## Faults injected, by kind',
    '',
    '| Fault | Count |',
    '| --- | --- |',
    ...[...FAULT_KINDS, ...ACTOR_FAULTS].map((k) => `| ${k} | ${count(summary.faults[k] ?? 0)} |`),
    `| writes of the seed's tool over a lock it had not read (its own race, not counted as a violation) | ${count(summary.seedRaces)} |`,
    '',
    '## Invariant violations, by kind',
    '',
    '| Invariant | Violations | First seed | Known defect |',
    '| --- | --- | --- | --- |',
    ...Object.entries(VIOLATION_KINDS).map(([kind, promise]) => {
      const n = summary.violations[kind] ?? 0;
      const example = summary.examples[kind];
      return `| ${promise} | ${count(n)} | ${example ? example.seed : ''} | ${n > 0 ? (KNOWN_DEFECTS[kind] ?? '**new finding**') : ''} |`;
    }),
    '',
  ];
  if (examples.length > 0) {
    lines.push('## Examples (replay with `SIM_SEED=<seed> npm run test:sim`)', '');
    for (const example of examples) {
      const first = summary.examples[example.kind]!;
      lines.push(
        `### ${example.kind} (seed ${example.seed})`,
        '',
        `${first.violation.detail}`,
        '',
        `World: ${example.settings}. The last steps before it (time since the world began, actor, event):`,
        '',
        '```',
        ...example.trace.slice(-16),
        '```',
        '',
      );
    }
  }
  if (findings) lines.push(findings.trim(), '');
  lines.push(
    '## How to run',
    '',
    '- `npm run test:sim`: a short run (about 25,000 acquisitions); exits non-zero on any violation.',
    '- `SIM_RUN=long npm run test:sim`: at least 1,000,000 acquisitions; rewrites this file.',
    '- `SIM_SEED=123 npm run test:sim`: replays world 123 and prints the trace before each violation.',
    '- `SIM_ACQUISITIONS`, `SIM_BASE_SEED`, `SIM_THREADS`: size, first seed and threads of a run;',
    '  `SIM_LOST_MARGIN_MS` and `SIM_REQUIRED_LEAD_MS`: the run path\'s margin and the lead required.',
    '- A short version runs in `npm test` (test/sim/simulation.test.ts).',
    '',
  );
  return lines.join('\n');
}

import type { ContentionFigures } from './scenarios/contention.js';
import type { DecoratorPair, OverheadFigures } from './scenarios/decorated.js';
import type { ScaleFigures } from './scenarios/scale.js';
import { type TickFigures, tickRequestLimit } from './scenarios/ticks.js';
import { round, type Sample } from './stats.js';

/** One goal of the issue, checked against the figures. */
export interface GoalCheck {
  goal: string;
  measured: string;
  status: 'PASS' | 'MISS' | 'TODO';
}

/** Everything a run measured. */
export interface Figures {
  uncontended: Record<string, Sample>;
  contention: ContentionFigures[];
  /** Scheduled ticks, by replica count and timing. */
  ticks: TickFigures[];
  scale: ScaleFigures;
  /** The decorator's own cost, without a network. */
  overhead: OverheadFigures;
  /** The decorator against runExclusive, call by call, on the store. */
  decoratorPair: DecoratorPair;
}

/** Rows of the latency table: our case, and which origin case it compares with. */
const ROWS: { id: string; label: string; origin?: string }[] = [
  { id: 'raw.putObject', label: 'raw PutObject (baseline)' },
  { id: 'raw.getObject', label: 'raw GetObject' },
  { id: 'raw.getObject404', label: 'raw GetObject, missing key (404)' },
  { id: 'raw.putObjectIfNoneMatch', label: 'raw PutObject If-None-Match, new key' },
  { id: 'ours.acquire.fresh', label: 'acquire, key never seen (GET+PUT)', origin: 'acquire' },
  { id: 'ours.acquire.afterOther', label: 'acquire, released by another replica', origin: 'acquire' },
  { id: 'ours.acquire.repeat', label: 'acquire, repeat holder', origin: 'acquire' },
  { id: 'ours.acquire.staleMemory', label: 'acquire, repeat holder, another won since', origin: 'acquire' },
  { id: 'ours.release', label: 'release', origin: 'release' },
  { id: 'ours.runExclusive.fresh', label: 'runExclusive (empty), key never seen', origin: 'run' },
  { id: 'ours.runExclusive.repeat', label: 'runExclusive (empty), repeat holder', origin: 'run' },
  { id: 'ours.decorated', label: '@WithS3Lock method call (empty)', origin: 'run' },
  { id: 'origin.wait0.acquire', label: 'origin acquire, wait 0' },
  { id: 'origin.wait0.release', label: 'origin release' },
  { id: 'origin.wait0.run', label: 'origin acquire+release, wait 0' },
  { id: 'origin.wait1.acquire', label: 'origin acquire, wait 1.0' },
  { id: 'origin.wait1.run', label: 'origin acquire+release, wait 1.0' },
];

const ratio = (a: number | undefined, b: number | undefined): string =>
  a === undefined || b === undefined || !(b > 0) ? '' : `${round(a / b, 2).toFixed(2)}`;

const requests = (s: Sample): string =>
  s.requests.min === s.requests.max ? `${s.requests.min}` : `${s.requests.mode} (${s.requests.min}-${s.requests.max})`;

/** `{ 'GetObject 404': 3 }` as `GetObject 404 x3`. */
export function formatTally(tally: Readonly<Record<string, number>>): string {
  return Object.entries(tally)
    .sort((a, b) => b[1] - a[1])
    .map(([name, n]) => `${name} x${n}`)
    .join(', ');
}

/** A Markdown table (it reads well in a terminal too). */
function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`, ...rows.map(line)].join('\n');
}

/** The latency and request table of the calls one at a time. */
export function latencyTable(f: Figures): string {
  const u = f.uncontended;
  const put = u['raw.putObject']?.p50Ms;
  const rows = ROWS.flatMap(({ id, label, origin }) => {
    const s = u[id];
    if (!s) return [];
    return [[
      label,
      s.p50Ms.toFixed(2),
      s.p95Ms.toFixed(2),
      `${s.cpuP50Us}`,
      requests(s),
      ratio(s.p50Ms, put),
      origin ? ratio(s.p50Ms, u[`origin.wait0.${origin}`]?.p50Ms) : '',
      origin && origin !== 'release' ? ratio(s.p50Ms, u[`origin.wait1.${origin}`]?.p50Ms) : '',
    ]];
  });
  return table(['operation', 'p50 ms', 'p95 ms', 'CPU µs', 'S3 req/call', '/ PutObject p50', '/ origin w=0', '/ origin w=1'], rows);
}

/** The contention table. */
export function contentionTable(f: Figures): string {
  return table(
    ['contenders', 'rounds', 'all decided p50 ms', 'p95 ms', 'S3 req/round (min-max)', 'limit 2N+1', 'winners/round', 'errors'],
    f.contention.map((c) => [
      `${c.contenders}`,
      `${c.rounds}`,
      c.decidedP50Ms.toFixed(1),
      c.decidedP95Ms.toFixed(1),
      `${c.requestsPerRound.mode} (${c.requestsPerRound.min}-${c.requestsPerRound.max})`,
      `${2 * c.contenders + 1}`,
      [...new Set(c.winnersPerRound)].join(','),
      `${c.errors.length}`,
    ]),
  );
}

/** The scheduled-tick rounds: S3 requests per tick against the goal. */
export function tickTable(f: Figures): string {
  return table(
    ['replicas', 'timers', 'ticks', 'S3 req/tick (min-max)', 'mean', 'goal', 'runs/tick', 'requests by kind', 'errors'],
    f.ticks.map((t) => [
      `${t.replicas}`,
      t.timing,
      `${t.ticks}`,
      `${t.requestsPerTick.mode} (${t.requestsPerTick.min}-${t.requestsPerTick.max})`,
      `${t.requestsPerTick.mean}`,
      `<= ${tickRequestLimit(t)}`,
      [...new Set(t.runsPerTick)].join(','),
      formatTally(t.tally),
      `${t.errors.length}`,
    ]),
  );
}

/** What the contention rounds sent, by kind, per contender count. */
export function contentionTallies(f: Figures): string {
  return f.contention
    .map((c) => `  N=${c.contenders}, ${c.rounds} rounds: ${formatTally(c.tally)}; library sleeps: ${c.sleeps.count} (${c.sleeps.totalMs} ms)`)
    .join('\n');
}

/** The scale summary. */
export function scaleTable(f: Figures): string {
  const s = f.scale;
  return table(['figure', 'value'], [
    ['keys held at once', `${s.keys} (expire ${s.expire} s)`],
    ['extension', s.extension],
    ['extend every', `${s.extendEverySeconds} s`],
    ['acquire all', `${s.acquireAllMs.toFixed(0)} ms; requests meanwhile: ${formatTally(s.acquireTally)}`],
    ['extension requests/s', `${s.extendRequestsPerSecond} (expected ${s.expectedExtendRequestsPerSecond}) over ${s.holdSeconds} s`],
    ['extension PUT latency under that load', `p50 ${s.extendP50Ms} ms, p95 ${s.extendP95Ms} ms`],
    ['locks lost / released at the end', `${s.lost} / ${s.released} of ${s.keys} (release all: ${s.releaseAllMs.toFixed(0)} ms${s.unfinished ? `, ${s.unfinished} unfinished after the time limit` : ''})`],
    ['timers alive while holding', `${s.timersInUse}`],
    ['memory while holding', `heap +${s.memory.heapUsedMiB} MiB (${s.memory.heapBytesPerKey} B/key), rss +${s.memory.rssMiB} MiB${s.memory.gcExposed ? '' : ' (no --expose-gc)'}`],
  ]);
}

/** Checks the issue's goals against the figures. */
export function checkGoals(f: Figures): GoalCheck[] {
  const u = f.uncontended;
  const put = u['raw.putObject']!;
  const fresh = u['ours.acquire.fresh']!;
  const repeat = u['ours.acquire.repeat']!;
  const runFresh = u['ours.runExclusive.fresh']!;
  const runRepeat = u['ours.runExclusive.repeat']!;
  const oursIds = Object.keys(u).filter((id) => id.startsWith('ours.'));
  const slept = oursIds.reduce((n, id) => n + u[id]!.sleeps.count, 0);
  const control = u['origin.wait1.acquire'];
  const afterOther = u['ours.acquire.afterOther']!;
  const freshRatio = fresh.p50Ms / put.p50Ms;
  const afterOtherRatio = afterOther.p50Ms / put.p50Ms;
  const pairSleeps = f.decoratorPair.runExclusive.sleeps.count + f.decoratorPair.decorated.sleeps.count;
  const checks: GoalCheck[] = [
    {
      goal: 'uncontended acquire p50 <= 2.0 x PutObject p50',
      measured:
        `key never seen (GET 404 + PUT): ${fresh.p50Ms.toFixed(2)} / ${put.p50Ms.toFixed(2)} ms = ${freshRatio.toFixed(2)}; ` +
        `released by another replica (GET + PUT): ${afterOtherRatio.toFixed(2)}`,
      status: Math.max(freshRatio, afterOtherRatio) <= 2.0 ? 'PASS' : 'MISS',
    },
    {
      goal: "repeat holder's acquire in 1 S3 request",
      measured: `${requests(repeat)} request(s) per call over ${repeat.calls} calls`,
      status: repeat.requests.max <= 1 ? 'PASS' : 'MISS',
    },
    {
      goal: 'whole locked run <= 3 S3 requests',
      measured: `${requests(runFresh)} per runExclusive on a key never seen`,
      status: runFresh.requests.max <= 3 ? 'PASS' : 'MISS',
    },
    {
      goal: 'whole locked run <= 2 S3 requests for a repeat holder',
      measured: `${requests(runRepeat)} per runExclusive`,
      status: runRepeat.requests.max <= 2 ? 'PASS' : 'MISS',
    },
    {
      goal: 'no sleep when wait = 0',
      measured:
        `${slept + pairSleeps} sleep(s) in ${oursIds.reduce((n, id) => n + u[id]!.calls, 0) + 2 * f.decoratorPair.decorated.calls} calls of ours` +
        (control ? ` (probe check: origin wait 1.0 slept ${control.sleeps.count}x, ${control.sleeps.totalMs} ms)` : ''),
      status: slept + pairSleeps === 0 && (!control || control.sleeps.count > 0) ? 'PASS' : 'MISS',
    },
  ];
  {
    const { runExclusive: plain, decorated: wrapped } = f.decoratorPair;
    const r = wrapped.p50Ms / plain.p50Ms;
    checks.push({
      goal: 'decorator p50 within 5% of runExclusive p50',
      measured:
        `${wrapped.p50Ms.toFixed(2)} ms / ${plain.p50Ms.toFixed(2)} ms = ${r.toFixed(3)} over ${wrapped.calls} alternated pairs; ` +
        `requests ${requests(wrapped)} vs ${requests(plain)}; in memory: +${f.overhead.decoratorOverheadUs} µs per call`,
      status: r <= 1.05 && wrapped.requests.max <= plain.requests.max ? 'PASS' : 'MISS',
    });
  }
  for (const c of f.contention) {
    const limit = 2 * c.contenders + 1;
    checks.push({
      goal: `<= 2N+1 S3 requests per tick, N = ${c.contenders} (limit ${limit})`,
      measured: `max ${c.requestsPerRound.max}, mean ${c.requestsPerRound.mean} over ${c.rounds} rounds; one winner every round: ${c.winnersPerRound.every((w) => w === 1) ? 'yes' : 'NO'}`,
      status: c.requestsPerRound.max <= limit && c.winnersPerRound.every((w) => w === 1) && c.errors.length === 0 ? 'PASS' : 'MISS',
    });
  }
  for (const t of f.ticks) {
    const limit = tickRequestLimit(t);
    checks.push({
      goal: `<= ${t.timing === 'spread' ? 'N+1' : '2N'} S3 requests per scheduled tick, ${t.timing} timers, N = ${t.replicas} (limit ${limit})`,
      measured: `max ${t.requestsPerTick.max}, mode ${t.requestsPerTick.mode}, mean ${t.requestsPerTick.mean} over ${t.ticks} ticks; one run every tick: ${t.runsPerTick.every((r) => r === 1) ? 'yes' : 'NO'}`,
      status: t.requestsPerTick.max <= limit && t.runsPerTick.every((r) => r === 1) && t.errors.length === 0 ? 'PASS' : 'MISS',
    });
  }
  return checks;
}

/** The goals as a table. */
export function goalsTable(checks: readonly GoalCheck[]): string {
  return table(['', 'goal', 'measured'], checks.map((c) => [c.status, c.goal, c.measured]));
}

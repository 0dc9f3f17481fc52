import type { Lock } from '../interfaces/lock.interface.js';
import { isExpiredAt } from '../protocol/expiry.js';

/**
 * The state of a lock as the CLI reports it:
 * - `held`: an owner holds it and it has not expired;
 * - `expired`: an owner wrote it but did not release or extend it in time (by the store's
 *   clock); any owner may take it over;
 * - `released`: freed by its holder (or by `release --force`).
 */
export type LockState = 'held' | 'expired' | 'released';

/** One lock as `status` and `list --json` print it. */
export interface LockReport {
  key: string;
  /** `s3://bucket/prefix+key` */
  object: string;
  state: LockState;
  /** The owner; `null` when released. */
  holder: string | null;
  /**
   * The document's `lock_time` (ISO 8601, to the millisecond): when the holder acquired or last
   * extended it, by the holder's estimate of the store's clock (its late end). Not what expiry is
   * judged from: see `writtenAt`.
   */
  lockTime: string;
  /**
   * When the store wrote this state: its `Last-Modified`, in whole seconds (so up to a second
   * before `lockTime`, which is another clock's estimate). Expiry is judged from this.
   */
  writtenAt: string;
  expire: number;
  /**
   * When a held lock expires, by the store's clock: `writtenAt` + `expire` (another owner may
   * take it over once the store's clock has passed it by a second); `null` when released.
   */
  expiresAt: string | null;
  /** Seconds from the store's time now to `expiresAt`; negative once past; `null` when released. */
  expiresInSeconds: number | null;
  releaseTime: string | null;
  token: number;
  etag: string;
}

/** An object under the prefix that is not a lock document, as `list` reports it. */
export interface InvalidReport {
  key: string;
  object: string;
  state: 'invalid';
  error: string;
}

/**
 * Whether `lock` counts as expired at the store time `storeNow`: the same rule as the lock
 * (whole seconds, one second of margin, so it is never called expired early).
 */
export function isExpired(lock: Lock, storeNow: Date): boolean {
  if (lock.owner === null) return false;
  // A lock read from the store expires `expire` seconds after its last write.
  return isExpiredAt(new Date(lock.expiresAt.getTime() - lock.expire * 1000), lock.expire, storeNow);
}

/** The second the store wrote `lock` (its `Last-Modified`), from which its `expiresAt` is counted. */
function writtenAt(lock: Lock): Date {
  return new Date(lock.expiresAt.getTime() - lock.expire * 1000);
}

/** The report of `lock`, stored at `object`, judged at the store time `storeNow`. */
export function reportOf(lock: Lock, object: string, storeNow: Date): LockReport {
  const released = lock.owner === null;
  return {
    key: lock.key,
    object,
    state: released ? 'released' : isExpired(lock, storeNow) ? 'expired' : 'held',
    holder: lock.owner,
    lockTime: lock.lockTime.toISOString(),
    writtenAt: writtenAt(lock).toISOString(),
    expire: lock.expire,
    expiresAt: released ? null : lock.expiresAt.toISOString(),
    expiresInSeconds: released ? null : Math.round((lock.expiresAt.getTime() - storeNow.getTime()) / 1000),
    releaseTime: lock.releaseTime ? lock.releaseTime.toISOString() : null,
    token: lock.token,
    etag: lock.etag,
  };
}

/** `status` output: one field per line. */
export function formatStatus(report: LockReport): string {
  const rows: [string, string][] = [
    ['state', describeState(report)],
    ['holder', report.holder ?? '-'],
    ['locked at', `${report.lockTime} (the holder's lock_time: its estimate of the store's clock)`],
    ['written at', `${seconds(report.writtenAt)} (the store's Last-Modified, in whole seconds)`],
    ['expire', `${report.expire} s`],
    [
      'expires at',
      report.expiresAt === null
        ? '-'
        : `${seconds(report.expiresAt)} (${relative(report.expiresInSeconds ?? 0)}, by the store's clock: written at + expire)`,
    ],
    ['released at', report.releaseTime ? seconds(report.releaseTime) : '-'],
    ['token', String(report.token)],
    ['etag', report.etag],
  ];
  const width = Math.max(...rows.map(([name]) => name.length)) + 2;
  return [
    `Lock "${report.key}" (${report.object})`,
    ...rows.map(([name, value]) => `  ${`${name}:`.padEnd(width)}${value}`),
  ].join('\n') + '\n';
}

/** The line under `list`'s table that says which clock its times are. */
export const TABLE_TIMES_NOTE = "Times are the store's clock, in whole seconds: EXPIRES AT = WRITTEN AT + expire.";

/** `list` output: a table, one lock per row, and a line saying which clock its times are. */
export function formatTable(reports: (LockReport | InvalidReport)[]): string {
  const header = ['KEY', 'STATE', 'HOLDER', 'WRITTEN AT', 'EXPIRES AT', 'TOKEN'];
  const rows = reports.map((r) =>
    r.state === 'invalid'
      ? [r.key, 'invalid', `(${r.error})`, '', '', '']
      : [r.key, r.state, r.holder ?? '-', seconds(r.writtenAt), r.expiresAt ? seconds(r.expiresAt) : '-', String(r.token)],
  );
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  return [header, ...rows]
    .map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ').trimEnd())
    .concat(rows.length > 0 ? [TABLE_TIMES_NOTE] : [])
    .join('\n') + '\n';
}

/** A one-line description of a lock for `release` messages. */
export function describeHolder(report: LockReport): string {
  return `held by "${report.holder}" since ${seconds(report.lockTime)} (token ${report.token}, ` +
    `${report.state === 'expired' ? 'expired' : 'expires'} ${seconds(report.expiresAt ?? '')}, ${relative(report.expiresInSeconds ?? 0)})`;
}

function describeState(report: LockReport): string {
  switch (report.state) {
    case 'held':
      return 'held';
    case 'expired':
      return 'expired (its holder did not release or extend it in time; any owner may take it over)';
    case 'released':
      return 'released (free)';
  }
}

/** An ISO time without milliseconds: S3 and the lock work in whole seconds. */
function seconds(iso: string): string {
  return iso.replace(/\.\d{3}Z$/, 'Z');
}

/** "in 4m 10s" or "4m 10s ago". */
export function relative(deltaSeconds: number): string {
  const abs = Math.abs(deltaSeconds);
  const d = Math.floor(abs / 86_400);
  const h = Math.floor((abs % 86_400) / 3600);
  const m = Math.floor((abs % 3600) / 60);
  const s = abs % 60;
  const parts = [d && `${d}d`, h && `${h}h`, m && `${m}m`, (s || abs === 0) && `${s}s`].filter(Boolean);
  const text = parts.slice(0, 2).join(' ');
  return deltaSeconds >= 0 ? `in ${text}` : `${text} ago`;
}

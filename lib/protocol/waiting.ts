import { setTimeout as sleep } from 'node:timers/promises';

/** The first pause between two polls of a waiting acquisition (ms), before jitter. */
export const FIRST_POLL_INTERVAL_MS = 250;
/** The longest pause between two polls (ms): a release is noticed within about this long. */
export const MAX_POLL_INTERVAL_MS = 1000;

/**
 * The pause before poll number `poll` (1-based) of a waiting acquisition: 250 ms doubling up to
 * 1 s, each drawn between half and all of that (jitter, so waiters in several processes do not
 * poll in step). One waiting key in one process thus costs at most about 8 requests in its
 * first second and then between 1 and 2 per second, whatever the number of waiters.
 */
export function pollDelayMs(poll: number, random: () => number = Math.random): number {
  const ceiling = Math.min(MAX_POLL_INTERVAL_MS, FIRST_POLL_INTERVAL_MS * 2 ** (poll - 1));
  return ceiling / 2 + random() * (ceiling / 2);
}

/**
 * Waits `ms` milliseconds, or less if `until` settles first. Rejects with the signal's reason
 * (an `AbortError` when it gave none) as soon as `signal` is aborted. The timer keeps the
 * process alive: a caller is waiting on it (a script that awaits a wait must not just exit).
 */
export async function pause(ms: number, signal: AbortSignal | undefined, until?: Promise<unknown>): Promise<void> {
  const cancel = new AbortController();
  const signals = signal ? AbortSignal.any([signal, cancel.signal]) : cancel.signal;
  try {
    await Promise.race([
      // No timer at all for an endless wait (Node would turn Infinity into 1 ms).
      Number.isFinite(ms) ? sleep(Math.max(0, ms), undefined, { signal: signals }) : aborted(signals),
      ...(until ? [until.then(() => undefined, () => undefined)] : []),
    ]);
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    throw error;
  } finally {
    cancel.abort();
  }
}

/** Rejects with the signal's reason when it aborts; never resolves. */
function aborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    else signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

/** One waiter's place in a line. */
class Ticket {
  /** Whether this waiter is first in its line. */
  first = false;
  private resolveTurn!: () => void;
  /** Resolves when this waiter becomes first. */
  readonly turn = new Promise<void>((resolve) => (this.resolveTurn = resolve));

  /** Makes this waiter the first in line. */
  call(): void {
    this.first = true;
    this.resolveTurn();
  }
}

/**
 * The waiters of one process on each key, in arrival order. Only the first in line polls S3;
 * the others wait for their turn (or their deadline), so a hundred waiters on one key cost the
 * requests of one.
 */
export class WaitingLine {
  private readonly lines = new Map<string, Ticket[]>();

  /**
   * Joins the line for `key` and waits to be first in it, for at most `ms`. Resolves to `leave`
   * (call it once, in `finally`) and whether this waiter is first; rejects if `signal` aborts,
   * after leaving.
   */
  async join(key: string, ms: number, signal: AbortSignal | undefined): Promise<{ first: boolean; leave: () => void }> {
    const ticket = new Ticket();
    const line = this.lines.get(key) ?? [];
    if (line.length === 0) this.lines.set(key, line);
    line.push(ticket);
    if (line.length === 1) ticket.call();
    const leave = () => this.leave(key, ticket);
    try {
      await pause(ms, signal, ticket.turn);
    } catch (error) {
      leave();
      throw error;
    }
    return { first: ticket.first, leave };
  }

  private leave(key: string, ticket: Ticket): void {
    const line = this.lines.get(key);
    const index = line?.indexOf(ticket) ?? -1;
    if (!line || index < 0) return;
    line.splice(index, 1);
    if (line.length === 0) this.lines.delete(key);
    else if (index === 0) line[0].call();
  }
}

/** One pending event: a callback due at a virtual time, for an actor (or -1 for the store). */
interface Event {
  at: number;
  seq: number;
  actor: number;
  run: () => void;
}

/** The store's own events (request landings) are never paused. */
export const STORE_ACTOR = -1;

/**
 * Virtual time and a queue of events, run one at a time in (time, sequence) order. A paused
 * actor's events wait until its pause ends, as a frozen process handles nothing.
 */
export class Scheduler {
  /** The true time, in milliseconds since the epoch; the store's clock reads it exactly. */
  now: number;
  private readonly heap: Event[] = [];
  private seq = 0;
  private readonly pausedUntil = new Map<number, number>();

  constructor(start: number) {
    this.now = start;
  }

  /** Runs `run` `delay` ms from now, on behalf of `actor`. */
  after(delay: number, actor: number, run: () => void): void {
    this.push({ at: this.now + Math.max(0, delay), seq: this.seq++, actor, run });
  }

  /** A promise resolved `ms` from now, on behalf of `actor`. */
  sleep(ms: number, actor: number): Promise<void> { // virtual time: the simulation's scheduler, no real wait
    return new Promise((resolve) => this.after(ms, actor, resolve));
  }

  /** Freezes `actor` until `until`: none of its events runs before then. */
  pause(actor: number, until: number): void {
    this.pausedUntil.set(actor, Math.max(until, this.pausedUntil.get(actor) ?? 0));
  }

  /** Whether `actor` is frozen now. */
  isPaused(actor: number): boolean {
    return (this.pausedUntil.get(actor) ?? 0) > this.now;
  }

  /** How many events are pending. */
  get pending(): number {
    return this.heap.length;
  }

  /** Runs the next event; returns false when none is left. */
  step(): boolean {
    for (;;) {
      const event = this.pop();
      if (!event) return false;
      const until = this.pausedUntil.get(event.actor) ?? 0;
      if (until > event.at) {
        this.push({ ...event, at: until, seq: this.seq++ });
        continue;
      }
      this.now = event.at;
      event.run();
      return true;
    }
  }

  private push(event: Event): void {
    const heap = this.heap;
    heap.push(event);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  private pop(): Event | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (heap.length > 0 && last) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && before(heap[l]!, heap[m]!)) m = l;
        if (r < heap.length && before(heap[r]!, heap[m]!)) m = r;
        if (m === i) break;
        [heap[i], heap[m]] = [heap[m]!, heap[i]!];
        i = m;
      }
    }
    return top;
  }
}

function before(a: Event, b: Event): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}

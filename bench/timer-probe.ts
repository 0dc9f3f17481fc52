type TimerFn = (callback: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) => NodeJS.Timeout;
type ClearFn = (timer: NodeJS.Timeout | string | number | undefined) => void;

/**
 * Counts the timers alive in the process (global `setTimeout`/`setInterval` not yet fired or
 * cleared), unref'd ones included, which `process.getActiveResourcesInfo()` leaves out.
 * Installed only around the scale scenario.
 */
export class TimerProbe {
  private readonly alive = new Set<NodeJS.Timeout>();
  private readonly originals = {
    setTimeout: globalThis.setTimeout,
    setInterval: globalThis.setInterval,
    clearTimeout: globalThis.clearTimeout,
    clearInterval: globalThis.clearInterval,
  };

  /** Timers alive now, created since `install`. */
  get count(): number {
    return this.alive.size;
  }

  /** Starts tracking timers created from now on. */
  install(): void {
    const { alive, originals } = this;
    const wrapTimeout: TimerFn = (callback, ms, ...args) => {
      const timer = (originals.setTimeout as unknown as TimerFn)(
        (...a: unknown[]) => {
          alive.delete(timer);
          callback(...a);
        },
        ms,
        ...args,
      );
      alive.add(timer);
      return timer;
    };
    const wrapInterval: TimerFn = (callback, ms, ...args) => {
      const timer = (originals.setInterval as unknown as TimerFn)(callback, ms, ...args);
      alive.add(timer);
      return timer;
    };
    const wrapClear =
      (original: ClearFn): ClearFn =>
      (timer) => {
        if (timer && typeof timer === 'object') alive.delete(timer);
        original(timer);
      };
    Object.assign(wrapTimeout, originals.setTimeout);
    const g = globalThis as unknown as Record<string, unknown>;
    g.setTimeout = wrapTimeout;
    g.setInterval = wrapInterval;
    g.clearTimeout = wrapClear(originals.clearTimeout as unknown as ClearFn);
    g.clearInterval = wrapClear(originals.clearInterval as unknown as ClearFn);
  }

  /** Restores the originals. */
  uninstall(): void {
    Object.assign(globalThis, this.originals);
    this.alive.clear();
  }
}

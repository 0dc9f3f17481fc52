import { describe, expect, test } from '@jest/globals';
import { pause, pollDelayMs, WaitingLine } from './waiting.js';

describe('pollDelayMs', () => {
  test('250 ms doubling to 1 s, jittered between half and all of it', () => {
    expect([1, 2, 3, 4, 10].map((poll) => pollDelayMs(poll, () => 0))).toEqual([125, 250, 500, 500, 500]);
    expect([1, 2, 3, 4, 10].map((poll) => pollDelayMs(poll, () => 0.999_999))).toEqual(
      [250, 500, 1000, 1000, 1000].map((ms) => expect.closeTo(ms, 2)),
    );
  });
});

describe('pause', () => {
  test('ends early when `until` settles, and rejects with the reason when the signal aborts', async () => {
    const startedAt = performance.now();
    await pause(10_000, undefined, Promise.resolve());
    expect(performance.now() - startedAt).toBeLessThan(100);
    const controller = new AbortController();
    const reason = new Error('stop');
    const pausing = pause(Infinity, controller.signal);
    controller.abort(reason);
    await expect(pausing).rejects.toBe(reason);
  });
});

describe('WaitingLine', () => {
  test('one waiter at a time is first; the next becomes first when it leaves', async () => {
    const line = new WaitingLine();
    const a = await line.join('k', 1000, undefined);
    expect(a.first).toBe(true);
    const joining = line.join('k', 5000, undefined);
    const other = await line.join('other-key', 1000, undefined);
    expect(other.first).toBe(true);
    a.leave();
    const b = await joining;
    expect(b.first).toBe(true);
    b.leave();
    other.leave();
  });

  test('a waiter whose time runs out before its turn is not first', async () => {
    const line = new WaitingLine();
    const a = await line.join('k', 1000, undefined);
    const b = await line.join('k', 30, undefined);
    expect(b.first).toBe(false);
    b.leave();
    a.leave();
  });
});

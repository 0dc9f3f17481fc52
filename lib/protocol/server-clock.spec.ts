import { describe, expect, test } from '@jest/globals';
import { ServerClock } from './server-clock.js';

describe('the store clock estimate', () => {
  test('tightens with each Date header and stays within a second of the store', () => {
    const clock = new ServerClock();
    const local = Date.now();
    const store = local + 600_000; // the store is 10 minutes ahead of this worker
    for (const fraction of [0, 250, 500, 750, 999]) {
      const at = store + fraction;
      clock.observe(new Date(Math.floor(at / 1000) * 1000).toUTCString(), local + fraction - 2, local + fraction);
    }
    expect(Math.abs(clock.now().getTime() - (store + (Date.now() - local)))).toBeLessThan(1000);
  });

  test('ignores missing or unparsable headers', () => {
    const clock = new ServerClock();
    expect(clock.observe(undefined, Date.now(), Date.now())).toBeUndefined();
    expect(clock.observe('not a date', Date.now(), Date.now())).toBeUndefined();
    expect(Math.abs(clock.now().getTime() - Date.now())).toBeLessThan(50);
  });

  test('earliest() and latest() bound the store time; lock_time taken from latest() is never early', () => {
    for (const fraction of [0, 1, 250, 499, 501, 750, 999]) {
      const clock = new ServerClock();
      const local = Date.now();
      const offset = -3_000; // the store is 3 s behind this worker
      // One answer, received 2 ms after sending, stamped at `fraction` ms into the store's second.
      const storeAtStamp = Math.floor((local + offset) / 1000) * 1000 + fraction;
      const sentAt = storeAtStamp - offset - 1;
      clock.observe(new Date(Math.floor(storeAtStamp / 1000) * 1000).toUTCString(), sentAt, sentAt + 2);
      const storeNow = Date.now() + offset;
      expect(clock.earliest().getTime()).toBeLessThanOrEqual(storeNow);
      expect(clock.latest().getTime()).toBeGreaterThanOrEqual(storeNow);
      expect(clock.latest().getTime() - clock.earliest().getTime()).toBeLessThanOrEqual(1002);
    }
  });

  test('latest() never goes backwards as the estimate tightens', () => {
    const clock = new ServerClock();
    const local = Date.now();
    // A first answer stamped early in its second: the upper bound is almost a second ahead.
    clock.observe(new Date(Math.floor(local / 1000) * 1000).toUTCString(), local - 1, local);
    const first = clock.latest().getTime();
    // A second answer stamped late in the same second tightens the upper bound.
    clock.observe(new Date(Math.floor(local / 1000) * 1000).toUTCString(), local + 900, local + 901);
    expect(clock.latest().getTime()).toBeGreaterThanOrEqual(first);
  });

  test('a step of the wall clock does not move the estimate: it is kept against the steady clock', () => {
    let wall = Date.parse('2030-01-01T10:00:00.000Z');
    let steady = wall;
    const clock = new ServerClock(() => wall, () => steady);
    // The store agrees with this worker; one answer, 2 ms round trip, stamped at 10:00:00.
    clock.observe(new Date(wall).toUTCString(), steady - 1, steady + 1);
    const before = { earliest: clock.earliest().getTime(), latest: clock.latest().getTime() };
    wall += 30_000; // NTP steps the wall clock 30 s ahead; no time passes
    expect(clock.workerNow()).toBe(wall); // what schedulers fire by: the stepped clock
    expect({ earliest: clock.earliest().getTime(), latest: clock.latest().getTime() }).toEqual(before);
    steady += 500; // half a second passes
    expect(clock.earliest().getTime()).toBe(before.earliest + 500);
  });
});

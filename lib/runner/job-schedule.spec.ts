import { describe, expect, test } from '@jest/globals';
import { type CallTime, cronSchedule, fixedTick, intervalSchedule } from './job-schedule.js';

const at = (iso: string): number => Date.parse(iso);

/** A call at `local` (this worker's clock), the store's clock known to lie in [earliest, latest]. */
function callAt(local: number, earliest = local, latest = earliest): CallTime {
  return { local, storeEarliest: earliest, storeLatest: latest };
}
const call = (iso: string): CallTime => callAt(at(iso));

describe('cronSchedule: which occurrence a call belongs to', () => {
  const everyTwo = cronSchedule('Jobs.sync', { cronTime: '*/2 * * * * *' });
  const T = at('2026-12-02T10:00:02Z');

  test('a call just after an occurrence (a timer that fires on time) belongs to it', async () => {
    expect((await everyTwo.tickOf(callAt(T + 30, T - 400, T + 600))).at).toBe(T);
  });

  test('a scheduler that fires a few ms early by this worker\'s clock fires for the coming occurrence', async () => {
    expect((await everyTwo.tickOf(callAt(T - 3, T - 3, T - 2))).at).toBe(T);
  });

  test('a replica a little behind the store belongs to the occurrence its scheduler fired for, however wide the store estimate', async () => {
    // Its clock 700 ms behind: it fires for T at T + 756 by the store's clock, which it knows
    // only within [T + 560, T + 1500]. The estimate's midpoint is nearer the next occurrence;
    // the call is still for T (taking it for T + 2 s ran that tick 1.2 s early).
    expect((await everyTwo.tickOf(callAt(T + 56, T + 560, T + 1500))).at).toBe(T);
  });

  test('a replica a little ahead of the store belongs to the occurrence its scheduler fired for', async () => {
    expect((await everyTwo.tickOf(callAt(T + 2, T - 400, T - 250))).at).toBe(T);
  });

  test('a replica minutes ahead maps its call by the store: the latest occurrence the store has certainly reached', async () => {
    const tick = await everyTwo.tickOf(callAt(T + 3, T - 239_990, T - 239_900));
    expect(tick.at).toBe(T - 240_000);
  });

  test('a replica minutes behind maps its call by the store too, never to an occurrence still to come', async () => {
    expect((await everyTwo.tickOf(callAt(T - 240_000 + 5, T + 1_990, T + 2_100))).at).toBe(T);
  });

  test('on a 1-second cron, a replica 900 ms behind whose store estimate says the next second has begun still runs its own tick', async () => {
    const everySecond = cronSchedule('Jobs.tick', { cronTime: '* * * * * *' });
    expect((await everySecond.tickOf(callAt(T + 10, T + 910, T + 1_100))).at).toBe(T);
  });

  test('a daily cron finds yesterday\'s occurrence; a time zone moves it', async () => {
    const utc = cronSchedule('Jobs.nightly', { cronTime: '0 0 3 * * *' });
    expect((await utc.tickOf(call('2026-12-02T02:00:00Z'))).at).toBe(at('2026-12-01T03:00:00Z'));
    const ny = cronSchedule('Jobs.nightly', { cronTime: '0 0 3 * * *', timeZone: 'America/New_York' });
    expect((await ny.tickOf(call('2026-12-02T09:00:00Z'))).at).toBe(at('2026-12-02T08:00:00Z'));
  });

  test('latestBy is the latest occurrence at or before the time, never a future one', async () => {
    expect((await everyTwo.latestBy(at('2026-12-02T10:00:03.999Z')))?.at).toBe(at('2026-12-02T10:00:02Z'));
    expect((await everyTwo.latestBy(at('2026-12-02T10:00:04Z')))?.at).toBe(at('2026-12-02T10:00:04Z'));
  });

  test('the schedule id depends on the job and its expression, so jobs sharing a key keep apart', async () => {
    const other = cronSchedule('Jobs.other', { cronTime: '*/2 * * * * *' });
    const a = await everyTwo.tickOf(call('2026-12-02T10:00:02Z'));
    const b = await other.tickOf(call('2026-12-02T10:00:02Z'));
    expect(a.schedule).not.toBe(b.schedule);
    expect((await cronSchedule('Jobs.sync', { cronTime: '*/2 * * * * *' }).tickOf(callAt(0))).schedule).toBe(a.schedule);
  });

  test('the id survives a rolling deploy: another name in messages, an equivalent expression; not another job or schedule', async () => {
    const id = async (name: string, cronTime: string, job: string, timeZone?: string) =>
      (await cronSchedule(name, { cronTime, timeZone }, job).tickOf(call('2026-12-02T10:00:02Z'))).schedule;
    const deployed = await id('ReportJobs.sync', '*/2 * * * * *', 'sync');
    expect(await id('RenamedJobs.syncAll', '0-59/2 * * * * *', 'sync')).toBe(deployed); // class renamed, cron rewritten
    expect(await id('t.a', '0,2,4,6,8,10,12,14,16,18,20,22,24,26,28,30,32,34,36,38,40,42,44,46,48,50,52,54,56,58 * * * * *', 'sync')).toBe(deployed);
    expect(await id('ReportJobs.sync', '*/2 * * * * *', 'other-job')).not.toBe(deployed);
    expect(await id('ReportJobs.sync', '*/3 * * * * *', 'sync')).not.toBe(deployed);
    expect(await id('ReportJobs.sync', '*/2 * * * * *', 'sync', 'Europe/Paris')).not.toBe(deployed);
    // Expressions that agree for a while and then part: January only, against every month.
    expect(await id('a', '0 0 3 * 1 *', 'n')).not.toBe(await id('a', '0 0 3 * * *', 'n'));
    expect(await id('a', '0 0 0 29 2 *', 'n')).not.toBe(await id('a', '0 0 0 1 3 *', 'n'));
  });

  test('a rare occurrence (29 February) is found years back', async () => {
    const leap = cronSchedule('Jobs.leap', { cronTime: '0 0 0 29 2 *' });
    expect((await leap.tickOf(call('2026-12-02T00:00:00Z'))).at).toBe(at('2024-02-29T00:00:00Z'));
  });

  test('a one-off @Cron(date) has that date as its only tick', async () => {
    const date = new Date('2027-01-01T00:00:00Z');
    expect((await cronSchedule('Jobs.once', { cronTime: date }).tickOf(callAt(0))).at).toBe(date.getTime());
  });

  test('an expression the cron package rejects fails the call with its error', async () => {
    await expect(cronSchedule('Jobs.bad', { cronTime: 'not a cron' }).tickOf(callAt(0))).rejects.toThrow();
  });
});

describe('intervalSchedule: slots of one grid on the store\'s clock', () => {
  test('calls anywhere in a slot belong to the slot', async () => {
    const every = intervalSchedule('Jobs.poll', 1500);
    expect((await every.tickOf(callAt(3000))).at).toBe(3000);
    expect((await every.tickOf(callAt(4499))).at).toBe(3000);
    expect((await every.tickOf(callAt(4500))).at).toBe(4500);
  });

  test('a call belongs to the slot of the earliest time the store can be at, never to one not begun', async () => {
    // The store's clock known within [4,100, 5,000]: it may still be in slot 3,000; taking the
    // estimate's midpoint (4,550) would claim slot 4,500 early and make slot 3,000's calls skip.
    expect((await intervalSchedule('Jobs.poll', 1500).tickOf(callAt(4_300, 4_100, 5_000))).at).toBe(3000);
  });

  test('a bad interval is refused', () => {
    expect(() => intervalSchedule('Jobs.poll', 0)).toThrow('whole number of milliseconds');
  });
});

test('ticksBetween: the ticks strictly between two, counted up to a bound', async () => {
  expect(await intervalSchedule('Jobs.poll', 1500).ticksBetween(3000, 7500)).toEqual({ count: 2, atLeast: false, first: 4500, last: 6000 });
  expect(await intervalSchedule('Jobs.poll', 1500).ticksBetween(3000, 4500)).toBeUndefined();
  const everyTwo = cronSchedule('Jobs.sync', { cronTime: '*/2 * * * * *' });
  expect(await everyTwo.ticksBetween(Date.parse('2030-01-01T00:00:00Z'), Date.parse('2030-01-01T00:00:08Z'))).toEqual({
    count: 3, atLeast: false, first: Date.parse('2030-01-01T00:00:02Z'), last: Date.parse('2030-01-01T00:00:06Z'),
  });
  expect(await everyTwo.ticksBetween(Date.parse('2030-01-01T00:00:00Z'), Date.parse('2030-01-01T00:00:02Z'))).toBeUndefined();
  // A day down at one tick every 2 s: counted up to the bound, said as "more than".
  const day = await everyTwo.ticksBetween(Date.parse('2030-01-01T00:00:00Z'), Date.parse('2030-01-02T00:00:00Z'));
  expect(day).toMatchObject({ count: 1000, atLeast: true, first: Date.parse('2030-01-01T00:00:02Z'), last: Date.parse('2030-01-01T23:59:58Z') });
  expect(await fixedTick('job', 12_000).ticksBetween(0, 99_999)).toBeUndefined();
});

test('fixedTick: the caller\'s tick, whatever the time', async () => {
  expect((await fixedTick('job', 12_000).tickOf(callAt(99_999))).at).toBe(12_000);
});

import { describe, expect, test } from '@jest/globals';
import { cronSchedule, fixedTick, intervalSchedule } from './job-schedule.js';

const at = (iso: string): number => Date.parse(iso);

describe('cronSchedule: which occurrence a call belongs to', () => {
  const everyTwo = cronSchedule('Jobs.sync', { cronTime: '*/2 * * * * *' });

  test('a call just after an occurrence (a timer that fires on time) belongs to it', async () => {
    expect((await everyTwo.tickOf(at('2026-12-02T10:00:02.030Z'))).at).toBe(at('2026-12-02T10:00:02Z'));
  });

  test('a call a little before it (a replica whose clock is behind the store) belongs to the next one', async () => {
    expect((await everyTwo.tickOf(at('2026-12-02T10:00:01.400Z'))).at).toBe(at('2026-12-02T10:00:02Z'));
  });

  test('a call too early for the next occurrence belongs to the previous one', async () => {
    expect((await everyTwo.tickOf(at('2026-12-02T10:00:00.900Z'))).at).toBe(at('2026-12-02T10:00:00Z'));
  });

  test('on a 1-second cron the next occurrence is claimed at most half a period early', async () => {
    const everySecond = cronSchedule('Jobs.tick', { cronTime: '* * * * * *' });
    expect((await everySecond.tickOf(at('2026-12-02T10:00:00.600Z'))).at).toBe(at('2026-12-02T10:00:01Z'));
    expect((await everySecond.tickOf(at('2026-12-02T10:00:00.400Z'))).at).toBe(at('2026-12-02T10:00:00Z'));
  });

  test('a daily cron finds yesterday\'s occurrence; a time zone moves it', async () => {
    const utc = cronSchedule('Jobs.nightly', { cronTime: '0 0 3 * * *' });
    expect((await utc.tickOf(at('2026-12-02T02:00:00Z'))).at).toBe(at('2026-12-01T03:00:00Z'));
    const ny = cronSchedule('Jobs.nightly', { cronTime: '0 0 3 * * *', timeZone: 'America/New_York' });
    expect((await ny.tickOf(at('2026-12-02T09:00:00Z'))).at).toBe(at('2026-12-02T08:00:00Z'));
  });

  test('latestBy is the latest occurrence at or before the time, never a future one', async () => {
    expect((await everyTwo.latestBy(at('2026-12-02T10:00:03.999Z')))?.at).toBe(at('2026-12-02T10:00:02Z'));
    expect((await everyTwo.latestBy(at('2026-12-02T10:00:04Z')))?.at).toBe(at('2026-12-02T10:00:04Z'));
  });

  test('the schedule id depends on the job and its expression, so jobs sharing a key keep apart', async () => {
    const other = cronSchedule('Jobs.other', { cronTime: '*/2 * * * * *' });
    const a = await everyTwo.tickOf(at('2026-12-02T10:00:02Z'));
    const b = await other.tickOf(at('2026-12-02T10:00:02Z'));
    expect(a.schedule).not.toBe(b.schedule);
    expect((await cronSchedule('Jobs.sync', { cronTime: '*/2 * * * * *' }).tickOf(0)).schedule).toBe(a.schedule);
  });

  test('a rare occurrence (29 February) is found years back', async () => {
    const leap = cronSchedule('Jobs.leap', { cronTime: '0 0 0 29 2 *' });
    expect((await leap.tickOf(at('2026-12-02T00:00:00Z'))).at).toBe(at('2024-02-29T00:00:00Z'));
  });

  test('a one-off @Cron(date) has that date as its only tick', async () => {
    const date = new Date('2027-01-01T00:00:00Z');
    expect((await cronSchedule('Jobs.once', { cronTime: date }).tickOf(0)).at).toBe(date.getTime());
  });

  test('an expression the cron package rejects fails the call with its error', async () => {
    await expect(cronSchedule('Jobs.bad', { cronTime: 'not a cron' }).tickOf(0)).rejects.toThrow();
  });
});

describe('intervalSchedule: slots of one grid on the store\'s clock', () => {
  test('calls anywhere in a slot belong to the slot', async () => {
    const every = intervalSchedule('Jobs.poll', 1500);
    expect((await every.tickOf(3000)).at).toBe(3000);
    expect((await every.tickOf(4499)).at).toBe(3000);
    expect((await every.tickOf(4500)).at).toBe(4500);
  });

  test('a bad interval is refused', () => {
    expect(() => intervalSchedule('Jobs.poll', 0)).toThrow('whole number of milliseconds');
  });
});

test('fixedTick: the caller\'s tick, whatever the time', async () => {
  expect((await fixedTick('job', 12_000).tickOf(99_999)).at).toBe(12_000);
});

import { describe, expect, it } from 'vitest';
import { LogClock } from '../../../lambda/engine/log-clock.js';
import { findLogStamp, type LogStamp, timeOfDayStamp } from '../../../lambda/engine/log-stamp.js';

const iso = (ms: number | undefined): string | undefined => (ms === undefined ? undefined : new Date(ms).toISOString());
const stamp = (s: string): LogStamp => {
  const st = findLogStamp(s) ?? timeOfDayStamp(s);
  if (st === undefined) throw new Error(`no stamp in ${s}`);
  return st;
};
const resolveAll = (clock: LogClock, texts: readonly string[]): (string | undefined)[] =>
  texts.map((t) => iso(clock.resolve(stamp(t))));

describe('LogClock', () => {
  it('reads the printed shapes: ISO 8601 with Z or an offset as instants, dates with and without a year, times of day', () => {
    // Act
    const shapes = [
      '2026-11-24T13:39:27.271Z',
      '2026-11-24T14:39:27+01:00',
      '2026-11-24 13:39:27,5',
      'Nov  4 13:39:27',
    ];

    // Assess
    expect(shapes.map((s) => findLogStamp(s))).toEqual([
      { kind: 'utc', wallMs: Date.parse('2026-11-24T13:39:27.271Z') },
      { kind: 'utc', wallMs: Date.parse('2026-11-24T13:39:27Z') },
      { kind: 'local', wallMs: Date.parse('2026-11-24T13:39:27.500Z') },
      { kind: 'no-year', wallMs: Date.parse('2000-11-04T13:39:27Z') },
    ]);
    expect(timeOfDayStamp('23:59:59.999999')).toEqual({ kind: 'time-of-day', wallMs: 86_399_999 });
    expect(findLogStamp('Nov 24 25:00:00')).toBeUndefined();
  });

  it('gives a date without a year the latest year not after the reference, and a new year after Dec 31', () => {
    // Prepare
    const clock = new LogClock({ timeZone: 'Europe/Berlin', referenceMs: Date.parse('2027-01-01T00:30:00Z') });

    // Act
    const out = resolveAll(clock, ['Dec 31 23:59:58', 'Jan  1 00:00:01', 'Jan  1 01:20:00']);

    // Assess
    expect(out).toEqual(['2026-12-31T22:59:58.000Z', '2026-12-31T23:00:01.000Z', '2027-01-01T00:20:00.000Z']);
    expect(clock.finish()).toBeUndefined();
  });

  it('reads the repeated autumn hour in line order: first pass in summer time, second in winter time', () => {
    // Prepare: Europe/Berlin, 2026-10-25 03:00 CEST -> 02:00 CET
    const clock = new LogClock({ timeZone: 'Europe/Berlin' });

    // Act
    const out = resolveAll(clock, [
      '2026-10-25 02:30:00',
      '2026-10-25 02:59:59',
      '2026-10-25 02:00:00',
      '2026-10-25 02:30:00',
      '2026-10-25 03:00:00',
    ]);

    // Assess
    expect(out).toEqual([
      '2026-10-25T00:30:00.000Z',
      '2026-10-25T00:59:59.000Z',
      '2026-10-25T01:00:00.000Z',
      '2026-10-25T01:30:00.000Z',
      '2026-10-25T02:00:00.000Z',
    ]);
  });

  it('reads a skipped spring wall time with the offset before the change', () => {
    // Prepare: America/New_York, 2026-03-08 02:00 EST -> 03:00 EDT
    const clock = new LogClock({ timeZone: 'America/New_York' });

    // Act
    const out = resolveAll(clock, ['2026-03-08 01:59:00', '2026-03-08 02:30:00', '2026-03-08 03:00:00']);

    // Assess
    expect(out).toEqual(['2026-03-08T06:59:00.000Z', '2026-03-08T07:30:00.000Z', '2026-03-08T07:00:00.000Z']);
  });

  it('moves a time-of-day file back a day when it spans past the reference time of day', () => {
    // Prepare: rotated at 10:00, runs through midnight to 09:00, stored at 11:00 the next day
    const clock = new LogClock({ timeZone: 'UTC', referenceMs: Date.parse('2026-11-25T11:00:00Z') });

    // Act
    const provisional = resolveAll(clock, ['10:00:00.000', '23:59:00.000', '00:01:00.000', '09:00:00.000']);
    const remap = clock.finish();

    // Assess: the first line got the reference's day; at the end the file is moved back one day
    expect(provisional).toEqual([
      '2026-11-25T10:00:00.000Z',
      '2026-11-25T23:59:00.000Z',
      '2026-11-26T00:01:00.000Z',
      '2026-11-26T09:00:00.000Z',
    ]);
    expect(remap).toBeDefined();
    expect(provisional.map((p) => iso(remap?.(Date.parse(p ?? ''))))).toEqual([
      '2026-11-24T10:00:00.000Z',
      '2026-11-24T23:59:00.000Z',
      '2026-11-25T00:01:00.000Z',
      '2026-11-25T09:00:00.000Z',
    ]);
  });

  it('holds times of day to the reference as instants when the clocks go back (a reference in the repeated hour)', () => {
    // Prepare: New York, 2026-11-01, clocks back at 02:00 EDT; the file was written (its mtime) at 01:02 EST
    const clock = new LogClock({ timeZone: 'America/New_York', referenceMs: Date.parse('2026-11-01T06:02:00Z') });

    // Act: 01:59:59 of the first pass (EDT), then 01:00:01 of the second (EST)
    const placed = resolveAll(clock, ['01:59:59.130', '01:00:01.590']);
    const remap = clock.finish();

    // Assess: tshark's frame times of the capture these came from; before, both a day early (01:59:59 read as a wall
    // time after 01:02, the reference's)
    expect(placed).toEqual(['2026-11-01T05:59:59.130Z', '2026-11-01T06:00:01.590Z']);
    expect(remap).toBeUndefined();
  });

  it('takes times of day starting at 00:00:00.000000 for tcpdump -ttt deltas and leaves them untimed', () => {
    // Prepare
    const clock = new LogClock({ referenceMs: Date.parse('2026-11-25T11:00:00Z') });

    // Act
    const out = resolveAll(clock, ['00:00:00.000000', '00:00:00.000212', '00:00:01.500000']);

    // Assess
    expect(out).toEqual([undefined, undefined, undefined]);
  });

  it('leaves dates without a year and times of day untimed without a reference instant', () => {
    // Prepare
    const clock = new LogClock({ timeZone: 'Europe/Berlin' });

    // Act
    const out = resolveAll(clock, ['Nov 24 13:39:27', '13:39:27.000001', '2026-11-24 13:39:27']);

    // Assess
    expect(out).toEqual([undefined, undefined, '2026-11-24T12:39:27.000Z']);
  });
});

import { describe, expect, it } from 'vitest';
import { fixedOffsetMs, isTimeZone, wallToUtcCandidates, zoneOffsetMs } from '../../../lambda/engine/time-zone.js';

const HOUR = 3_600_000;

describe('time zones: IANA names and fixed UTC offsets', () => {
  it('reads the offset a fixed-offset zone names, in every spelling a log or an operator uses', () => {
    expect(
      ['+05:30', '+0530', '+05', '-8', '-08:00', 'UTC+2', 'GMT-03:30', '+14:00', '+00:00', 'utc+1'].map(fixedOffsetMs),
    ).toEqual([5.5 * HOUR, 5.5 * HOUR, 5 * HOUR, -8 * HOUR, -8 * HOUR, 2 * HOUR, -3.5 * HOUR, 14 * HOUR, 0, HOUR]);
  });

  it('refuses what is no offset: past +14, 60 minutes, no sign, an IANA name', () => {
    expect(['+15:00', '+14:30', '+05:60', '0530', '+5:3', 'Europe/Berlin', ''].map(fixedOffsetMs)).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });

  it('maps a wall time in a fixed offset to one instant, whatever the date (no daylight saving)', () => {
    const summer = Date.UTC(2026, 6, 1, 12, 0);
    const winter = Date.UTC(2026, 0, 1, 12, 0);
    expect(wallToUtcCandidates('+05:30', summer)).toEqual([summer - 5.5 * HOUR]);
    expect(wallToUtcCandidates('-08:00', winter)).toEqual([winter + 8 * HOUR]);
    expect(zoneOffsetMs('UTC-5', summer)).toBe(zoneOffsetMs('America/New_York', winter));
  });

  it("accepts IANA names and the zone files' own short names, refuses ICU's legacy Java ids", () => {
    expect(['Europe/Berlin', 'UTC', 'EST', 'CET', '+05:30'].map(isTimeZone)).toEqual([true, true, true, true, true]);
    // ICU would read these as Asia/Dhaka, Asia/Kolkata and America/Los_Angeles
    expect(['BST', 'IST', 'pst', 'CEST', 'Mars/Olympus'].map(isTimeZone)).toEqual([false, false, false, false, false]);
  });
});

/**
 * Local wall-clock times in an IANA zone, through the runtime's own tz database (Intl): no
 * dependency to keep up to date, and the same rules the operator's systems use.
 * A "wall" time is the printed fields read as if UTC: Date.UTC(y, mo, d, h, mi, s, ms).
 */

const MS_PER_MINUTE = 60_000;
const MS_PER_DAY = 86_400_000;

const formatters = new Map<string, Intl.DateTimeFormat>();

const formatterFor = (timeZone: string): Intl.DateTimeFormat => {
  let f = formatters.get(timeZone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      era: 'short',
    });
    formatters.set(timeZone, f);
  }
  return f;
};

/** Whether the runtime knows `timeZone` as an IANA zone name (or "UTC"). */
export const isTimeZone = (timeZone: string): boolean => {
  if (timeZone.length === 0) return false;
  // the default zone: no Intl formatter (building one costs ~20 ms of every CLI start)
  if (isUtc(timeZone)) return true;
  try {
    formatterFor(timeZone);
    return true;
  } catch {
    return false;
  }
};

/** Whether the zone is UTC by name: every conversion is then the identity (the fast path). */
export const isUtc = (timeZone: string): boolean => timeZone === 'UTC' || timeZone === 'Etc/UTC';

/** Offset (wall minus UTC, ms) of `timeZone` at the instant `utcMs`. */
export const zoneOffsetMs = (timeZone: string, utcMs: number): number => {
  if (isUtc(timeZone)) return 0;
  const whole = Math.floor(utcMs / 1000) * 1000;
  let y = 0;
  let mo = 0;
  let d = 0;
  let h = 0;
  let mi = 0;
  let s = 0;
  let bc = false;
  for (const p of formatterFor(timeZone).formatToParts(new Date(whole))) {
    if (p.type === 'year') y = Number(p.value);
    else if (p.type === 'month') mo = Number(p.value);
    else if (p.type === 'day') d = Number(p.value);
    else if (p.type === 'hour') h = Number(p.value);
    else if (p.type === 'minute') mi = Number(p.value);
    else if (p.type === 'second') s = Number(p.value);
    else if (p.type === 'era') bc = p.value === 'BC';
  }
  const wall = Date.UTC(bc ? 1 - y : y, mo - 1, d, h, mi, s);
  // Date.UTC maps years 0..99 to 1900..1999
  const fixed = y < 100 && !bc ? new Date(wall).setUTCFullYear(y) : wall;
  return fixed - whole;
};

/** The wall time of `utcMs` in `timeZone`. */
export const toWallMs = (timeZone: string, utcMs: number): number => utcMs + zoneOffsetMs(timeZone, utcMs);

/**
 * The instants whose wall time in `timeZone` is `wallMs`: one; two in the hour repeated when
 * clocks go back (earlier first); and for a wall time the clocks skipped when they went forward,
 * the one instant read with the offset before the change (what the clock on the wall meant).
 * Zones have changed their offset at most once within any day, so the offsets a day either side
 * are the only candidates.
 */
export const wallToUtcCandidates = (timeZone: string, wallMs: number): readonly number[] => {
  if (isUtc(timeZone)) return [wallMs];
  const before = zoneOffsetMs(timeZone, wallMs - MS_PER_DAY);
  const after = zoneOffsetMs(timeZone, wallMs + MS_PER_DAY);
  const out: number[] = [];
  for (const off of before === after ? [before] : [before, after]) {
    const u = wallMs - off;
    if (zoneOffsetMs(timeZone, u) === off && !out.includes(u)) out.push(u);
  }
  if (out.length === 0) return [wallMs - before];
  return out.sort((a, b) => a - b);
};

/** Minutes and days in ms, for callers that step wall times. */
export const TIME_UNITS = { MS_PER_MINUTE, MS_PER_DAY } as const;

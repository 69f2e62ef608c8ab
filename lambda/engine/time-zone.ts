/**
 * Local wall-clock times in an IANA zone, through the runtime's own tz database (Intl): no
 * dependency to keep up to date, and the same rules the operator's systems use.
 * A "wall" time is the printed fields read as if UTC: Date.UTC(y, mo, d, h, mi, s, ms).
 *
 * A fixed offset from UTC (`+05:30`, `-0800`, `UTC+2`) is a zone too: a box set to one prints its logs in it, and an
 * operator who knows only the offset has no IANA name to give (`Etc/GMT-5` exists for whole hours only, with its
 * sign inverted; Node 20's Intl refuses `+05:30`).
 */

const MS_PER_MINUTE = 60_000;
const MS_PER_DAY = 86_400_000;

/** `+05:30`, `+0530`, `+05`, `-8`, optionally after `UTC` or `GMT`: sign, hours (0-14), minutes (00-59). */
const FIXED_OFFSET = /^(?:UTC|GMT)?([+-])(\d{1,2})(?::?([0-5]\d))?$/i;
/** The largest offset in use (Kiribati's +14:00). */
const MAX_OFFSET_HOURS = 14;
const fixedOffsets = new Map<string, number | null>();

/** The offset (wall minus UTC, ms) a fixed-offset zone names, undefined for any other name. */
export const fixedOffsetMs = (timeZone: string): number | undefined => {
  let ms = fixedOffsets.get(timeZone);
  if (ms === undefined) {
    const m = FIXED_OFFSET.exec(timeZone);
    const hours = m === null ? Number.NaN : Number(m[2]);
    const minutes = hours * 60 + Number(m?.[3] ?? 0);
    ms = m === null || minutes > MAX_OFFSET_HOURS * 60 ? null : (m[1] === '-' ? -minutes : minutes) * MS_PER_MINUTE;
    fixedOffsets.set(timeZone, ms);
  }
  return ms ?? undefined;
};

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

/**
 * ICU's legacy three-letter ids from Java, which are no IANA names: ICU reads `BST` as Asia/Dhaka and `IST` as
 * Asia/Kolkata, so a British or Irish operator's abbreviation would put every time hours off without a word. Refused
 * (the zone files' own short names, `EST`, `MST`, `HST`, `CET`, `EET`, `WET`, `MET`, stay: they are IANA names).
 */
const JAVA_LEGACY_IDS: ReadonlySet<string> = new Set(
  'ACT AET AGT ART AST BET BST CAT CNT CST CTT EAT ECT IET IST JST MIT NET NST PLT PNT PRT PST SST VST'.split(' '),
);

/** Whether the runtime knows `timeZone` as an IANA zone name (or "UTC"), or it is a fixed offset (`+05:30`). */
export const isTimeZone = (timeZone: string): boolean => {
  if (timeZone.length === 0 || JAVA_LEGACY_IDS.has(timeZone.toUpperCase())) return false;
  // the default zone: no Intl formatter (building one costs ~20 ms of every CLI start)
  if (isUtc(timeZone) || fixedOffsetMs(timeZone) !== undefined) return true;
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
  const offset = fixedOffsetMs(timeZone);
  if (offset !== undefined) return offset;
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

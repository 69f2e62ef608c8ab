/**
 * The time a log line prints, as far as it goes: a full date and time with a zone offset (an
 * instant), a local date and time, a date without a year (Asterisk's default `[Nov 24 13:39:27]`,
 * syslog), or a time of day alone (tcpdump, FreeSWITCH siptrace). LogClock turns it into an
 * instant with the file's reference instant and zone.
 */

import { digitsAt, fractionLength, isDateTimeAt, wallMsAt } from './formats/line-bytes.js';

/** How much of a date the log printed. */
export type LogStampKind = 'utc' | 'local' | 'no-year' | 'time-of-day';

/** One printed time. */
export interface LogStamp {
  readonly kind: LogStampKind;
  /**
   * 'utc': the instant (ms since the epoch). 'local': Date.UTC of the printed fields.
   * 'no-year': Date.UTC of the printed fields in the leap year NO_YEAR (so Feb 29 fits).
   * 'time-of-day': milliseconds since midnight.
   */
  readonly wallMs: number;
}

/** The placeholder year of 'no-year' stamps: a leap year, so that Feb 29 is a date. */
export const NO_YEAR = 2000;

const MONTHS: Readonly<Record<string, number>> = {
  Jan: 0,
  Feb: 1,
  Mar: 2,
  Apr: 3,
  May: 4,
  Jun: 5,
  Jul: 6,
  Aug: 7,
  Sep: 8,
  Oct: 9,
  Nov: 10,
  Dec: 11,
};

const FRACTION = '(?:[.,](\\d{1,9}))?';
/** ISO 8601 / RFC 3339 (or with a space, or '/' as ngrep prints it), optional zone designator. */
const DATE_TIME = new RegExp(
  `(\\d{4})[-/](\\d{2})[-/](\\d{2})[T ](\\d{2}):(\\d{2}):(\\d{2})${FRACTION}(Z|[+-]\\d{2}(?::?\\d{2})?)?`,
);
/** strftime "%b %e %T" (Asterisk's default dateformat) and syslog's RFC 3164 TIMESTAMP. */
const MONTH_DAY_TIME = new RegExp(
  `\\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) {1,2}(\\d{1,2}) (\\d{2}):(\\d{2}):(\\d{2})${FRACTION}`,
);
const TIME_OF_DAY = new RegExp(`^(\\d{2}):(\\d{2}):(\\d{2})${FRACTION}$`);

const fractionMs = (digits: string | undefined): number =>
  digits === undefined ? 0 : Math.floor(Number(`0.${digits}`) * 1000);

const validClock = (h: number, mi: number, s: number): boolean => h < 24 && mi < 60 && s < 61;

/** Stamps of texts seen already: a log repeats the same prefix on many lines. */
const cache = new Map<string, LogStamp | null>();
const MAX_CACHED = 10_000;

/** Epoch seconds with a fraction, alone (journalctl -o short-unix's head). */
const EPOCH = /^(\d{9,11})\.(\d{1,9})$/;

const parse = (s: string): LogStamp | null => {
  const e = EPOCH.exec(s);
  if (e) return { kind: 'utc', wallMs: Number(e[1]) * 1000 + fractionMs(e[2]) };
  const d = DATE_TIME.exec(s);
  if (d) {
    const [h, mi, sec] = [Number(d[4]), Number(d[5]), Number(d[6])];
    const mo = Number(d[2]);
    const day = Number(d[3]);
    if (!validClock(h, mi, sec) || mo < 1 || mo > 12 || day < 1 || day > 31) return null;
    const wall = Date.UTC(Number(d[1]), mo - 1, day, h, mi, sec) + fractionMs(d[7]);
    const zone = d[8];
    if (zone === undefined) return { kind: 'local', wallMs: wall };
    if (zone === 'Z') return { kind: 'utc', wallMs: wall };
    const sign = zone[0] === '-' ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    const offsetMin = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || '0');
    return { kind: 'utc', wallMs: wall - sign * offsetMin * 60_000 };
  }
  const m = MONTH_DAY_TIME.exec(s);
  if (m) {
    const [day, h, mi, sec] = [Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5])];
    if (!validClock(h, mi, sec) || day < 1 || day > 31) return null;
    const wall = Date.UTC(NO_YEAR, MONTHS[m[1] ?? ''] ?? 0, day, h, mi, sec) + fractionMs(m[6]);
    return { kind: 'no-year', wallMs: wall };
  }
  return null;
};

/**
 * The first time printed anywhere in `s`: a date and time (local, or an instant when it carries
 * "Z" or an offset), else a month, day and time without a year; or, when `s` is nothing else, epoch seconds with
 * a fraction ("1796625313.511056"). Undefined when there is none.
 */
export const findLogStamp = (s: string): LogStamp | undefined => {
  let st = cache.get(s);
  if (st === undefined) {
    st = parse(s);
    if (cache.size >= MAX_CACHED) cache.clear();
    cache.set(s, st);
  }
  return st ?? undefined;
};

/** The last stamp read from bytes: lines of one log share it for a whole millisecond or more. */
let lastStamp: LogStamp = { kind: 'local', wallMs: Number.NaN };

/**
 * findLogStamp of the latin1 text [a, b) of `buf`. A text that opens with a local ISO date and time
 * (bare or after '[', as "[2026-11-24 13:39:27.271] VERBOSE...") is read from the bytes: no string, no
 * regular expression, and Date.UTC once per distinct minute. Anything else (a zone designator, a
 * date without a year, a date further in) takes the string path.
 */
export const findLogStampAt = (buf: Buffer, a: number, b: number): LogStamp | undefined => {
  const i = buf[a] === 0x5b /* [ */ ? a + 1 : a;
  // the leftmost match of DATE_TIME is at i: nothing before it (at most a '[') can start one
  if (i + 19 > b || !isDateTimeAt(buf, i)) return findLogStamp(buf.toString('latin1', a, b));
  const q = i + 19 + fractionLength(buf, i + 19, b);
  const z = q < b ? buf[q] : undefined;
  if (z === 0x5a /* Z */ || ((z === 0x2b || z === 0x2d) && q + 3 <= b && digitsAt(buf, q + 1, 2) >= 0)) {
    return findLogStamp(buf.toString('latin1', a, b));
  }
  const mo = digitsAt(buf, i + 5, 2);
  const day = digitsAt(buf, i + 8, 2);
  if (!validClock(digitsAt(buf, i + 11, 2), digitsAt(buf, i + 14, 2), digitsAt(buf, i + 17, 2))) return undefined;
  if (mo < 1 || mo > 12 || day < 1 || day > 31) return undefined;
  const wallMs = wallMsAt(buf, i, b);
  if (wallMs === undefined) return findLogStamp(buf.toString('latin1', a, b));
  if (wallMs !== lastStamp.wallMs) lastStamp = { kind: 'local', wallMs };
  return lastStamp;
};

/** A printed time of day "hh:mm:ss[.frac]" (nothing else in `s`). */
export const timeOfDayStamp = (s: string): LogStamp | undefined => {
  const t = TIME_OF_DAY.exec(s);
  if (!t) return undefined;
  const [h, mi, sec] = [Number(t[1]), Number(t[2]), Number(t[3])];
  if (!validClock(h, mi, sec)) return undefined;
  return { kind: 'time-of-day', wallMs: ((h * 60 + mi) * 60 + sec) * 1000 + fractionMs(t[4]) };
};

/** A local date and time already read into wall milliseconds (findDateTime's result). */
export const localStamp = (wallMs: number | undefined): LogStamp | undefined =>
  wallMs === undefined ? undefined : { kind: 'local', wallMs };

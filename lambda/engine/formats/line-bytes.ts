import { transportNamed } from '../transport.js';
import type { Transport } from '../types.js';
import { startsWith } from './line-utils.js';

/**
 * Readers of printed fields straight from a line's bytes, for the header lines every message of a
 * log has (a date and time, a transport name, a number). Each gives exactly what the string helpers
 * they replace give on the line read as latin1 (lineText, findDateTime, transportNamed, Number), so
 * a reader can skip the string, and the regular expression, on the common shapes and keep the
 * string path for the rest.
 */

/** A table of the bytes of `chars` (latin1): 1 for each, 0 for every other byte. */
export const byteSet = (chars: string): Uint8Array => {
  const set = new Uint8Array(256);
  for (let i = 0; i < chars.length; i++) set[chars.charCodeAt(i)] = 1;
  return set;
};

/** Bytes that JavaScript's `\s` and String.prototype.trim take for white space, once read as latin1: TAB..CR, SP, NBSP. */
export const JS_SPACE = new Uint8Array(256);
for (const b of [0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x20, 0xa0]) JS_SPACE[b] = 1;

/** Whether every byte of [a, b) is white space as `\s` reads it (so `\s*$` matches there). */
export const allSpace = (buf: Buffer, a: number, b: number): boolean => {
  for (let i = a; i < b; i++) if (JS_SPACE[buf[i] ?? 0] !== 1) return false;
  return true;
};

/**
 * Writes the range of buf[a, b) without the whitespace String.prototype.trim drops at either end (of latin1 text)
 * into into[at] and into[at + 1]: the caller's reused array, no array per value.
 */
export const trimInto = (buf: Buffer, a: number, b: number, into: Int32Array, at: number): void => {
  let s = a;
  let e = b;
  while (s < e && JS_SPACE[buf[s] ?? 0] === 1) s++;
  while (e > s && JS_SPACE[buf[e - 1] ?? 0] === 1) e--;
  into[at] = s;
  into[at + 1] = e;
};

const isDigitByte = (c: number | undefined): boolean => c !== undefined && c >= 0x30 && c <= 0x39;

/** The number of `n` decimal digits at `i`, or -1 when one of them is not a digit. */
export const digitsAt = (buf: Buffer, i: number, n: number): number => {
  let v = 0;
  for (let k = i; k < i + n; k++) {
    const c = (buf[k] ?? 0) - 0x30;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
};

/**
 * Whether the 19 bytes at `i` are `\d{4}[-/]\d{2}[-/]\d{2}[ T]\d{2}:\d{2}:\d{2}` (the date and time
 * findDateTime looks for; `sep` narrows the date separators and the one before the time).
 */
export const isDateTimeAt = (
  buf: Buffer,
  i: number,
  dateSep: 'any' | '-' = 'any',
  timeSep: 'any' | ' ' = 'any',
): boolean => {
  const s1 = buf[i + 4];
  const s2 = buf[i + 7];
  const okDate =
    dateSep === '-' ? s1 === 0x2d && s2 === 0x2d : (s1 === 0x2d || s1 === 0x2f) && (s2 === 0x2d || s2 === 0x2f);
  const t = buf[i + 10];
  const okSep = timeSep === ' ' ? t === 0x20 : t === 0x20 || t === 0x54;
  return (
    okDate &&
    okSep &&
    buf[i + 13] === 0x3a &&
    buf[i + 16] === 0x3a &&
    digitsAt(buf, i, 4) >= 0 &&
    digitsAt(buf, i + 5, 2) >= 0 &&
    digitsAt(buf, i + 8, 2) >= 0 &&
    digitsAt(buf, i + 11, 2) >= 0 &&
    digitsAt(buf, i + 14, 2) >= 0 &&
    digitsAt(buf, i + 17, 2) >= 0
  );
};

/** Milliseconds of up to three fraction digits at [i, end) (1 to 9 digits are read, as `[.,](\d{1,9})` does). */
const fractionAt = (buf: Buffer, i: number, end: number): number => {
  // floor(Number(`0.${digits}`) * 1000) is the first three digits (checked for every 1..6-digit string)
  let ms = 0;
  let scale = 100;
  for (let k = i; k < end && k < i + 3; k++) {
    const c = (buf[k] ?? 0) - 0x30;
    if (c < 0 || c > 9) break;
    ms += c * scale;
    scale /= 10;
  }
  return ms;
};

/** Length of the `[.,]\d{1,9}` fraction at `i` (0 when there is none). */
export const fractionLength = (buf: Buffer, i: number, end: number): number => {
  const sep = buf[i];
  if (i >= end || (sep !== 0x2e && sep !== 0x2c) || !isDigitByte(buf[i + 1]) || i + 1 >= end) return 0;
  let k = i + 1;
  while (k < end && k < i + 10 && isDigitByte(buf[k])) k++;
  return k - i;
};

/** The start of the last minute read, keyed by its printed fields: a log's lines share a handful of minutes. */
let lastMinuteKey = -1;
let lastMinuteWall = 0;

/**
 * Wall milliseconds (Date.UTC of the printed fields, no validation of ranges) of the date and time at `i`, which
 * the caller has checked with isDateTimeAt, with the fraction that follows before `end`. Date.UTC runs once per
 * distinct minute. This is the value findDateTime gives when its match starts at `i`.
 */
export const wallMsAt = (buf: Buffer, i: number, end: number): number | undefined => {
  const y = digitsAt(buf, i, 4);
  const mo = digitsAt(buf, i + 5, 2);
  const d = digitsAt(buf, i + 8, 2);
  const h = digitsAt(buf, i + 11, 2);
  const mi = digitsAt(buf, i + 14, 2);
  const key = (((y * 100 + mo) * 100 + d) * 100 + h) * 100 + mi;
  if (key !== lastMinuteKey) {
    const base = Date.UTC(y, mo - 1, d, h, mi);
    if (!Number.isFinite(base)) return undefined;
    lastMinuteKey = key;
    lastMinuteWall = base;
  }
  const f = fractionLength(buf, i + 19, end);
  return lastMinuteWall + digitsAt(buf, i + 17, 2) * 1000 + (f > 0 ? fractionAt(buf, i + 20, end) : 0);
};

/** Transport tokens as a log prints them, upper-case. */
const TRANSPORT_NAMES: readonly (readonly [Buffer, Transport])[] = (
  ['UDP', 'TCP', 'TLS', 'SCTP', 'WS', 'WSS'] as const
).map((name) => [Buffer.from(name, 'latin1'), transportNamed(name)] as const);

/** Bytes of an address as SIP tools print one: IPv4 "a.b.c.d:port", IPv6 "[::1]:port". */
const ADDRESS_BYTE = byteSet('0123456789.:[]abcdefABCDEF');

/**
 * The end of the printed address run at `p`, before `le`; p itself when there is none, or when it does not end in a
 * port (":5060"), which every such tool prints.
 */
const addressEnd = (buf: Buffer, p: number, le: number): number => {
  let e = p;
  while (e < le && ADDRESS_BYTE[buf[e] ?? 0] === 1) e++;
  let d = e;
  while (d > p && (buf[d - 1] ?? 0) >= 0x30 && (buf[d - 1] ?? 0) <= 0x39) d--;
  return d < e && d > p + 1 && buf[d - 1] === 0x3a ? e : p;
};

/** Where the two ends of a "SRC -> DST" lie (a reader's own record, refilled by each line it reads). */
export interface ArrowEnds {
  srcStart: number;
  srcEnd: number;
  dstStart: number;
  dstEnd: number;
}

const ARROW = ' -> ';

/**
 * Whether buf[p, le) is "SRC -> DST" and then only white space, the two addresses as SIP tools print them (sngrep,
 * baresip); fills `into` when it is.
 */
export const readArrowEnds = (buf: Buffer, p: number, le: number, into: ArrowEnds): boolean => {
  const srcEnd = addressEnd(buf, p, le);
  if (srcEnd === p || !startsWith(buf, srcEnd, le, ARROW)) return false;
  const dstStart = srcEnd + ARROW.length;
  const dstEnd = addressEnd(buf, dstStart, le);
  if (dstEnd === dstStart || !allSpace(buf, dstEnd, le)) return false;
  into.srcStart = p;
  into.srcEnd = srcEnd;
  into.dstStart = dstStart;
  into.dstEnd = dstEnd;
  return true;
};

/** transportNamed(buf.toString('latin1', a, b)), without the string for ASCII names. */
export const transportAt = (buf: Buffer, a: number, b: number): Transport => {
  for (const [name, transport] of TRANSPORT_NAMES) {
    if (name.length !== b - a) continue;
    let k = 0;
    while (k < name.length) {
      const c = buf[a + k] ?? 0;
      if ((c >= 0x61 && c <= 0x7a ? c - 0x20 : c) !== name[k]) break;
      k++;
    }
    if (k === name.length) return transport;
  }
  for (let k = a; k < b; k++) {
    // toUpperCase maps some latin1 letters to ASCII ones ('ß' -> "SS"): let the string decide
    if ((buf[k] ?? 0) >= 0x80) return transportNamed(buf.toString('latin1', a, b));
  }
  return 'unknown';
};

/** The powers of ten a double holds exactly (5^22 < 2^53), for the division below; literals: Math.pow need not be exact. */
const POW10 = [
  1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20,
  1e21, 1e22,
];

/**
 * Number(buf.toString('latin1', a, b)) for a plain decimal `\d+(\.\d*)?` whose digits make an integer below 2^53
 * (the integer over a power of ten, both exact, divided once: the correctly rounded value, as Number gives);
 * the string path for anything else.
 */
export const decimalAt = (buf: Buffer, a: number, b: number): number => {
  let v = 0;
  let digits = 0;
  let fraction = -1;
  for (let k = a; k < b; k++) {
    const c = buf[k] ?? 0;
    if (c >= 0x30 && c <= 0x39) {
      v = v * 10 + (c - 0x30);
      digits++;
      if (fraction >= 0) fraction++;
    } else if (c === 0x2e && fraction < 0 && digits > 0) {
      fraction = 0;
    } else {
      return Number(buf.toString('latin1', a, b));
    }
  }
  // Digits that fit a double exactly (every step below 2^53 when the last is) and an exact power of ten: the
  // quotient of two exact doubles is rounded once, as Number() rounds the decimal. A sipdump `time:` has 16 digits.
  if (digits === 0 || v > Number.MAX_SAFE_INTEGER || fraction >= POW10.length)
    return Number(buf.toString('latin1', a, b));
  return fraction > 0 ? v / (POW10[fraction] ?? 1) : v;
};

/** The value of a hex digit byte (0-9, a-f, A-F), or -1 (hex dumps: tcpdump -x, ngrep -x). */
export const hexDigitValue = (c: number): number => {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
};

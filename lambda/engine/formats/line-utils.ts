/** Small helpers the format readers share. */

const LF = 0x0a;
const CR = 0x0d;

/** The line [ls, lf) as a string without its CR. */
export const lineText = (buf: Buffer, ls: number, lf: number): string => {
  const e = lf > ls && buf[lf - 1] === CR ? lf - 1 : lf;
  return buf.toString('latin1', ls, e);
};

/** Offset of the LF ending the line that starts at `ls`, or -1 when it is not in [ls, end). */
export const lineEndAt = (buf: Buffer, ls: number, end: number): number => {
  const lf = buf.indexOf(LF, ls);
  return lf < 0 || lf >= end ? -1 : lf;
};

/** Whether buf[ls..] starts with `lit` (ASCII). */
export const startsWith = (buf: Buffer, ls: number, end: number, lit: string): boolean => {
  if (end - ls < lit.length) return false;
  for (let i = 0; i < lit.length; i++) if (buf[ls + i] !== lit.charCodeAt(i)) return false;
  return true;
};

/** Whether every byte of [ls, le) is `byte` and there are at least `min` of them. */
export const isRunOf = (buf: Buffer, ls: number, le: number, byte: number, min: number): boolean => {
  let e = le;
  while (e > ls && (buf[e - 1] === CR || buf[e - 1] === 0x20)) e--;
  if (e - ls < min) return false;
  for (let i = ls; i < e; i++) if (buf[i] !== byte) return false;
  return true;
};

/** Minute starts already computed, keyed by "YYYY-MM-DD hh:mm": logs repeat the same minute. */
const minuteCache = new Map<string, number>();
/** The fast path's last minute, as the number YYYYMMDDhhmm, and its start in UTC ms. */
let lastMinuteKey = -1;
let lastMinuteBase = 0;
const DATE_TIME = /(\d{4})[-/](\d{2})[-/](\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?/;

const digitsAt = (s: string, i: number, n: number): number => {
  let v = 0;
  for (let k = i; k < i + n; k++) {
    const c = s.charCodeAt(k) - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
};

/** Fast path without a regex for "YYYY-MM-DD hh:mm:ss[.frac]" starting exactly at `i`. */
const parseDateTimeAt = (s: string, i: number): number | undefined => {
  if (i < 0 || s.length < i + 19 || s[i + 4] !== '-' || s[i + 7] !== '-' || s[i + 13] !== ':' || s[i + 16] !== ':')
    return undefined;
  const sep = s[i + 10];
  if (sep !== ' ' && sep !== 'T') return undefined;
  const [y, mo, d, h, mi, sec] = [
    digitsAt(s, i, 4),
    digitsAt(s, i + 5, 2),
    digitsAt(s, i + 8, 2),
    digitsAt(s, i + 11, 2),
    digitsAt(s, i + 14, 2),
    digitsAt(s, i + 17, 2),
  ];
  if (y < 0 || mo < 1 || d < 1 || h < 0 || mi < 0 || sec < 0) return undefined;
  // consecutive lines mostly share their minute: compare numbers, no key string per line
  const minuteKey = (((y * 100 + mo) * 100 + d) * 100 + h) * 100 + mi;
  let base: number;
  if (minuteKey === lastMinuteKey) {
    base = lastMinuteBase;
  } else {
    base = Date.UTC(y, mo - 1, d, h, mi);
    if (!Number.isFinite(base)) return undefined;
    lastMinuteKey = minuteKey;
    lastMinuteBase = base;
  }
  let ms = 0;
  if (s[i + 19] === '.' || s[i + 19] === ',') {
    let k = i + 20;
    let scale = 100;
    while (k < s.length && scale >= 1) {
      const c = s.charCodeAt(k) - 48;
      if (c < 0 || c > 9) break;
      ms += c * scale;
      scale /= 10;
      k++;
    }
  }
  return base + sec * 1000 + Math.floor(ms);
};

/** "YYYY-MM-DD hh:mm:ss[.frac]" (or with '/' or 'T') anywhere in `s`, as UTC milliseconds. */
export const findDateTime = (s: string): number | undefined => {
  const fast = parseDateTimeAt(s, s.indexOf('-', 4) - 4);
  if (fast !== undefined) return fast;
  const m = DATE_TIME.exec(s);
  if (!m) return undefined;
  const key = `${m[1]}-${m[2]}-${m[3]} ${m[4]}:${m[5]}`;
  let base = minuteCache.get(key);
  if (base === undefined) {
    base = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]));
    if (!Number.isFinite(base)) return undefined;
    if (minuteCache.size > 10_000) minuteCache.clear();
    minuteCache.set(key, base);
  }
  const frac = m[7] ? Math.floor(Number(`0.${m[7]}`) * 1000) : 0;
  return base + Number(m[6]) * 1000 + frac;
};

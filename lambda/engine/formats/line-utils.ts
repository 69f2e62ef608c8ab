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
const DATE_TIME = /(\d{4})[-/](\d{2})[-/](\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?/;

/** "YYYY-MM-DD hh:mm:ss[.frac]" (or with '/' or 'T') anywhere in `s`, as UTC milliseconds. */
export const findDateTime = (s: string): number | undefined => {
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
  const frac = m[7] ? Math.round(Number(`0.${m[7]}`) * 1000) : 0;
  return base + Number(m[6]) * 1000 + frac;
};

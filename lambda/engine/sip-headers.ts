/**
 * Header-name recognition on raw bytes, case-insensitive, with the compact forms of
 * RFC 3261 §7.3.3 (i = Call-ID, l = Content-Length, v = Via). Only the headers the counts need
 * are recognised; everything else is 0 and costs one byte comparison.
 */

/** Header ids returned by `headerId`. */
export const HEADER = { other: 0, callId: 1, cseq: 2, contentLength: 3, via: 4, date: 5 } as const;
export type HeaderId = (typeof HEADER)[keyof typeof HEADER];

const SP = 0x20;
const HT = 0x09;
const COLON = 0x3a;

const lower = (b: number | undefined): number => (b === undefined ? 0 : b | 0x20);

const NAMES: readonly (readonly [string, HeaderId])[] = [
  ['call-id', HEADER.callId],
  ['i', HEADER.callId],
  ['cseq', HEADER.cseq],
  ['content-length', HEADER.contentLength],
  ['l', HEADER.contentLength],
  ['via', HEADER.via],
  ['v', HEADER.via],
  ['date', HEADER.date],
];
const NAME_BYTES = NAMES.map(([n, id]) => [Buffer.from(n, 'latin1'), id] as const);

/** First letters (lower-cased) of the names above; a cheap filter for the common case. */
const FIRST = new Uint8Array(256);
for (const [n] of NAMES) {
  const c = n.charCodeAt(0);
  FIRST[c] = 1;
  FIRST[c & ~0x20] = 1;
}

/**
 * Identifies the header field on the line [ls, ce): name, optional whitespace, colon
 * (RFC 3261 §7.3.1 allows whitespace before the colon).
 */
export const headerId = (buf: Buffer, ls: number, ce: number): HeaderId => {
  if (FIRST[buf[ls] ?? 0] !== 1) return HEADER.other;
  // the name ends at the colon or at whitespace before it
  let ne = ls;
  while (ne < ce) {
    const c = buf[ne];
    if (c === COLON || c === SP || c === HT) break;
    ne++;
  }
  if (ne >= ce) return HEADER.other;
  let k = ne;
  while (k < ce && (buf[k] === SP || buf[k] === HT)) k++;
  if (buf[k] !== COLON) return HEADER.other;
  const len = ne - ls;
  for (const [name, id] of NAME_BYTES) {
    if (name.length !== len) continue;
    let ok = true;
    for (let i = 0; i < len; i++) {
      if (lower(buf[ls + i]) !== name[i]) {
        ok = false;
        break;
      }
    }
    if (ok) return id;
  }
  return HEADER.other;
};

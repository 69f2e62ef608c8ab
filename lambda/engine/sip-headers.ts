/**
 * Header-name recognition on raw bytes, case-insensitive, with the compact forms of
 * RFC 3261 §7.3.3 (i = Call-ID, l = Content-Length, v = Via). Only the headers the counts need
 * are recognised; everything else is 0 and costs one byte comparison.
 */

/** Header ids returned by `headerAt`. */
export const HEADER = { other: 0, callId: 1, cseq: 2, contentLength: 3, via: 4, date: 5, contentType: 6 } as const;
export type HeaderId = (typeof HEADER)[keyof typeof HEADER];

const SP = 0x20;
const HT = 0x09;
const COLON = 0x3a;

/** The names headerAt recognises, lower case, long and compact (the tests' reference walks this table). */
export const HEADER_NAMES: readonly (readonly [string, HeaderId])[] = [
  ['call-id', HEADER.callId],
  ['i', HEADER.callId],
  ['cseq', HEADER.cseq],
  ['content-length', HEADER.contentLength],
  ['l', HEADER.contentLength],
  ['via', HEADER.via],
  ['v', HEADER.via],
  ['date', HEADER.date],
  ['content-type', HEADER.contentType],
  ['c', HEADER.contentType],
];

/** First letters (lower-cased) of the names above; a cheap filter for the common case. */
const FIRST = new Uint8Array(256);
for (const [n] of HEADER_NAMES) {
  const c = n.charCodeAt(0);
  FIRST[c] = 1;
  FIRST[c & ~0x20] = 1;
}

/**
 * Where the colon of the last line `headerAt` recognised lies (set only when it returns an id other than
 * HEADER.other): the caller reads the value after it without searching for it again.
 */
export let headerColon = -1;

/** The rest of each long name after its first letter, as bytes (a string's charCodeAt cost more per line). */
const IA = Buffer.from('ia', 'latin1');
const SEQ = Buffer.from('seq', 'latin1');
const ATE = Buffer.from('ate', 'latin1');
const ALL_ID = Buffer.from('all-id', 'latin1');
const ONTENT_LENGTH = Buffer.from('ontent-length', 'latin1');
const ONTENT_TYPE = Buffer.from('ontent-type', 'latin1');

/** Whether buf[at, at + rest.length) is `rest` with each byte folded as `byte | 0x20`. */
const foldedIs = (buf: Buffer, at: number, rest: Buffer): boolean => {
  for (let i = 0; i < rest.length; i++) if (((buf[at + i] ?? 0) | 0x20) !== rest[i]) return false;
  return true;
};

/**
 * Identifies the header field on the line [ls, ce): name, optional whitespace, colon (RFC 3261 §7.3.1 allows
 * whitespace before the colon), decided by a switch on the first byte and the name's length instead of a walk over
 * HEADER_NAMES (parseMessage asks about every header line), and leaving the colon in `headerColon`. Same verdict as
 * that walk on every line, byte folding included (test/unit/engine/header-at.test.ts keeps the walk as its reference).
 */
export const headerAt = (buf: Buffer, ls: number, ce: number): HeaderId => {
  // FIRST holds letters only, so `first` is the lower-case letter: c(all-id, seq, ontent-length, ontent-type), i, l,
  // v(ia), d(ate)
  if (FIRST[buf[ls] ?? 0] !== 1) return HEADER.other;
  const first = (buf[ls] ?? 0) | 0x20;
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
  let id: HeaderId = HEADER.other;
  switch (ne - ls) {
    case 1:
      id =
        first === 0x69
          ? HEADER.callId
          : first === 0x6c
            ? HEADER.contentLength
            : first === 0x76
              ? HEADER.via
              : first === 0x63
                ? HEADER.contentType
                : 0;
      break;
    case 3:
      if (first === 0x76 && foldedIs(buf, ls + 1, IA)) id = HEADER.via;
      break;
    case 4:
      if (first === 0x63 && foldedIs(buf, ls + 1, SEQ)) id = HEADER.cseq;
      else if (first === 0x64 && foldedIs(buf, ls + 1, ATE)) id = HEADER.date;
      break;
    case 7:
      if (first === 0x63 && foldedIs(buf, ls + 1, ALL_ID)) id = HEADER.callId;
      break;
    case 12:
      if (first === 0x63 && foldedIs(buf, ls + 1, ONTENT_TYPE)) id = HEADER.contentType;
      break;
    case 14:
      if (first === 0x63 && foldedIs(buf, ls + 1, ONTENT_LENGTH)) id = HEADER.contentLength;
      break;
  }
  if (id !== HEADER.other) headerColon = k;
  return id;
};

const APPLICATION_SDP = Buffer.from('application/sdp', 'latin1');

/**
 * Whether a Content-Type value [vs, ve) names SDP (RFC 4566's `application/sdp`, any case, parameters after it): a body
 * of `x=value` lines that never holds a SIP start line.
 */
export const isSdpType = (buf: Buffer, vs: number, ve: number): boolean => {
  if (ve - vs < APPLICATION_SDP.length || !foldedIs(buf, vs, APPLICATION_SDP)) return false;
  const after = buf[vs + APPLICATION_SDP.length];
  return vs + APPLICATION_SDP.length === ve || after === 0x3b || after === SP || after === HT;
};

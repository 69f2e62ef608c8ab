import { firstLane, lanesOf, matchingLanes, sourceView } from './byte-words.js';
import { methodIds } from './method-ids.js';
import { HEADER, headerAt, headerColon, isSdpType } from './sip-headers.js';
import { transportNamed } from './transport.js';
import type { AnomalyKind, MessageBytes, PayloadMeta, SipMessage, Transport } from './types.js';

/**
 * Parses ONE SIP message that starts at a given offset of a buffer: start line, header fields,
 * and a body framed by Content-Length (RFC 3261 §7.5, §18.3, §20.14). Works on bytes; only the
 * few values the counts need become strings.
 */

const LF = 0x0a;
const CR = 0x0d;
/** A body's last line end (CRLF), which a logger that trims its entries drops: its absence cuts nothing. */
const TRIMMED_LINE_END_BYTES = 2;
const DOT = 0x2e;
const SP = 0x20;
const HT = 0x09;
const COLON = 0x3a;
const SEMICOLON = 0x3b;
const COMMA = 0x2c;
const EQUALS = 0x3d;

/** A header section larger than this is not a SIP message we can trust (RFC 3261 sets no limit; 64 KiB is far above real ones). */
export const MAX_HEADER_BYTES = 64 * 1024;

/** How a log renders line ends. */
export interface LineStyle {
  /** ngrep prints CR as '.', so "\r\n" arrives as ".\n". */
  readonly dotCR: boolean;
}

/** Tells whether a line is a log-format header; a body never runs across one in a delimited log. */
export type LineFence = (buf: Buffer, lineStart: number, lineEnd: number) => boolean;

export interface ParseOptions extends LineStyle {
  /**
   * true: [start, limit) is everything there is of this message (a datagram, a log block, or the
   * end of input); a cut message is reported, not waited for.
   * false: a stream; return 'incomplete' to wait for more bytes.
   */
  readonly complete: boolean;
  /** Optional: stop a body at a line the log format itself wrote. */
  readonly fence?: LineFence;
  /**
   * How the identifying header values are handed on (slicing strings was the costliest part of parsing):
   * 'bytes': as offsets into `buf` (SipMessage.bytes) in one record reused for every message, valid only until
   * the next parse; 'full': as strings (Call-ID, top Via, Date) in a fresh message; 'call-id': the Call-ID string
   * only; 'none': no strings.
   * @default 'bytes'
   */
  readonly identity?: Identity;
  /**
   * Where a message starting here must have ended (the caller's message size limit). A body that
   * Content-Length carries past it, or past the end of input, is cut at the first start line
   * inside it (see 'resync'). Only with `fence` (text logs).
   */
  readonly maxEnd?: number;
}

/** ParseOptions a caller refills per parse (its own object, so no literal is made per message). */
export type MutableParseOptions = { -readonly [K in keyof Required<ParseOptions>]: ParseOptions[K] };

/**
 * A caller's options object, every field present and in one order: the scanner, the framer and the capture decoder
 * each keep one, and objects of one shape keep parseMessage's reads of them monomorphic (three shapes had made its
 * reads polymorphic, and the first message a new shape brought threw away its optimised code).
 */
export const parseOptions = (o: ParseOptions): MutableParseOptions => ({
  dotCR: o.dotCR,
  complete: o.complete,
  fence: o.fence,
  identity: o.identity,
  maxEnd: o.maxEnd,
});

/** How a message's identity is handed on (see ParseOptions.identity). */
export type Identity = 'none' | 'call-id' | 'full' | 'bytes';

/** The identity a message needs for retransmission detection, given where it was seen. */
export const identityFor = (_meta: PayloadMeta): Identity =>
  // The RFC 6076 KPIs (kpis.ts) key every INVITE transaction by Call-ID, CSeq and top Via branch,
  // whatever the transport, so every message needs its full identity: as bytes, which the
  // retransmission and transaction tables read without a string (identity-key.ts).
  'bytes';

/**
 * The message record of the 'bytes' identity: one object, refilled by every parse (and by the pipeline's replay,
 * lambda/engine/pipeline/replay-events.ts). Whoever receives one may read it only during the call it is handed to.
 */
export class MessageRecord implements SipMessage, MessageBytes {
  kind: 'request' | 'response' = 'request';
  method: string | undefined = undefined;
  statusCode: number | undefined = undefined;
  cseqNumber: number | undefined = undefined;
  cseqMethod: string | undefined = undefined;
  /** The numbers of method and cseqMethod (method-ids.ts), -1 when not numbered (a replayed message). */
  methodId = -1;
  cseqMethodId = -1;
  readonly bytes: MessageBytes = this;
  buf: Buffer = EMPTY_BUFFER;
  callIdStart = -1;
  callIdEnd = -1;
  viaStart = -1;
  viaEnd = -1;
  dateStart = -1;
  dateEnd = -1;
  /**
   * The branch of the top Via, looked for on the first ask after the Via changed (`viaChanged`): only the KPIs'
   * transaction keys and the two-core pipeline read it, so a message no one asks about costs no search (a third of
   * a mixed log's messages, every message with the KPIs off).
   */
  private branchAt = -1;
  private branchTo = -1;
  private branchKnown = true;
  /** The top Via's transport, read from its bytes on the first ask after it changed (the counter asks only when the log names none). */
  private transport: Transport | undefined = undefined;
  private transportKnown = true;

  get viaTransport(): Transport | undefined {
    if (!this.transportKnown) {
      this.transport = this.viaStart < 0 ? undefined : viaTransport(this.buf, this.viaStart, this.viaEnd);
      this.transportKnown = true;
    }
    return this.transport;
  }

  set viaTransport(t: Transport | undefined) {
    this.transport = t;
    this.transportKnown = true;
  }

  get branchStart(): number {
    if (!this.branchKnown) findBranch(this.buf, this.viaStart, this.viaEnd, this);
    return this.branchAt;
  }

  get branchEnd(): number {
    if (!this.branchKnown) findBranch(this.buf, this.viaStart, this.viaEnd, this);
    return this.branchTo;
  }

  /** buf, viaStart and viaEnd name another Via now (or none): its transport and branch are looked for when asked. */
  viaChanged(): void {
    this.branchKnown = false;
    this.transportKnown = false;
  }

  /** Where the branch lies ([-1, -1) when the Via has none). */
  setBranch(start: number, end: number): void {
    this.branchAt = start;
    this.branchTo = end;
    this.branchKnown = true;
  }
}

const EMPTY_BUFFER = Buffer.alloc(0);
/**
 * Shared by every parse in 'bytes' mode: consumers run synchronously and keep nothing of a message (the text
 * scanner reuses its buffer anyway), so one record serves them all and no object is made per message.
 */
const RECORD = new MessageRecord();

const EQUALS_LANES = lanesOf(EQUALS);
/** The bytes that end a Via parameter's value: ';' next parameter, ',' next Via value, space, tab. */
const PARAM_END = ((): Uint8Array => {
  const t = new Uint8Array(256);
  for (const c of [SEMICOLON, COMMA, SP, HT]) t[c] = 1;
  return t;
})();
const SEMICOLON_LANES = lanesOf(SEMICOLON);
const COMMA_LANES = lanesOf(COMMA);
const SP_LANES = lanesOf(SP);
const HT_LANES = lanesOf(HT);
/** `bran` and `ch` as little-endian words in lower case (a byte | 0x20 is a small letter only for its two cases). */
const BRAN = 0x6e617262;
const CH = 0x6863;
const LOWER_4 = 0x20202020;
const LOWER_2 = 0x2020;
/** Bytes of `branch` before its '='. */
const BRANCH_NAME_LENGTH = 6;

/**
 * Locates the branch parameter of a Via value buf[a, b) (RFC 3261 §20.42) into `into`: the first `branch=` in any
 * case, up to the next ';', ',', space or tab; [-1, -1) when there is none (RFC 2543 peers).
 *
 * Every INVITE, BYE and REGISTER message is asked (the KPIs' transaction key), so it reads four bytes at a time
 * (byte-words.ts): each '=' in turn, checked for `branch` before it, then the value's end. In a loop over the bench
 * trace's Vias ~40 ns a Via; byte by byte ~150, a Horspool search over bytes ~68 (in a whole scan ~1 % of its time,
 * less than the host's noise: docs/performance.md, twenty-second session).
 */
const findBranch = (buf: Buffer, a: number, b: number, into: MessageRecord): void => {
  const view = sourceView(buf);
  // a match's '=' lies at least six bytes into the value
  let p = a + BRANCH_NAME_LENGTH;
  while (p < b) {
    const eq = nextEquals(buf, view, p, b);
    if (eq < 0) break;
    if (
      (view.getInt32(eq - BRANCH_NAME_LENGTH, true) | LOWER_4) === BRAN &&
      (view.getUint16(eq - 2, true) | LOWER_2) === CH
    ) {
      into.setBranch(eq + 1, paramEnd(buf, view, eq + 1, b));
      return;
    }
    p = eq + 1;
  }
  into.setBranch(-1, -1);
};

/** The first '=' in buf[p, b), or -1. */
const nextEquals = (buf: Buffer, view: DataView, p: number, b: number): number => {
  let i = p;
  for (; i + 4 <= b; i += 4) {
    const m = matchingLanes(view.getInt32(i, true), EQUALS_LANES);
    if (m !== 0) return i + firstLane(m);
  }
  for (; i < b; i++) if (buf[i] === EQUALS) return i;
  return -1;
};

/** Where the parameter value starting at p ends: its first ';', ',', space or tab, or b. */
const paramEnd = (buf: Buffer, view: DataView, p: number, b: number): number => {
  let i = p;
  for (; i + 4 <= b; i += 4) {
    const w = view.getInt32(i, true);
    const m =
      matchingLanes(w, SEMICOLON_LANES) |
      matchingLanes(w, COMMA_LANES) |
      matchingLanes(w, SP_LANES) |
      matchingLanes(w, HT_LANES);
    if (m !== 0) return i + firstLane(m);
  }
  while (i < b && PARAM_END[buf[i] ?? 0] === 0) i++;
  return i;
};

/** The record identityBytes fills from a message's strings (its own buffer grows as needed). */
const FROM_STRINGS = new MessageRecord();

/**
 * Where a message's Call-ID, top Via (and branch) and Date lie: its own `bytes`, or, for a message built with
 * strings (a test, a caller asking for 'full'), those strings written into a reused buffer. Valid until the next
 * call, like the parser's record.
 */
export const identityBytes = (msg: SipMessage): MessageBytes => {
  if (msg.bytes !== undefined) return msg.bytes;
  const r = FROM_STRINGS;
  const callId = msg.callId ?? '';
  const via = msg.topVia ?? '';
  const date = msg.date ?? '';
  const need = callId.length + via.length + date.length;
  if (r.buf.length < need) r.buf = Buffer.alloc(Math.max(need, 2 * r.buf.length, 256));
  // SipMessage strings are latin1 (one byte per char), as the parser slices them
  let at = 0;
  const put = (s: string | undefined): [number, number] => {
    if (s === undefined) return [-1, -1];
    const start = at;
    at += r.buf.write(s, at, 'latin1');
    return [start, at];
  };
  [r.callIdStart, r.callIdEnd] = put(msg.callId);
  [r.viaStart, r.viaEnd] = put(msg.topVia);
  [r.dateStart, r.dateEnd] = put(msg.date);
  findBranch(r.buf, r.viaStart, r.viaEnd, r);
  return r;
};

/**
 * What one parse found. The objects are shared, like the 'bytes' record: each parse refills and returns one of them
 * (an object per message was the parser's largest share of a scan's garbage), so read an outcome before the next
 * parse and keep nothing of it.
 */
export type ParseOutcome =
  | { readonly kind: 'message'; readonly msg: SipMessage; readonly end: number; readonly anomaly?: AnomalyKind }
  | { readonly kind: 'incomplete' }
  | { readonly kind: 'not-sip' }
  /** Start lines with not one header line after them, up to `end` (text logs): no message starts before it. */
  | { readonly kind: 'headerless'; readonly end: number }
  | { readonly kind: 'bad-start-line'; readonly end: number; readonly anomaly: AnomalyKind };

const INCOMPLETE: ParseOutcome = { kind: 'incomplete' };
const NOT_SIP: ParseOutcome = { kind: 'not-sip' };
const HEADERLESS: { kind: 'headerless'; end: number } = { kind: 'headerless', end: 0 };
const BAD_START_LINE: { kind: 'bad-start-line'; end: number; anomaly: AnomalyKind } = {
  kind: 'bad-start-line',
  end: 0,
  anomaly: 'truncated-status-line',
};
const MESSAGE: { kind: 'message'; msg: SipMessage; end: number; anomaly: AnomalyKind | undefined } = {
  kind: 'message',
  msg: RECORD,
  end: 0,
  anomaly: undefined,
};

/** The shared 'message' outcome, refilled. */
const message = (msg: SipMessage, end: number, anomaly?: AnomalyKind): ParseOutcome => {
  MESSAGE.msg = msg;
  MESSAGE.end = end;
  MESSAGE.anomaly = anomaly;
  return MESSAGE;
};

/** Offset just past the line's content, dropping a CR (or ngrep's '.') before the LF. */
export const lineContentEnd = (buf: Buffer, lineStart: number, lf: number, dotCR: boolean): number => {
  if (lf > lineStart) {
    const last = buf[lf - 1];
    if (last === CR || (dotCR && last === DOT)) return lf - 1;
  }
  return lf;
};

/** Whether the line from `ls` to `lf` (its LF, or where the bytes end) is a SIP start line. */
export const isStartLine = (buf: Buffer, ls: number, lf: number, dotCR: boolean): boolean =>
  startLineKind(buf, ls, lineContentEnd(buf, ls, lf, dotCR)) !== null;

const isDigit = (b: number | undefined): boolean => b !== undefined && b >= 0x30 && b <= 0x39;

/** RFC 3261 §25.1 token characters (the ones a method name can hold). */
const TOKEN = new Uint8Array(256);
for (const c of "-.!%*_+`'~") TOKEN[c.charCodeAt(0)] = 1;
for (let b = 0x30; b <= 0x39; b++) TOKEN[b] = 1;
for (let b = 0x41; b <= 0x5a; b++) TOKEN[b] = 1;
for (let b = 0x61; b <= 0x7a; b++) TOKEN[b] = 1;

const SIP_VERSION = Buffer.from('SIP/2.0');

const startsWithAt = (buf: Buffer, at: number, end: number, lit: Buffer): boolean => {
  if (end - at < lit.length) return false;
  for (let i = 0; i < lit.length; i++) if (buf[at + i] !== lit[i]) return false;
  return true;
};

/** Kind of a start line, without parsing the rest of the message. */
export type StartLineKind = 'response' | 'request' | 'bad-status' | null;

/**
 * Classifies a line as a SIP start line. A status line is "SIP/2.0 " + 3 digits + SP;
 * "SIP/2.0 " followed by anything else is a cut or broken status line. A request line is
 * token SP URI SP "SIP/2.0".
 */
export const startLineKind = (buf: Buffer, ls: number, ce: number): StartLineKind => {
  if (startsWithAt(buf, ls, ce, SIP_VERSION) && buf[ls + 7] === SP) {
    const d = ls + 8;
    // the SP after the code is required even when the reason phrase is empty (RFC 3261 §7.2), as tshark requires it
    if (isDigit(buf[d]) && isDigit(buf[d + 1]) && isDigit(buf[d + 2]) && d + 3 < ce && buf[d + 3] === SP)
      return 'response';
    return 'bad-status';
  }
  // request: METHOD SP URI SP SIP/2.0
  let i = ls;
  while (i < ce && TOKEN[buf[i] ?? 0] === 1) i++;
  if (i === ls || i >= ce || buf[i] !== SP) return null;
  if (ce - ls < 12) return null;
  if (!startsWithAt(buf, ce - 7, ce, SIP_VERSION) || buf[ce - 8] !== SP) return null;
  // the URI needs a scheme ("sip:", "sips:", "tel:", ...) between the spaces
  const uriStart = i + 1;
  const uriEnd = ce - 8;
  if (uriEnd <= uriStart) return null;
  // one bounded walk: indexOf(COLON) would search past the line when the URI has none
  let colon = false;
  for (let j = uriStart; j < uriEnd; j++) {
    const c = buf[j];
    if (c === SP) return null;
    if (c === COLON) colon = true;
  }
  return colon ? 'request' : null;
};

/** Method tokens seen, as bytes and as the one string every message shares, with its number (method-ids.ts). */
const methodCache: { readonly bytes: Buffer; readonly text: string; readonly id: number }[] = [];
/** The number of the token internToken returned last. */
let lastTokenId = -1;
/** A log names a dozen methods; past this many distinct tokens the rest are sliced each time. */
const MAX_CACHED_METHODS = 64;
/**
 * Interns short method tokens so that millions of messages share a few strings. Looked up by
 * their bytes: two per message (request line and CSeq), so no string is made or hashed for a known one.
 */
const internToken = (buf: Buffer, a: number, b: number): string => {
  const len = b - a;
  for (const entry of methodCache) {
    const bytes = entry.bytes;
    if (bytes.length !== len) continue;
    let i = 0;
    while (i < len && buf[a + i] === bytes[i]) i++;
    if (i === len) {
      lastTokenId = entry.id;
      return entry.text;
    }
  }
  const text = buf.toString('latin1', a, b);
  lastTokenId = methodIds.of(text);
  if (methodCache.length < MAX_CACHED_METHODS)
    methodCache.push({ bytes: Buffer.from(text, 'latin1'), text, id: lastTokenId });
  return text;
};

/** packet-sip.c's MAX_CSEQ_METHOD_SIZE: a longer CSeq method (trailing white space included) is no method to tshark. */
const MAX_CSEQ_METHOD_BYTES = 16;

/** Digits a double holds exactly (below 2^53): a CSeq number of this many is wrapped with `>>> 0`. */
const EXACT_DIGITS = 15;
/** strtoul's ULONG_MAX on the 64-bit hosts tshark runs on: past it the number saturates there. */
const ULONG_MAX = (1n << 64n) - 1n;

/**
 * A CSeq number as tshark reads it (strtoul, then a guint32): an optional sign, then digits; no digits is 0, a minus
 * sign wraps (-5 is 4294967291), a number past 2^32 keeps its low 32 bits, and one past 2^64 - 1 saturates (so
 * 4294967295). Up to 15 digits, a double holds it exactly (the per-message path); longer ones take BigInt.
 */
const cseqNumberAt = (buf: Buffer, a: number, b: number): number => {
  let i = a;
  const sign = buf[i];
  if (sign === 0x2d || sign === 0x2b) i++;
  const start = i;
  let n = 0;
  for (; i < b && i - start < EXACT_DIGITS && isDigit(buf[i]); i++) n = n * 10 + ((buf[i] ?? 0x30) - 0x30);
  if (i < b && isDigit(buf[i])) return longCseqNumber(buf, start, b, sign === 0x2d);
  return (sign === 0x2d ? -n : n) >>> 0;
};

/** cseqNumberAt past 15 digits: strtoul's saturation and negation, in BigInt. */
const longCseqNumber = (buf: Buffer, start: number, b: number, negative: boolean): number => {
  let e = start;
  while (e < b && isDigit(buf[e])) e++;
  const v = BigInt(buf.toString('latin1', start, e));
  if (v > ULONG_MAX) return 0xffff_ffff;
  const u = negative ? ((1n << 64n) - v) & ULONG_MAX : v;
  return Number(u & 0xffff_ffffn);
};

const isAsciiLetter = (c: number): boolean => (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);

const parseUint = (buf: Buffer, a: number, b: number): number | undefined => {
  let n = 0;
  let digits = 0;
  for (let i = a; i < b; i++) {
    const c = buf[i] ?? 0;
    if (c < 0x30 || c > 0x39) break;
    n = n * 10 + (c - 0x30);
    digits++;
    if (digits > 15) return undefined;
  }
  return digits === 0 ? undefined : n;
};

const skipWs = (buf: Buffer, a: number, b: number): number => {
  let i = a;
  while (i < b && (buf[i] === SP || buf[i] === HT)) i++;
  return i;
};

const trimEnd = (buf: Buffer, a: number, b: number): number => {
  let e = b;
  while (e > a && (buf[e - 1] === SP || buf[e - 1] === HT)) e--;
  return e;
};

/**
 * Past linear white space (RFC 3261 §25.1 LWS: blanks, and a line end followed by blanks). With `dots`, a '.' too:
 * ngrep prints every byte it does not print as itself as '.', CR and TAB among them, so where the grammar wants
 * white space (a number before a method, a value after its colon) a '.' is one.
 */
const skipLws = (buf: Buffer, a: number, b: number, dots: boolean): number => {
  let i = a;
  for (; i < b; i++) {
    const c = buf[i];
    if (c === SP || c === HT || c === LF || c === CR || (dots && c === DOT)) continue;
    break;
  }
  return i;
};

/** A folded header value's range (see unfold), in two numbers rather than an object per folded header. */
let foldedStart = 0;
let foldedEnd = 0;

/**
 * RFC 3261 §7.3.1: a header's value goes on over the lines that follow it starting with a space or a tab (tshark and
 * Kamailio read it so; RFC 4475 tests it). Sets foldedStart/foldedEnd to the value across those lines: from [vs, ve)
 * of its first line (from the first byte of the next line when the first holds none) to the end of the last
 * continuation line, trailing blanks off. The line ends and indents between stay in the range: readers of a value
 * take them as white space. `lf` ends the header's first line.
 */
const unfold = (
  buf: Buffer,
  vs: number,
  ve: number,
  lf: number,
  limit: number,
  dotCR: boolean,
  fence: LineFence | undefined,
): void => {
  let start = vs < ve ? vs : -1;
  let end = ve;
  let e = lf;
  while (e + 1 < limit && (buf[e + 1] === SP || buf[e + 1] === HT)) {
    const ls = e + 1;
    let le = buf.indexOf(LF, ls);
    if (le < 0 || le >= limit) le = limit;
    // a log's own line that starts with a blank (a Kamailio record) ends the header section, as in the main loop
    if (fence?.(buf, ls, le)) break;
    const ce = lineContentEnd(buf, ls, le, dotCR);
    const s = skipWs(buf, ls, ce);
    if (s < ce) {
      if (start < 0) start = s;
      end = trimEnd(buf, s, ce);
    }
    e = le;
  }
  foldedStart = start < 0 ? vs : start;
  foldedEnd = start < 0 ? ve : end;
};

/** Transport tokens of a Via (RFC 3261 §20.42, RFC 7118 WS/WSS), upper-case, as transportNamed reads them. */
const VIA_TRANSPORTS: readonly (readonly [Buffer, Transport])[] = (
  ['UDP', 'TCP', 'TLS', 'SCTP', 'WS', 'WSS'] as const
).map((name) => [Buffer.from(name, 'latin1'), transportNamed(name)] as const);

/** Whether buf[a, b) is `upper` in any case (ASCII letters only: a token holds no others). */
const equalsIgnoreCase = (buf: Buffer, a: number, b: number, upper: Buffer): boolean => {
  if (b - a !== upper.length) return false;
  for (let i = 0; i < upper.length; i++) {
    const c = buf[a + i] ?? 0;
    if ((c >= 0x61 && c <= 0x7a ? c - 0x20 : c) !== upper[i]) return false;
  }
  return true;
};

/** "SIP/2.0/UDP host" -> 'udp' (RFC 3261 §20.42), read from the bytes (no string per message). */
const viaTransport = (buf: Buffer, a: number, b: number): Transport => {
  // bounded to the value: indexOf would search past it when a malformed Via has no slashes
  let slash2 = a;
  for (let seen = 0; slash2 < b; slash2++) if (buf[slash2] === 0x2f && ++seen === 2) break;
  if (slash2 >= b) return 'unknown';
  let e = slash2 + 1;
  while (e < b && TOKEN[buf[e] ?? 0] === 1) e++;
  for (const [name, transport] of VIA_TRANSPORTS) if (equalsIgnoreCase(buf, slash2 + 1, e, name)) return transport;
  return 'unknown';
};

/**
 * Where the header name ends when [ls, ce) starts as a header line (a token, optional white space, then ':'),
 * else -1. `beyondAscii`: bytes beyond ASCII count as name bytes too (a UTF-8 name, which tshark reads as one).
 */
export const headerNameEnd = (buf: Buffer, ls: number, ce: number, beyondAscii = false): number => {
  let i = ls;
  while (i < ce && (TOKEN[buf[i] ?? 0] === 1 || (beyondAscii && (buf[i] ?? 0) >= 0x80))) i++;
  if (i === ls) return -1;
  let c = i;
  while (c < ce && (buf[c] === SP || buf[c] === HT)) c++;
  return c < ce && buf[c] === COLON ? i : -1;
};

/**
 * What a message's header section said: refilled by each parse (one object for every parse, as the record is). With
 * the 'bytes' identity, Call-ID, top Via and Date are offsets into the parsed buffer instead of strings.
 */
class HeaderFields {
  callId: string | undefined = undefined;
  cseqNumber: number | undefined = undefined;
  cseqMethod: string | undefined = undefined;
  cseqMethodId = -1;
  contentLength: number | undefined = undefined;
  topVia: Transport | undefined = undefined;
  topViaValue: string | undefined = undefined;
  date: string | undefined = undefined;
  callIdStart = -1;
  callIdEnd = -1;
  viaStart = -1;
  viaEnd = -1;
  dateStart = -1;
  dateEnd = -1;
  /** The body is SDP (Content-Type): a start line inside it is the next message of a log that cut this one. */
  sdpBody = false;

  reset(): void {
    this.callId = undefined;
    this.cseqNumber = undefined;
    this.cseqMethod = undefined;
    this.cseqMethodId = -1;
    this.contentLength = undefined;
    this.topVia = undefined;
    this.topViaValue = undefined;
    this.date = undefined;
    this.callIdStart = -1;
    this.callIdEnd = -1;
    this.viaStart = -1;
    this.viaEnd = -1;
    this.dateStart = -1;
    this.dateEnd = -1;
    this.sdpBody = false;
  }
}

const FIELDS = new HeaderFields();

/**
 * Takes the value buf[vs, ve) of a header parseMessage reads (`id`, from headerAt) into `f`. `rawEnd`: the value's
 * end with its trailing white space, as tshark measures a CSeq method.
 */
const takeHeader = (
  f: HeaderFields,
  id: number,
  buf: Buffer,
  vs: number,
  ve: number,
  rawEnd: number,
  dotCR: boolean,
  identity: Identity,
): void => {
  switch (id) {
    case HEADER.callId:
      // the last one, as tshark keys its resends (dissect_sip_common keeps each Call-ID it meets): sipsak -U
      // sends REGISTERs holding two requests' headers, whose second Call-ID is the one a resend shares
      if (identity === 'bytes') {
        f.callIdStart = vs;
        f.callIdEnd = ve;
      } else if (identity === 'call-id' || identity === 'full') f.callId = buf.toString('latin1', vs, ve);
      break;
    case HEADER.cseq:
      if (f.cseqNumber === undefined) takeCseq(f, buf, vs, ve, rawEnd);
      break;
    case HEADER.contentLength: {
      // the last one counts, read as C's atoi reads it, as in tshark (dissect_sip_common overwrites it per header
      // line): a value that starts with no digit is 0; one too long to be a length is no length
      const at = dotCR ? skipLws(buf, vs, ve, true) : vs;
      f.contentLength = isDigit(buf[at]) ? parseUint(buf, at, ve) : 0;
      break;
    }
    case HEADER.via: // only the top one names the transport of this hop
      if (identity === 'bytes') {
        // its transport and branch are read from these bytes when asked (MessageRecord)
        if (f.viaStart < 0) {
          f.viaStart = vs;
          f.viaEnd = ve;
        }
      } else if (identity === 'full' && f.topVia === undefined) {
        f.topVia = viaTransport(buf, vs, ve);
        f.topViaValue = buf.toString('latin1', vs, ve);
      }
      break;
    case HEADER.contentType:
      f.sdpBody = isSdpType(buf, vs, ve);
      break;
    case HEADER.date:
      if (identity === 'bytes') {
        if (f.dateStart < 0) {
          f.dateStart = vs;
          f.dateEnd = ve;
        }
      } else if (f.date === undefined) f.date = buf.toString('latin1', vs, ve);
      break;
  }
};

/**
 * The first CSeq's value buf[vs, ve) into `f`: 1*DIGIT LWS Method (RFC 3261 §20.16), read as tshark reads it
 * (packet-sip.c): the number as C's strtoul would (none is 0, a sign wraps), the method from the first letter after
 * the leading digits to the value's end, so `CSeq: abc OPTIONS` (which Kamailio's sanity module answers and copies)
 * is method `abc OPTIONS` and `CSeq: -5 OPTIONS` method OPTIONS, as tshark files them and keys their resends.
 */
const takeCseq = (f: HeaderFields, buf: Buffer, vs: number, ve: number, rawEnd: number): void => {
  // a '.' around the number is ngrep's TAB (in every dump mode): no CSeq holds one there
  const at = skipLws(buf, vs, ve, true);
  f.cseqNumber = cseqNumberAt(buf, at, ve);
  let m = at;
  while (m < ve && isDigit(buf[m])) m++;
  while (m < ve && !isAsciiLetter(buf[m] ?? 0)) m++;
  let me = m;
  while (me < ve && TOKEN[buf[me] ?? 0] === 1) me++;
  // past white space, more of the value (tshark's method runs to the value's end, trailing white space left out
  // here: a JSON key of "OPTIONS   " helps nobody)
  if (me < ve) me = trimEnd(buf, m, ve);
  // tshark gives up on a method longer than 16 bytes counted to the line's end (MAX_CSEQ_METHOD_SIZE): no method,
  // and so no resend verdict
  if (me > m && rawEnd - m <= MAX_CSEQ_METHOD_BYTES) {
    f.cseqMethod = internToken(buf, m, me);
    f.cseqMethodId = lastTokenId;
  }
};

/** The message parseMessage hands on: the shared record ('bytes' identity) refilled, else an object of strings. */
const messageOf = (
  f: HeaderFields,
  kind: 'response' | 'request',
  method: string | undefined,
  methodId: number,
  statusCode: number | undefined,
  buf: Buffer,
  identity: Identity,
): SipMessage => {
  if (identity !== 'bytes') {
    return {
      kind,
      method,
      statusCode,
      cseqNumber: f.cseqNumber,
      cseqMethod: f.cseqMethod,
      callId: f.callId,
      viaTransport: f.topVia,
      topVia: f.topViaValue,
      date: f.date,
    };
  }
  const r = RECORD;
  r.kind = kind;
  r.method = method;
  r.methodId = methodId;
  r.statusCode = statusCode;
  r.cseqNumber = f.cseqNumber;
  r.cseqMethod = f.cseqMethod;
  r.cseqMethodId = f.cseqMethodId;
  r.buf = buf;
  r.callIdStart = f.callIdStart;
  r.callIdEnd = f.callIdEnd;
  r.viaStart = f.viaStart;
  r.viaEnd = f.viaEnd;
  r.viaChanged();
  r.dateStart = f.dateStart;
  r.dateEnd = f.dateEnd;
  return r;
};

/**
 * Parses the message whose start line begins at `start`. `limit` bounds what may be read.
 *
 * The outcome and, with `identity: 'bytes'`, its message record are objects this module reuses (no allocation per
 * message on the hot path): each call overwrites the last one's, and the record points into `buf`. Read what you need
 * before the next call, or copy it (the two-thread pipeline copies the record's bytes into its event batch).
 */
export const parseMessage = (buf: Buffer, start: number, limit: number, opts: ParseOptions): ParseOutcome => {
  const { dotCR, complete } = opts;
  const identity = opts.identity ?? 'bytes';
  let lf = buf.indexOf(LF, start);
  if (lf < 0 || lf >= limit) {
    if (!complete) return INCOMPLETE;
    lf = limit;
  }
  const slEnd = lineContentEnd(buf, start, lf, dotCR);
  const kind = startLineKind(buf, start, slEnd);
  if (kind === null) return NOT_SIP;
  if (kind === 'bad-status') {
    BAD_START_LINE.end = Math.min(lf + 1, limit);
    return BAD_START_LINE;
  }

  let method: string | undefined;
  let methodId = -1;
  let statusCode: number | undefined;
  if (kind === 'response') {
    statusCode = parseUint(buf, start + 8, start + 11);
  } else {
    let i = start;
    while (buf[i] !== SP) i++;
    method = internToken(buf, start, i);
    methodId = lastTokenId;
  }

  const f = FIELDS;
  f.reset();
  let bareLfLines = 0;
  let headerLines = 0;
  /** Whether a line after the start line is a header ("Name: value"), not another status line or text. */
  let named = false;
  if (lf < limit && slEnd === lf) bareLfLines++;

  let pos = lf + 1;
  let bodyStart = -1;
  let cutHeaders = false;
  let headersTooLarge = false;
  while (pos < limit) {
    let e = buf.indexOf(LF, pos);
    if (e < 0 || e >= limit) {
      if (!complete) return INCOMPLETE;
      e = limit;
    }
    const ce = lineContentEnd(buf, pos, e, dotCR);
    if (ce === pos) {
      bodyStart = Math.min(e + 1, limit);
      if (e < limit && ce === e) bareLfLines++;
      break;
    }
    if (opts.fence?.(buf, pos, e)) {
      cutHeaders = true;
      limit = pos;
      break;
    }
    headerLines++;
    if (e < limit && ce === e) bareLfLines++;
    const first = buf[pos] ?? 0;
    const id = first !== SP && first !== HT ? headerAt(buf, pos, ce) : HEADER.other;
    if (!named) named = id !== HEADER.other || (first !== SP && first !== HT && headerNameEnd(buf, pos, ce) >= 0);
    // a header name of token characters or bytes beyond ASCII (X-Café, which tshark reads as a header); a log
    // record's text ("<133>1 2026-12-07T12:17:32+05:30 vm ...") has '<' and white space before its first colon
    if (!named && opts.maxEnd !== undefined && headerNameEnd(buf, pos, ce, true) < 0) {
      // in a text log a message's first line after its start line is a header: a status line followed by text is
      // one quoted in a body whose message the log does not frame (a sipfrag NOTIFY in a syslog format not read:
      // the next record's text, then a header of a later message, made it a response); read on from that line
      HEADERLESS.end = pos;
      return HEADERLESS;
    }
    if (id !== HEADER.other) {
      // headerAt found the colon (the first of the line: the name before it holds none)
      const vs = skipWs(buf, headerColon + 1, ce);
      const ve = trimEnd(buf, vs, ce);
      const next = buf[e + 1];
      if ((next === SP || next === HT) && e + 1 < limit) {
        unfold(buf, vs, ve, e, limit, dotCR, opts.fence);
        takeHeader(f, id, buf, foldedStart, foldedEnd, foldedEnd, dotCR, identity);
      } else takeHeader(f, id, buf, vs, ve, ce, dotCR, identity);
    }
    if (e - start > MAX_HEADER_BYTES) {
      // the same verdict whether or not more input may follow: a message cut after this line
      headersTooLarge = true;
      limit = e + 1;
      break;
    }
    pos = e + 1;
  }

  // A start line without a single header line in a text log is a status line quoted in a body whose start the log
  // does not hold (a piece of a log cut inside a message/sipfrag body) or that a cut Content-Length left behind:
  // no SIP stack sends a message without headers (RFC 3261 §8.1.1). Decided once its header section is whole. No
  // start line up to where that section ends has a header line after it either, so the scan goes on from there (one
  // pass over a run of status lines, not one per line).
  if (!named && opts.maxEnd !== undefined && (bodyStart >= 0 || complete || cutHeaders || headersTooLarge)) {
    // (the blank line that ends the section is left to the scanner: blank lines are no unrecognised text)
    HEADERLESS.end = bodyStart >= 0 ? pos : limit;
    return HEADERLESS;
  }

  const msg = messageOf(f, kind, method, methodId, statusCode, buf, identity);
  const contentLength = f.contentLength;
  if (headersTooLarge) return message(msg, limit, 'message-too-large');
  if (bodyStart < 0) {
    // no blank line before the end of what we may read
    if (!complete) return INCOMPLETE;
    // A message with headers but no blank line: tshark still dissects it. Only call it cut when a
    // body was announced or the header section was interrupted, unless by the next log record after
    // `Content-Length: 0`: a logger that trims an entry's trailing line ends (journald, rsyslog) took the
    // blank line, nothing of the message
    const trimmedEnd = cutHeaders && contentLength === 0;
    const anomaly: AnomalyKind | undefined =
      (cutHeaders && !trimmedEnd) || (contentLength ?? 0) > 0 ? 'truncated-message' : undefined;
    return message(msg, limit, anomaly);
  }

  if (contentLength === undefined) {
    // RFC 3261 §18.3: over datagrams the body runs to the end of the packet. Over streams Content-Length is
    // mandatory; without it tshark runs the body to the end of the segment (the framer's `data` ends there), so a
    // message after it in the same segment is not counted. A text log (maxEnd set) is read like a stream even at
    // its end, with an empty body: "the end of input" is no packet boundary.
    return message(msg, opts.maxEnd === undefined ? limit : bodyStart);
  }
  if (contentLength === 0) return message(msg, bodyStart);

  // A log that rewrote CRLF as LF (headers end in bare LF) shortened each body line by one byte:
  // Content-Length still counts the CR, so walk the body counting a bare LF as two bytes.
  const lfConverted = bareLfLines > 0 && bareLfLines >= headerLines;
  if (!lfConverted && !opts.fence) {
    const bodyEnd = bodyStart + contentLength;
    if (bodyEnd <= limit) return message(msg, bodyEnd);
    if (!complete) return INCOMPLETE;
    return message(msg, limit, 'truncated-body');
  }
  return walkBody(msg, buf, bodyStart, contentLength, limit, opts, lfConverted, f.sdpBody);
};

/**
 * Where a body ends that a line walk must find (parseMessage, past its header section at `bodyStart`): one whose
 * bare LFs stand for CRLFs a log rewrote (`lfConverted`: each counts two bytes of Content-Length), or one in a text
 * log, where the next log record (a fence) or, in an SDP body, a start line can cut it short.
 *
 * A Content-Length that cannot be right (it runs past the message size limit, or past the end of input) ends the
 * body at the first start line inside it, and the log is read on from there. A sipfrag body with a status line whose
 * Content-Length fits is never cut.
 */
const walkBody = (
  msg: SipMessage,
  buf: Buffer,
  bodyStart: number,
  contentLength: number,
  limit: number,
  opts: ParseOptions,
  lfConverted: boolean,
  sdpBody: boolean,
): ParseOutcome => {
  const { dotCR, complete, maxEnd } = opts;
  const overlong = maxEnd !== undefined && bodyStart + contentLength > maxEnd;
  // firstStart is read only when the body is overlong or runs past `limit`: a body that fits (nearly every one)
  // ends where Content-Length says or at a fence, so its lines need no start-line test. (The walk consumes at
  // most one byte of `remaining` per byte it passes, so it ends before `limit` when bodyStart + contentLength fits.)
  const mayResync = maxEnd !== undefined && (overlong || bodyStart + contentLength > limit);
  let firstStart = -1;
  let remaining = contentLength;
  let p = bodyStart;
  while (remaining > 0) {
    if (firstStart >= 0 && overlong) return message(msg, firstStart, 'resync');
    if (p >= limit) {
      if (!complete) return INCOMPLETE;
      if (firstStart >= 0 && maxEnd !== undefined) return message(msg, firstStart, 'resync');
      return message(msg, limit, 'truncated-body');
    }
    let e = buf.indexOf(LF, p);
    if (e < 0 || e >= limit) {
      // a line cut by the end of what we have may turn out to be a log header (a fence) once it is
      // whole: decide on the whole line, or the verdict would depend on where the input was cut
      if (!complete) return INCOMPLETE;
      e = limit;
    }
    if (opts.fence?.(buf, p, e)) {
      // the next log record after a body that lacks only its last line end, which the logger trimmed (journald,
      // rsyslog): the body's bytes are all there
      const trimmed = remaining <= TRIMMED_LINE_END_BYTES && p > bodyStart && buf[p - 1] === LF;
      return message(msg, p, trimmed ? undefined : 'truncated-body');
    }
    // an SDP body's lines are `x=value`: a start line in it belongs to the next message, and this one was printed
    // shorter than its Content-Length (a program that logs only the first 8 KiB of a datagram, or cuts long messages)
    if (sdpBody && maxEnd !== undefined && buf[p + 1] !== EQUALS && isStartLine(buf, p, e, dotCR)) {
      return message(msg, p, 'resync');
    }
    const lineBytes = e - p;
    if (lineBytes >= remaining) return message(msg, p + remaining);
    if (firstStart < 0 && mayResync && isStartLine(buf, p, e, dotCR)) {
      firstStart = p;
    }
    remaining -= lineBytes;
    if (e >= limit) {
      p = limit;
      continue;
    }
    // the LF itself: one byte, or two if it stands for a CRLF the log dropped
    const lfWeight = lfConverted && (e === p || buf[e - 1] !== CR) ? 2 : 1;
    remaining -= lfWeight;
    p = e + 1;
  }
  return message(msg, p);
};

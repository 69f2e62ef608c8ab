import { CR, DOT, LF, shown } from './ascii-print.js';
import { ANY, NIBBLE, type Spec } from './header-spec.js';

/**
 * For each high nibble n and printed character c, whether one of the 16 bytes n0..nf prints as c (index n * 256 + c):
 * a table load per header byte instead of up to 16 tests (a packet's header is ~40 bytes, some of them nibbles).
 */
const NIBBLE_PRINTS = ((): Uint8Array => {
  const t = new Uint8Array(16 * 256);
  for (let v = 0; v < 256; v++) t[(v >> 4) * 256 + shown(v)] = 1;
  return t;
})();

/** Whether the printed character `c` can stand for a header byte of spec `s`. */
const accepts = (s: number, c: number): boolean => {
  if (s === ANY) return true;
  if (s <= NIBBLE) return NIBBLE_PRINTS[(NIBBLE - s) * 256 + c] === 1;
  return s === CR ? c === DOT : shown(s) === c;
};

/**
 * Number of characters the header bytes `spec` take in the printed data [ds, de), or -1 when no
 * reading fits. A header byte CR followed by LF prints as nothing, so each printed LF in the
 * header may stand for one or two bytes; with several readings the one with the fewest dropped
 * CRs wins (a CR byte right before a LF byte is the rare case).
 */
export const printedHeaderLength = (buf: Buffer, ds: number, de: number, spec: Spec): number => {
  const h = spec.length;
  const lf = buf.indexOf(LF, ds);
  if (lf < 0 || lf > ds + h || lf >= de) {
    // no LF among the header's characters (nor right after them): one character per byte
    if (de - ds < h) return -1;
    for (let i = 0; i < h; i++) if (!accepts(spec[i] ?? ANY, buf[ds + i] ?? 0)) return -1;
    return h;
  }
  return readingsWithLfs(buf, ds, de, spec);
};

/**
 * The walk of printedHeaderLength when a LF lies among the header's characters, as every packet to or from a 10/8
 * address has (its first byte, 0x0a, prints as a LF). A reading's state is its character offset * 2 + 1 when the
 * next character must be the LF of a dropped CR; the states of one step are a list, deduplicated by the step's stamp
 * in `seen`. Two Sets per header byte were 9 % of a `-A` text's scan and much of its garbage.
 */
const readingsWithLfs = (buf: Buffer, ds: number, de: number, spec: Spec): number => {
  const h = spec.length;
  // a state is at most 2 * h + 1 (offset h, or h - 1 with its LF to come)
  if (seen.length < 2 * h + 2) {
    seen = new Int32Array(2 * h + 2);
    states = new Int32Array(2 * h + 2);
    nextStates = new Int32Array(2 * h + 2);
    stamp = 0;
  }
  let current = states;
  let next = nextStates;
  current[0] = 0;
  let n = 1;
  for (let i = 0; i < h && n > 0; i++) {
    const s = spec[i] ?? ANY;
    const following = spec[i + 1];
    const canBeCr = s === ANY || s === CR;
    const crThenLf = s === CR && following === LF;
    const lfMayFollow = following === undefined || following === ANY || following === LF;
    if (++stamp === 0x7fff_ffff) {
      seen.fill(0);
      stamp = 1;
    }
    let m = 0;
    for (let k = 0; k < n; k++) {
      const st = current[k] ?? 0;
      const j = st >> 1;
      if (ds + j >= de) continue;
      const c = buf[ds + j] ?? 0;
      if ((st & 1) === 1) {
        if (c === LF && (s === ANY || s === LF)) m = addState(next, m, (j + 1) * 2);
        continue;
      }
      if (accepts(s, c) && !crThenLf) m = addState(next, m, (j + 1) * 2);
      // this byte is a CR that was dropped because a LF follows
      if (canBeCr && c === LF && lfMayFollow) m = addState(next, m, following === undefined ? j * 2 : j * 2 + 1);
    }
    const t = current;
    current = next;
    next = t;
    n = m;
  }
  let best = -1;
  for (let k = 0; k < n; k++) best = Math.max(best, (current[k] ?? 0) >> 1);
  return best;
};

/** The reused lists of readingsWithLfs: one step's states, the next step's, and the stamp each state last had. */
let states = new Int32Array(128);
let nextStates = new Int32Array(128);
let seen = new Int32Array(128);
let stamp = 0;

/** Appends `st` to the m states of `list` unless this step has it already; returns their number. */
const addState = (list: Int32Array, m: number, st: number): number => {
  if (seen[st] === stamp) return m;
  seen[st] = stamp;
  list[m] = st;
  return m + 1;
};

/**
 * The UDP payload size when the summary line does not print it (sip_print on port 5060 shows the
 * start line instead): of the sizes the printed payload can stand for (every LF a CRLF, none, or
 * the last one or two bytes a CR too), the one whose UDP length and IP length fields print as the
 * characters shown. Only when no header CR was dropped, so byte offsets are character offsets.
 */
export const udpLengthFromHeader = (
  buf: Buffer,
  ds: number,
  h: number,
  de: number,
  ipv6: boolean,
): number | undefined => {
  const ps = ds + h;
  let lfs = 0;
  for (let i = buf.indexOf(LF, ps); i >= 0 && i < de; i = buf.indexOf(LF, i + 1)) lfs++;
  const printed = de - ps;
  const shows = (at: number, v: number): boolean => accepts(v, buf[at] ?? 0);
  for (const n of [printed + lfs, printed, printed + lfs + 1, printed + lfs + 2]) {
    const ulen = n + 8;
    const ipLen = ipv6 ? ulen : h + n; // RFC 8200 payload length; RFC 791 total length
    const ipAt = ipv6 ? ds + 4 : ds + 2;
    if (
      shows(ps - 4, ulen >> 8) &&
      shows(ps - 3, ulen & 0xff) &&
      shows(ipAt, (ipLen >> 8) & 0xff) &&
      shows(ipAt + 1, ipLen & 0xff)
    ) {
      return n;
    }
  }
  return undefined;
};

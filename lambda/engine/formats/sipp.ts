import { type LogStamp, localStamp } from '../log-stamp.js';
import { transportNamed } from '../transport.js';
import { findDateTime, lineEndAt, lineText } from './line-utils.js';
import { type MatchContext, type MatchResult, NEED_MORE, type TextFormatReader } from './text-format.js';

/**
 * SIPp `-trace_msg` (the <scenario>_<pid>_messages.log file): each message is
 *   ----------------------------------------------- 2026-11-24 13:39:45.021904
 *   UDP message sent (515 bytes):
 *   <blank>
 *   <the message>
 * and received ones say "TCP message received [307] bytes :". The time is SIPp's local time (read in the file's zone).
 * SIPp names only the direction, not the peer, so addresses are "local" and "remote".
 */

const DIRECTION = /^(UDP|TCP|TLS|SCTP|WSS?) message (sent|received) (?:\(\d+ bytes\)|\[\d+\] bytes) ?:\s*$/;
const DASH = 0x2d;
const directionMatch = (line: string, stamp: LogStamp | undefined, next: number): MatchResult => {
  const d = DIRECTION.exec(line);
  if (!d) return null;
  const sent = d[2] === 'sent';
  return {
    kind: 'inline',
    format: 'sipp',
    meta: {
      stamp,
      src: sent ? 'local' : 'remote',
      dst: sent ? 'remote' : 'local',
      transport: transportNamed(d[1]),
    },
    next,
  };
};

const SEPARATOR = /^-{20,}(?: \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\S*)?\s*$/;

export const sippReader: TextFormatReader = {
  format: 'sipp',
  firstBytes: '-UTSW',
  isHeader: (buf, ls, lf) => {
    // byte checks first: the scanner asks this of every body and header line starting with U/T/S/W/-
    if (buf[ls] === DASH) return buf[ls + 19] === DASH && SEPARATOR.test(lineText(buf, ls, lf));
    const sp = buf[ls + 3] === 0x20 ? ls + 3 : buf[ls + 4] === 0x20 ? ls + 4 : -1;
    return sp > 0 && buf[sp + 1] === 0x6d /* m */ && DIRECTION.test(lineText(buf, ls, lf));
  },
  match(buf: Buffer, ls: number, lf: number, end: number, ctx: MatchContext): MatchResult {
    const first = buf[ls];
    if (first !== DASH) {
      if (!sippReader.isHeader(buf, ls, lf)) return null;
      return directionMatch(lineText(buf, ls, lf), undefined, Math.min(lf + 1, end));
    }
    if (buf[ls + 19] !== DASH) return null;
    // separator: a run of dashes, a space, then SIPp's timestamp
    const line = lineText(buf, ls, lf);
    if (!SEPARATOR.test(line)) return null;
    const stamp = localStamp(findDateTime(line));
    const dl = lf + 1;
    const dle = lineEndAt(buf, dl, end);
    if (dle < 0) return ctx.final ? { kind: 'skip', format: 'sipp', next: end } : NEED_MORE;
    const m = directionMatch(lineText(buf, dl, dle), stamp, dle + 1);
    return m ?? { kind: 'skip', format: 'sipp', next: dl };
  },
};

import { transportNamed } from '../transport.js';
import { isRunOf, lineEndAt, lineText, startsWith } from './line-utils.js';
import { type MatchContext, type MatchResult, NEED_MORE, type TextFormatReader } from './text-format.js';

/**
 * Kamailio `sipdump` module, text mode (modules/sipdump/sipdump_write.c): each message is
 *   ====================            (20 '=')
 *   tag: rcv|snd
 *   pid: / process: / time: <epoch.usec> / date: / proto: udp ipv4 / srcip: / srcport: / dstip: / dstport:
 *   ~~~~~~~~~~~~~~~~~~~~            (20 '~')
 *   <the SIP message as received or sent>
 *   ||||||||||||||||||||            (20 '|', appended right after the message)
 */

const EQ = 0x3d;
const TILDE = 0x7e;
const BAR = 0x7c;
/** The record header never holds more than a dozen short lines. */
const MAX_HEADER_LINES = 32;

/** The record fields the counts use; the others (tag, pid, date, ...) are not even sliced. */
const FIELDS = ['time', 'proto', 'srcip', 'srcport', 'dstip', 'dstport'] as const;
type Field = (typeof FIELDS)[number];

/** The field named by [ks, ke), compared as bytes (a dozen record lines per message). */
const fieldNamed = (buf: Buffer, ks: number, ke: number): Field | undefined => {
  for (const f of FIELDS) if (f.length === ke - ks && startsWith(buf, ks, ke, f)) return f;
  return undefined;
};

const bracket = (ip: string): string => (ip.includes(':') ? `[${ip}]` : ip);

export const sipdumpReader: TextFormatReader = {
  format: 'sipdump',
  firstBytes: '=|',
  isHeader: (buf, ls, lf) => isRunOf(buf, ls, lf, EQ, 20) || (lf - ls >= 20 && isRunOf(buf, ls, ls + 20, BAR, 20)),
  match(buf: Buffer, ls: number, lf: number, end: number, ctx: MatchContext): MatchResult {
    if (buf[ls] === BAR) {
      // the trailer may be glued after a body that did not end in CRLF, so only its start matters
      if (end - ls < 20) return ctx.final ? null : NEED_MORE;
      for (let i = 0; i < 20; i++) if (buf[ls + i] !== BAR) return null;
      return { kind: 'skip', format: 'sipdump', next: Math.min(lf + 1, end) };
    }
    if (!isRunOf(buf, ls, lf, EQ, 20)) return null;
    let time: string | undefined;
    let proto = '';
    let srcip: string | undefined;
    let srcport = '';
    let dstip: string | undefined;
    let dstport = '';
    let p = lf + 1;
    for (let n = 0; n < MAX_HEADER_LINES; n++) {
      const e = lineEndAt(buf, p, end);
      if (e < 0) return ctx.final ? null : NEED_MORE;
      if (buf[p] === TILDE && isRunOf(buf, p, e, TILDE, 20)) {
        const seconds = Number(time);
        return {
          kind: 'inline',
          format: 'sipdump',
          meta: {
            timeMs: Number.isFinite(seconds) && seconds > 0 ? Math.round(seconds * 1000) : undefined,
            src: srcip !== undefined ? `${bracket(srcip)}:${srcport}` : undefined,
            dst: dstip !== undefined ? `${bracket(dstip)}:${dstport}` : undefined,
            transport: transportNamed(proto),
          },
          next: e + 1,
        };
      }
      const colon = buf.indexOf(0x3a, p);
      if (colon <= p || colon >= e) return null;
      const field = fieldNamed(buf, p, colon);
      if (field !== undefined) {
        const value = lineText(buf, colon + 1, e).trim();
        if (field === 'time') time = value;
        else if (field === 'proto') proto = (value.split(' ')[0] ?? '').toLowerCase();
        else if (field === 'srcip') srcip = value;
        else if (field === 'srcport') srcport = value;
        else if (field === 'dstip') dstip = value;
        else dstport = value;
      }
      p = e + 1;
    }
    return null;
  },
};

import { payloadMeta } from '../payload-meta.js';
import { transportNamed } from '../transport.js';
import type { Transport } from '../types.js';
import { InternTable } from './intern-table.js';
import { decimalAt, transportAt, trimmedRange } from './line-bytes.js';
import { isRunOf, lineEndAt, startsWith } from './line-utils.js';
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

type Range = readonly [number, number];
/** A field the record did not have. */
const NONE: Range = [0, 0];
/** The ranges of the current record's fields (one record is read at a time: no object per record). */
const fields: Record<Field, Range> = {
  time: NONE,
  proto: NONE,
  srcip: NONE,
  srcport: NONE,
  dstip: NONE,
  dstport: NONE,
};

/** "ip:port" strings by the bytes of their ip and port values. */
const addresses = new InternTable();

/** `${bracket(ip)}:${port}` of the two values, or undefined without an ip; one string per distinct address. */
const address = (buf: Buffer, ip: Range, port: Range): string | undefined => {
  if (ip === NONE) return undefined;
  const [a, b] = ip;
  const [c, d] = port === NONE ? [0, 0] : port;
  return (
    addresses.find(buf, a, b, c, d) ??
    addresses.store(buf, a, b, c, d, `${bracket(buf.toString('latin1', a, b))}:${buf.toString('latin1', c, d)}`)
  );
};

/** The transport of `proto: udp ipv4`: transportNamed of its first word, lower-cased as the string path did. */
const protoTransport = (buf: Buffer, proto: Range): Transport => {
  const [a, b] = proto;
  let e = a;
  while (e < b && buf[e] !== 0x20) e++;
  for (let i = a; i < e; i++) {
    // case mapping of latin1 letters beyond ASCII: let the strings decide, as before
    if ((buf[i] ?? 0) >= 0x80) return transportNamed(buf.toString('latin1', a, e).toLowerCase());
  }
  return transportAt(buf, a, e);
};

export const sipdumpReader: TextFormatReader = {
  format: 'sipdump',
  firstBytes: '=|',
  lineStarts: ['==', '||'],
  isHeader: (buf, ls, lf) => isRunOf(buf, ls, lf, EQ, 20) || (lf - ls >= 20 && isRunOf(buf, ls, ls + 20, BAR, 20)),
  match(buf: Buffer, ls: number, lf: number, end: number, ctx: MatchContext): MatchResult {
    if (buf[ls] === BAR) {
      // the trailer may be glued after a body that did not end in CRLF, so only its start matters
      if (end - ls < 20) return ctx.final ? null : NEED_MORE;
      for (let i = 0; i < 20; i++) if (buf[ls + i] !== BAR) return null;
      return { kind: 'skip', format: 'sipdump', next: Math.min(lf + 1, end) };
    }
    if (!isRunOf(buf, ls, lf, EQ, 20)) return null;
    // the fields as byte ranges: a string is made only for an address not seen before
    const f = fields;
    f.time = f.proto = f.srcip = f.srcport = f.dstip = f.dstport = NONE;
    let p = lf + 1;
    for (let n = 0; n < MAX_HEADER_LINES; n++) {
      const e = lineEndAt(buf, p, end);
      if (e < 0) return ctx.final ? null : NEED_MORE;
      if (buf[p] === TILDE && isRunOf(buf, p, e, TILDE, 20)) {
        const seconds = f.time === NONE ? Number.NaN : decimalAt(buf, f.time[0], f.time[1]);
        return {
          kind: 'inline',
          format: 'sipdump',
          meta: payloadMeta(
            protoTransport(buf, f.proto),
            address(buf, f.srcip, f.srcport),
            address(buf, f.dstip, f.dstport),
            Number.isFinite(seconds) && seconds > 0 ? Math.round(seconds * 1000) : undefined,
          ),
          next: e + 1,
        };
      }
      // the first colon of the line (a short one: a loop costs less than a call into indexOf)
      let colon = p;
      while (colon < e && buf[colon] !== 0x3a) colon++;
      if (colon <= p || colon >= e) return null;
      const field = fieldNamed(buf, p, colon);
      // the value as lineText(...).trim() reads it (trim drops the CR too)
      if (field !== undefined) f[field] = trimmedRange(buf, colon + 1, e);
      p = e + 1;
    }
    return null;
  },
};

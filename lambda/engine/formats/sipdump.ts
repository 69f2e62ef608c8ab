import { endpointIds } from '../endpoint-ids.js';
import { refillMeta } from '../payload-meta.js';
import { transportNamed } from '../transport.js';
import type { PayloadMeta, Transport } from '../types.js';
import { InternTable } from './intern-table.js';
import { decimalAt, transportAt, trimInto } from './line-bytes.js';
import { isRunOf, lineEndAt, startsWith } from './line-utils.js';
import { type MatchContext, type MatchResult, MatchSlots, NEED_MORE, type TextFormatReader } from './text-format.js';

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
const TIME = 0;
const PROTO = 1;
const SRCIP = 2;
const SRCPORT = 3;
const DSTIP = 4;
const DSTPORT = 5;

/** The index in FIELDS of the field named by [ks, ke), compared as bytes (a dozen record lines per message), or -1. */
const fieldIndex = (buf: Buffer, ks: number, ke: number): number => {
  for (let i = 0; i < FIELDS.length; i++) {
    const f = FIELDS[i] ?? '';
    if (f.length === ke - ks && startsWith(buf, ks, ke, f)) return i;
  }
  return -1;
};

const bracket = (ip: string): string => (ip.includes(':') ? `[${ip}]` : ip);

/**
 * The current record's fields as [start, end) byte ranges, field i at 2i (one record is read at a time: no array
 * or object per record or field); start -1 for a field the record did not have.
 */
const ranges = new Int32Array(2 * FIELDS.length);

/** "ip:port" strings by the bytes of their ip and port values. */
const addresses = new InternTable(undefined, endpointIds);
/** The reader's answers and their meta, refilled (text-format.ts MatchSlots). */
const slots = new MatchSlots('sipdump');

/** `${bracket(ip)}:${port}` of the two fields' values, or undefined without an ip; one string per distinct address. */
const address = (buf: Buffer, ip: number, port: number): string | undefined => {
  const a = ranges[2 * ip] ?? -1;
  if (a < 0) return undefined;
  const b = ranges[2 * ip + 1] ?? a;
  // no port field: an empty port, as the string path wrote it
  const hasPort = (ranges[2 * port] ?? -1) >= 0;
  const c = hasPort ? (ranges[2 * port] ?? 0) : 0;
  const d = hasPort ? (ranges[2 * port + 1] ?? 0) : 0;
  return (
    addresses.find(buf, a, b, c, d) ??
    addresses.store(buf, a, b, c, d, `${bracket(buf.toString('latin1', a, b))}:${buf.toString('latin1', c, d)}`)
  );
};

/** The meta of the current record: its transport, addresses (with their numbers) and time. */
const sipdumpMeta = (buf: Buffer, timeMs: number | undefined): PayloadMeta => {
  const src = address(buf, SRCIP, SRCPORT);
  const srcId = src === undefined ? undefined : addresses.lastId;
  const dst = address(buf, DSTIP, DSTPORT);
  const dstId = dst === undefined ? undefined : addresses.lastId;
  return refillMeta(slots.meta, protoTransport(buf), src, dst, timeMs, undefined, srcId, dstId);
};

/** The transport of `proto: udp ipv4`: transportNamed of its first word, lower-cased as the string path did. */
const protoTransport = (buf: Buffer): Transport => {
  // no proto field: an empty word, as the string path read it
  const a = Math.max(0, ranges[2 * PROTO] ?? 0);
  const b = (ranges[2 * PROTO] ?? -1) < 0 ? 0 : (ranges[2 * PROTO + 1] ?? 0);
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
  closedEntries: true,
  firstBytes: '=|',
  lineStarts: ['==', '||'],
  isHeader: (buf, ls, lf) => isRunOf(buf, ls, lf, EQ, 20) || (lf - ls >= 20 && isRunOf(buf, ls, ls + 20, BAR, 20)),
  match(buf: Buffer, ls: number, lf: number, end: number, ctx: MatchContext): MatchResult {
    if (buf[ls] === BAR) {
      // the trailer may be glued after a body that did not end in CRLF, so only its start matters
      if (end - ls < 20) return ctx.final ? null : NEED_MORE;
      for (let i = 0; i < 20; i++) if (buf[ls + i] !== BAR) return null;
      return slots.skip(Math.min(lf + 1, end));
    }
    if (!isRunOf(buf, ls, lf, EQ, 20)) return null;
    // the fields as byte ranges: a string is made only for an address not seen before
    ranges.fill(-1);
    let p = lf + 1;
    for (let n = 0; n < MAX_HEADER_LINES; n++) {
      const e = lineEndAt(buf, p, end);
      if (e < 0) return ctx.final ? null : NEED_MORE;
      if (buf[p] === TILDE && isRunOf(buf, p, e, TILDE, 20)) {
        const t = ranges[2 * TIME] ?? -1;
        const seconds = t < 0 ? Number.NaN : decimalAt(buf, t, ranges[2 * TIME + 1] ?? t);
        const timeMs = Number.isFinite(seconds) && seconds > 0 ? Math.round(seconds * 1000) : undefined;
        return slots.inline(sipdumpMeta(buf, timeMs), e + 1);
      }
      // the first colon of the line (a short one: a loop costs less than a call into indexOf)
      let colon = p;
      while (colon < e && buf[colon] !== 0x3a) colon++;
      if (colon <= p || colon >= e) return null;
      const field = fieldIndex(buf, p, colon);
      // the value as lineText(...).trim() reads it (trim drops the CR too)
      if (field >= 0) trimInto(buf, colon + 1, e, ranges, 2 * field);
      p = e + 1;
    }
    return null;
  },
};

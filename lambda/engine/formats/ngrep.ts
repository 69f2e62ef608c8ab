import { type LogStamp, localStamp } from '../log-stamp.js';
import { payloadMeta } from '../payload-meta.js';
import type { Transport } from '../types.js';
import { InternTable } from './intern-table.js';
import { findDateTime, lineEndAt, lineText, startsWith } from './line-utils.js';
import { type MatchContext, type MatchResult, NEED_MORE, type TextFormatReader } from './text-format.js';

/**
 * `ngrep -W byline` output. Each packet is printed as
 *   "\n" + "U|T|I [timestamp ]src:port -> dst:port[ [flags]][ #n]" + "\n" + payload + "\n"
 * where the payload keeps its LFs and prints every other non-printable byte (CR among them) as
 * '.' (ngrep.c dump_byline). So the payload is byte-for-byte as long as on the wire, and it ends
 * where "\n\n" is followed by the next packet header (or the end of the file).
 * TCP payloads are printed per segment: they are stream segments of their flow.
 */

const HEADER =
  /^([UTI]) (?:(\d{4}\/\d{2}\/\d{2} \d{2}:\d{2}:\d{2}\.\d{1,9}) |\+\d+\.\d+ )?(\S+) -> (\S+?)(?: \[[^\]]*\])?(?: #\d+)?\s*$/;

/** Payload larger than this (ngrep prints at most one packet) means we lost the block end. */
const MAX_BLOCK_BYTES = 512 * 1024;
const LF = 0x0a;
const CR = 0x0d;

const DOUBLE_LF = Buffer.from('\n\n');

/** Offset of " -> " in the line, or -1. */
const lineArrow = (buf: Buffer, ls: number, lf: number): number => {
  for (let i = ls + 2; i + 4 <= lf; i++) {
    if (buf[i] === 0x20 && buf[i + 1] === 0x2d && buf[i + 2] === 0x3e && buf[i + 3] === 0x20) return i;
  }
  return -1;
};

/** A packet header line (cheap test; match() checks the full syntax). */
const isPacketHeader = (buf: Buffer, ls: number, lf: number): boolean => {
  const k = buf[ls];
  return (
    (k === 0x55 || k === 0x54 || k === 0x49) && buf[ls + 1] === 0x20 && lf - ls < 200 && lineArrow(buf, ls, lf) >= 0
  );
};

/** The lines ngrep prints before the first packet (ngrep.c main): a second ngrep run starts with them. */
const PREAMBLE = /^(?:interface|input|filter|match): /;

const TRANSPORT: Readonly<Record<string, Transport>> = { U: 'udp', T: 'tcp', I: 'unknown' };

/**
 * ngrep prints a UDP or TCP endpoint as `ip:port` and an IPv6 one without brackets (`2001:db8::1:5060`), which is
 * itself a valid IPv6 address: bracket it here, where the port is known to be last (`[2001:db8::1]:5060`).
 * ICMP (`I`) endpoints have no port.
 */
const withPort = (kind: string, endpoint: string): string => {
  if (kind === 'I' || endpoint.indexOf(':') === endpoint.lastIndexOf(':')) return endpoint;
  const colon = endpoint.lastIndexOf(':');
  return `[${endpoint.slice(0, colon)}]${endpoint.slice(colon)}`;
};

const KINDS: Readonly<Record<number, string>> = { 85: 'U', 84: 'T', 73: 'I' };

/** Bytes of the addresses the plain header shape takes: letters, digits, '.' and ':' (IPv4, IPv6, ports). */
const ADDRESS_BYTE = new Uint8Array(256);
for (const c of '0123456789.:abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ') ADDRESS_BYTE[c.charCodeAt(0)] = 1;

/** The address tokens of the last plainHeader() line (one line is read at a time). */
const plain = { srcStart: 0, srcEnd: 0, dstStart: 0, dstEnd: 0 };

/** End of the address token at `p` (address bytes only), or p when there is none. */
const addressEnd = (buf: Buffer, p: number, le: number): number => {
  let e = p;
  while (e < le && ADDRESS_BYTE[buf[e] ?? 0] === 1) e++;
  return e;
};

/**
 * Whether [ls, lf) has the shape ngrep prints without -t: "K src -> dst[ [flags]][ #n]", single
 * spaces, addresses of address bytes, nothing after. HEADER would match it with src and dst as
 * these tokens and no time (neither can be a timestamp: no '/' or '+'); every other line goes to
 * HEADER itself.
 */
const plainHeader = (buf: Buffer, ls: number, lf: number): boolean => {
  const le = lf > ls && buf[lf - 1] === CR ? lf - 1 : lf;
  const k = buf[ls];
  if ((k !== 0x55 && k !== 0x54 && k !== 0x49) || buf[ls + 1] !== 0x20) return false;
  const srcEnd = addressEnd(buf, ls + 2, le);
  if (srcEnd === ls + 2 || !startsWith(buf, srcEnd, le, ' -> ')) return false;
  const dstStart = srcEnd + 4;
  const dstEnd = addressEnd(buf, dstStart, le);
  if (dstEnd === dstStart) return false;
  let p = dstEnd;
  if (startsWith(buf, p, le, ' [')) {
    // A bounded loop, not indexOf: indexOf would search past the line to the end of the buffer, so a
    // buffer of lines that open "[" and never close it costs a whole-buffer search per line (quadratic).
    let close = p + 2;
    while (close < le && buf[close] !== 0x5d) close++;
    if (close >= le) return false;
    p = close + 1;
  }
  if (startsWith(buf, p, le, ' #')) {
    let d = p + 2;
    while (d < le && (buf[d] ?? 0) >= 0x30 && (buf[d] ?? 0) <= 0x39) d++;
    if (d === p + 2) return false;
    p = d;
  }
  if (p !== le) return false;
  plain.srcStart = ls + 2;
  plain.srcEnd = srcEnd;
  plain.dstStart = dstStart;
  plain.dstEnd = dstEnd;
  return true;
};

/** Endpoints by their bytes and the packet kind (withPort depends on it): one string per distinct endpoint. */
const endpoints = new InternTable();

const endpointAt = (buf: Buffer, ls: number, a: number, b: number): string =>
  endpoints.find(buf, a, b, ls, ls + 1) ??
  endpoints.store(buf, a, b, ls, ls + 1, withPort(KINDS[buf[ls] ?? 0] ?? 'U', buf.toString('latin1', a, b)));

export const ngrepReader: TextFormatReader = {
  format: 'ngrep',
  firstBytes: 'UTI',
  lineStarts: ['U ', 'T ', 'I '],
  // cheap: the scanner asks this for every candidate block end; match() checks the full syntax
  isHeader: isPacketHeader,
  match(buf: Buffer, ls: number, lf: number, end: number, ctx: MatchContext): MatchResult {
    if (buf[ls + 1] !== 0x20) return null;
    let kind: string;
    let src: string;
    let dst: string;
    let stamp: LogStamp | undefined;
    if (plainHeader(buf, ls, lf)) {
      kind = KINDS[buf[ls] ?? 0] ?? 'U';
      src = endpointAt(buf, ls, plain.srcStart, plain.srcEnd);
      dst = endpointAt(buf, ls, plain.dstStart, plain.dstEnd);
    } else {
      const m = HEADER.exec(lineText(buf, ls, lf));
      if (!m) return null;
      kind = m[1] ?? 'U';
      src = withPort(kind, m[3] ?? '');
      dst = withPort(kind, m[4] ?? '');
      // -t prints local time (ngrep.c: localtime)
      stamp = m[2] ? localStamp(findDateTime(m[2])) : undefined;
    }
    const payloadStart = Math.min(lf + 1, end);

    // find "\n\n" + header, or "\n" + end of input
    let payloadEnd = -1;
    let next = -1;
    let from = payloadStart > 0 ? payloadStart - 1 : 0;
    // the block is cut at a fixed distance from its start, not where the bytes at hand end
    const blockLimit = payloadStart + MAX_BLOCK_BYTES;
    for (;;) {
      const c = buf.indexOf(DOUBLE_LF, from);
      if (c < 0 || c + 1 >= end || c >= blockLimit) {
        if (end > blockLimit) {
          payloadEnd = blockLimit;
          next = blockLimit;
          break;
        }
        if (!ctx.final) return NEED_MORE;
        // end of input: the payload is followed by one "\n"
        payloadEnd = end > payloadStart && buf[end - 1] === LF ? end - 1 : end;
        next = end;
        break;
      }
      if (c < payloadStart - 1) {
        from = c + 1;
        continue;
      }
      const h = c + 2;
      if (h >= end) {
        if (!ctx.final) return NEED_MORE;
        // input ends with payload-LF + ngrep's trailing LF
        payloadEnd = Math.max(c + 1, payloadStart);
        next = end;
        break;
      }
      const hl = lineEndAt(buf, h, end);
      if (hl < 0 && !ctx.final) return NEED_MORE;
      const he = hl < 0 ? end : hl;
      if (isPacketHeader(buf, h, he)) {
        // "\n\n" = ngrep's LF after the payload + the LF that opens the next packet
        payloadEnd = Math.max(c, payloadStart);
        next = h;
        break;
      }
      if (ctx.isHeaderLine(buf, h, he) || PREAMBLE.test(lineText(buf, h, he))) {
        // another log (or another ngrep run) follows: "\n\n" = the payload's own LF + ngrep's LF
        payloadEnd = Math.max(c + 1, payloadStart);
        next = h;
        break;
      }
      from = c + 1;
    }
    const transport = TRANSPORT[kind] ?? 'unknown';
    const meta = payloadMeta(transport, src, dst, undefined, stamp);
    if (kind === 'T') {
      return {
        kind: 'stream',
        format: 'ngrep',
        meta,
        next,
        payloadBuf: buf,
        payloadStart,
        payloadEnd,
        dotCR: true,
        flow: `${src}>${dst}`,
      };
    }
    return { kind: 'datagram', format: 'ngrep', meta, next, payloadBuf: buf, payloadStart, payloadEnd, dotCR: true };
  },
};

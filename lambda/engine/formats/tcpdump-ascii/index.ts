import { payloadMeta } from '../../payload-meta.js';
import { ICMP_HEADER_BYTES } from '../../pcap/icmp.js';
import { IPV6_HEADER_BYTES, ipv4HeaderBytes } from '../../pcap/ip.js';
import { findNetworkLayer, LINKTYPE, type NetworkLayer } from '../../pcap/link-layer.js';
import { UDP_HEADER_BYTES } from '../../pcap/udp.js';
import { isStartLine } from '../../sip-message.js';
import type { AnomalyKind } from '../../types.js';
import { type MatchContext, type MatchResult, NEED_MORE, type TextFormatReader } from '../text-format.js';
import { LF } from './ascii-print.js';
import { headerSpec, icmpQuoteSpec, quietTcpSpec } from './header-spec.js';
import { dumpLinkType, encapsulatedFrame, etherFrame, hexLineOffset, readHexDump } from './hex-dump.js';
import { findExtent } from './packet-extent.js';
import { lfsAfterDroppedCr, restorePayload } from './payload-restore.js';
import { printedHeaderLength, udpLengthFromHeader } from './printed-header.js';
import {
  type EtherLine,
  FIRST_BYTES,
  isSummaryLine,
  LINE_STARTS,
  type PacketLine,
  parseEtherLine,
  parseIcmpErrorLine,
  parseOtherLine,
  parseSummary,
  readSummary,
  type Summary,
} from './summary-line.js';
import { streamsFor } from './tcp-flows.js';

/**
 * `tcpdump -A` output (tcpdump 4.99, print.c pretty_print_packet): per packet
 *   <timestamp >IP|IP6 <src>.<port> > <dst>.<port>: <transport summary>   (no LF of its own)
 *   "\n" + ascii_print(IP header + transport header + payload) + "\n"
 * where ascii_print (print-ascii.c) prints every byte as one character ('.' for anything that is
 * not graphic, a space, a tab or a LF) except a CR, which it drops when the next byte is a LF or
 * when it is one of the last two bytes of the packet, and prints as '.' otherwise.
 *
 * So the SIP start line is glued to the header bytes ("E..n.f@.@./....OPTIONS sip:..."), a header
 * byte 0x0a starts a new line, and the payload lost its CRs. The reader:
 * - derives the header length from the bytes the summary line names (IPv4 IHL from the first byte
 *   'E'..'O', IPv6 40, UDP 8, TCP 20 + the options print-tcp.c lists), and checks it against every
 *   header byte the summary line pins down (version, addresses, ports, lengths, flags, window,
 *   options), allowing for a dropped CR before a 0x0a header byte;
 * - puts the CRs back, knowing the payload size from `length N` (on port 5060, where sip_print
 *   replaces it with the start line, from the UDP and IP length fields when they print legibly);
 * - reassembles TCP per direction with tcpdump's own (relative, or with -S absolute) `seq a:b`
 *   numbers, dropping segments already seen, not reordering (as tshark by default).
 * `-v`/`-vv` (the IPv4 fields on a line of their own, checksum verdicts, sip_print's lines), `-e` (Ethernet
 * addresses in place of "IP") and names instead of numbers (no -n: `sip` for 5060, `localhost`) are read too. Not
 * read: IP fragments after the first (no ports), IPv6 extension headers; their packets are skipped whole, never read
 * as text. With `-q` a TCP packet is `tcp N` alone (no flags, sequence numbers or options): see quietTcpPayload. A
 * packet printed in hex instead (`-x`, `-X`, `-xx`, `-XX`: hex-dump.ts) is its own bytes and is decoded as a capture's
 * packet.
 */

const EMPTY = Buffer.alloc(0);

/**
 * Without -n tcpdump names ports from /etc/services (netdissect's servtable): back to numbers for the ones SIP runs on
 * (Debian's names), so that a sender's peer key and its direction read the same as with -n.
 */
const PORT_NUMBERS: ReadonlyMap<string, string> = new Map([
  ['sip', '5060'],
  ['sip-tls', '5061'],
  ['http', '80'],
  ['www', '80'],
  ['https', '443'],
  ['http-alt', '8080'],
  ['webcache', '8080'],
]);
/** ...and the loopback addresses from /etc/hosts (Debian's: "localhost" for both families). */
const loopbackAddress = (host: string, ipv6: boolean): string => {
  if (host === 'localhost') return ipv6 ? '::1' : '127.0.0.1';
  return host === 'ip6-localhost' || host === 'ip6-loopback' ? '::1' : host;
};

const endpoint = (host: string, port: string, ipv6: boolean): string => {
  const ip = loopbackAddress(host, ipv6);
  const p = PORT_NUMBERS.get(port) ?? port;
  return ipv6 ? `[${ip}]:${p}` : `${ip}:${p}`;
};

/** Reader of `tcpdump -A` packets: UDP payloads as datagrams, TCP payloads as reassembled streams. */
export const tcpdumpAsciiReader: TextFormatReader = {
  format: 'tcpdump-ascii',
  firstBytes: FIRST_BYTES,
  lineStarts: LINE_STARTS,
  isHeader: isSummaryLine,
  printsPackets: true,
  match(buf: Buffer, ls: number, lf: number, end: number, ctx: MatchContext): MatchResult {
    if (!isSummaryLine(buf, ls, lf)) return null;
    const summary = readSummary(buf, ls, lf, end, ctx);
    if (summary === NEED_MORE) return NEED_MORE;
    const s = parseSummary(summary.text);
    // VXLAN and Geneve print the packet they carry on a line of its own before the bytes: in a hex dump the bytes
    // (decoded as a capture's, tunnel and all) start after it
    const inner = innerPacketLineEnd(buf, summary.dataStart, end);
    const ds = inner >= 0 && hexLineOffset(buf, inner, end) === 0 ? inner : summary.dataStart;
    // -e's Ethernet line over a hex dump: the frame is decoded as a capture's, whatever it carries
    const ether = hexLineOffset(buf, ds, end) === 0 ? parseEtherLine(summary.text) : null;
    if (ether !== null) return etherPacket(buf, ds, end, ctx, ether);
    // a tunnel (VXLAN, Geneve, GRE, IP in IP, MPLS, PPPoE) printed as text: the headers of the packet inside are
    // characters nobody can measure, so its SIP is not read; said, not dropped in silence (the capture is read whole)
    if (s === null) {
      return carriesPacket(summary.text)
        ? skipPacket(buf, ds, end, ctx, 'unreadable-packet')
        : { kind: 'skip', format: 'tcpdump-ascii', next: ds };
    }
    if (s === 'other') {
      // a hex dump is the packet itself: decoded as a capture's (an IP fragment joins the ones before it)
      const other = hexLineOffset(buf, ds, end) === 0 ? parseOtherLine(summary.text) : null;
      if (other !== null) return hexPacket(buf, ds, end, ctx, other, summary.text);
      const icmp = parseIcmpErrorLine(summary.text);
      if (icmp !== null) return icmpQuote(buf, ds, end, ctx, icmp);
      return skipPacket(buf, ds, end, ctx, inner >= 0 || carriesPacket(summary.text) ? 'unreadable-packet' : undefined);
    }
    if (hexLineOffset(buf, ds, end) === 0) return hexPacket(buf, ds, end, ctx, s, summary.text);
    if (inner >= 0 || carriesPacket(summary.text)) return skipPacket(buf, ds, end, ctx, 'unreadable-packet');
    const spec = headerSpec(s, buf[ds] ?? 0);
    const bytes = spec !== null && s.length !== undefined ? spec.length + s.length : undefined;
    const x = findExtent(buf, ds, end, ctx, bytes);
    if (x === NEED_MORE) return NEED_MORE;
    const skip = { kind: 'skip', format: 'tcpdump-ascii', next: x.next } as const;
    const src = endpoint(s.srcHost, s.srcPort, s.ipv6);
    const dst = endpoint(s.dstHost, s.dstPort, s.ipv6);
    const p = spec === null ? -1 : printedHeaderLength(buf, ds, x.dataEnd, spec);
    const ps = ds + p;
    const meta = payloadMeta(s.proto, src, dst, s.timeMs, s.stamp);
    if (s.proto === 'udp') {
      if (s.length === 0) return skip;
      // header bytes that fit no reading (an IPv6 extension header, a packet the snaplen cut in its headers)
      if (p < 0) return { ...skip, anomaly: 'unreadable-packet' };
      if (ps >= x.dataEnd) return skip;
      // without `length N` (port 5060 prints "SIP: ...") the header's length fields tell it; when
      // they do not, the framer reads the CR-less text as a log that converted CRLF to LF
      const length =
        s.length ??
        (spec !== null && p === spec.length ? udpLengthFromHeader(buf, ds, p, x.dataEnd, s.ipv6) : undefined);
      const payload = length !== undefined ? restorePayload(buf, ps, x.dataEnd, length) : null;
      const pb = payload ?? { buf, start: ps, end: x.dataEnd };
      return {
        kind: 'datagram',
        format: 'tcpdump-ascii',
        meta,
        next: x.next,
        payloadBuf: pb.buf,
        payloadStart: pb.start,
        payloadEnd: pb.end,
        dotCR: false,
        // printed shorter than `length N`, even with every LF read as a CRLF: the snaplen cut the packet
        cut: length !== undefined && payload === null && x.dataEnd - ps < length,
      };
    }
    const t = s.tcp;
    if (s.length === undefined) return skip;
    if (!t) {
      // -q: `tcp N` and no sequence numbers; the segments are taken in the order printed (as ngrep's)
      if (s.length === 0) return skip;
      const streams = streamsFor(ctx);
      const data = quietTcpPayload(buf, ds, x.dataEnd, s, streams.endsInCr(src, dst));
      if (data === null) return { ...skip, anomaly: 'unreadable-packet' };
      streams.taken(src, dst, data);
      const flow = `${src}>${dst}`;
      return {
        kind: 'stream',
        format: 'tcpdump-ascii',
        meta,
        next: x.next,
        payloadBuf: data,
        payloadStart: 0,
        payloadEnd: data.length,
        dotCR: false,
        flow,
      };
    }
    // the sequence bookkeeping needs every segment, even one whose bytes cannot be read
    let data: Buffer = EMPTY;
    // a payload whose header the snaplen cut (no header length) is lost whole: a cut segment holding nothing
    let cut = s.length > 0 && p < 0;
    if (s.length > 0 && p >= 0) {
      const payload = restorePayload(buf, ps, x.dataEnd, s.length, streamsFor(ctx).endsInCr(src, dst, t));
      data = payload ? payload.buf.subarray(payload.start, payload.end) : buf.subarray(ps, x.dataEnd);
      // printed shorter than `length N`, even with every LF read as a CRLF: the snaplen cut the packet
      cut = payload === null && x.dataEnd - ps < s.length;
    }
    const joined = streamsFor(ctx).segment(src, dst, t, data, s.length);
    if (joined === null || (joined.bytes.length === 0 && !joined.gap && !cut)) return skip;
    return {
      kind: 'stream',
      format: 'tcpdump-ascii',
      meta,
      next: x.next,
      payloadBuf: joined.bytes,
      payloadStart: 0,
      payloadEnd: joined.bytes.length,
      dotCR: false,
      flow: `${src}>${dst}`,
      gap: joined.gap,
      cut,
    };
  },
};

/**
 * The payload of a TCP packet printed with -q, whose header length nothing prints: of the data offsets (5 to 15
 * words) whose header bytes fit the printed characters (the IP length field pinned by `tcp N`) and leave a printed
 * payload that restores to N bytes, the one whose payload starts a SIP message (a wrong offset cuts the start line or
 * puts header bytes before it), else the one whose every LF stood for a CRLF (RFC 3261 §7 line ends). Null when that
 * leaves none, or several.
 */
const quietTcpPayload = (buf: Buffer, ds: number, de: number, s: Summary, afterCr: boolean): Buffer | null => {
  const n = s.length ?? 0;
  const fits: { data: Buffer; starts: boolean; crlf: boolean }[] = [];
  for (let doff = 5; doff <= 15; doff++) {
    const spec = quietTcpSpec(s, buf[ds] ?? 0, doff);
    if (spec === null) return null;
    const p = printedHeaderLength(buf, ds, de, spec);
    if (p < 0) continue;
    const payload = restorePayload(buf, ds + p, de, n, afterCr);
    if (payload === null) continue;
    const data = payload.buf.subarray(payload.start, payload.end);
    const lf = data.indexOf(LF);
    const starts = isStartLine(data, 0, lf < 0 ? data.length : lf, false);
    const lfs = lfsAfterDroppedCr(buf, ds + p, de, afterCr).length;
    // every LF lost its CR, and a CR or two more at the packet's end at most (ascii_print drops a last CR)
    const dropped = n - (de - (ds + p));
    fits.push({ data, starts, crlf: dropped >= lfs && dropped <= lfs + 2 });
  }
  const starting = fits.filter((f) => f.starts);
  const pool = starting.length > 0 ? starting : fits;
  if (pool.length === 1) return pool[0]?.data ?? null;
  const crlf = pool.filter((f) => f.crlf);
  return crlf.length === 1 ? (crlf[0]?.data ?? null) : null;
};

/** Skips the packet whose printed data starts at `ds`, as far as its extent goes, with `anomaly` when given. */
const skipPacket = (buf: Buffer, ds: number, end: number, ctx: MatchContext, anomaly?: AnomalyKind): MatchResult => {
  const x = findExtent(buf, ds, end, ctx, undefined);
  if (x === NEED_MORE) return NEED_MORE;
  return anomaly === undefined
    ? { kind: 'skip', format: 'tcpdump-ascii', next: x.next }
    : { kind: 'skip', format: 'tcpdump-ascii', next: x.next, anomaly };
};

/** A packet tcpdump decodes inside another: "IP 192.0.2.1.5060 > 192.0.2.2.5060: " (or IP6) after the outer one's. */
// (after a line break where the summary goes on over lines: VXLAN's and Geneve's decode of what they carry)
const INNER_PACKET = /(?:^|: |\n)IP6? \S+ > \S+: /;

/** GRE (whatever it carries: ERSPAN prints "gre-proto-0x88be"), or IP behind MPLS labels or a PPPoE session header. */
const ENCAPSULATION = /(?:: GREv[01][,:]|(?:^|\s)(?:MPLS \(label|PPPoE +\[ses))/;

/**
 * Whether a summary line names a packet inside its packet (GRE, IP in IP: "...: GREv0, length 313: IP a > b: ...";
 * MPLS, PPPoE), whose headers -A prints as characters before its payload.
 */
const carriesPacket = (summary: string): boolean => {
  if (ENCAPSULATION.test(summary)) return true;
  const first = summary.indexOf(': ');
  return first >= 0 && INNER_PACKET.test(summary.slice(first));
};

/** Where the line after `ls` starts when the line at `ls` is the packet a VXLAN or Geneve header carries; else -1. */
const innerPacketLineEnd = (buf: Buffer, ls: number, end: number): number => {
  // "IP " or "IP6 ", or with -e the inner frame's addresses ("02:00:..."): most packets' next line is their bytes,
  // turned into no string
  const ip = buf[ls] === 0x49 /* I */ && buf[ls + 1] === 0x50; /* P */
  if (!ip && !(buf[ls + 2] === 0x3a /* : */ && isHexDigit(buf[ls] ?? 0))) return -1;
  const lf = buf.indexOf(LF, ls);
  if (lf < 0 || lf >= end || lf - ls > MAX_INNER_LINE_BYTES) return -1;
  return (ip ? INNER_PACKET : INNER_FRAME).test(buf.toString('latin1', ls, lf)) ? lf + 1 : -1;
};
/** -e's line for the Ethernet frame VXLAN or Geneve carries: its addresses and EtherType. */
const INNER_FRAME = /^[0-9a-f]{2}(?::[0-9a-f]{2}){5} > [0-9a-f]{2}(?::[0-9a-f]{2}){5}, ethertype /;
const isHexDigit = (c: number): boolean => (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66);
/** tcpdump's line for an inner packet: addresses, ports and a short decode. */
const MAX_INNER_LINE_BYTES = 512;

/** IPv4's header length from its first byte ('E' to 'O'), IPv6's fixed one. */
const ipHeaderBytes = (ipv6: boolean, first: number): number => (ipv6 ? IPV6_HEADER_BYTES : ipv4HeaderBytes(first));
/** The ICMP header and the quoted UDP header. */
const QUOTE_HEADER_BYTES = ICMP_HEADER_BYTES + UDP_HEADER_BYTES;

/**
 * An ICMP error (the packet that caused it quoted after the ICMP header, RFC 792 / RFC 4443 §3): the UDP datagram it
 * quotes, when a SIP message starts it, as a quoted datagram (counted as tshark counts it: pcap/icmp.ts). The headers
 * before the quoted payload are read as a UDP packet's are (printedHeaderLength: a header byte 0x0a printed as a line
 * break, a CR before it dropped), the quoted IPv4 header's length tried from 20 bytes up; the quote's size follows
 * from the ICMP length the line prints. The quoted datagram came from the host the error is sent to and went to the
 * one that sends it; its ports are not printed legibly.
 */
const icmpQuote = (
  buf: Buffer,
  ds: number,
  end: number,
  ctx: MatchContext,
  p: PacketLine & { readonly icmpLength: number },
): MatchResult => {
  const outer = ipHeaderBytes(p.ipv6, buf[ds] ?? 0);
  const x = findExtent(buf, ds, end, ctx, outer > 0 ? outer + p.icmpLength : undefined);
  if (x === NEED_MORE) return NEED_MORE;
  const skip = { kind: 'skip', format: 'tcpdump-ascii', next: x.next } as const;
  if (outer === 0) return skip;
  for (const quotedFirst of p.ipv6 ? [0x60] : QUOTED_IPV4_FIRST_BYTES) {
    const spec = icmpQuoteSpec(p, buf[ds] ?? 0, quotedFirst);
    if (spec === null) return skip;
    const h = printedHeaderLength(buf, ds, x.dataEnd, spec);
    if (h < 0) continue;
    const ps = ds + h;
    const lf = buf.indexOf(LF, ps);
    if (ps >= x.dataEnd || !isStartLine(buf, ps, lf < 0 || lf > x.dataEnd ? x.dataEnd : lf, false)) continue;
    const n = p.icmpLength - QUOTE_HEADER_BYTES - ipHeaderBytes(p.ipv6, quotedFirst);
    const payload = restorePayload(buf, ps, x.dataEnd, n) ?? { buf, start: ps, end: x.dataEnd };
    const src = loopbackAddress(p.dstHost, p.ipv6);
    const dst = loopbackAddress(p.srcHost, p.ipv6);
    return {
      kind: 'datagram',
      format: 'tcpdump-ascii',
      meta: payloadMeta('udp', src, dst, p.timeMs, p.stamp),
      next: x.next,
      payloadBuf: payload.buf,
      payloadStart: payload.start,
      payloadEnd: payload.end,
      dotCR: false,
      quoted: true,
    };
  }
  return skip;
};
/** 'E' (an IPv4 header without options) first, then every longer one. */
const QUOTED_IPV4_FIRST_BYTES = Array.from({ length: 11 }, (_, i) => 0x45 + i);

/** A packet printed in hex (-x, -X, -xx, -XX): its bytes, decoded as a capture's; skipped when they do not fit. */
const hexPacket = (
  buf: Buffer,
  ds: number,
  end: number,
  ctx: MatchContext,
  s: PacketLine,
  summary: string,
): MatchResult => {
  const d = readHexDump(buf, ds, end, ctx.final);
  if (d === NEED_MORE) return NEED_MORE;
  if (d === null) return skipPacket(buf, ds, end, ctx);
  // MPLS and PPPoE first: their IP header can sit where another link type's would (two labels: QinQ's)
  const frame = encapsulatedFrame(d, s, summary);
  const linkType = frame !== undefined ? LINKTYPE.ETHERNET : dumpLinkType(d, s);
  if (linkType === undefined) return { kind: 'skip', format: 'tcpdump-ascii', next: d.next };
  const bytes = frame ?? d.bytes;
  const length = frame?.length ?? d.length;
  return {
    kind: 'packet',
    format: 'tcpdump-ascii',
    next: d.next,
    linkType,
    payloadBuf: bytes,
    payloadStart: 0,
    payloadEnd: length,
    timeMs: s.timeMs,
    stamp: s.stamp,
    originalLength: wireLength(linkType, bytes, length),
  };
};
/** A hex dump under -e's Ethernet line (etherFrame); skipped when it is no frame. */
const etherPacket = (buf: Buffer, ds: number, end: number, ctx: MatchContext, e: EtherLine): MatchResult => {
  const d = readHexDump(buf, ds, end, ctx.final);
  if (d === NEED_MORE) return NEED_MORE;
  if (d === null) return skipPacket(buf, ds, end, ctx);
  const frame = etherFrame(d, e.addresses, e.etherType);
  if (frame === undefined) return { kind: 'skip', format: 'tcpdump-ascii', next: d.next };
  return {
    kind: 'packet',
    format: 'tcpdump-ascii',
    next: d.next,
    linkType: frame.linkType,
    payloadBuf: frame.bytes,
    payloadStart: 0,
    payloadEnd: frame.bytes.length,
    timeMs: e.timeMs,
    stamp: e.stamp,
    originalLength: etherWireLength(e, frame.linkType, frame.bytes),
  };
};

/**
 * The frame's length on the wire when the dump holds less of it (a snaplen cut): -e prints it for an Ethernet frame;
 * a dump from the IP header on is measured by its IP header (wireLength). A clipped frame is whole as dumped.
 */
const etherWireLength = (e: EtherLine, linkType: number, bytes: Buffer): number | undefined => {
  if (e.clipped) return undefined;
  if (linkType !== LINKTYPE.ETHERNET || e.frameLength === undefined) return wireLength(linkType, bytes, bytes.length);
  return e.frameLength > bytes.length ? e.frameLength : undefined;
};

const dumpedNetwork: NetworkLayer = { kind: 'other', start: 0 };

/**
 * The length of a dumped packet on the wire as its IP header gives it, when that is more than the dump holds:
 * tcpdump prints every byte it captured, so a shorter dump is a packet its snaplen cut (a capture's record says so in
 * its own lengths; a dump only here). Undefined when the dump holds the whole packet, or has no IP header.
 */
const wireLength = (linkType: number, bytes: Buffer, length: number): number | undefined => {
  findNetworkLayer(linkType, bytes, 0, length, dumpedNetwork);
  const ip = dumpedNetwork.start;
  let wire = 0;
  if (dumpedNetwork.kind === 'ipv4' && ip + 4 <= length) wire = ip + bytes.readUInt16BE(ip + 2);
  else if (dumpedNetwork.kind === 'ipv6' && ip + 6 <= length)
    wire = ip + IPV6_HEADER_BYTES + bytes.readUInt16BE(ip + 4);
  return wire > length ? wire : undefined;
};

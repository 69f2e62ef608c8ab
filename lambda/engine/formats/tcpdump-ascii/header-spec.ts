import { ICMP_HEADER_BYTES } from '../../pcap/icmp.js';
import { IP_PROTOCOL } from '../../pcap/ip.js';
import { UDP_HEADER_BYTES } from '../../pcap/udp.js';
import { ipv4Bytes, ipv6Bytes } from './address-bytes.js';
import { type PacketLine, type Summary, TH_URG } from './summary-line.js';

// Header bytes: what the summary line says about each of them

/** A header byte whose value the summary line does not tell. */
export const ANY = -1;
/** A header byte of which only the high nibble is known: NIBBLE - n. */
export const NIBBLE = -100;

export type Spec = number[];

const be16 = (v: number): number[] => [(v >> 8) & 0xff, v & 0xff];
const be32 = (v: number): number[] => [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
const anyBytes = (n: number): number[] => new Array<number>(n).fill(ANY);

/** Well-known port names tcpdump prints without -nn (tcpport_string / udpport_string). */
const PORT_NAMES: Readonly<Record<string, number>> = { sip: 5060, 'sip-tls': 5061 };

/**
 * A capture has few ports and addresses and many packets: the bytes of each port or address text are made once (a
 * regex run per port and a parse per address, per packet, before). Each cache is emptied when it holds
 * MAX_CACHED_TEXTS.
 */
const MAX_CACHED_TEXTS = 4096;

/** The bytes of `text` from `cache`, made by `make` (and kept) on a miss. */
const cachedBytes = (cache: Map<string, number[]>, text: string, make: (text: string) => number[]): number[] => {
  let b = cache.get(text);
  if (b === undefined) {
    if (cache.size >= MAX_CACHED_TEXTS) cache.clear();
    b = make(text);
    cache.set(text, b);
  }
  return b;
};

const ports = new Map<string, number[]>();

const portBytesOf = (port: string): number[] => {
  const n = /^\d+$/.test(port) ? Number(port) : PORT_NAMES[port];
  return n !== undefined && n <= 0xffff ? be16(n) : anyBytes(2);
};

const portBytes = (port: string): number[] => cachedBytes(ports, port, portBytesOf);

const hexBytes = (hex: string): number[] => {
  const out: number[] = [];
  for (let i = 0; i + 1 < hex.length; i += 2) out.push(Number.parseInt(hex.slice(i, i + 2), 16));
  return out;
};

/** print-tcp.c tcp_print's text of each option kind (tcp_option_values) -> the option's bytes. */
const TCP_OPTIONS: readonly (readonly [RegExp, (m: RegExpExecArray) => number[]])[] = [
  [/^nop$/, () => [1]],
  [/^mss (\d+)$/, (m) => [2, 4, ...be16(Number(m[1]))]],
  [/^wscale (\d+)$/, (m) => [3, 3, Number(m[1]) & 0xff]],
  [/^sackOK$/, () => [4, 2]],
  [/^sack (\d+) (?:\{\d+:\d+\})*$/, (m) => [5, 2 + 8 * Number(m[1]), ...anyBytes(8 * Number(m[1]))]],
  [/^echo (\d+)$/, (m) => [6, 6, ...be32(Number(m[1]))]],
  [/^echoreply (\d+)$/, (m) => [7, 6, ...be32(Number(m[1]))]],
  [/^TS val (\d+) ecr (\d+)$/, (m) => [8, 10, ...be32(Number(m[1])), ...be32(Number(m[2]))]],
  [/^cc (\d+)$/, (m) => [11, 6, ...be32(Number(m[1]))]],
  [/^ccnew (\d+)$/, (m) => [12, 6, ...be32(Number(m[1]))]],
  [/^md5 /, () => [19, 18, ...anyBytes(16)]],
  [/^scps cap ([0-9a-f]{2}) id (\d+)$/, (m) => [20, 4, Number.parseInt(m[1] ?? '0', 16), Number(m[2])]],
  [/^uto 0x([0-9a-f]+) \d+$/, (m) => [28, 4, ...be16(Number.parseInt(m[1] ?? '0', 16))]],
  [
    /^unknown-(\d+)(?: 0x((?:[0-9a-f]{2})*))?$/,
    (m) => [Number(m[1]), 2 + (m[2] ?? '').length / 2, ...hexBytes(m[2] ?? '')],
  ],
];

/**
 * The bytes of the TCP options as print-tcp.c tcp_print lists them (`options [...]`), or null
 * when the size of a listed option cannot be told from its text (mptcp, tfo, exp, tcp-ao,
 * "[bad opt]").
 */
const tcpOptionBytes = (list: string): Spec | null => {
  const out: Spec = [];
  for (const raw of list.split(',')) {
    // "[len N]": the length byte disagreed with the kind's size; tcp_print still stepped by the kind's size
    const lenNote = /\[len (\d+)\]$/.exec(raw);
    const item = lenNote ? raw.slice(0, lenNote.index) : raw;
    if (item === 'eol') {
      out.push(0);
      // tcp_print stops at eol; the rest, up to the 32-bit boundary of the header, is padding
      while ((out.length & 3) !== 0) out.push(ANY);
      return out;
    }
    let bytes: number[] | null = null;
    for (const [re, toBytes] of TCP_OPTIONS) {
      const m = re.exec(item);
      if (m) {
        bytes = toBytes(m);
        break;
      }
    }
    if (bytes === null) return null;
    if (lenNote && bytes.length > 1) bytes[1] = Number(lenNote[1]);
    out.push(...bytes);
  }
  return out;
};

const v4Addresses = new Map<string, number[]>();
const v6Addresses = new Map<string, number[]>();
const v4BytesOf = (host: string): number[] => ipv4Bytes(host) ?? anyBytes(4);
const v6BytesOf = (host: string): number[] => ipv6Bytes(host) ?? anyBytes(16);

const addressBytes = (host: string, ipv6: boolean): number[] =>
  ipv6 ? cachedBytes(v6Addresses, host, v6BytesOf) : cachedBytes(v4Addresses, host, v4BytesOf);

/** Expected IP header bytes of a packet carrying `protocol` (17 UDP, 6 TCP), or null when the first byte rules it out. */
const ipSpec = (s: PacketLine, firstByte: number, protocol: number): Spec | null => {
  if (s.ipv6) {
    // RFC 8200 §3: version 6 in the high nibble; no extension headers when tcpdump names UDP/TCP here
    if (firstByte >> 4 !== 6) return null;
    return [
      NIBBLE - 6,
      ANY,
      ANY,
      ANY,
      ANY,
      ANY,
      protocol,
      ANY,
      ...addressBytes(s.srcHost, true),
      ...addressBytes(s.dstHost, true),
    ];
  }
  // RFC 791 §3.1: version 4, IHL in 32-bit words, at least 5; printed as 'E'..'O'
  if (firstByte < 0x45 || firstByte > 0x4f) return null;
  const ihl = (firstByte & 0x0f) * 4;
  // total length stays ANY: a first fragment's `length` names the whole datagram
  return [
    firstByte,
    ANY,
    ANY,
    ANY,
    ANY,
    ANY,
    ANY,
    ANY,
    ANY,
    protocol,
    ANY,
    ANY,
    ...addressBytes(s.srcHost, false),
    ...addressBytes(s.dstHost, false),
    ...anyBytes(ihl - 20),
  ];
};

/** Expected IP + transport header bytes, or null when their number cannot be derived. */
export const headerSpec = (s: Summary, firstByte: number): Spec | null => {
  const ip = ipSpec(s, firstByte, s.proto === 'udp' ? 17 : 6);
  if (ip === null) return null;
  if (s.proto === 'udp') {
    const ulen = s.length !== undefined ? be16(s.length + 8) : anyBytes(2);
    return [...ip, ...portBytes(s.srcPort), ...portBytes(s.dstPort), ...ulen, ANY, ANY];
  }
  const t = s.tcp;
  if (!t) return null;
  const options = t.options !== undefined ? tcpOptionBytes(t.options) : [];
  if (options === null) return null;
  const doff = 5 + Math.ceil(options.length / 4);
  if (doff > 15) return null;
  while (options.length < (doff - 5) * 4) options.push(ANY);
  const urp = t.flags & TH_URG && t.urg !== undefined ? be16(t.urg) : anyBytes(2);
  return [...ip, ...tcpHeaderSpec(s, doff, [t.flags, ...be16(t.win), ANY, ANY, ...urp, ...options])];
};

/**
 * A TCP header's bytes (RFC 9293 §3.1): the ports, sequence and acknowledgment numbers (unknown: the line prints
 * them relative to the conversation's first packet), the data offset of `doff` words, then `rest` (flags, window,
 * checksum, urgent pointer, options).
 */
const tcpHeaderSpec = (s: Summary, doff: number, rest: Spec): Spec => [
  ...portBytes(s.srcPort),
  ...portBytes(s.dstPort),
  ...anyBytes(8),
  NIBBLE - doff,
  ...rest,
];

/**
 * With -q, tcp_print prints `tcp N` alone (N the payload's bytes): no flags, window or options, so the TCP header's
 * length is a guess. The header bytes for a data offset of `doff` words (RFC 9293 §3.1: 5 to 15), with the IP length
 * field pinned by N (IPv4 total length, IPv6 payload length): null when the first byte rules the packet out.
 */
export const quietTcpSpec = (s: Summary, firstByte: number, doff: number): Spec | null => {
  const ip = ipSpec(s, firstByte, 6);
  if (ip === null) return null;
  const tcpBytes = doff * 4 + (s.length ?? 0);
  if (s.ipv6) ip.splice(4, 2, ...be16(tcpBytes));
  else ip.splice(2, 2, ...be16(ip.length + tcpBytes));
  // flags, window, checksum, urgent pointer and options: all unknown
  return [...ip, ...tcpHeaderSpec(s, doff, anyBytes(7 + (doff - 5) * 4))];
};

/**
 * Expected bytes of an ICMP error's headers up to the payload of the UDP datagram it quotes (RFC 792, RFC 4443 §3):
 * the IP header of the ICMP packet, the ICMP header, the quoted IP header (first byte `quotedFirst`: version and, for
 * IPv4, its length) and the quoted UDP header. Null when the first bytes rule it out.
 */
export const icmpQuoteSpec = (p: PacketLine, firstByte: number, quotedFirst: number): Spec | null => {
  const outer = ipSpec(p, firstByte, p.ipv6 ? IP_PROTOCOL.ICMPV6 : IP_PROTOCOL.ICMP);
  if (outer === null) return null;
  let quoted: Spec;
  if (p.ipv6) {
    if (quotedFirst >> 4 !== 6) return null;
    quoted = [NIBBLE - 6, ...anyBytes(5), IP_PROTOCOL.UDP, ...anyBytes(33)];
  } else {
    if (quotedFirst < 0x45 || quotedFirst > 0x4f) return null;
    quoted = [quotedFirst, ...anyBytes(8), IP_PROTOCOL.UDP, ...anyBytes((quotedFirst & 0x0f) * 4 - 10)];
  }
  return [...outer, ...anyBytes(ICMP_HEADER_BYTES), ...quoted, ...anyBytes(UDP_HEADER_BYTES)];
};

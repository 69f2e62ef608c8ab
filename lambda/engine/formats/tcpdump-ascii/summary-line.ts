import { type LogStamp, localStamp, timeOfDayStamp } from '../../log-stamp.js';
import { lineEndAt, lineText, startsWith } from '../line-utils.js';
import { type MatchContext, NEED_MORE, parseDateTimeUtc } from '../text-format.js';
import { DASH, HT, SP } from './ascii-print.js';
import { hexLineOffset } from './hex-dump.js';

// print-tcp.c tcp_flag_values
export const TH_SYN = 0x02;
export const TH_ACK = 0x10;
export const TH_URG = 0x20;
const FLAG_BITS: Readonly<Record<string, number>> = {
  F: 0x01,
  S: 0x02,
  R: 0x04,
  P: 0x08,
  '.': 0x10,
  U: 0x20,
  E: 0x40,
  W: 0x80,
};

/**
 * util-print.c ts_print: -t none; default "hh:mm:ss.frac"; -tt "sec.frac"; -ttt/-ttttt a delta
 * after ' ' or '-'; -tttt "YYYY-MM-DD hh:mm:ss.frac". Then, on `-i any` (print-sll.c sll2_print),
 * "%-5s %-3s " interface and direction. Then ip_print's "IP " or ip6_print's "IP6 ", with -v a
 * parenthesised list of header fields (one level of nested parentheses: "proto UDP (17)").
 */
const TIMESTAMP =
  '(?:(\\d{4}-\\d{2}-\\d{2}) (\\d{2}:\\d{2}:\\d{2}\\.\\d{6,9}) |(\\d{1,10})\\.(\\d{6,9}) |([ -]?\\d{2}:\\d{2}:\\d{2}\\.\\d{6,9}) )?';
const INTERFACE = '(?:\\S+ +(?:In|Out|B|M|P|\\?) +)?';
/**
 * What names the network layer: ip_print's "IP " or ip6_print's "IP6 ", or with -e (print-ether.c ether_print) the
 * Ethernet addresses and "ethertype IPv4 (0x0800), length N: " instead (with -q "IPv4, length N: ").
 */
// without -n, etheraddr_string adds the vendor: "00:00:00:00:00:00 (oui Ethernet)"
const MAC = '[0-9a-f]{2}(?::[0-9a-f]{2}){5}(?: \\(oui [^)]*\\))?';
// -q drops the word "ethertype" and the number
const ETHERTYPE = '(?:ethertype )?(?:IPv4|IPv6)(?: \\(0x[0-9a-f]{4}\\))?, length \\d+:';
/**
 * -e on the other link types, as tcpdump 4.99 prints them (read off its output on converted captures): DLT_NULL
 * (print-null.c) "AF IPv4 (2), length N:" (-q "IPv4, length N:"); Linux cooked v1 (print-sll.c) "%3s " direction,
 * the address, "ethertype IPv4 (0x0800), length N:" (-q: only direction and address); v2 the interface and
 * direction, "ifindex N", the address, then as v1; raw IP (print-raw.c) "ip:" for both families.
 */
const OTHER_LINKS = [
  `AF IPv[46] \\(\\d+\\), length \\d+:`,
  `IPv[46], length \\d+:`,
  ` ?(?:ifindex \\d+|In|Out|B|M|P|\\?)(?: ${MAC})?(?: ethertype IPv[46] \\(0x[0-9a-f]{4}\\), length \\d+:)?`,
  'ip:',
].join('|');
const NETWORK = `(?:(IP6?|${MAC} > ${MAC}, ${ETHERTYPE}|${OTHER_LINKS}) )`;
/**
 * IP behind MPLS labels (print-mpls.c: "MPLS (label 100, tc 0, ttl 64) (label 200, tc 0, [S], ttl 64) ") or a PPPoE
 * session header (print-pppoe.c: "PPPoE  [ses 0x1234] "), before ip_print's "IP ": read in a hex dump (hex-dump.ts),
 * not in -A text, whose characters cannot be measured past the outer headers.
 */
const ENCAPSULATION = '(?:MPLS (?:\\(label [^)]*\\) )+|PPPoE +\\[ses 0x[0-9a-f]+\\] )?';
/** -# / --number: the packet's number ("%5u  ") before everything else. */
const NUMBER = '(?: *\\d+  )?';
const VERBOSE_FIELDS = '\\((?:[^()]|\\([^()]*\\))*\\)';
const SUMMARY = new RegExp(
  `^${NUMBER}${TIMESTAMP}${INTERFACE}${ENCAPSULATION}${NETWORK}(?:${VERBOSE_FIELDS} )?(\\S+) > (\\S+?): (.*)$`,
);
/** ip_print with -v: the IPv4 fields end the line, and the addresses follow on the next, after 4 spaces. */
const VERBOSE_IPV4 = new RegExp(
  `^${NUMBER}${TIMESTAMP}${INTERFACE}(?:IP|${MAC} > ${MAC}, ethertype IPv4 \\(0x0800\\), length \\d+:|${OTHER_LINKS}) ${VERBOSE_FIELDS}$`,
);
const VERBOSE_INDENT = '    ';
/** print-icmp.c with -v: the quoted IPv4 packet's fields after a tab ("IP " left out with -e), its addresses next. */
const QUOTED_IPV4_FIELDS = new RegExp(`^(?:IP )?${VERBOSE_FIELDS}$`);

/** print-udp.c udp_print with -vv: the checksum verdict before the summary. */
const UDP_CHECKSUM = /^\[(?:udp sum ok|no cksum|bad udp cksum 0x[0-9a-f]+ -> 0x[0-9a-f]+!)\] /;
/**
 * print-udp.c udp_print: "UDP, length N"; on port 5060 sip_print (util-print.c txtproto_print)
 * prints "SIP: <start line>", or with -v "SIP, length: N" and the lines after it, each on its own
 * line after a tab.
 */
const UDP_SUMMARY = /^(?:UDP, (?:length (\d+)|bad length \d+ > \d+)|SIP(?:, length: (\d+)|: .*)?)$/;
/** print-tcp.c tcp_print (with -v the checksum verdict after the flags). */
const TCP_SUMMARY =
  /^Flags \[([FSRPUEW.]*|none)\](?:, cksum 0x[0-9a-f]+ \((?:correct|incorrect -> 0x[0-9a-f]+)\))?(?:, seq (\d+)(?::(\d+))?)?(?:, ack (\d+))?, win (\d+)(?:, urg (\d+))?(?:, options \[(.*)\])?, length (\d+)(?:[: [].*)?$/;

/** print-tcp.c tcp_print with -q: the payload length only. */
const TCP_QUIET = /^tcp (\d+)$/;

export interface TcpSummary {
  readonly flags: number;
  readonly seq?: number;
  /** The acknowledgment number, when printed (relative, as seq, except on a conversation's first packet). */
  readonly ack?: number;
  readonly win: number;
  readonly urg?: number;
  readonly options?: string;
}

/** What the line of any IP packet says: when, the family, and the addresses. */
export interface PacketLine {
  /** -tt: the instant. */
  readonly timeMs?: number;
  /** Default: the local time of day; -tttt: the local date and time (ts_date_hmsfrac_format uses localtime). */
  readonly stamp?: LogStamp;
  readonly ipv6: boolean;
  readonly srcHost: string;
  readonly dstHost: string;
}

export interface Summary extends PacketLine {
  readonly srcPort: string;
  readonly dstPort: string;
  readonly proto: 'udp' | 'tcp';
  /** Transport payload bytes, when the line prints them. */
  readonly length?: number;
  readonly tcp?: TcpSummary;
}

/** "127.0.0.1.5060" / "::1.5060" -> host and port (the port follows the last dot). */
const splitEndpoint = (s: string): [string, string] | null => {
  const dot = s.lastIndexOf('.');
  if (dot <= 0 || dot === s.length - 1) return null;
  return [s.slice(0, dot), s.slice(dot + 1)];
};

/** Raw IP's "ip:" and cooked -q name no family: an address with a colon is IPv6 (with -n; names read as IPv4). */
const isIpv6 = (network: string, srcHost: string): boolean =>
  network === 'IP6' ||
  network.includes('IPv6') ||
  (!network.includes('IPv4') && network !== 'IP' && srcHost.includes(':'));

/**
 * The line of a packet that is neither UDP nor TCP with ports (an IP fragment after the first, `ip-proto-17`; ICMP):
 * its time and addresses, for a hex dump of it (decoded as a capture's packet, fragments reassembled).
 */
export const parseOtherLine = (line: string): PacketLine | null => {
  const m = SUMMARY.exec(line);
  if (!m) return null;
  const network = m[6] ?? '';
  const srcHost = m[7] ?? '';
  return {
    ...lineTime(m),
    ipv6: isIpv6(network, srcHost),
    srcHost,
    dstHost: m[8] ?? '',
  };
};

/**
 * print-icmp.c and print-icmp6.c: an ICMP error's line ("ICMP 10.0.0.1 udp port 5060 unreachable, length 336",
 * "ICMP6, destination unreachable, unreachable port, ::1 udp port 5060, length 216"), the ICMP message's length last;
 * with -v ICMPv6 prints no length there (the IPv6 fields before the addresses hold it) and with -vv a checksum verdict
 * comes first. Echoes, router and neighbour messages quote no packet.
 */
const ICMP_ERROR =
  /^(?:\[[^\]]*\] )?ICMP6?[ ,].*(?:unreachable|time exceeded|redirect|parameter problem|source quench|packet too big)(?:.*, length (\d+))?/;
/** ip6_print with -v: "payload length: N" among the fields. */
const IPV6_PAYLOAD_LENGTH = /payload length: (\d+)\)/;

/** The line of an ICMP error: its time, addresses and the ICMP message's length; null for any other line. */
export const parseIcmpErrorLine = (line: string): (PacketLine & { readonly icmpLength: number }) | null => {
  const m = SUMMARY.exec(line);
  if (!m) return null;
  const e = ICMP_ERROR.exec(m[9] ?? '');
  if (!e) return null;
  const network = m[6] ?? '';
  const srcHost = m[7] ?? '';
  const ipv6 = isIpv6(network, srcHost);
  const length = e[1] ?? (ipv6 ? IPV6_PAYLOAD_LENGTH.exec(line)?.[1] : undefined);
  if (length === undefined) return null;
  return { ...lineTime(m), ipv6, srcHost, dstHost: m[8] ?? '', icmpLength: Number(length) };
};

/** The time a summary line prints: an instant (-tt), or a stamp the file's clock places. */
const lineTime = (m: RegExpExecArray): { timeMs?: number; stamp?: LogStamp } => {
  if (m[1] !== undefined && m[2] !== undefined) return { stamp: localStamp(parseDateTimeUtc(m[1], m[2])) };
  if (m[3] !== undefined) return { timeMs: Number(m[3]) * 1000 + Math.round(Number(`0.${m[4] ?? '0'}`) * 1000) };
  // a time of day; -ttt/-ttttt deltas look the same and are told apart by the file's clock (they start at 00:00:00.000000)
  if (m[5] !== undefined) return { stamp: timeOfDayStamp(m[5]) };
  return {};
};

export const parseSummary = (line: string): Summary | 'other' | null => {
  const m = SUMMARY.exec(line);
  if (!m) return null;
  const src = splitEndpoint(m[7] ?? '');
  const dst = splitEndpoint(m[8] ?? '');
  if (!src || !dst) return 'other';
  const { timeMs, stamp } = lineTime(m);
  const network = m[6] ?? '';
  const ipv6 = isIpv6(network, src[0]);
  const [srcHost, srcPort] = src;
  const [dstHost, dstPort] = dst;
  const rest = m[9] ?? '';
  // a TCP segment's line ("Flags [P.], seq ...") is none of the others: one test instead of three expressions, and no
  // object spread per packet (a text of 100 MB prints ~200,000 of them)
  if (rest.charCodeAt(0) !== 0x46 /* F */) {
    // the checksum note of -vv ("[udp sum ok] UDP, length 500") starts with '['
    const u = UDP_SUMMARY.exec(rest.charCodeAt(0) === 0x5b ? rest.replace(UDP_CHECKSUM, '') : rest);
    const udpLength = u?.[1] ?? u?.[2];
    const length = udpLength !== undefined ? Number(udpLength) : undefined;
    if (u) return { timeMs, stamp, ipv6, srcHost, srcPort, dstHost, dstPort, proto: 'udp', length };
    // -q: "tcp N" (the payload length), no flags or sequence numbers: readable only from a hex dump
    const q = TCP_QUIET.exec(rest);
    if (q) return { timeMs, stamp, ipv6, srcHost, srcPort, dstHost, dstPort, proto: 'tcp', length: Number(q[1]) };
  }
  const t = TCP_SUMMARY.exec(rest);
  if (!t) return 'other';
  let flags = 0;
  if (t[1] !== 'none') for (const ch of t[1] ?? '') flags |= FLAG_BITS[ch] ?? 0;
  return {
    timeMs,
    stamp,
    ipv6,
    srcHost,
    srcPort,
    dstHost,
    dstPort,
    proto: 'tcp',
    length: Number(t[8]),
    tcp: {
      flags,
      seq: t[2] !== undefined ? Number(t[2]) : undefined,
      ack: t[4] !== undefined ? Number(t[4]) : undefined,
      win: Number(t[5]),
      urg: t[6] !== undefined ? Number(t[6]) : undefined,
      options: t[7],
    },
  };
};

/** First byte of a summary line: a timestamp digit, "IP", or the ' '/'-' of a -ttt delta or a -# number. */
export const FIRST_BYTES = '0123456789I -';
/** The starts mayBeSummary lets through: a digit then anything, "IP", ' ' or '-' then a digit, two spaces (-#). */
export const LINE_STARTS: readonly string[] = [
  ...'0123456789',
  'IP',
  '  ',
  ...[...'0123456789'].flatMap((d) => [` ${d}`, `-${d}`]),
];

/** Cheap test of the first bytes: a timestamp digit, "IP", ' '/'-' and a digit (-ttt), or -#'s padded number. */
const mayBeSummary = (buf: Buffer, ls: number): boolean => {
  const c = buf[ls] ?? 0;
  if (c === SP || c === DASH) {
    let i = ls + 1;
    // "%5u  ": up to four spaces before the number
    if (c === SP) while (i < ls + 4 && buf[i] === SP) i++;
    const d = buf[i] ?? 0;
    return d >= 0x30 && d <= 0x39;
  }
  if (c === 0x49 /* I */) return buf[ls + 1] === 0x50 /* P */;
  return c >= 0x30 && c <= 0x39;
};

export const isSummaryLine = (buf: Buffer, ls: number, le: number): boolean => {
  if (!mayBeSummary(buf, ls)) return false;
  const line = lineText(buf, ls, le);
  return SUMMARY.test(line) || VERBOSE_IPV4.test(line) || (line.includes(ETHERTYPE_MARK) && ETHER_LINE.test(line));
};

const ETHERTYPE_MARK = ', ethertype ';
/**
 * -e on Ethernet, whatever the frame carries (print-ether.c: the addresses, then "ethertype NAME (0xNNNN)"): MPLS,
 * PPPoE, 802.1Q and QinQ tags, and IP whose tunnel -e prints without "IP". The time's groups are SUMMARY's.
 */
const ETHER_LINE = new RegExp(
  `^${NUMBER}${TIMESTAMP}${INTERFACE}(${MAC}) > (${MAC}), ethertype [^(]*\\(0x([0-9a-f]{4})\\)(?:, length (\\d+))?`,
);
/** ip_print when the IP header announces more than the frame's own length (a record written short, not cut). */
const TRUNCATED_IP = 'truncated-ip - ';

/** What an Ethernet line of -e says: the frame's time, addresses and EtherType. */
export interface EtherLine {
  readonly timeMs?: number;
  readonly stamp?: LogStamp;
  /** The destination and source addresses, as the frame's first 12 bytes hold them. */
  readonly addresses: Buffer;
  readonly etherType: number;
  /** The frame's length on the wire ("length N"). */
  readonly frameLength?: number;
  /**
   * The IP header announces more than the frame holds ("truncated-ip - 14 bytes missing!"): a frame recorded short
   * (sipgrep -O), not one the snaplen cut, so its dump is the whole record (clipped, as tshark clips it).
   */
  readonly clipped: boolean;
}

/** The Ethernet line of -e (ETHER_LINE), or null for any other line. */
export const parseEtherLine = (line: string): EtherLine | null => {
  // asked of every hex-dumped packet: most print no Ethernet line (-xx without -e), told by one search
  if (!line.includes(ETHERTYPE_MARK)) return null;
  const m = ETHER_LINE.exec(line);
  if (m === null) return null;
  // printed "src > dst"; without -n each is followed by its vendor in parentheses
  const mac = (printed: string): string => printed.slice(0, 17).replaceAll(':', '');
  return {
    ...lineTime(m),
    addresses: Buffer.from(mac(m[7] ?? '') + mac(m[6] ?? ''), 'hex'),
    etherType: Number.parseInt(m[8] ?? '0', 16),
    frameLength: m[9] === undefined ? undefined : Number(m[9]),
    clipped: line.includes(TRUNCATED_IP),
  };
};

/**
 * The whole summary of the packet whose line starts at `ls`, as one line of text, and where its
 * printed data starts: after the -v address line and -vv's tab-indented SIP lines, if any.
 */
export const readSummary = (
  buf: Buffer,
  ls: number,
  lf: number,
  end: number,
  ctx: MatchContext,
): { text: string; dataStart: number } | typeof NEED_MORE => {
  let text = lineText(buf, ls, lf);
  let p = lf + 1;
  if (VERBOSE_IPV4.test(text)) {
    const e = lineEndAt(buf, p, end);
    if (e < 0 && !ctx.final) return NEED_MORE;
    const second = lineText(buf, p, e < 0 ? end : e);
    if (second.startsWith(VERBOSE_INDENT)) {
      text = `${text} ${second.slice(VERBOSE_INDENT.length)}`;
      p = e < 0 ? end : e + 1;
    }
  }
  // -vv's SIP lines, not the hex lines of -x (hex-dump.ts); with -v an ICMP error's quoted packet, whose IPv4 fields
  // line ("\tIP (tos ...)") is followed by its addresses after 4 spaces
  while (p < end && buf[p] === HT && hexLineOffset(buf, p, end) < 0) {
    const e = lineEndAt(buf, p, end);
    if (e < 0) {
      if (!ctx.final) return NEED_MORE;
      p = end;
      break;
    }
    // "(" or "IP (" after the tab: the other tab lines (-vv's SIP lines) are not turned into strings
    const after = buf[p + 1];
    const quotedFields = (after === 0x28 || after === 0x49) && QUOTED_IPV4_FIELDS.test(lineText(buf, p + 1, e));
    p = e + 1;
    if (quotedFields && startsWith(buf, p, end, VERBOSE_INDENT)) {
      const e2 = lineEndAt(buf, p, end);
      if (e2 < 0) {
        if (!ctx.final) return NEED_MORE;
        p = end;
        break;
      }
      p = e2 + 1;
    }
  }
  if (p >= end && !ctx.final) return NEED_MORE;
  return { text, dataStart: Math.min(p, end) };
};

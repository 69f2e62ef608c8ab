import { startLineKind } from '../sip-message.js';
import type { PayloadMeta } from '../types.js';
import { lineEndAt, lineText } from './line-utils.js';
import {
  type MatchContext,
  type MatchResult,
  NEED_MORE,
  parseDateTimeUtc,
  type TextFormatReader,
} from './text-format.js';

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
 * `-v`/`-vv` (the IPv4 fields on a line of their own, checksum verdicts, sip_print's lines) are
 * read too. Not read: `-e` (link-layer header on the line), `-q` for TCP (no options listed, so no
 * header length), `-x`/`-X` (hex), IP fragments after the first (no ports), IPv6 extension
 * headers. Their packets are skipped whole, never read as text.
 */

const LF = 0x0a;
const CR = 0x0d;
const SP = 0x20;
const HT = 0x09;
const DOT = 0x2e;
const DASH = 0x2d;
const EMPTY = Buffer.alloc(0);

/** A printed packet is never larger than tcpdump's default snaplen (262144) plus its line breaks. */
const MAX_BLOCK_BYTES = 512 * 1024;
/** The smallest Ethernet payload; shorter IP packets are padded, and tcpdump prints the padding. */
const MIN_ETHERNET_PAYLOAD = 46;
/** TCP directions and conversations remembered at once; the oldest is forgotten past this. */
const MAX_TCP_DIRECTIONS = 20_000;
/** A sequence jump this large is a renumbering (tcpdump -S, or a restart), not a gap. */
const RENUMBERED = 2 ** 30;

// print-tcp.c tcp_flag_values
const TH_SYN = 0x02;
const TH_ACK = 0x10;
const TH_URG = 0x20;
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

// ---------------------------------------------------------------------------------------------
// The summary line

/**
 * util-print.c ts_print: -t none; default "hh:mm:ss.frac"; -tt "sec.frac"; -ttt/-ttttt a delta
 * after ' ' or '-'; -tttt "YYYY-MM-DD hh:mm:ss.frac". Then, on `-i any` (print-sll.c sll2_print),
 * "%-5s %-3s " interface and direction. Then ip_print's "IP " or ip6_print's "IP6 ", with -v a
 * parenthesised list of header fields (one level of nested parentheses: "proto UDP (17)").
 */
const TIMESTAMP =
  '(?:(\\d{4}-\\d{2}-\\d{2}) (\\d{2}:\\d{2}:\\d{2}\\.\\d{6,9}) |(\\d{1,10})\\.(\\d{6,9}) |[ -]?\\d{2}:\\d{2}:\\d{2}\\.\\d{6,9} )?';
const INTERFACE = '(?:\\S+ +(?:In|Out|B|M|P|\\?) +)?';
const VERBOSE_FIELDS = '\\((?:[^()]|\\([^()]*\\))*\\)';
const SUMMARY = new RegExp(`^${TIMESTAMP}${INTERFACE}(IP6?) (?:${VERBOSE_FIELDS} )?(\\S+) > (\\S+?): (.*)$`);
/** ip_print with -v: the IPv4 fields end the line, and the addresses follow on the next, after 4 spaces. */
const VERBOSE_IPV4 = new RegExp(`^${TIMESTAMP}${INTERFACE}IP ${VERBOSE_FIELDS}$`);
const VERBOSE_INDENT = '    ';

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

interface TcpSummary {
  readonly flags: number;
  readonly seq?: number;
  readonly win: number;
  readonly urg?: number;
  readonly options?: string;
}

interface Summary {
  readonly timeMs?: number;
  readonly ipv6: boolean;
  readonly srcHost: string;
  readonly srcPort: string;
  readonly dstHost: string;
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

const parseSummary = (line: string): Summary | 'other' | null => {
  const m = SUMMARY.exec(line);
  if (!m) return null;
  const src = splitEndpoint(m[6] ?? '');
  const dst = splitEndpoint(m[7] ?? '');
  if (!src || !dst) return 'other';
  let timeMs: number | undefined;
  if (m[1] !== undefined && m[2] !== undefined) timeMs = parseDateTimeUtc(m[1], m[2]);
  else if (m[3] !== undefined) timeMs = Number(m[3]) * 1000 + Math.round(Number(`0.${m[4] ?? '0'}`) * 1000);
  const base = { timeMs, ipv6: m[5] === 'IP6', srcHost: src[0], srcPort: src[1], dstHost: dst[0], dstPort: dst[1] };
  const rest = m[8] ?? '';
  const u = UDP_SUMMARY.exec(rest.replace(UDP_CHECKSUM, ''));
  const udpLength = u?.[1] ?? u?.[2];
  if (u) return { ...base, proto: 'udp', length: udpLength !== undefined ? Number(udpLength) : undefined };
  const t = TCP_SUMMARY.exec(rest);
  if (!t) return 'other';
  let flags = 0;
  if (t[1] !== 'none') for (const ch of t[1] ?? '') flags |= FLAG_BITS[ch] ?? 0;
  return {
    ...base,
    proto: 'tcp',
    length: Number(t[8]),
    tcp: {
      flags,
      seq: t[2] !== undefined ? Number(t[2]) : undefined,
      win: Number(t[5]),
      urg: t[6] !== undefined ? Number(t[6]) : undefined,
      options: t[7],
    },
  };
};

// ---------------------------------------------------------------------------------------------
// Header bytes: what the summary line says about each of them

/** A header byte whose value the summary line does not tell. */
const ANY = -1;
/** A header byte of which only the high nibble is known: NIBBLE - n. */
const NIBBLE = -100;

type Spec = number[];

const be16 = (v: number): number[] => [(v >> 8) & 0xff, v & 0xff];
const be32 = (v: number): number[] => [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
const anyBytes = (n: number): number[] => new Array<number>(n).fill(ANY);

/** Well-known port names tcpdump prints without -nn (tcpport_string / udpport_string). */
const PORT_NAMES: Readonly<Record<string, number>> = { sip: 5060, 'sip-tls': 5061 };

const portBytes = (port: string): number[] => {
  const n = /^\d+$/.test(port) ? Number(port) : PORT_NAMES[port];
  return n !== undefined && n <= 0xffff ? be16(n) : anyBytes(2);
};

const ipv4Bytes = (host: string): number[] => {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(host);
  if (!m) return anyBytes(4);
  const b = [m[1], m[2], m[3], m[4]].map(Number);
  return b.every((x) => x <= 255) ? b : anyBytes(4);
};

/** inet_ntop text of an IPv6 address -> its 16 bytes (ANY when it is a name, not an address). */
const ipv6Bytes = (host: string): number[] => {
  let text = host;
  const v4 = /:(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const b = ipv4Bytes(v4[1] ?? '');
    if (b[0] === ANY) return anyBytes(16);
    text = `${text.slice(0, v4.index)}:${(((b[0] ?? 0) << 8) | (b[1] ?? 0)).toString(16)}:${(((b[2] ?? 0) << 8) | (b[3] ?? 0)).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return anyBytes(16);
  const groups = (s: string): number[] | null => {
    if (s === '') return [];
    const out: number[] = [];
    for (const g of s.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
      out.push(Number.parseInt(g, 16));
    }
    return out;
  };
  const head = groups(halves[0] ?? '');
  const back = halves.length === 2 ? groups(halves[1] ?? '') : [];
  if (!head || !back) return anyBytes(16);
  const fill = 8 - head.length - back.length;
  if ((halves.length === 1 && fill !== 0) || fill < 0) return anyBytes(16);
  const all = [...head, ...new Array<number>(fill).fill(0), ...back];
  return all.flatMap((g) => be16(g));
};

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

/** A capture has few addresses and many packets: their bytes are parsed once (bounded cache). */
const addressCache = new Map<string, number[]>();
const MAX_CACHED_ADDRESSES = 4096;

const addressBytes = (host: string, ipv6: boolean): number[] => {
  const key = ipv6 ? `6${host}` : `4${host}`;
  let b = addressCache.get(key);
  if (b === undefined) {
    if (addressCache.size >= MAX_CACHED_ADDRESSES) addressCache.clear();
    b = ipv6 ? ipv6Bytes(host) : ipv4Bytes(host);
    addressCache.set(key, b);
  }
  return b;
};

/** Expected IP + transport header bytes, or null when their number cannot be derived. */
const headerSpec = (s: Summary, firstByte: number): Spec | null => {
  const ip: Spec = [];
  const protocol = s.proto === 'udp' ? 17 : 6;
  if (s.ipv6) {
    // RFC 8200 §3: version 6 in the high nibble; no extension headers when tcpdump names UDP/TCP here
    if (firstByte >> 4 !== 6) return null;
    ip.push(
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
    );
  } else {
    // RFC 791 §3.1: version 4, IHL in 32-bit words, at least 5; printed as 'E'..'O'
    if (firstByte < 0x45 || firstByte > 0x4f) return null;
    const ihl = (firstByte & 0x0f) * 4;
    // total length stays ANY: a first fragment's `length` names the whole datagram
    ip.push(firstByte, ANY, ANY, ANY, ANY, ANY, ANY, ANY, ANY, protocol, ANY, ANY);
    ip.push(...addressBytes(s.srcHost, false), ...addressBytes(s.dstHost, false), ...anyBytes(ihl - 20));
  }
  const sport = portBytes(s.srcPort);
  const dport = portBytes(s.dstPort);
  if (s.proto === 'udp') {
    const ulen = s.length !== undefined ? be16(s.length + 8) : anyBytes(2);
    return [...ip, ...sport, ...dport, ...ulen, ANY, ANY];
  }
  const t = s.tcp;
  if (!t) return null;
  const options = t.options !== undefined ? tcpOptionBytes(t.options) : [];
  if (options === null) return null;
  const doff = 5 + Math.ceil(options.length / 4);
  if (doff > 15) return null;
  while (options.length < (doff - 5) * 4) options.push(ANY);
  const urp = t.flags & TH_URG && t.urg !== undefined ? be16(t.urg) : anyBytes(2);
  return [
    ...ip,
    ...sport,
    ...dport,
    ...anyBytes(8), // seq, ack: the line prints them relative to the conversation's first packet
    NIBBLE - doff,
    t.flags,
    ...be16(t.win),
    ANY,
    ANY,
    ...urp,
    ...options,
  ];
};

/** The character ascii_print shows for a byte other than CR. */
const shown = (v: number): number => (v === HT || v === LF || v === SP || (v > SP && v < 0x7f) ? v : DOT);

/** Whether the printed character `c` can stand for a header byte of spec `s`. */
const accepts = (s: number, c: number): boolean => {
  if (s === ANY) return true;
  if (s <= NIBBLE) {
    const hi = (NIBBLE - s) << 4;
    for (let v = hi; v < hi + 16; v++) if (shown(v) === c) return true;
    return false;
  }
  return s === CR ? c === DOT : shown(s) === c;
};

/**
 * Number of characters the header bytes `spec` take in the printed data [ds, de), or -1 when no
 * reading fits. A header byte CR followed by LF prints as nothing, so each printed LF in the
 * header may stand for one or two bytes; with several readings the one with the fewest dropped
 * CRs wins (a CR byte right before a LF byte is the rare case).
 */
const printedHeaderLength = (buf: Buffer, ds: number, de: number, spec: Spec): number => {
  const h = spec.length;
  const lf = buf.indexOf(LF, ds);
  if (lf < 0 || lf > ds + h || lf >= de) {
    // no LF among the header's characters (nor right after them): one character per byte
    if (de - ds < h) return -1;
    for (let i = 0; i < h; i++) if (!accepts(spec[i] ?? ANY, buf[ds + i] ?? 0)) return -1;
    return h;
  }
  // states: character offset * 2 + (1 when the byte at this position must be a LF)
  let states = new Set<number>([0]);
  for (let i = 0; i < h && states.size > 0; i++) {
    const s = spec[i] ?? ANY;
    const next = new Set<number>();
    for (const st of states) {
      const j = st >> 1;
      const mustLf = (st & 1) === 1;
      if (ds + j >= de) continue;
      const c = buf[ds + j] ?? 0;
      if (mustLf) {
        if (c === LF && (s === ANY || s === LF)) next.add((j + 1) * 2);
        continue;
      }
      const following = spec[i + 1];
      if (accepts(s, c) && !(s === CR && following === LF)) next.add((j + 1) * 2);
      // this byte is a CR that was dropped because a LF follows
      const canBeCr = s === ANY || s === CR;
      if (canBeCr && c === LF && (following === undefined || following === ANY || following === LF)) {
        next.add(following === undefined ? j * 2 : j * 2 + 1);
      }
    }
    states = next;
  }
  let best = -1;
  for (const st of states) best = Math.max(best, st >> 1);
  return best;
};

// ---------------------------------------------------------------------------------------------
// Payload bytes

/**
 * The payload's bytes: the printed [ps, pe) with the CRs ascii_print dropped put back, given the
 * true size `n` (`length N`). A copy is made only when a CR is missing. Null when the printed text
 * cannot be `n` bytes (a capture cut by the snaplen).
 */
const restorePayload = (
  buf: Buffer,
  ps: number,
  printedEnd: number,
  n: number,
): { buf: Buffer; start: number; end: number } | null => {
  // Ethernet padding after a short packet is printed too; it is never more than 46 bytes
  const pe = printedEnd - ps > n ? paddedPrefix(buf, ps, printedEnd, n) : printedEnd;
  if (pe < 0) return null;
  const missing = n - (pe - ps);
  if (missing === 0) return { buf, start: ps, end: pe };
  const lfs: number[] = [];
  for (let i = buf.indexOf(LF, ps); i >= 0 && i < pe; i = buf.indexOf(LF, i + 1)) lfs.push(i);
  if (missing < 0 || missing > lfs.length + 2) return null;
  const withCr = new Set<number>(missing >= lfs.length ? lfs : chooseCrlfs(buf, ps, lfs, missing));
  const out = Buffer.allocUnsafe(n);
  let o = 0;
  let from = ps;
  for (const at of lfs) {
    if (!withCr.has(at)) continue;
    o += buf.copy(out, o, from, at);
    out[o++] = CR;
    from = at;
  }
  o += buf.copy(out, o, from, pe);
  // the rest were among the last two bytes of the packet, which ascii_print never shows as CR
  while (o < n) out[o++] = CR;
  return { buf: out, start: 0, end: n };
};

/** End of the shortest prefix of [ps, pe) that is `n` bytes with every LF read as CRLF, or read as is. */
const paddedPrefix = (buf: Buffer, ps: number, pe: number, n: number): number => {
  if (pe - ps - n > MIN_ETHERNET_PAYLOAD) return -1;
  let bytes = 0;
  for (let i = ps; i < pe; i++) {
    bytes += buf[i] === LF ? 2 : 1;
    if (bytes === n) return i + 1;
    if (bytes > n) break;
  }
  return ps + n;
};

/**
 * Which `count` of the LFs lost a CR, when not all did: the ones ending lines of a SIP header
 * section (RFC 3261 §7 requires CRLF there; bodies may use bare LF) if exactly that many, else the
 * first `count`.
 */
const chooseCrlfs = (buf: Buffer, ps: number, lfs: readonly number[], count: number): number[] => {
  const inHeaders: number[] = [];
  let headers = false;
  let ls = ps;
  for (const lf of lfs) {
    if (!headers && startLineKind(buf, ls, lf) !== null) headers = true;
    if (headers) inHeaders.push(lf);
    if (headers && lf === ls) headers = false;
    ls = lf + 1;
  }
  return inHeaders.length === count ? inHeaders : lfs.slice(0, count);
};

/**
 * The UDP payload size when the summary line does not print it (sip_print on port 5060 shows the
 * start line instead): of the sizes the printed payload can stand for (every LF a CRLF, none, or
 * the last one or two bytes a CR too), the one whose UDP length and IP length fields print as the
 * characters shown. Only when no header CR was dropped, so byte offsets are character offsets.
 */
const udpLengthFromHeader = (buf: Buffer, ds: number, h: number, de: number, ipv6: boolean): number | undefined => {
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

// ---------------------------------------------------------------------------------------------
// TCP: tcpdump's relative sequence numbers, per direction

/** Signed distance a - b between two 32-bit sequence numbers (RFC 9293 §3.4 modular arithmetic). */
const seqDiff = (a: number, b: number): number => {
  const d = (a - b) % 2 ** 32;
  return d >= 2 ** 31 ? d - 2 ** 32 : d < -(2 ** 31) ? d + 2 ** 32 : d;
};

interface Direction {
  /** Next sequence number expected, in the numbers the dump prints for this direction. */
  expected: number | undefined;
  /** The absolute number of the packet that set this direction's origin (see segment()). */
  origin: number | undefined;
}

/**
 * Reassembly state of one scan. Like tshark's default (tcp.reassemble_out_of_order off),
 * segments are not reordered: a segment past a gap is taken as it comes, and bytes below the
 * expected number are dropped as already seen (retransmissions).
 */
class TcpStreams {
  /** tcp_print's tcp_seq_hash: conversations whose numbers are already printed relative. */
  private readonly conversations = new Map<string, true>();
  private readonly directions = new Map<string, Direction>();

  /** Takes one segment (its exact payload bytes); returns the part that continues the stream, or null. */
  segment(src: string, dst: string, t: TcpSummary, data: Buffer): Buffer | null {
    const dir = this.direction(`${src}>${dst}`);
    // print-tcp.c tcp_print: numbers are relative only on packets with ACK whose conversation was
    // seen before. A packet without ACK (a SYN) prints them absolute; the first ACK of a
    // conversation, or a SYN-ACK, prints them absolute and becomes the origin: 0 for its own
    // direction, its ack - 1 for the other one.
    if (!(t.flags & TH_ACK)) {
      dir.expected = undefined;
      dir.origin = undefined;
      return data.length > 0 ? data : null;
    }
    const conv = src < dst ? `${src}|${dst}` : `${dst}|${src}`;
    if (!this.conversations.has(conv) || t.flags & TH_SYN) {
      this.remember(this.conversations, conv, true);
      const reverse = this.directions.get(`${dst}>${src}`);
      if (reverse) {
        reverse.expected = undefined;
        reverse.origin = undefined;
      }
      dir.origin = t.seq;
      dir.expected = t.seq === undefined ? undefined : data.length + (t.flags & TH_SYN ? 1 : 0);
      return data.length > 0 ? data : null;
    }
    if (data.length === 0 || t.seq === undefined) return null;
    let seq = t.seq;
    if (dir.origin !== undefined && dir.expected !== undefined) {
      // with -S every number stays absolute: read it against the origin when that fits better
      const fromOrigin = (seq - dir.origin + 2 ** 32) % 2 ** 32;
      if (Math.abs(seqDiff(fromOrigin, dir.expected)) < Math.abs(seqDiff(seq, dir.expected))) seq = fromOrigin;
    }
    const d = dir.expected === undefined ? 0 : seqDiff(seq, dir.expected);
    if (dir.expected === undefined || d >= 0 || -d >= RENUMBERED) {
      // in order, past a gap (the missing bytes never come back into the stream), or renumbered
      dir.expected = seq + data.length;
      return data;
    }
    if (-d >= data.length) return null; // a retransmission of bytes already taken
    dir.expected = seq + data.length;
    return data.subarray(-d);
  }

  private direction(key: string): Direction {
    const dir = this.directions.get(key) ?? { expected: undefined, origin: undefined };
    this.remember(this.directions, key, dir);
    return dir;
  }

  /** Sets a key as the most recently used one, forgetting the oldest past the bound. */
  private remember<V>(map: Map<string, V>, key: string, value: V): void {
    map.delete(key);
    map.set(key, value);
    if (map.size > MAX_TCP_DIRECTIONS) {
      const oldest = map.keys().next().value;
      if (oldest !== undefined) map.delete(oldest);
    }
  }
}

/** One TcpStreams per scan: the scanner's MatchContext is created once per scan. */
const streamsOfScan = new WeakMap<MatchContext, TcpStreams>();

const streamsFor = (ctx: MatchContext): TcpStreams => {
  let s = streamsOfScan.get(ctx);
  if (!s) {
    s = new TcpStreams();
    streamsOfScan.set(ctx, s);
  }
  return s;
};

// ---------------------------------------------------------------------------------------------
// Where a packet's dump ends

/** First byte of a summary line: a timestamp digit, "IP", or the ' '/'-' of a -ttt delta. */
const FIRST_BYTES = '0123456789I -';

/** Cheap test of the first bytes: a timestamp digit, "IP", or ' '/'-' and a digit (-ttt). */
const mayBeSummary = (buf: Buffer, ls: number): boolean => {
  const c = buf[ls] ?? 0;
  if (c === SP || c === DASH) {
    const d = buf[ls + 1] ?? 0;
    return d >= 0x30 && d <= 0x39;
  }
  if (c === 0x49 /* I */) return buf[ls + 1] === 0x50 /* P */;
  return c >= 0x30 && c <= 0x39;
};

const isSummaryLine = (buf: Buffer, ls: number, le: number): boolean => {
  if (!mayBeSummary(buf, ls)) return false;
  const line = lineText(buf, ls, le);
  return SUMMARY.test(line) || VERBOSE_IPV4.test(line);
};

/**
 * The whole summary of the packet whose line starts at `ls`, as one line of text, and where its
 * printed data starts: after the -v address line and -vv's tab-indented SIP lines, if any.
 */
const readSummary = (
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
  while (p < end && buf[p] === HT) {
    const e = lineEndAt(buf, p, end);
    if (e < 0) {
      if (!ctx.final) return NEED_MORE;
      p = end;
      break;
    }
    p = e + 1;
  }
  if (p >= end && !ctx.final) return NEED_MORE;
  return { text, dataStart: Math.min(p, end) };
};

interface Extent {
  /** End of the printed packet data (the LF tcpdump prints after it). */
  readonly dataEnd: number;
  /** Start of the next line after the packet. */
  readonly next: number;
}

/**
 * The printed data of a packet runs from `ds` to the LF before the next packet line. With the
 * packet's size known (`bytes` = header + payload), the end is the first packet line where the
 * printed length fits: at least `bytes` minus one per LF (each may have lost a CR) minus two (the
 * last two bytes' CRs), at most `bytes` (or the Ethernet minimum, padding included). That keeps a
 * payload line that looks like a packet line inside the packet; when no packet line fits, the
 * first one found wins, so a wrong size never swallows the next packet.
 */
const findExtent = (
  buf: Buffer,
  ds: number,
  end: number,
  ctx: MatchContext,
  bytes: number | undefined,
): Extent | typeof NEED_MORE => {
  const maxLen = bytes === undefined ? MAX_BLOCK_BYTES : Math.max(bytes, MIN_ETHERNET_PAYLOAD);
  let first: Extent | null = null;
  let lfs = 0;
  let e = ds;
  for (;;) {
    const lf = buf.indexOf(LF, e);
    if (lf < 0 || lf >= end) {
      if (!ctx.final) return end - ds > maxLen + 2 ? (first ?? tooLong(buf, ds, end, maxLen)) : NEED_MORE;
      const dataEnd = end > ds && buf[end - 1] === LF ? end - 1 : end;
      return first ?? { dataEnd: Math.max(dataEnd, ds), next: end };
    }
    const printed = lf - ds;
    if (printed > maxLen) return first ?? tooLong(buf, ds, lf, maxLen);
    const s = lf + 1;
    if (s >= end) {
      if (!ctx.final) return NEED_MORE;
      return first ?? { dataEnd: lf, next: end };
    }
    const le = buf.indexOf(LF, s);
    if ((le < 0 || le >= end) && !ctx.final) return NEED_MORE;
    const lineEnd = le < 0 || le >= end ? end : le;
    if (bytes === undefined || printed >= bytes - lfs - 2) {
      if (isSummaryLine(buf, s, lineEnd) || ctx.isHeaderLine(buf, s, lineEnd)) return { dataEnd: lf, next: s };
    } else if (first === null && isSummaryLine(buf, s, lineEnd)) {
      first = { dataEnd: lf, next: s };
    }
    lfs++;
    e = s;
  }
};

/** No packet line where one must be: end the packet at the last LF that still fits. */
const tooLong = (buf: Buffer, ds: number, limit: number, maxLen: number): Extent => {
  const last = buf.lastIndexOf(LF, Math.min(limit, ds + maxLen));
  const dataEnd = last >= ds ? last : Math.min(limit, ds + maxLen);
  return { dataEnd, next: Math.min(dataEnd + 1, limit + 1) };
};

// ---------------------------------------------------------------------------------------------

const endpoint = (host: string, port: string, ipv6: boolean): string =>
  ipv6 ? `[${host}]:${port}` : `${host}:${port}`;

/** Reader of `tcpdump -A` packets: UDP payloads as datagrams, TCP payloads as reassembled streams. */
export const tcpdumpAsciiReader: TextFormatReader = {
  format: 'tcpdump-ascii',
  firstBytes: FIRST_BYTES,
  isHeader: isSummaryLine,
  match(buf: Buffer, ls: number, lf: number, end: number, ctx: MatchContext): MatchResult {
    if (!isSummaryLine(buf, ls, lf)) return null;
    const summary = readSummary(buf, ls, lf, end, ctx);
    if (summary === NEED_MORE) return NEED_MORE;
    const s = parseSummary(summary.text);
    const ds = summary.dataStart;
    if (s === null) return { kind: 'skip', format: 'tcpdump-ascii', next: ds };
    if (s === 'other') {
      const x = findExtent(buf, ds, end, ctx, undefined);
      return x === NEED_MORE ? NEED_MORE : { kind: 'skip', format: 'tcpdump-ascii', next: x.next };
    }
    const spec = headerSpec(s, buf[ds] ?? 0);
    const bytes = spec !== null && s.length !== undefined ? spec.length + s.length : undefined;
    const x = findExtent(buf, ds, end, ctx, bytes);
    if (x === NEED_MORE) return NEED_MORE;
    const skip = { kind: 'skip', format: 'tcpdump-ascii', next: x.next } as const;
    const src = endpoint(s.srcHost, s.srcPort, s.ipv6);
    const dst = endpoint(s.dstHost, s.dstPort, s.ipv6);
    const p = spec === null ? -1 : printedHeaderLength(buf, ds, x.dataEnd, spec);
    const ps = ds + p;
    const meta: PayloadMeta = { timeMs: s.timeMs, src, dst, transport: s.proto };
    if (s.proto === 'udp') {
      if (p < 0 || s.length === 0 || ps >= x.dataEnd) return skip;
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
      };
    }
    const t = s.tcp;
    if (!t || s.length === undefined) return skip;
    // the sequence bookkeeping needs every segment, even one whose bytes cannot be read
    let data: Buffer = EMPTY;
    if (s.length > 0 && p >= 0) {
      const payload = restorePayload(buf, ps, x.dataEnd, s.length);
      data = payload ? payload.buf.subarray(payload.start, payload.end) : buf.subarray(ps, x.dataEnd);
    }
    const joined = streamsFor(ctx).segment(src, dst, t, data);
    if (joined === null) return skip;
    return {
      kind: 'stream',
      format: 'tcpdump-ascii',
      meta,
      next: x.next,
      payloadBuf: joined,
      payloadStart: 0,
      payloadEnd: joined.length,
      dotCR: false,
      flow: `${src}>${dst}`,
    };
  },
};
